// Optimizer update rules, one element at a time, shared by both backends.
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/math/hd.h"

namespace ag::math {

// One AdamW step with PyTorch's semantics (torch.optim.AdamW, foreach=False): the scalars that
// its fp32 update uses, each computed in double on the host (PyTorch computes them as Python
// floats) and rounded once. Build it with make_adamw_step.
struct AdamWStep {
  float decay;            // 1 - lr * weight_decay (decoupled weight decay)
  float one_minus_beta1;  // m moves toward g by this fraction (PyTorch's lerp weight)
  float beta2;
  float one_minus_beta2;
  float step_size;              // lr / (1 - beta1^t)
  float bias_correction2_sqrt;  // sqrt(1 - beta2^t)
  float eps;
};

// `t` is the 1-based step number.
inline AdamWStep make_adamw_step(double lr, double beta1, double beta2, double eps,
                                 double weight_decay, int64_t t) {
  AdamWStep s;
  s.decay = float(1.0 - lr * weight_decay);
  s.one_minus_beta1 = float(1.0 - beta1);
  s.beta2 = float(beta2);
  s.one_minus_beta2 = float(1.0 - beta2);
  s.step_size = float(lr / (1.0 - pow(beta1, double(t))));
  s.bias_correction2_sqrt = float(sqrt(1.0 - pow(beta2, double(t))));
  s.eps = float(eps);
  return s;
}

// One tensor of a multi-tensor AdamW update: parameter, gradient and moments of n elements.
struct AdamWSpan {
  float* p;
  const float* g;
  float* m;
  float* v;
  int64_t n;
};

// The same operations in the same order as PyTorch's kernels, so results agree to the last bit
// or two:  p *= decay;  m = lerp(m, g, 1 - b1);  v = v b2 + (1 - b2) g g;
//          p += (-step_size m) / (sqrt(v) / sqrt(1 - b2^t) + eps)
AG_HD void adamw_update(float& p, float g, float& m, float& v, const AdamWStep& s) {
  p *= s.decay;
  m += s.one_minus_beta1 * (g - m);
  v = v * s.beta2 + s.one_minus_beta2 * g * g;
  const float denom = sqrtf(v) / s.bias_correction2_sqrt + s.eps;
  p += (-s.step_size * m) / denom;
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
