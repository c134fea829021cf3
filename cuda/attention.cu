// The fused attention softmax: scale, key-padding mask, softmax and dropout of a row of scores in
// one kernel, and the matching backward in one kernel (formulas: core/math/rowwise.h). One block
// per row of n keys, as the row-wise kernels in cuda/rows.cu. x and y (gy_drop and gx) may be one
// buffer: each thread reads an element before it, and only it, writes there. Random positions
// move by the device's random shift, as dropout's do (cuda/elementwise.cu).
#include <cmath>

#include "core/math/exp.h"
#include "core/math/random.h"
#include "core/math/rowwise.h"
#include "cuda/block_reduce.cuh"
#include "cuda/common.cuh"
#include "cuda/cuda_backend.h"

namespace ag::cuda {

namespace {

template <int kBlock>
__global__ void attention_softmax_kernel(const float* x, const float* __restrict__ key_mask,
                                         float* y, float* __restrict__ y_drop, int64_t n,
                                         int64_t rows_per_batch, float scale, float p,
                                         uint64_t seed, uint64_t offset,
                                         const uint64_t* __restrict__ shift) {
  const int64_t r = blockIdx.x;
  const float* xr = x + r * n;
  const float* keys = key_mask ? key_mask + (r / rows_per_batch) * n : nullptr;
  float* yr = y + r * n;
  float mx = -INFINITY;
  for (int64_t j = threadIdx.x; j < n; j += kBlock) {
    const float s = math::attention_score(xr[j], scale, keys == nullptr || keys[j] != 0.0f);
    yr[j] = s;  // each thread rereads only what it wrote itself
    mx = MaxOp{}(mx, s);
  }
  mx = block_all_reduce<kBlock>(mx, MaxOp{});
  if (!(mx > -INFINITY)) mx = 0.0f;  // every key padding: the row becomes NaN, as on the CPU
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < n; j += kBlock) {
    const float e = math::exp_f32(yr[j] - mx);
    yr[j] = e;
    sum += e;
  }
  const float inv = 1.0f / block_sum<kBlock>(sum);
  const uint64_t base = offset + *shift + uint64_t(r * n);
  for (int64_t j = threadIdx.x; j < n; j += kBlock) {
    const float w = yr[j] * inv;
    yr[j] = w;
    if (y_drop) y_drop[r * n + j] = w * math::dropout_scale(seed, base + uint64_t(j), p);
  }
}

template <int kBlock>
__global__ void attention_softmax_backward_kernel(const float* __restrict__ y, const float* gy_drop,
                                                  float* gx, int64_t n, float scale, float p,
                                                  uint64_t seed, uint64_t offset,
                                                  const uint64_t* __restrict__ shift) {
  const int64_t r = blockIdx.x;
  const float* yr = y + r * n;
  const float* g = gy_drop + r * n;
  float* gr = gx + r * n;
  const uint64_t base = offset + *shift + uint64_t(r * n);
  float dot = 0.0f;
  for (int64_t j = threadIdx.x; j < n; j += kBlock) {
    const float dy = p > 0.0f ? g[j] * math::dropout_scale(seed, base + uint64_t(j), p) : g[j];
    gr[j] = dy;  // kept for the second pass (read back by the same thread)
    dot += dy * yr[j];
  }
  dot = block_sum<kBlock>(dot);
  for (int64_t j = threadIdx.x; j < n; j += kBlock)
    gr[j] = math::attention_softmax_backward_elem(yr[j], gr[j], dot, scale);
}

}  // namespace

void CudaBackend::attention_softmax(const float* x, const float* key_mask, float* y, float* y_drop,
                                    int64_t rows, int64_t n, int64_t rows_per_batch, float scale,
                                    float p, uint64_t seed, uint64_t offset) {
  if (rows <= 0 || n <= 0) return;
  with_block_for(n, [&]<int kBlock>() {
    launch(attention_softmax_kernel<kBlock>, row_grid(rows), kBlock, x, key_mask, y, y_drop, n,
           rows_per_batch, scale, p, seed, offset, random_shift());
  });
}

void CudaBackend::attention_softmax_backward(const float* y, const float* gy_drop, float* gx,
                                             int64_t rows, int64_t n, float scale, float p,
                                             uint64_t seed, uint64_t offset) {
  if (rows <= 0 || n <= 0) return;
  with_block_for(n, [&]<int kBlock>() {
    launch(attention_softmax_backward_kernel<kBlock>, row_grid(rows), kBlock, y, gy_drop, gx, n,
           scale, p, seed, offset, random_shift());
  });
}

}  // namespace ag::cuda
