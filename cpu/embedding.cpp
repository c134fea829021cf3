// Embedding: a gather of rows forward, a scatter-add of rows backward.
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace ag::cpu {

void CpuBackend::embedding(const float* weight, const int32_t* idx, float* y, int64_t n_idx,
                           int64_t dim, int64_t) {
  if (dim == 0) return;  // zero-width rows: nothing to copy, and the pointers may be null
#pragma omp parallel for if (n_idx * dim >= kParallelElements) schedule(static)
  for (int64_t i = 0; i < n_idx; ++i) {
    std::memcpy(y + i * dim, weight + int64_t(idx[i]) * dim, size_t(dim) * sizeof(float));
  }
}

void CpuBackend::embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx,
                                    int64_t dim, int64_t vocab) {
  fill(gw, vocab * dim, 0.0f);
  // Serial over positions: a repeated index adds into the same row, and the order is fixed.
  for (int64_t i = 0; i < n_idx; ++i) {
    float* row = gw + int64_t(idx[i]) * dim;
    const float* g = gy + i * dim;
#pragma omp simd
    for (int64_t c = 0; c < dim; ++c) row[c] += g[c];
  }
}

}  // namespace ag::cpu
