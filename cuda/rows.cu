// Row-wise kernels: softmax / log_softmax, layer norm, cross-entropy, argmax.
//
// One block per row: each thread takes a strided share of the row, CUB's block reduction
// combines the shares, and the per-element formulas come from core/math/rowwise.h (the CPU's too).
// The block size follows the row length so short rows (32 attention scores, 64 features) do not
// leave most of a 256-thread block idle.
#include <cmath>

#include "core/math/exp.h"
#include "core/math/rowwise.h"
#include "cuda/block_reduce.cuh"
#include "cuda/common.cuh"
#include "cuda/cuda_backend.h"

namespace ag::cuda {

namespace {

// --- softmax -----------------------------------------------------------------------------------

// Row r of the [outer, n, inner] layout starts at (r / inner) n inner + r % inner, stride inner.
template <int kBlock>
__global__ void softmax_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n,
                               int64_t inner, bool log) {
  const int64_t r = blockIdx.x;
  const int64_t base = (r / inner) * n * inner + r % inner;
  const float* xr = x + base;
  float* yr = y + base;
  float mx = -INFINITY;
  for (int64_t i = threadIdx.x; i < n; i += kBlock) mx = MaxOp{}(mx, xr[i * inner]);
  mx = block_all_reduce<kBlock>(mx, MaxOp{});
  // A row of all -inf (every position masked) has no finite max: shift by 0, as the CPU does.
  if (!(mx > -INFINITY)) mx = 0.0f;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kBlock) sum += math::exp_f32(xr[i * inner] - mx);
  sum = block_sum<kBlock>(sum);
  if (log) {
    const float lse = mx + logf(sum);
    for (int64_t i = threadIdx.x; i < n; i += kBlock) yr[i * inner] = xr[i * inner] - lse;
  } else {
    const float inv = 1.0f / sum;
    for (int64_t i = threadIdx.x; i < n; i += kBlock)
      yr[i * inner] = math::exp_f32(xr[i * inner] - mx) * inv;
  }
}

// softmax: dx = y (dy - sum dy y);  log_softmax: dx = dy - e^y sum dy
template <int kBlock>
__global__ void softmax_backward_kernel(const float* __restrict__ y, const float* __restrict__ gy,
                                        float* __restrict__ gx, int64_t n, int64_t inner,
                                        bool log) {
  const int64_t r = blockIdx.x;
  const int64_t base = (r / inner) * n * inner + r % inner;
  float acc = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kBlock) {
    const int64_t k = base + i * inner;
    acc += log ? gy[k] : gy[k] * y[k];
  }
  acc = block_sum<kBlock>(acc);
  for (int64_t i = threadIdx.x; i < n; i += kBlock) {
    const int64_t k = base + i * inner;
    gx[k] = log ? math::log_softmax_backward_elem(y[k], gy[k], acc)
                : math::softmax_backward_elem(y[k], gy[k], acc);
  }
}

// --- layer norm --------------------------------------------------------------------------------

template <int kBlock>
__global__ void layer_norm_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                  const float* __restrict__ b, float* __restrict__ y,
                                  float* __restrict__ mean, float* __restrict__ rstd, int64_t cols,
                                  float eps) {
  const int64_t r = blockIdx.x;
  const float* xr = x + r * cols;
  float* yr = y + r * cols;
  float sum = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += kBlock) sum += xr[c];
  const float mu = block_sum<kBlock>(sum) / float(cols);
  float sq = 0.0f;  // two passes: stable where E[x^2] - mu^2 is not
  for (int64_t c = threadIdx.x; c < cols; c += kBlock) sq += (xr[c] - mu) * (xr[c] - mu);
  const float rs = 1.0f / sqrtf(block_sum<kBlock>(sq) / float(cols) + eps);
  if (threadIdx.x == 0) {
    mean[r] = mu;
    rstd[r] = rs;
  }
  for (int64_t c = threadIdx.x; c < cols; c += kBlock) {
    const float xhat = (xr[c] - mu) * rs;
    yr[c] = xhat * (w ? w[c] : 1.0f) + (b ? b[c] : 0.0f);
  }
}

// One block per chunk of kChunkRows rows, two jobs in one launch:
//   dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)),  dxhat = dy w   row by row, and
//   the chunk's share of dw = sum_rows dy xhat, db = sum_rows dy, per column (a thread per
//   column, the chunk's rows in order), into partial [chunks, cols].
// sum_chunks_kernel then adds the chunks in order: no atomics, deterministic for a given shape.
constexpr int64_t kChunkRows = 16;

