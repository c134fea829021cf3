// Matrix products through the backend's gemm (a blocked CPU kernel, cuBLAS on the GPU).
//
//   C = A B          forward
//   dA = dC B^T      (M x N)(N x K): gemm with B transposed, no transpose copy
//   dB = A^T dC      (K x M)(M x N): gemm with A transposed
#include "core/ops/op_util.h"

namespace ag {

using detail::be;

namespace {

// How a matmul maps onto (batched) gemm.
struct MatmulGeometry {
  int64_t batch = 1, M = 0, N = 0, K = 0;
  int64_t stride_a = 0, stride_b = 0;  // elements between batches (0 = shared)
  Shape out_shape;
};

MatmulGeometry geometry(const Tensor& a, const Tensor& b) {
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  AG_CHECK(sa.size() >= 2 && sb.size() >= 2, "matmul: both operands need at least 2 dims, got ",
           to_string(sa), " and ", to_string(sb));
  MatmulGeometry g;
  g.M = sa[sa.size() - 2];
  g.K = sa.back();
  g.N = sb.back();
  AG_CHECK(sb[sb.size() - 2] == g.K, "matmul: inner dimensions differ: ", to_string(sa), " x ",
           to_string(sb), " (", g.K, " vs ", sb[sb.size() - 2], ")");
  const Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
  if (batch_b.empty()) {
    // A weight shared by every row: fold a's batch dims into M, one plain gemm.
    g.M *= numel_of(batch_a);
    g.out_shape = batch_a;
  } else if (batch_a.empty()) {
    g.batch = numel_of(batch_b);
    g.stride_b = g.K * g.N;
    g.out_shape = batch_b;
  } else {
    AG_CHECK(batch_a == batch_b, "matmul: batch dimensions differ: ", to_string(sa), " x ",
             to_string(sb));
    g.batch = numel_of(batch_a);
    g.stride_a = sa[sa.size() - 2] * g.K;
    g.stride_b = g.K * g.N;
    g.out_shape = batch_a;
  }
  g.out_shape.push_back(sa[sa.size() - 2]);
  g.out_shape.push_back(g.N);
  return g;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_float(a, "matmul", "a");
  check_float(b, "matmul", "b");
  check_same_device(a, b, "matmul");
  const MatmulGeometry g = geometry(a, b);
  const int64_t stride_c = g.M * g.N;
  Tensor c = Tensor::empty(g.out_shape, a.device());
  be(a).gemm(false, false, g.M, g.N, g.K, 1.0f, a.data(), g.K, g.stride_a, b.data(), g.N,
             g.stride_b, 0.0f, c.data(), g.N, stride_c, g.batch);

  record("matmul", {a, b}, c, [a, b, g, stride_c](const Tensor& gc) {
    Backend& bk = be(a);
    if (needs_grad(a)) {  // dA = dC B^T
      Tensor ga = detail::empty_like(a);
      if (g.stride_a == 0 && g.batch > 1) {  // a shared across the batch: sum the products
        for (int64_t i = 0; i < g.batch; ++i) {
          bk.gemm(false, true, g.M, g.K, g.N, 1.0f, gc.data() + i * stride_c, g.N, 0,
                  b.data() + i * g.stride_b, g.N, 0, i ? 1.0f : 0.0f, ga.data(), g.K, 0, 1);
        }
      } else {
        bk.gemm(false, true, g.M, g.K, g.N, 1.0f, gc.data(), g.N, stride_c, b.data(), g.N,
                g.stride_b, 0.0f, ga.data(), g.K, g.stride_a, g.batch);
      }
      accumulate_grad(a, std::move(ga));
    }
    if (needs_grad(b)) {  // dB = A^T dC
      Tensor gb = detail::empty_like(b);
      if (g.stride_b == 0 && g.batch > 1) {
        for (int64_t i = 0; i < g.batch; ++i) {
          bk.gemm(true, false, g.K, g.N, g.M, 1.0f, a.data() + i * g.stride_a, g.K, 0,
                  gc.data() + i * stride_c, g.N, 0, i ? 1.0f : 0.0f, gb.data(), g.N, 0, 1);
        }
      } else {
        bk.gemm(true, false, g.K, g.N, g.M, 1.0f, a.data(), g.K, g.stride_a, gc.data(), g.N,
                stride_c, 0.0f, gb.data(), g.N, g.stride_b, g.batch);
      }
      accumulate_grad(b, std::move(gb));
    }
  });
  return c;
}

}  // namespace ag
