// Row-wise kernels: softmax / log_softmax, layer norm, cross-entropy. Each row is independent;
// rows are split across threads when there are enough of them.
#include <cmath>

#include <algorithm>
#include <limits>
#include <vector>

#include "core/math/exp.h"
#include "core/math/random.h"
#include "core/math/rowwise.h"
#include "cpu/cpu_backend.h"
#include "cpu/parallel.h"

namespace ag::cpu {

namespace {

// One softmax row of n elements at stride `s` (s = 1 for the last dim).
void softmax_row(const float* __restrict x, float* __restrict y, int64_t n, int64_t s, bool log) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i * s]);
  // A row of all -inf (every position masked) has no finite max; softmax is then NaN in
  // PyTorch too. Shifting by 0 keeps the arithmetic defined and gives the same NaN.
  if (!(mx > -std::numeric_limits<float>::infinity())) mx = 0.0f;
  float sum = 0.0f;
  if (s == 1) {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; ++i) {
      const float e = math::exp_f32(x[i] - mx);
      y[i] = e;
      sum += e;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float e = math::exp_f32(x[i * s] - mx);
      y[i * s] = e;
      sum += e;
    }
  }
  if (log) {
    const float lse = mx + logf(sum);
    for (int64_t i = 0; i < n; ++i) y[i * s] = x[i * s] - lse;
  } else {
    const float inv = 1.0f / sum;
    for (int64_t i = 0; i < n; ++i) y[i * s] *= inv;
  }
}

void softmax_backward_row(const float* __restrict y, const float* __restrict gy,
                          float* __restrict gx, int64_t n, int64_t s, bool log) {
  float acc = 0.0f;  // softmax: sum dy*y; log_softmax: sum dy
  for (int64_t i = 0; i < n; ++i) acc += log ? gy[i * s] : gy[i * s] * y[i * s];
  for (int64_t i = 0; i < n; ++i) {
    gx[i * s] = log ? math::log_softmax_backward_elem(y[i * s], gy[i * s], acc)
                    : math::softmax_backward_elem(y[i * s], gy[i * s], acc);
  }
}

}  // namespace

void CpuBackend::softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                         bool log) {
  const int64_t rows = outer * inner;
#pragma omp parallel for if (rows * n >= kParallelElements) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t base = (r / inner) * n * inner + r % inner;
    softmax_row(x + base, y + base, n, inner, log);
  }
}

void CpuBackend::softmax_backward(const float* y, const float* gy, float* gx, int64_t outer,
                                  int64_t n, int64_t inner, bool log) {
  const int64_t rows = outer * inner;
#pragma omp parallel for if (rows * n >= kParallelElements) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t base = (r / inner) * n * inner + r % inner;
    softmax_backward_row(y + base, gy + base, gx + base, n, inner, log);
  }
}

void CpuBackend::attention_softmax(const float* x, const float* key_mask, float* y, float* y_drop,
                                   int64_t rows, int64_t n, int64_t rows_per_batch, float scale,
                                   float p, uint64_t seed, uint64_t offset) {
#pragma omp parallel for if (rows * n >= kParallelElements) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    const float* keys = key_mask ? key_mask + (r / rows_per_batch) * n : nullptr;
    float* yr = y + r * n;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) {
      yr[j] = math::attention_score(xr[j], scale, keys == nullptr || keys[j] != 0.0f);
      mx = std::max(mx, yr[j]);
    }
    if (!(mx > -std::numeric_limits<float>::infinity())) mx = 0.0f;  // all padding: NaN below
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) {
      yr[j] = math::exp_f32(yr[j] - mx);
      sum += yr[j];
    }
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < n; ++j) yr[j] *= inv;
    if (y_drop) {
      const uint64_t base = offset + uint64_t(r * n);
      for (int64_t j = 0; j < n; ++j)
        y_drop[r * n + j] = yr[j] * math::dropout_scale(seed, base + uint64_t(j), p);
    }
  }
}

void CpuBackend::attention_softmax_backward(const float* y, const float* gy_drop, float* gx,
                                            int64_t rows, int64_t n, float scale, float p,
                                            uint64_t seed, uint64_t offset) {
#pragma omp parallel for if (rows * n >= kParallelElements) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * n;
    const float* g = gy_drop + r * n;
    float* gr = gx + r * n;
    const uint64_t base = offset + uint64_t(r * n);
    for (int64_t j = 0; j < n; ++j)  // dy = dy' * keep / (1 - p), kept in gx for the second pass
      gr[j] = p > 0.0f ? g[j] * math::dropout_scale(seed, base + uint64_t(j), p) : g[j];
    float dot = 0.0f;
    for (int64_t j = 0; j < n; ++j) dot += gr[j] * yr[j];
    for (int64_t j = 0; j < n; ++j)
      gr[j] = math::attention_softmax_backward_elem(yr[j], gr[j], dot, scale);
  }
}

