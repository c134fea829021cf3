// Optimizer update rules, one element at a time, shared by both backends.
#pragma once

#include <math.h>

#include "core/math/hd.h"

namespace ag::math {

// One AdamW step with PyTorch's semantics (torch.optim.AdamW, foreach=False).
struct AdamWStep {
  float lr;
  float beta1;
  float beta2;
  float eps;
  float weight_decay;
  float bias_correction1;       // 1 - beta1^t
  float bias_correction2_sqrt;  // sqrt(1 - beta2^t)
};

AG_HD void adamw_update(float& p, float g, float& m, float& v, const AdamWStep& s) {
  p *= 1.0f - s.lr * s.weight_decay;  // decoupled weight decay
  m += (g - m) * (1.0f - s.beta1);    // m = beta1 m + (1 - beta1) g   (PyTorch uses lerp)
  v = s.beta2 * v + (1.0f - s.beta2) * g * g;
  const float denom = sqrtf(v) / s.bias_correction2_sqrt + s.eps;
  p -= (s.lr / s.bias_correction1) * (m / denom);
}

// SGD with momentum, PyTorch semantics (dampening 0, coupled weight decay). `first` marks the
// first step, where PyTorch sets the buffer to the gradient itself.
struct SgdStep {
  float lr;
  float momentum;
  float weight_decay;
  bool first;
};

AG_HD void sgd_update(float& p, float g, float& buf, const SgdStep& s) {
  g += s.weight_decay * p;
  if (s.momentum != 0.0f) {
    buf = s.first ? g : s.momentum * buf + g;
    g = buf;
  }
  p -= s.lr * g;
}

}  // namespace ag::math
