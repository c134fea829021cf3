// Layout kernels: strided gathers (expand, permute) and 2-D block copies (slice, split, concat
// and their backwards).
#include "cuda/common.cuh"
#include "cuda/cuda_backend.h"

namespace ag::cuda {

namespace {

// y[i] = x[offset(view, i)]: consecutive threads write consecutive outputs (coalesced stores);
// the loads follow the view's strides.
__global__ void gather_strided_kernel(math::StridedView v, const float* __restrict__ x,
                                      float* __restrict__ y) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < v.numel; i += stride)
    y[i] = x[math::strided_offset(v, i)];
}

// dst[r, c] (+)= src[r, c] with row pitches; blockIdx.y walks rows, x-threads walk columns.
__global__ void copy_2d_kernel(const float* __restrict__ src, int64_t src_pitch,
                               float* __restrict__ dst, int64_t dst_pitch, int64_t rows,
                               int64_t cols, bool accumulate) {
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const float* s = src + r * src_pitch;
    float* d = dst + r * dst_pitch;
    for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < cols;
         c += int64_t(gridDim.x) * blockDim.x) {
      d[c] = accumulate ? d[c] + s[c] : s[c];
    }
  }
}

}  // namespace

void CudaBackend::gather_strided(const math::StridedView& view, const float* x, float* y) {
  if (view.numel <= 0) return;
  launch(gather_strided_kernel, grid_for(view.numel), kThreads, view, x, y);
}

void CudaBackend::copy_2d(const float* src, int64_t src_pitch, float* dst, int64_t dst_pitch,
                          int64_t rows, int64_t cols, bool accumulate) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t col_blocks = (cols + kThreads - 1) / kThreads;
  const dim3 grid(unsigned(col_blocks < 64 ? col_blocks : 64),
                  unsigned(rows < 65535 ? rows : 65535));
  launch(copy_2d_kernel, grid, kThreads, src, src_pitch, dst, dst_pitch, rows, cols, accumulate);
}

}  // namespace ag::cuda