void CpuBackend::layer_norm(const float* x, const float* w, const float* b, float* y, float* mean,
                            float* rstd, int64_t rows, int64_t cols, float eps) {
#pragma omp parallel for if (rows * cols >= kParallelElements) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < cols; ++c) sum += xr[c];
    const float mu = sum / float(cols);
    float sq = 0.0f;  // two passes: var = mean((x - mu)^2) is stable where E[x^2] - mu^2 is not
#pragma omp simd reduction(+ : sq)
    for (int64_t c = 0; c < cols; ++c) sq += (xr[c] - mu) * (xr[c] - mu);
    const float rs = 1.0f / sqrtf(sq / float(cols) + eps);
    mean[r] = mu;
    rstd[r] = rs;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) {
      const float xhat = (xr[c] - mu) * rs;
      yr[c] = xhat * (w ? w[c] : 1.0f) + (b ? b[c] : 0.0f);
    }
  }
}

void CpuBackend::layer_norm_backward(const float* x, const float* w, const float* mean,
                                     const float* rstd, const float* gy, float* gx, float* gw,
                                     float* gb, int64_t rows, int64_t cols) {
  if (gx) {
#pragma omp parallel for if (rows * cols >= kParallelElements) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * cols;
      const float* g = gy + r * cols;
      const float mu = mean[r], rs = rstd[r];
      float sum_dxhat = 0.0f, sum_dxhat_xhat = 0.0f;
#pragma omp simd reduction(+ : sum_dxhat, sum_dxhat_xhat)
      for (int64_t c = 0; c < cols; ++c) {
        const float dxhat = g[c] * (w ? w[c] : 1.0f);
        sum_dxhat += dxhat;
        sum_dxhat_xhat += dxhat * (xr[c] - mu) * rs;
      }
      const float m1 = sum_dxhat / float(cols), m2 = sum_dxhat_xhat / float(cols);
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) {
        const float dxhat = g[c] * (w ? w[c] : 1.0f);
        gx[r * cols + c] = math::layer_norm_backward_elem((xr[c] - mu) * rs, dxhat, rs, m1, m2);
      }
    }
  }
  // dw = sum_rows dy * xhat, db = sum_rows dy, summed in row order (deterministic).
  if (gw) std::fill(gw, gw + cols, 0.0f);
  if (gb) std::fill(gb, gb + cols, 0.0f);
  for (int64_t r = 0; r < rows && (gw || gb); ++r) {
    const float* xr = x + r * cols;
    const float* g = gy + r * cols;
    const float mu = mean[r], rs = rstd[r];
    if (gw) {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) gw[c] += g[c] * (xr[c] - mu) * rs;
    }
    if (gb) {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) gb[c] += g[c];
    }
  }
}

void CpuBackend::cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse,
                               int64_t N, int64_t C) {
  double total = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    const float* xr = logits + n * C;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t c = 0; c < C; ++c) mx = std::max(mx, xr[c]);
    if (!(mx > -std::numeric_limits<float>::infinity())) mx = 0.0f;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < C; ++c) sum += math::exp_f32(xr[c] - mx);
    lse[n] = mx + logf(sum);
    total += double(lse[n]) - double(xr[targets[n]]);
  }
  *loss = N ? float(total / double(N)) : 0.0f;
}

void CpuBackend::cross_entropy_backward(const float* logits, const int32_t* targets,
                                        const float* lse, const float* gloss, float* gx, int64_t N,
                                        int64_t C) {
  const float g_over_n = *gloss / float(N);
  for (int64_t n = 0; n < N; ++n) {
    const int32_t t = targets[n];
    for (int64_t c = 0; c < C; ++c) {
      gx[n * C + c] =
          math::cross_entropy_backward_elem(logits[n * C + c], lse[n], c == t, g_over_n);
    }
  }
}

void CpuBackend::argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) out[r] = int32_t(math::argmax_row(x + r * cols, cols));
}

void CpuBackend::append_step_outputs(const float* loss, const float* logits, int64_t rows,
                                     int64_t classes, float* losses, int32_t* predictions,
                                     int64_t max_rows, int32_t* counter, int64_t capacity) {
  const int64_t slot = int64_t(*counter) % capacity;
  losses[slot] = *loss;
  argmax_rows(logits, predictions + slot * max_rows, rows, classes);
  ++*counter;
}

}  // namespace ag::cpu
