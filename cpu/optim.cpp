// Optimizer updates: one streaming pass over parameter, gradient and state.
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace ag::cpu {

void CpuBackend::adamw(float* __restrict p, const float* __restrict g, float* __restrict m,
                       float* __restrict v, int64_t n, const math::AdamWStep& s) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static)
  for (int64_t i = 0; i < n; ++i) math::adamw_update(p[i], g[i], m[i], v[i], s);
}

void CpuBackend::sgd(float* __restrict p, const float* __restrict g, float* __restrict buf,
                     int64_t n, const math::SgdStep& s) {
#pragma omp parallel for simd if (n >= kParallelElements) schedule(static)
  for (int64_t i = 0; i < n; ++i) math::sgd_update(p[i], g[i], buf[i], s);
}

}  // namespace ag::cpu
