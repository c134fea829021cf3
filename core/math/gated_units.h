// Gated linear units: h = act(a) * b. With act = SiLU this is SwiGLU, with GELU it is GeGLU.
// The fused kernels of both backends use these two functions; the backward recomputes act(a)
// and act'(a) from a instead of storing anything from the forward pass.
#pragma once

#include "core/math/hd.h"
#include "core/math/unary.h"

namespace ag::math {

// act(x) and act'(x) together. The generic version evaluates the two; SwishFn shares its sigmoid.
template <class Act>
AG_HD void value_and_derivative(const Act& act, float x, float& y, float& dy) {
  y = act.forward(x);
  dy = act.derivative(x);
}
AG_HD void value_and_derivative(const SwishFn& act, float x, float& y, float& dy) {
  const float s = sigmoid_f32(act.beta * x);
  y = x * s;
  dy = s * (1.0f + act.beta * x * (1.0f - s));
}

// swiglu(a, b) = silu(a) * b
template <class Act>
AG_HD float gated_forward(const Act& act, float a, float b) {
  return act.forward(a) * b;
}

// dL/da = dh * b * act'(a),   dL/db = dh * act(a)
template <class Act>
AG_HD void gated_backward(const Act& act, float a, float b, float dh, float& da, float& db) {
  float y, dy;
  value_and_derivative(act, a, y, dy);
  da = dh * b * dy;
  db = dh * y;
}

}  // namespace ag::math