template <int kBlock>
__global__ void layer_norm_backward_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                           const float* __restrict__ mean,
                                           const float* __restrict__ rstd,
                                           const float* __restrict__ gy, float* __restrict__ gx,
                                           float* __restrict__ pw, float* __restrict__ pb,
                                           int64_t rows, int64_t cols) {
  const int64_t chunk = blockIdx.x;
  const int64_t r_begin = chunk * kChunkRows;
  const int64_t r_end = r_begin + kChunkRows < rows ? r_begin + kChunkRows : rows;
  if (gx) {
    for (int64_t r = r_begin; r < r_end; ++r) {
      const float* xr = x + r * cols;
      const float* g = gy + r * cols;
      const float mu = mean[r], rs = rstd[r];
      float s1 = 0.0f, s2 = 0.0f;
      for (int64_t c = threadIdx.x; c < cols; c += kBlock) {
        const float dxhat = g[c] * (w ? w[c] : 1.0f);
        s1 += dxhat;
        s2 += dxhat * (xr[c] - mu) * rs;
      }
      const float m1 = block_sum<kBlock>(s1) / float(cols);
      const float m2 = block_sum<kBlock>(s2) / float(cols);
      for (int64_t c = threadIdx.x; c < cols; c += kBlock) {
        const float dxhat = g[c] * (w ? w[c] : 1.0f);
        gx[r * cols + c] = math::layer_norm_backward_elem((xr[c] - mu) * rs, dxhat, rs, m1, m2);
      }
    }
  }
  if (!pw && !pb) return;
  for (int64_t c = threadIdx.x; c < cols; c += kBlock) {
    float sw = 0.0f, sb = 0.0f;
    for (int64_t r = r_begin; r < r_end; ++r) {
      const float g = gy[r * cols + c];
      sw += g * (x[r * cols + c] - mean[r]) * rstd[r];
      sb += g;
    }
    if (pw) pw[chunk * cols + c] = sw;
    if (pb) pb[chunk * cols + c] = sb;
  }
}

// out_w[c] = sum_k partial_w[k, c] and out_b likewise, the chunks in order; either may be null.
__global__ void sum_chunks_kernel(const float* __restrict__ partial_w,
                                  const float* __restrict__ partial_b, float* __restrict__ out_w,
                                  float* __restrict__ out_b, int64_t chunks, int64_t cols) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < cols; c += stride) {
    if (out_w) {
      float s = 0.0f;
      for (int64_t k = 0; k < chunks; ++k) s += partial_w[k * cols + c];
      out_w[c] = s;
    }
    if (out_b) {
      float s = 0.0f;
      for (int64_t k = 0; k < chunks; ++k) s += partial_b[k * cols + c];
      out_b[c] = s;
    }
  }
}

// --- cross-entropy -----------------------------------------------------------------------------

// Row n: lse_n = logsumexp(x_n), and the loss term lse_n - x_{n, t_n} in double for the mean.
template <int kBlock>
__global__ void cross_entropy_rows_kernel(const float* __restrict__ logits,
                                          const int32_t* __restrict__ targets,
                                          float* __restrict__ lse, double* __restrict__ terms,
                                          int64_t C, DeviceErrorReport* report) {
  const int64_t n = blockIdx.x;
  const float* xr = logits + n * C;
  float mx = -INFINITY;
  for (int64_t c = threadIdx.x; c < C; c += kBlock) mx = MaxOp{}(mx, xr[c]);
  mx = block_all_reduce<kBlock>(mx, MaxOp{});
  if (!(mx > -INFINITY)) mx = 0.0f;
  float sum = 0.0f;
  for (int64_t c = threadIdx.x; c < C; c += kBlock) sum += math::exp_f32(xr[c] - mx);
  sum = block_sum<kBlock>(sum);
  if (threadIdx.x == 0) {
    const float l = mx + logf(sum);
    lse[n] = l;
    const int32_t t = targets[n];
    if (t < 0 || t >= C) {
      report_error(report, kTargetOutOfRange, t, n, C);
      terms[n] = NAN;
    } else {
      terms[n] = double(l) - double(xr[t]);
    }
  }
}

template <int kBlock>
__global__ void mean_of_terms_kernel(const double* __restrict__ terms, int64_t N,
                                     float* __restrict__ loss) {
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < N; i += kBlock) s += terms[i];
  s = block_sum<kBlock>(s);
  if (threadIdx.x == 0) *loss = float(s / double(N));
}

// dx = g/N (softmax(x) - onehot(t)); g is read on the device (no host synchronisation).
__global__ void cross_entropy_backward_kernel(const float* __restrict__ logits,
                                              const int32_t* __restrict__ targets,
                                              const float* __restrict__ lse,
                                              const float* __restrict__ gloss,
                                              float* __restrict__ gx, int64_t N, int64_t C) {
  const float g_over_n = *gloss / float(N);
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < N * C; i += stride) {
    const int64_t n = i / C, c = i % C;
    gx[i] = math::cross_entropy_backward_elem(logits[i], lse[n], c == targets[n], g_over_n);
  }
}

// --- argmax ------------------------------------------------------------------------------------

// Like torch.argmax and the CPU (core/math/rowwise.h): NaN wins, the first of equal maxima is kept.
__global__ void argmax_kernel(const float* __restrict__ x, int32_t* __restrict__ out, int64_t rows,
                              int64_t cols) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += stride)
    out[r] = int32_t(math::argmax_row(x + r * cols, cols));
}

