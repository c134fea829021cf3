// The elementwise launch pattern shared by the streaming kernels: a grid-stride loop that takes
// four elements at a time through 16-byte loads and stores when every pointer is 16-byte aligned,
// and one at a time for the tail (or for everything, when some pointer is not aligned).
#pragma once

#include <cstdint>

#include "cuda/common.cuh"

namespace ag::cuda {

inline bool aligned16(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;  // null counts as aligned
}

__device__ inline float4 load4(const float* p, int64_t quad) {
  const float4* v = reinterpret_cast<const float4*>(p) + quad;
  return AG_VECTOR_ACCESS_OK(v) ? *v : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
}
__device__ inline void store4(float* p, int64_t quad, float4 v) {
  float4* d = reinterpret_cast<float4*>(p) + quad;
  if (AG_VECTOR_ACCESS_OK(d)) *d = v;
}

// Op provides  __device__ void one(int64_t i)  and, optionally,
//              __device__ void quad(int64_t q)  (elements 4q .. 4q+3 through 16-byte accesses).
template <class Op>
concept HasQuad = requires(const Op& op, int64_t q) {
  op.quad(q);
};

template <class Op>
__global__ void map_kernel(Op op, int64_t n, bool vectorised) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t tid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t start = 0;
  if constexpr (HasQuad<Op>) {
    if (vectorised) {
      const int64_t quads = n / 4;
      for (int64_t q = tid; q < quads; q += stride) op.quad(q);
      start = quads * 4;
    }
  }
  for (int64_t i = start + tid; i < n; i += stride) op.one(i);
}

// vectorised: every pointer the op touches is 16-byte aligned (ignored for ops without quad).
template <class Op>
void launch_map(const Op& op, int64_t n, bool vectorised = false) {
  if (n <= 0) return;
  vectorised = vectorised && HasQuad<Op>;
  const int64_t items = vectorised ? n / 4 + 4 : n;
  launch(map_kernel<Op>, grid_for(items), kThreads, op, n, vectorised);
}

}  // namespace ag::cuda
