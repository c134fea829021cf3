// Embedding: a gather of rows forward, a scatter-add of rows backward.
//
// The backward is deterministic without atomics: positions are sorted by token id (CUB's radix
// sort is stable, so equal ids keep their position order), and each distinct id's rows are then
// summed by one thread per column, in position order: the same additions in the same order as
// the CPU's serial loop. Runs can be long (every [PAD] of a batch is one id), so each run's end
// is found first and the summing loop has known bounds: its loads are issued ahead of the adds
// instead of one dependent load chain per row.
#include <algorithm>
#include <cub/device/device_radix_sort.cuh>

#include "cuda/common.cuh"
#include "cuda/cuda_backend.h"

namespace ag::cuda {

namespace {

// y[i, c] = weight[idx[i], c]; an id outside [0, vocab) is reported and its row set to zero.
__global__ void embedding_kernel(const float* __restrict__ weight, const int32_t* __restrict__ idx,
                                 float* __restrict__ y, int64_t n_idx, int64_t dim, int64_t vocab,
                                 DeviceErrorReport* report) {
  const int64_t total = n_idx * dim;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < total; k += stride) {
    const int64_t i = k / dim, c = k % dim;
    const int32_t id = idx[i];
    if (id < 0 || id >= vocab) {
      if (c == 0) report_error(report, kIndexOutOfRange, id, i, vocab);
      y[k] = 0.0f;
    } else {
      y[k] = weight[int64_t(id) * dim + c];
    }
  }
}

__global__ void iota_kernel(int32_t* __restrict__ out, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = int32_t(i);
}

// run_end[id] = one past the last sorted position of id's run (only for ids present and valid;
// the other entries are never read).
__global__ void mark_run_ends_kernel(const int32_t* __restrict__ sorted_ids,
                                     int32_t* __restrict__ run_end, int64_t n_idx, int64_t vocab) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < n_idx; k += stride) {
    const int32_t id = sorted_ids[k];
    const bool last = k + 1 == n_idx || sorted_ids[k + 1] != id;
    if (last && id >= 0 && id < vocab) run_end[id] = int32_t(k + 1);
  }
}

// Thread (k, c) with k the first sorted position of its id sums that id's rows in column c.
__global__ void scatter_sorted_kernel(const float* __restrict__ gy,
                                      const int32_t* __restrict__ sorted_ids,
                                      const int32_t* __restrict__ sorted_pos,
                                      const int32_t* __restrict__ run_end, float* __restrict__ gw,
                                      int64_t n_idx, int64_t dim, int64_t vocab,
                                      DeviceErrorReport* report) {
  const int64_t total = n_idx * dim;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
    const int64_t k = t / dim, c = t % dim;
    const int32_t id = sorted_ids[k];
    if (k > 0 && sorted_ids[k - 1] == id) continue;  // not the first of its run
    if (id < 0 || id >= vocab) {
      if (c == 0) report_error(report, kIndexOutOfRange, id, sorted_pos[k], vocab);
      continue;
    }
    const int64_t end = run_end[id];
    float s = 0.0f;
#pragma unroll 8
    for (int64_t j = k; j < end; ++j) s += gy[int64_t(sorted_pos[j]) * dim + c];
    gw[int64_t(id) * dim + c] = s;
  }
}

}  // namespace

void CudaBackend::embedding(const float* weight, const int32_t* idx, float* y, int64_t n_idx,
                            int64_t dim, int64_t vocab) {
  if (n_idx <= 0 || dim <= 0) return;
  launch(embedding_kernel, grid_for(n_idx * dim), kThreads, weight, idx, y, n_idx, dim, vocab,
         device_error_report());
}

void CudaBackend::embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx,
                                     int64_t dim, int64_t vocab) {
  if (vocab * dim > 0) {
    count_queued(Queued::Memset);
    AG_CUDA_CHECK(cudaMemsetAsync(gw, 0, sizeof(float) * size_t(vocab * dim), stream()));
  }
  if (n_idx <= 0 || dim <= 0) return;
  if (n_idx > 2147483647) fail("embedding backward: ", n_idx, " indices exceed CUB's 32-bit count");
  const int n = int(n_idx);
  Scratch positions(sizeof(int32_t) * size_t(n));
  Scratch sorted_ids(sizeof(int32_t) * size_t(n));
  Scratch sorted_pos(sizeof(int32_t) * size_t(n));
  launch(iota_kernel, grid_for(n), kThreads, positions.as<int32_t>(), n);
  size_t temp_bytes = 0;
  AG_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, idx, sorted_ids.as<int32_t>(),
                                                positions.as<int32_t>(), sorted_pos.as<int32_t>(),
                                                n, 0, int(sizeof(int32_t) * 8), stream()));
  Scratch temp(std::max<size_t>(temp_bytes, 1));  // a null buffer would make the call a query
  count_queued(Queued::Library);  // the first call above only asked for the temporary's size
  AG_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
      temp.as<void>(), temp_bytes, idx, sorted_ids.as<int32_t>(), positions.as<int32_t>(),
      sorted_pos.as<int32_t>(), n, 0, int(sizeof(int32_t) * 8), stream()));
  Scratch run_end(sizeof(int32_t) * size_t(vocab));
  launch(mark_run_ends_kernel, grid_for(n), kThreads, sorted_ids.as<int32_t>(),
         run_end.as<int32_t>(), n, vocab);
  launch(scatter_sorted_kernel, grid_for(n_idx * dim), kThreads, gy, sorted_ids.as<int32_t>(),
         sorted_pos.as<int32_t>(), run_end.as<int32_t>(), gw, n_idx, dim, vocab,
         device_error_report());
}

}  // namespace ag::cuda
