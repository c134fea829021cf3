// Matrix products: 2-D, batched, with a weight shared across the batch ([B, M, K] x [K, N]) and
// with a shared left operand ([M, K] x [B, K, N]).
#include <string>
#include <vector>

#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

const Forward kMatmul = binary([](const Tensor& a, const Tensor& b) { return ag::matmul(a, b); });

// L = sum(r * (a b)) is linear in every single element of a and of b (the checker perturbs one
// element at a time), so all three checks (a alone, b alone, both) use exact large-step
// differences. Each gradient element sums K or N products of O(1) normals (the shared weight
// sums over the whole batch too): kLinear's tolerances hold with a wide margin (worst use 3%).
void small_matmul(Registry& r, const Shape& sa, const Shape& sb, uint64_t seed) {
  r.add({.ops = {"matmul"},
         .name = "matmul " + shape_str(sa) + " x " + shape_str(sb) + " N(0, 1)",
         .inputs = {var(sa, normal()), var(sb, normal())},
         .forward = kMatmul,
         .gradcheck = kLinear,
         .parity = kClose,
         .variants = {Variant{" (a only)", {true, false}}, Variant{" (b only)", {false, true}},
                      Variant{}},
         .seed = seed});
}

struct Mkn {
  int64_t M, K, N;
};

Shape with_batch(const Shape& batch, int64_t rows, int64_t cols) {
  Shape s = batch;
  s.push_back(rows);
  s.push_back(cols);
  return s;
}

// CUDA (cuBLAS) against the CPU (blocked gemm) for a of shape batch_a + [M, K] and b of shape
// batch_b + [K, N]: both gradients, then each alone. Entries ~ N(0.5, 1): a 1x128 by 128x1
// product is a single dot product, which zero-mean entries could cancel to a small number
// (amplifying the backends' different summation orders); with a mean, every sum here (the
// forward's over K <= 128, a shared weight's gradient over up to 6 * 257 rows) stays well
// conditioned, and fp32 accumulation in any order stays far inside 1e-5 of the norm. TF32 would
// not: it is the backend's job to keep it off.
void large_matmul(Registry& r, const Shape& batch_a, const Shape& batch_b, const Mkn& d) {
  const Shape sa = with_batch(batch_a, d.M, d.K), sb = with_batch(batch_b, d.K, d.N);
  const std::string name = "matmul " + shape_str(sa) + " x " + shape_str(sb);
  r.add({.ops = {"matmul"},
         .name = name,
         .inputs = {var(sa, normal(1.0f, 0.5f), parity::seed_of(name + "a")),
                    var(sb, normal(1.0f, 0.5f), parity::seed_of(name + "b"))},
         .forward = kMatmul,
         .parity = kClose,
         .variants = each_of_two_alone(" (grad a only)", " (grad b only)")});
}

}  // namespace

void matmul_cases(Registry& r) {
  small_matmul(r, {5, 7}, {7, 3}, 400);
  small_matmul(r, {1, 1}, {1, 1}, 401);
  small_matmul(r, {1, 33}, {33, 1}, 402);
  small_matmul(r, {17, 9}, {9, 13}, 403);
  small_matmul(r, {2, 5, 7}, {2, 7, 3}, 410);  // batched
  small_matmul(r, {3, 1, 4}, {3, 4, 6}, 411);
  small_matmul(r, {2, 3, 4, 5}, {2, 3, 5, 6}, 420);
  small_matmul(r, {2, 5, 7}, {7, 3}, 430);  // [B, T, K] x [K, N]
  small_matmul(r, {3, 2, 4, 5}, {5, 6}, 431);
  small_matmul(r, {5, 7}, {2, 7, 3}, 440);  // [M, K] x [B, K, N]
  small_matmul(r, {4, 5}, {2, 3, 5, 6}, 441);

  // 1x1x1, sizes that are no multiple of any tile (7x13x5, 33x65x17), tile-friendly sizes
  // (128x64x96), and thin ones (a single dot product, a column vector, K = 1).
  const std::vector<Mkn> sizes = {{1, 1, 1},   {7, 13, 5},   {33, 65, 17}, {128, 64, 96},
                                  {1, 128, 1}, {257, 33, 3}, {5, 1, 7},    {3, 100, 129}};
  const auto small = [](const Mkn& d) { return d.M * d.K * d.N <= 65 * 33 * 17; };
  for (const Mkn& d : sizes) large_matmul(r, {}, {}, d);
  for (const Mkn& d : sizes) {  // batched
    large_matmul(r, {1}, {1}, d);
    large_matmul(r, {3}, {3}, d);
    if (small(d)) large_matmul(r, {2, 3}, {2, 3}, d);
  }
  for (const Mkn& d : sizes) {  // a weight shared across the batch: a linear layer
    large_matmul(r, {3}, {}, d);
    if (small(d)) large_matmul(r, {2, 3}, {}, d);
  }
  for (const Mkn& d : sizes) large_matmul(r, {}, {3}, d);  // [M, K] x [B, K, N]
  // The linear layer's pattern with a transposed weight: transpose makes a contiguous copy, so
  // the gradient flows back through permute as well.
  for (const Mkn& d : sizes) {
    const Shape sx = {2, d.M, d.K}, sw = {d.N, d.K};
    const std::string name = "matmul " + shape_str(sx) + " x transpose(" + shape_str(sw) + ")";
    r.add({.ops = {"matmul", "transpose"},
           .name = name,
           .inputs = {var(sx, normal(1.0f, 0.5f), parity::seed_of(name + "x")),
                      var(sw, normal(1.0f, 0.5f), parity::seed_of(name))},
           .forward = binary([](const Tensor& x, const Tensor& w) {
             return ag::matmul(x, ag::transpose(w, 0, 1));
           }),
           .parity = kClose});
  }
}

}  // namespace opcases
