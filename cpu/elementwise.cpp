// Elementwise kernels: single pass over contiguous memory. Each is a template over a functor from
// core/math, instantiated once per op through visit_unary/visit_binary, so the loop body is the
// inlined formula and GCC vectorises it (exp included: see core/math/exp.h).
#include <algorithm>

#include "core/math/gated_units.h"
#include "core/math/random.h"
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace ag::cpu {

namespace {

// firstprivate: each thread gets its own copy of the functor's parameters. Shared, they sit
// behind a pointer that GCC may not read speculatively, so a formula that reads one on one side
// of a branch only (leaky_relu's x > 0 ? x : alpha * x) stays a scalar loop with a branch.
template <class Fn>
void unary_kernel(const Fn fn, const float* __restrict x, float* __restrict y, int64_t n) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static) firstprivate(fn)
  for (int64_t i = 0; i < n; ++i) y[i] = fn.forward(x[i]);
}

template <class Fn>
void unary_backward_kernel(const Fn fn, const float* __restrict x, const float* __restrict gy,
                           float* __restrict gx, int64_t n) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static) firstprivate(fn)
  for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] * fn.derivative(x[i]);
}

// Offsets of the first element of row r (all dims but the last) in a and b.
inline void row_offsets(const math::BroadcastPlan& p, int64_t r, int64_t& oa, int64_t& ob) {
  oa = 0;
  ob = 0;
  for (int d = p.ndim - 2; d >= 0; --d) {
    const int64_t idx = r % p.shape[d];
    r /= p.shape[d];
    oa += idx * p.stride_a[d];
    ob += idx * p.stride_b[d];
  }
}

// The broadcast loop: rows over all dims but the last, an inner loop over the last dim with
// the common stride patterns (1 = contiguous, 0 = broadcast) split out so each vectorises.
// Long rows are cut into chunks so that even a single row (same-shape operands merge into one)
// is shared among the threads.
template <class Body>
void for_each_broadcast_row(const math::BroadcastPlan& p, Body body) {
  const int64_t inner = p.shape[p.ndim - 1];
  if (inner == 0) return;
  const int64_t rows = p.numel / inner;
  constexpr int64_t kChunk = 16384;
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  const int64_t sa = p.stride_a[p.ndim - 1], sb = p.stride_b[p.ndim - 1];
#pragma omp parallel for if (p.numel >= kParallelElements) schedule(static)
  for (int64_t item = 0; item < rows * chunks; ++item) {
    const int64_t r = item / chunks, start = (item % chunks) * kChunk;
    int64_t oa, ob;
    row_offsets(p, r, oa, ob);
    body(r * inner + start, oa + start * sa, ob + start * sb, std::min(kChunk, inner - start), sa,
         sb);
  }
}

template <class Fn>
void binary_kernel(const Fn fn, const math::BroadcastPlan& p, const float* __restrict a,
                   const float* __restrict b, float* __restrict y) {
  for_each_broadcast_row(p,
                         [&](int64_t o, int64_t oa, int64_t ob, int64_t n, int64_t sa, int64_t sb) {
                           const float* ar = a + oa;
                           const float* br = b + ob;
                           float* yr = y + o;
                           if (sa == 1 && sb == 1) {
#pragma omp simd
                             for (int64_t i = 0; i < n; ++i) yr[i] = fn.forward(ar[i], br[i]);
                           } else if (sa == 1 && sb == 0) {
                             const float bv = br[0];
#pragma omp simd
                             for (int64_t i = 0; i < n; ++i) yr[i] = fn.forward(ar[i], bv);
                           } else if (sa == 0 && sb == 1) {
                             const float av = ar[0];
#pragma omp simd
                             for (int64_t i = 0; i < n; ++i) yr[i] = fn.forward(av, br[i]);
                           } else {
                             for (int64_t i = 0; i < n; ++i)
                               yr[i] = fn.forward(ar[i * sa], br[i * sb]);
                           }
                         });
}

