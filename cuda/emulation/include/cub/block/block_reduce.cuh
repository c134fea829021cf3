// Stand-in for CUB's cub::BlockReduce, written from CUB's documented contract:
//  - the block has exactly BLOCK_DIM_X x BLOCK_DIM_Y x BLOCK_DIM_Z threads (the template
//    parameters), and every thread of it calls the collective;
//  - the aggregate is returned in thread 0 only ("the return value is undefined in threads other
//    than thread0"): here the other threads get a poison value (NaN for floating point), so a
//    kernel that uses the result elsewhere without broadcasting it computes garbage visibly;
//  - TempStorage may be reused only after a __syncthreads() (CUB needs one; so does this
//    stand-in: the slots are rewritten by the next call while thread 0 may still be reading).
// The combination order is a fixed pairwise tree, so results are reproducible run to run.
#pragma once

#include <cstdio>
#include <limits>

#include "cuda_runtime.h"

namespace cub {

enum BlockReduceAlgorithm {
  BLOCK_REDUCE_RAKING_COMMUTATIVE_ONLY,
  BLOCK_REDUCE_RAKING,
  BLOCK_REDUCE_WARP_REDUCTIONS,
};

struct Sum {
  template <class T>
  T operator()(const T& a, const T& b) const {
    return a + b;
  }
};

template <class T, int BLOCK_DIM_X, BlockReduceAlgorithm ALGORITHM = BLOCK_REDUCE_WARP_REDUCTIONS,
          int BLOCK_DIM_Y = 1, int BLOCK_DIM_Z = 1>
class BlockReduce {
  static constexpr int kThreads = BLOCK_DIM_X * BLOCK_DIM_Y * BLOCK_DIM_Z;

 public:
  struct TempStorage {
    T slot[kThreads];
  };

  explicit BlockReduce(TempStorage& temp) : temp_(temp) {
    const dim3 b = blockDim;
    if (int(b.x) != BLOCK_DIM_X || int(b.y) != BLOCK_DIM_Y || int(b.z) != BLOCK_DIM_Z) {
      char what[160];
      std::snprintf(what, sizeof what,
                    "cub::BlockReduce for a %dx%dx%d block used in a block of %ux%ux%u threads",
                    BLOCK_DIM_X, BLOCK_DIM_Y, BLOCK_DIM_Z, b.x, b.y, b.z);
      cuda_emu::device_fault(cudaErrorLaunchFailure, what);
      valid_ = false;
    }
    const uint3 t = threadIdx;
    tid_ = int(t.x + t.y * b.x + t.z * b.x * b.y);
  }

  template <class Op>
  T Reduce(T input, Op op) {
    return reduce(input, op, kThreads);
  }
  template <class Op>
  T Reduce(T input, Op op, int num_valid) {
    return reduce(input, op, num_valid < kThreads ? num_valid : kThreads);
  }
  T Sum(T input) { return reduce(input, cub::Sum{}, kThreads); }
  T Sum(T input, int num_valid) { return Reduce(input, cub::Sum{}, num_valid); }

 private:
  static T poison() {
    if constexpr (std::numeric_limits<T>::has_quiet_NaN)
      return std::numeric_limits<T>::quiet_NaN();
    else
      return T(0x5a5a5a5a);
  }

  template <class Op>
  T reduce(T input, Op op, int valid) {
    if (valid_) temp_.slot[tid_] = input;
    __syncthreads();
    if (tid_ != 0 || !valid_ || valid < 1) return poison();
    T buf[kThreads];
    for (int i = 0; i < valid; ++i) buf[i] = temp_.slot[i];
    for (int stride = 1; stride < valid; stride *= 2)
      for (int i = 0; i + stride < valid; i += 2 * stride) buf[i] = op(buf[i], buf[i + stride]);
    return buf[0];
  }

  TempStorage& temp_;
  int tid_ = 0;
  bool valid_ = true;
};

}  // namespace cub
