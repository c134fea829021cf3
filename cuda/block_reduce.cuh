// Block-wide reductions and launch shapes shared by the row-wise kernels (cuda/rows.cu,
// cuda/attention.cu): one block per row, CUB's BlockReduce combining the threads' shares.
#pragma once

#include <cub/block/block_reduce.cuh>

#include <cstdint>

#include "cuda/common.cuh"

namespace ag::cuda {

struct MaxOp {
  // std::max's rule, as the CPU uses it: a NaN candidate never replaces the running maximum.
  __device__ float operator()(float a, float b) const { return a < b ? b : a; }
};

// Reduces v over the block and gives every thread the result.
template <int kBlock, class T, class Op>
__device__ T block_all_reduce(T v, Op op) {
  using BlockReduce = cub::BlockReduce<T, kBlock>;
  __shared__ typename BlockReduce::TempStorage temp;
  __shared__ T result;
  const T r = BlockReduce(temp).Reduce(v, op);
  if (threadIdx.x == 0) result = r;
  __syncthreads();
  const T out = result;
  __syncthreads();  // temp and result may be reused by the caller's next reduction
  return out;
}

struct SumOp {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

template <int kBlock, class T>
__device__ T block_sum(T v) {
  return block_all_reduce<kBlock>(v, SumOp{});
}

// Calls launch.template operator()<kBlock>() with a block size that suits rows of length n.
template <class Launch>
void with_block_for(int64_t n, Launch&& launch) {
  if (n <= 32)
    launch.template operator()<32>();
  else if (n <= 256)
    launch.template operator()<128>();
  else
    launch.template operator()<256>();
}

// One block per row and no grid-stride loop in the row kernels: rows past the grid's limit
// would silently be left unwritten, so refuse them.
inline unsigned row_grid(int64_t rows) {
  if (rows > 2147483647) fail("row-wise CUDA kernel: ", rows, " rows exceed the grid's 2^31 - 1");
  return unsigned(rows);
}

}  // namespace ag::cuda
