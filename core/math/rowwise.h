// Per-element formulas of the row-wise ops (softmax, layer norm, cross-entropy). Each backend
// computes the row statistics its own way (a loop on the CPU, a CUB block reduction on the GPU);
// what it does with them is written here once.
#pragma once

#include <math.h>

#include "core/math/hd.h"

namespace ag::math {

// softmax: y_i = e^(x_i - max) / sum_j e^(x_j - max)
// backward: dx_i = y_i (dy_i - sum_j dy_j y_j)
AG_HD float softmax_backward_elem(float y, float dy, float dot_dy_y) {
  return y * (dy - dot_dy_y);
}

// log_softmax: y_i = x_i - max - log(sum_j e^(x_j - max))
// backward: dx_i = dy_i - e^(y_i) sum_j dy_j
AG_HD float log_softmax_backward_elem(float y, float dy, float sum_dy) {
  return dy - expf(y) * sum_dy;
}

// attention weights (the fused softmax of ag::attention): a score row of n keys,
//   s_j = scale * x_j for a real key, -inf for a padded one (key_real = false),
//   y_j = softmax(s)_j,  and with dropout y'_j = y_j * keep_j / (1 - p).
// backward, from dy' (the gradient of y'): dy_j = dy'_j * keep_j / (1 - p), then
//   dx_j = scale * y_j (dy_j - sum_k dy_k y_k)   (a padded key has y_j = 0, so dx_j = 0)
AG_HD float attention_score(float x, float scale, bool key_real) {
  return key_real ? scale * x : -INFINITY;
}
AG_HD float attention_softmax_backward_elem(float y, float dy, float dot_dy_y, float scale) {
  return scale * (y * (dy - dot_dy_y));
}

// layer norm: xhat = (x - mean) * rstd,  y = xhat * w + b,  rstd = 1/sqrt(var + eps)
// backward: dxhat = dy * w
//           dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
//           dw = sum over rows of dy * xhat,  db = sum over rows of dy
AG_HD float layer_norm_backward_elem(float xhat, float dxhat, float rstd, float mean_dxhat,
                                     float mean_dxhat_xhat) {
  return rstd * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat);
}

// argmax of a row, as torch.argmax: NaN wins, and the first of equal maxima is kept.
AG_HD int64_t argmax_row(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t c = 1; c < n; ++c) {
    if (x[best] != x[best]) break;  // NaN: nothing beats it
    if (x[c] > x[best] || x[c] != x[c]) best = c;
  }
  return best;
}

// cross-entropy from logits, mean over N rows: loss = (1/N) sum_n (lse_n - x_{n, t_n})
// backward: dx_{n,c} = g/N * (softmax_{n,c} - [c == t_n])
AG_HD float cross_entropy_backward_elem(float x, float lse, bool is_target, float g_over_n) {
  return g_over_n * (expf(x - lse) - (is_target ? 1.0f : 0.0f));
}

}  // namespace ag::math
