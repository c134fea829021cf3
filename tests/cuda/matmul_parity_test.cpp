// CUDA (cuBLAS) vs CPU (blocked gemm): matmul forward and both gradients, 2-D, batched, with a
// weight shared across the batch ([B, M, K] x [K, N]) and with a shared left operand
// ([M, K] x [B, K, N]), on odd sizes.
//
// Entries ~ Normal(0.5, 1): a 1x128 by 128x1 product is a single dot product, which zero-mean
// entries could cancel to a small number (amplifying the backends' different summation orders);
// with a mean, every sum here (the forward's over K <= 128, a shared weight's gradient over up to
// 6 * 257 rows) stays well conditioned, and fp32 accumulation in any order stays far inside 1e-5
// of the norm. TF32 would not: it is the backend's job to keep it off.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::Shape;
using ag::Tensor;
using parity::check;
using parity::constant;
using parity::seed_of;
using parity::shape_str;
using parity::var;

struct Mkn {
  int64_t M, K, N;
};

// 1x1x1, sizes that are no multiple of any tile (7x13x5, 33x65x17), tile-friendly sizes
// (128x64x96), and thin ones (a single dot product, a column vector, K = 1).
const std::vector<Mkn> kSizes = {{1, 1, 1},   {7, 13, 5},   {33, 65, 17}, {128, 64, 96},
                                 {1, 128, 1}, {257, 33, 3}, {5, 1, 7},    {3, 100, 129}};

const parity::Fn kMatmul = [](const std::vector<Tensor>& xs) { return ag::matmul(xs[0], xs[1]); };

Shape with_batch(const Shape& batch, int64_t rows, int64_t cols) {
  Shape s = batch;
  s.push_back(rows);
  s.push_back(cols);
  return s;
}

// matmul(a, b) for a of shape batch_a + [M, K] and b of shape batch_b + [K, N]: both gradients,
// then each gradient alone (the other operand a constant).
void check_matmul(const Shape& batch_a, const Shape& batch_b, const Mkn& d) {
  const Shape sa = with_batch(batch_a, d.M, d.K), sb = with_batch(batch_b, d.K, d.N);
  const std::string what = "matmul " + shape_str(sa) + " x " + shape_str(sb);
  const Tensor a = parity::randn(sa, seed_of(what + "a"), 1.0f, 0.5f);
  const Tensor b = parity::randn(sb, seed_of(what + "b"), 1.0f, 0.5f);
  check(what, kMatmul, {var(a), var(b)});
  check(what + " (grad a only)", kMatmul, {var(a), constant(b)});
  check(what + " (grad b only)", kMatmul, {constant(a), var(b)});
}

TEST(CudaParityMatmul, two_d) {
  SKIP_WITHOUT_CUDA();
  for (const Mkn& d : kSizes) check_matmul({}, {}, d);
}

TEST(CudaParityMatmul, batched) {
  SKIP_WITHOUT_CUDA();
  for (const Mkn& d : kSizes) {
    check_matmul({1}, {1}, d);
    check_matmul({3}, {3}, d);
    if (d.M * d.K * d.N <= 65 * 33 * 17) check_matmul({2, 3}, {2, 3}, d);
  }
}

TEST(CudaParityMatmul, batched_with_shared_weight) {
  SKIP_WITHOUT_CUDA();
  for (const Mkn& d : kSizes) {
    check_matmul({3}, {}, d);  // [B, M, K] x [K, N], a linear layer
    if (d.M * d.K * d.N <= 65 * 33 * 17) check_matmul({2, 3}, {}, d);
  }
}

TEST(CudaParityMatmul, shared_left_operand) {
  SKIP_WITHOUT_CUDA();
  for (const Mkn& d : kSizes) check_matmul({}, {3}, d);  // [M, K] x [B, K, N]
}

// The linear layer's pattern with a transposed weight: transpose makes a contiguous copy, so the
// gradient flows back through permute as well.
TEST(CudaParityMatmul, times_transposed_weight) {
  SKIP_WITHOUT_CUDA();
  for (const Mkn& d : kSizes) {
    const Shape sx = {2, d.M, d.K}, sw = {d.N, d.K};
    const std::string what = "matmul " + shape_str(sx) + " x transpose(" + shape_str(sw) + ")";
    check(
        what,
        [](const std::vector<Tensor>& xs) { return ag::matmul(xs[0], ag::transpose(xs[1], 0, 1)); },
        {var(parity::randn(sx, seed_of(what + "x"), 1.0f, 0.5f)),
         var(parity::randn(sw, seed_of(what), 1.0f, 0.5f))});
  }
}

}  // namespace
