// Elementwise kernels: unary ops and their derivatives, broadcasting binary ops, in-place
// updates, dropout. Each is a template over a functor from core/math, instantiated per op through
// visit_unary / visit_binary, exactly as the CPU kernels are: one formula, two backends.
#include "core/math/random.h"
#include "cuda/cuda_backend.h"
#include "cuda/map.cuh"

namespace ag::cuda {

namespace {

// --- unary -----------------------------------------------------------------------------------

template <class Fn>
struct UnaryForward {
  Fn fn;
  const float* __restrict__ x;
  float* __restrict__ y;
  __device__ void one(int64_t i) const { y[i] = fn.forward(x[i]); }
  __device__ void quad(int64_t q) const {
    float4 v = load4(x, q);
    v = make_float4(fn.forward(v.x), fn.forward(v.y), fn.forward(v.z), fn.forward(v.w));
    store4(y, q, v);
  }
};

// gx = gy * f'(x)
template <class Fn>
struct UnaryBackward {
  Fn fn;
  const float* __restrict__ x;
  const float* __restrict__ gy;
  float* __restrict__ gx;
  __device__ void one(int64_t i) const { gx[i] = gy[i] * fn.derivative(x[i]); }
  __device__ void quad(int64_t q) const {
    const float4 v = load4(x, q), g = load4(gy, q);
    store4(gx, q,
           make_float4(g.x * fn.derivative(v.x), g.y * fn.derivative(v.y), g.z * fn.derivative(v.z),
                       g.w * fn.derivative(v.w)));
  }
};

struct Fill {
  float* __restrict__ y;
  float value;
  __device__ void one(int64_t i) const { y[i] = value; }
  __device__ void quad(int64_t q) const { store4(y, q, make_float4(value, value, value, value)); }
};

struct AddInplace {
  float* __restrict__ y;
  const float* __restrict__ x;
  __device__ void one(int64_t i) const { y[i] += x[i]; }
  __device__ void quad(int64_t q) const {
    float4 a = load4(y, q);
    const float4 b = load4(x, q);
    a.x += b.x, a.y += b.y, a.z += b.z, a.w += b.w;
    store4(y, q, a);
  }
};

struct ScaleInplace {
  float* __restrict__ y;
  float s;
  __device__ void one(int64_t i) const { y[i] *= s; }
  __device__ void quad(int64_t q) const {
    float4 a = load4(y, q);
    a.x *= s, a.y *= s, a.z *= s, a.w *= s;
    store4(y, q, a);
  }
};

// y = x * mask(seed, offset + i) / (1 - p): the counter-based mask of core/math/random.h, so
// the GPU drops the same elements the CPU would. The device's random shift (0 but in a replayed
// graph) moves the positions: see set_random_shift.
struct Dropout {
  const float* __restrict__ x;
  float* __restrict__ y;
  float p;
  uint64_t seed, offset;
  const uint64_t* __restrict__ shift;
  __device__ void one(int64_t i) const {
    y[i] = x[i] * math::dropout_scale(seed, offset + *shift + uint64_t(i), p);
  }
  __device__ void quad(int64_t q) const {
    const float4 v = load4(x, q);
    const uint64_t c = offset + *shift + uint64_t(q) * 4;
    store4(y, q,
           make_float4(v.x * math::dropout_scale(seed, c, p),
                       v.y * math::dropout_scale(seed, c + 1, p),
                       v.z * math::dropout_scale(seed, c + 2, p),
                       v.w * math::dropout_scale(seed, c + 3, p)));
  }
};

// --- binary ----------------------------------------------------------------------------------

// Same-shape operands (the plan merged everything into one contiguous dim).
template <class Fn>
struct BinaryContiguous {
  Fn fn;
  const float* __restrict__ a;
  const float* __restrict__ b;
  float* __restrict__ y;
  __device__ void one(int64_t i) const { y[i] = fn.forward(a[i], b[i]); }
  __device__ void quad(int64_t q) const {
    const float4 u = load4(a, q), v = load4(b, q);
    store4(y, q,
           make_float4(fn.forward(u.x, v.x), fn.forward(u.y, v.y), fn.forward(u.z, v.z),
                       fn.forward(u.w, v.w)));
  }
};

template <class Fn>
__global__ void binary_broadcast_kernel(Fn fn, math::BroadcastPlan p, const float* __restrict__ a,
                                        const float* __restrict__ b, float* __restrict__ y) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < p.numel; i += stride) {
    int64_t oa, ob;
    math::broadcast_offsets(p, i, oa, ob);
    y[i] = fn.forward(a[oa], b[ob]);
  }
}

