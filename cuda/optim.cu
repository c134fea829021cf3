// Optimizer updates: one streaming pass over parameter, gradient and state, with the update
// rules of core/math/optimizer_updates.h (PyTorch's order of operations, shared with the CPU).
#include "core/math/optimizer_updates.h"
#include "cuda/cuda_backend.h"
#include "cuda/map.cuh"

namespace ag::cuda {

namespace {

struct AdamW {
  float* __restrict__ p;
  const float* __restrict__ g;
  float* __restrict__ m;
  float* __restrict__ v;
  math::AdamWStep s;
  __device__ void one(int64_t i) const { math::adamw_update(p[i], g[i], m[i], v[i], s); }
};

struct Sgd {
  float* __restrict__ p;
  const float* __restrict__ g;
  float* __restrict__ buf;
  math::SgdStep s;
  __device__ void one(int64_t i) const { math::sgd_update(p[i], g[i], buf[i], s); }
};

// Up to kSpansPerLaunch tensors travel in the kernel's parameters (by value, as PyTorch's
// multi_tensor_apply does: no table to upload, so the launch stays self-contained); 32 spans are
// 1.3 KB, under CUDA's 4 KB parameter limit. Each block walks the elements of all its tensors as
// one index space.
constexpr int kSpansPerLaunch = 32;
struct AdamWGroup {
  math::AdamWSpan spans[kSpansPerLaunch];
  int64_t end[kSpansPerLaunch];  // running element totals: span i covers [end[i-1], end[i])
  int count;
};

// The step's scalars come from `device_step` when it is given (a replayed graph: they change
// every step), else from the launch's parameters; the update itself is the same code.
__global__ void adamw_group_kernel(AdamWGroup group, math::AdamWStep by_value,
                                   const math::AdamWStep* __restrict__ device_step) {
  const math::AdamWStep s = device_step ? *device_step : by_value;
  const int64_t total = group.end[group.count - 1];
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  int span = 0;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    while (i >= group.end[span]) ++span;  // indices only grow: each thread scans forward once
    const math::AdamWSpan& t = group.spans[span];
    const int64_t j = i - (span ? group.end[span - 1] : 0);
    math::adamw_update(t.p[j], t.g[j], t.m[j], t.v[j], s);
  }
}

}  // namespace

void CudaBackend::adamw_many(const math::AdamWSpan* spans, int64_t count, const math::AdamWStep& s,
                             const math::AdamWStep* device_step) {
  AdamWGroup group{};
  auto flush = [&] {
    if (group.count == 0) return;
    launch(adamw_group_kernel, grid_for(group.end[group.count - 1]), kThreads, group, s,
           device_step);
    group.count = 0;
  };
  for (int64_t i = 0; i < count; ++i) {
    if (spans[i].n <= 0) continue;
    const int64_t before = group.count ? group.end[group.count - 1] : 0;
    group.spans[group.count] = spans[i];
    group.end[group.count] = before + spans[i].n;
    if (++group.count == kSpansPerLaunch) flush();
  }
  flush();
}

void CudaBackend::adamw(float* p, const float* g, float* m, float* v, int64_t n,
                        const math::AdamWStep& s) {
  launch_map(AdamW{p, g, m, v, s}, n);  // scalar accesses: already coalesced
}

void CudaBackend::sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& s) {
  launch_map(Sgd{p, g, buf, s}, n);
}

}  // namespace ag::cuda
