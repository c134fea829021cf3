// Optimizer updates: one streaming pass over parameter, gradient and state, with the update
// rules of core/math/optim.h (PyTorch's order of operations, shared with the CPU).
#include "core/math/optim.h"
#include "cuda/kernels.h"
#include "cuda/map.cuh"

namespace ag::gpu {

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

}  // namespace

void adamw(float* p, const float* g, float* m, float* v, int64_t n, const math::AdamWStep& s) {
  launch_map(AdamW{p, g, m, v, s}, n);  // scalar accesses: already coalesced
}

void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& s) {
  launch_map(Sgd{p, g, buf, s}, n);
}

}  // namespace ag::gpu
