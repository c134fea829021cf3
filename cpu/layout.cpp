// Layout kernels: strided gathers (expand, permute), deterministic reductions, block copies.
#include <cstring>

#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace ag::cpu {

void CpuBackend::gather_strided(const math::StridedView& v, const float* __restrict x,
                                float* __restrict y) {
  const int last = v.ndim - 1;
  const int64_t inner = v.shape[last];
  const int64_t rows = inner ? v.numel / inner : 0;
  const int64_t s = v.stride[last];
  math::StridedView outer = v;  // the row index space: every dim but the last
  outer.ndim = last;
#pragma omp parallel for if (v.numel >= kParallelElements) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = x + math::strided_offset(outer, r);
    float* dst = y + r * inner;
    if (s == 1) {
      std::memcpy(dst, src, size_t(inner) * sizeof(float));
    } else if (s == 0) {
      const float val = src[0];
      for (int64_t i = 0; i < inner; ++i) dst[i] = val;
    } else {
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * s];
    }
  }
}

void CpuBackend::reduce_sum(const math::ReducePlan& plan, const float* __restrict x,
                            float* __restrict y) {
  const math::StridedView& keep = plan.keep;
  const math::StridedView& red = plan.reduce;
  const int64_t n_out = keep.numel;
  const int64_t n_red = red.numel;
  if (red.ndim == 1 && red.stride[0] == 1) {
    // Each output sums a contiguous run (e.g. row sums): vectorised reduction per output.
#pragma omp parallel for if (n_out * n_red >= kParallelElements) schedule(static)
    for (int64_t j = 0; j < n_out; ++j) {
      const float* run = x + math::strided_offset(keep, j) + red.offset;
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t r = 0; r < n_red; ++r) s += run[r];
      y[j] = s;
    }
    return;
  }
  if (keep.ndim == 1 && keep.stride[0] == 1) {
    // Outputs are contiguous in the input (e.g. a bias gradient summed over rows): add whole
    // rows in order, vectorised across the outputs.
    for (int64_t j = 0; j < n_out; ++j) y[j] = 0.0f;
    for (int64_t r = 0; r < n_red; ++r) {
      const float* row = x + keep.offset + math::strided_offset(red, r);
#pragma omp simd
      for (int64_t j = 0; j < n_out; ++j) y[j] += row[j];
    }
    return;
  }
#pragma omp parallel for if (n_out * n_red >= kParallelElements) schedule(static)
  for (int64_t j = 0; j < n_out; ++j) {
    const float* base = x + math::strided_offset(keep, j);
    float s = 0.0f;
    for (int64_t r = 0; r < n_red; ++r) s += base[math::strided_offset(red, r)];
    y[j] = s;
  }
}

void CpuBackend::copy_2d(const float* __restrict src, int64_t src_pitch, float* __restrict dst,
                         int64_t dst_pitch, int64_t rows, int64_t cols, bool accumulate) {
  if (rows <= 0 || cols <= 0) return;  // an empty slice may point at null storage
#pragma omp parallel for if (rows * cols >= kParallelElements) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * src_pitch;
    float* d = dst + r * dst_pitch;
    if (accumulate) {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) d[c] += s[c];
    } else {
      std::memcpy(d, s, size_t(cols) * sizeof(float));
    }
  }
}

void CpuBackend::sum_squares(const float* __restrict x, int64_t n, float* y) {
  double total = 0.0;  // double: a global gradient norm sums millions of squares
#pragma omp parallel for simd reduction(+ : total) if (n >= kParallelElements) schedule(static)
  for (int64_t i = 0; i < n; ++i) total += double(x[i]) * double(x[i]);
  *y = float(total);
}

}  // namespace ag::cpu
