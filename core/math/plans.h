// Plain-old-data descriptions of strided index maps, passed by value to CPU and CUDA kernels.
// The core builds them (merging dimensions where it can); kernels only follow them.
#pragma once

#include <cstdint>

#include "core/math/hd.h"

namespace ag::math {

constexpr int kMaxDims = 8;

// out[i] = op(a[off_a(i)], b[off_b(i)]) for i over `shape`; a stride of 0 broadcasts.
struct BroadcastPlan {
  int ndim = 0;
  int64_t numel = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride_a[kMaxDims] = {};
  int64_t stride_b[kMaxDims] = {};
};

// A strided view of a buffer: element i of the view (row-major over `shape`) is
// base[offset + sum_d idx_d * stride[d]]. Used for expand (stride 0) and permute.
struct StridedView {
  int ndim = 0;
  int64_t numel = 0;
  int64_t offset = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride[kMaxDims] = {};
};

// y[j] = sum over r of x[off_keep(j) + off_reduce(r)]: a deterministic sum over some dims.
struct ReducePlan {
  StridedView keep;    // one entry per output element (row-major = the output's layout)
  StridedView reduce;  // the summed index space
};

AG_HD int64_t strided_offset(const StridedView& v, int64_t i) {
  int64_t off = v.offset;
  for (int d = v.ndim - 1; d >= 0; --d) {
    const int64_t idx = i % v.shape[d];
    i /= v.shape[d];
    off += idx * v.stride[d];
  }
  return off;
}

AG_HD void broadcast_offsets(const BroadcastPlan& p, int64_t i, int64_t& oa, int64_t& ob) {
  oa = 0;
  ob = 0;
  for (int d = p.ndim - 1; d >= 0; --d) {
    const int64_t idx = i % p.shape[d];
    i /= p.shape[d];
    oa += idx * p.stride_a[d];
    ob += idx * p.stride_b[d];
  }
}

}  // namespace ag::math