template <class Fn>
void binary_backward_kernel(const Fn fn, const math::BroadcastPlan& p, const float* __restrict a,
                            const float* __restrict b, const float* __restrict gy,
                            float* __restrict ga, float* __restrict gb) {
  for_each_broadcast_row(p,
                         [&](int64_t o, int64_t oa, int64_t ob, int64_t n, int64_t sa, int64_t sb) {
                           const float* ar = a + oa;
                           const float* br = b + ob;
                           const float* g = gy + o;
                           if (sa == 1 && sb == 1) {
                             if (ga) {
#pragma omp simd
                               for (int64_t i = 0; i < n; ++i)
                                 ga[o + i] = g[i] * fn.da(ar[i], br[i]);
                             }
                             if (gb) {
#pragma omp simd
                               for (int64_t i = 0; i < n; ++i)
                                 gb[o + i] = g[i] * fn.db(ar[i], br[i]);
                             }
                           } else {
                             for (int64_t i = 0; i < n; ++i) {
                               const float av = ar[i * sa], bv = br[i * sb];
                               if (ga) ga[o + i] = g[i] * fn.da(av, bv);
                               if (gb) gb[o + i] = g[i] * fn.db(av, bv);
                             }
                           }
                         });
}

template <class Act>
void gated_kernel(const Act act, const float* __restrict a, const float* __restrict b,
                  float* __restrict h, int64_t n) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static) firstprivate(act)
  for (int64_t i = 0; i < n; ++i) h[i] = math::gated_forward(act, a[i], b[i]);
}

template <class Act>
void gated_backward_kernel(const Act act, const float* __restrict a, const float* __restrict b,
                           const float* __restrict gh, float* __restrict ga, float* __restrict gb,
                           int64_t n) {
  // Three loops rather than one with branches inside, so each one vectorises.
  if (ga && gb) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static) firstprivate(act)
    for (int64_t i = 0; i < n; ++i) math::gated_backward(act, a[i], b[i], gh[i], ga[i], gb[i]);
  } else if (ga) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static) firstprivate(act)
    for (int64_t i = 0; i < n; ++i) {
      float unused;
      math::gated_backward(act, a[i], b[i], gh[i], ga[i], unused);
    }
  } else if (gb) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static) firstprivate(act)
    for (int64_t i = 0; i < n; ++i) gb[i] = gh[i] * act.forward(a[i]);  // dL/db = dh * act(a)
  }
}

}  // namespace

void CpuBackend::fill(float* __restrict y, int64_t n, float value) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = value;
}

void CpuBackend::unary(math::UnaryOp op, const math::UnaryParams& prm, const float* x, float* y,
                       int64_t n) {
  math::visit_unary(op, prm, [&](auto fn) { unary_kernel(fn, x, y, n); });
}

void CpuBackend::unary_backward(math::UnaryOp op, const math::UnaryParams& prm, const float* x,
                                const float* gy, float* gx, int64_t n) {
  math::visit_unary(op, prm, [&](auto fn) { unary_backward_kernel(fn, x, gy, gx, n); });
}

void CpuBackend::binary(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan,
                        const float* a, const float* b, float* y) {
  math::visit_binary(op, scalar, [&](auto fn) { binary_kernel(fn, plan, a, b, y); });
}

void CpuBackend::binary_backward(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan,
                                 const float* a, const float* b, const float* gy, float* ga,
                                 float* gb) {
  math::visit_binary(op, scalar,
                     [&](auto fn) { binary_backward_kernel(fn, plan, a, b, gy, ga, gb); });
}

void CpuBackend::add_inplace(float* __restrict y, const float* __restrict x, int64_t n) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void CpuBackend::scale_inplace(float* __restrict y, float s, int64_t n) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] *= s;
}

void CpuBackend::gated(math::UnaryOp act, const math::UnaryParams& prm, const float* a,
                       const float* b, float* h, int64_t n) {
  math::visit_unary(act, prm, [&](auto fn) { gated_kernel(fn, a, b, h, n); });
}

void CpuBackend::gated_backward(math::UnaryOp act, const math::UnaryParams& prm, const float* a,
                                const float* b, const float* gh, float* ga, float* gb, int64_t n) {
  math::visit_unary(act, prm, [&](auto fn) { gated_backward_kernel(fn, a, b, gh, ga, gb, n); });
}

void CpuBackend::dropout(const float* __restrict x, float* __restrict y, int64_t n, float p,
                         uint64_t seed, uint64_t offset) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * math::dropout_scale(seed, offset + uint64_t(i), p);
}

}  // namespace ag::cpu
