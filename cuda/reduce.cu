// Reductions: sums over some dims (the backward of broadcasting, sum/mean) and the sum of
// squares (gradient norms). Every sum runs in a fixed order for a given shape (no atomics), so
// results are bitwise reproducible from run to run.
#include <cub/block/block_reduce.cuh>

#include "cuda/common.cuh"
#include "cuda/cuda_backend.h"

namespace ag::cuda {

namespace {

// One thread per output, summing its reduce-space in order. Coalesced when the outputs are
// adjacent in memory (a bias gradient summed over rows: neighbouring threads, neighbouring
// columns).
__global__ void reduce_by_thread_kernel(math::ReducePlan plan, const float* __restrict__ x,
                                        float* __restrict__ y) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < plan.keep.numel;
       j += stride) {
    const float* base = x + math::strided_offset(plan.keep, j);
    float s = 0.0f;
    for (int64_t r = 0; r < plan.reduce.numel; ++r) s += base[math::strided_offset(plan.reduce, r)];
    y[j] = s;
  }
}

// One block per output, for long reductions (a sum over everything, say): each thread sums a
// strided share, then CUB's block reduction combines the shares in a fixed tree.
template <int kBlock>
__global__ void reduce_by_block_kernel(math::ReducePlan plan, const float* __restrict__ x,
                                       float* __restrict__ y) {
  using BlockReduce = cub::BlockReduce<float, kBlock>;
  __shared__ typename BlockReduce::TempStorage temp;
  for (int64_t j = blockIdx.x; j < plan.keep.numel; j += gridDim.x) {
    const float* base = x + math::strided_offset(plan.keep, j);
    float s = 0.0f;
    for (int64_t r = threadIdx.x; r < plan.reduce.numel; r += kBlock)
      s += base[math::strided_offset(plan.reduce, r)];
    const float total = BlockReduce(temp).Sum(s);
    if (threadIdx.x == 0) y[j] = total;
    __syncthreads();  // temp is reused by the next output
  }
}

// Sum of squares in double, two passes: per-block partial sums, then one block adds them.
template <int kBlock>
__global__ void sum_squares_partial_kernel(const float* __restrict__ x, int64_t n,
                                           double* __restrict__ partial) {
  using BlockReduce = cub::BlockReduce<double, kBlock>;
  __shared__ typename BlockReduce::TempStorage temp;
  double s = 0.0;
  for (int64_t i = int64_t(blockIdx.x) * kBlock + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * kBlock) {
    const double v = x[i];
    s += v * v;
  }
  const double total = BlockReduce(temp).Sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

template <int kBlock>
__global__ void sum_partials_kernel(const double* __restrict__ partial, int n,
                                    float* __restrict__ y) {
  using BlockReduce = cub::BlockReduce<double, kBlock>;
  __shared__ typename BlockReduce::TempStorage temp;
  double s = 0.0;
  for (int i = threadIdx.x; i < n; i += kBlock) s += partial[i];
  const double total = BlockReduce(temp).Sum(s);
  if (threadIdx.x == 0) *y = float(total);
}

}  // namespace

void CudaBackend::reduce_sum(const math::ReducePlan& plan, const float* x, float* y) {
  const int64_t n_out = plan.keep.numel, n_red = plan.reduce.numel;
  if (n_out <= 0) return;
  if (n_red <= 0) {
    fill(y, n_out, 0.0f);
    return;
  }
  // Long reductions with few outputs get a block each; otherwise a thread each.
  if (n_red >= 1024 || (n_red >= 128 && n_out < 4 * int64_t(sm_count()) * kThreads / 32)) {
    constexpr int kBlock = 256;
    const int64_t blocks = n_out < 65535 ? n_out : 65535;
    launch(reduce_by_block_kernel<kBlock>, unsigned(blocks), kBlock, plan, x, y);
  } else {
    launch(reduce_by_thread_kernel, grid_for(n_out), kThreads, plan, x, y);
  }
}

void CudaBackend::sum_squares(const float* x, int64_t n, float* y) {
  constexpr int kBlock = 256;
  if (n <= 0) {
    fill(y, 1, 0.0f);
    return;
  }
  // A fixed number of partials for a given n: the same order of additions on every call.
  const int64_t wanted = (n + kBlock * 8 - 1) / (kBlock * 8);
  const int blocks = int(wanted < 1024 ? wanted : 1024);
  Scratch partial(sizeof(double) * size_t(blocks));
  launch(sum_squares_partial_kernel<kBlock>, blocks, kBlock, x, n, partial.as<double>());
  launch(sum_partials_kernel<kBlock>, 1, kBlock, partial.as<double>(), blocks, y);
}

}  // namespace ag::cuda