// One block: every thread reads the slot before thread 0 moves the counter on.
__global__ void append_step_outputs_kernel(const float* __restrict__ loss,
                                           const float* __restrict__ logits, int64_t rows,
                                           int64_t classes, float* __restrict__ losses,
                                           int32_t* __restrict__ predictions, int64_t max_rows,
                                           int32_t* __restrict__ counter, int64_t capacity) {
  const int32_t c = *counter;
  const int64_t slot = int64_t(c) % capacity;
  if (threadIdx.x == 0) losses[slot] = *loss;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x)
    predictions[slot * max_rows + r] = int32_t(math::argmax_row(logits + r * classes, classes));
  __syncthreads();
  if (threadIdx.x == 0) *counter = c + 1;
}

}  // namespace

void CudaBackend::softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                          bool log) {
  const int64_t rows = outer * inner;
  if (rows <= 0 || n <= 0) return;
  with_block_for(n, [&]<int kBlock>() {
    launch(softmax_kernel<kBlock>, row_grid(rows), kBlock, x, y, n, inner, log);
  });
}

void CudaBackend::softmax_backward(const float* y, const float* gy, float* gx, int64_t outer,
                                   int64_t n, int64_t inner, bool log) {
  const int64_t rows = outer * inner;
  if (rows <= 0 || n <= 0) return;
  with_block_for(n, [&]<int kBlock>() {
    launch(softmax_backward_kernel<kBlock>, row_grid(rows), kBlock, y, gy, gx, n, inner, log);
  });
}

void CudaBackend::layer_norm(const float* x, const float* w, const float* b, float* y, float* mean,
                             float* rstd, int64_t rows, int64_t cols, float eps) {
  if (rows <= 0 || cols <= 0) return;
  with_block_for(cols, [&]<int kBlock>() {
    launch(layer_norm_kernel<kBlock>, row_grid(rows), kBlock, x, w, b, y, mean, rstd, cols, eps);
  });
}

void CudaBackend::layer_norm_backward(const float* x, const float* w, const float* mean,
                                      const float* rstd, const float* gy, float* gx, float* gw,
                                      float* gb, int64_t rows, int64_t cols) {
  if (cols <= 0) return;
  if (rows <= 0) {  // nothing to sum: zero parameter gradients, as the CPU leaves them
    if (gw) fill(gw, cols, 0.0f);
    if (gb) fill(gb, cols, 0.0f);
    return;
  }
  const int64_t chunks = (rows + kChunkRows - 1) / kChunkRows;
  if (chunks > 2147483647) fail("layer_norm backward: ", rows, " rows exceed the grid's limit");
  Scratch pw(gw ? sizeof(float) * size_t(chunks * cols) : 0);
  Scratch pb(gb ? sizeof(float) * size_t(chunks * cols) : 0);
  with_block_for(cols, [&]<int kBlock>() {
    launch(layer_norm_backward_kernel<kBlock>, unsigned(chunks), kBlock, x, w, mean, rstd, gy, gx,
           pw.as<float>(), pb.as<float>(), rows, cols);
  });
  if (gw || gb) {
    launch(sum_chunks_kernel, grid_for(cols), kThreads, pw.as<float>(), pb.as<float>(), gw, gb,
           chunks, cols);
  }
}

void CudaBackend::cross_entropy(const float* logits, const int32_t* targets, float* loss,
                                float* lse, int64_t N, int64_t C) {
  if (N <= 0) {
    fill(loss, 1, 0.0f);
    return;
  }
  Scratch terms(sizeof(double) * size_t(N));
  with_block_for(C, [&]<int kBlock>() {
    launch(cross_entropy_rows_kernel<kBlock>, row_grid(N), kBlock, logits, targets, lse,
           terms.as<double>(), C, device_error_report());
  });
  launch(mean_of_terms_kernel<256>, 1, 256, terms.as<double>(), N, loss);
}

void CudaBackend::cross_entropy_backward(const float* logits, const int32_t* targets,
                                         const float* lse, const float* gloss, float* gx, int64_t N,
                                         int64_t C) {
  if (N <= 0 || C <= 0) return;
  launch(cross_entropy_backward_kernel, grid_for(N * C), kThreads, logits, targets, lse, gloss, gx,
         N, C);
}

void CudaBackend::append_step_outputs(const float* loss, const float* logits, int64_t rows,
                                      int64_t classes, float* losses, int32_t* predictions,
                                      int64_t max_rows, int32_t* counter, int64_t capacity) {
  launch(append_step_outputs_kernel, 1, kThreads, loss, logits, rows, classes, losses, predictions,
         max_rows, counter, capacity);
}

void CudaBackend::argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0) return;
  launch(argmax_kernel, grid_for(rows), kThreads, x, out, rows, cols);
}

}  // namespace ag::cuda