// ga = gy * d op/da, gb = gy * d op/db at the output's shape (the core reduces them).
template <class Fn>
__global__ void binary_backward_kernel(Fn fn, math::BroadcastPlan p, const float* __restrict__ a,
                                       const float* __restrict__ b, const float* __restrict__ gy,
                                       float* __restrict__ ga, float* __restrict__ gb) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < p.numel; i += stride) {
    int64_t oa, ob;
    math::broadcast_offsets(p, i, oa, ob);
    const float av = a[oa], bv = b[ob], g = gy[i];
    if (ga) ga[i] = g * fn.da(av, bv);
    if (gb) gb[i] = g * fn.db(av, bv);
  }
}

bool contiguous_same_shape(const math::BroadcastPlan& p) {
  return p.ndim == 1 && p.stride_a[0] == 1 && p.stride_b[0] == 1;
}

}  // namespace

void CudaBackend::fill(float* y, int64_t n, float value) {
  launch_map(Fill{y, value}, n, aligned16(y));
}

void CudaBackend::unary(math::UnaryOp op, const math::UnaryParams& prm, const float* x, float* y,
                        int64_t n) {
  math::visit_unary(op, prm, [&](auto fn) {
    launch_map(UnaryForward<decltype(fn)>{fn, x, y}, n, aligned16(x) && aligned16(y));
  });
}

void CudaBackend::unary_backward(math::UnaryOp op, const math::UnaryParams& prm, const float* x,
                                 const float* gy, float* gx, int64_t n) {
  math::visit_unary(op, prm, [&](auto fn) {
    launch_map(UnaryBackward<decltype(fn)>{fn, x, gy, gx}, n,
               aligned16(x) && aligned16(gy) && aligned16(gx));
  });
}

void CudaBackend::binary(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan,
                         const float* a, const float* b, float* y) {
  if (plan.numel <= 0) return;
  math::visit_binary(op, scalar, [&](auto fn) {
    if (contiguous_same_shape(plan)) {
      launch_map(BinaryContiguous<decltype(fn)>{fn, a, b, y}, plan.numel,
                 aligned16(a) && aligned16(b) && aligned16(y));
    } else {
      launch(binary_broadcast_kernel<decltype(fn)>, grid_for(plan.numel), kThreads, fn, plan, a, b,
             y);
    }
  });
}

void CudaBackend::binary_backward(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan,
                                  const float* a, const float* b, const float* gy, float* ga,
                                  float* gb) {
  if (plan.numel <= 0 || (!ga && !gb)) return;
  math::visit_binary(op, scalar, [&](auto fn) {
    launch(binary_backward_kernel<decltype(fn)>, grid_for(plan.numel), kThreads, fn, plan, a, b, gy,
           ga, gb);
  });
}

void CudaBackend::add_inplace(float* y, const float* x, int64_t n) {
  launch_map(AddInplace{y, x}, n, aligned16(y) && aligned16(x));
}

void CudaBackend::scale_inplace(float* y, float s, int64_t n) {
  launch_map(ScaleInplace{y, s}, n, aligned16(y));
}

void CudaBackend::dropout(const float* x, float* y, int64_t n, float p, uint64_t seed,
                          uint64_t offset) {
  launch_map(Dropout{x, y, p, seed, offset, random_shift()}, n, aligned16(x) && aligned16(y));
}

}  // namespace ag::cuda
