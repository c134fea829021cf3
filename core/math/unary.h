// Every elementwise unary function of the engine: its value and its derivative, side by side.
//
// This is the one place their math lives. The CPU kernels (cpu/) and the CUDA kernels (cuda/)
// both instantiate these functors, so a CPU test of a formula also checks what the GPU computes.
// Conventions match PyTorch (relu'(0) = 0, softplus threshold 20, gelu "none"/"tanh", ...).
#pragma once

#include <math.h>

#include "core/math/exp.h"
#include "core/math/hd.h"

namespace ag::math {

enum class UnaryOp : int {
  // arithmetic
  Neg,
  Exp,
  Log,
  Sqrt,
  Pow,
  AddScalar,
  SubScalar,
  RSubScalar,
  MulScalar,
  DivScalar,
  // activations
  Relu,
  LeakyRelu,
  Elu,
  Selu,
  GeluErf,
  GeluTanh,
  Swish,
  Mish,
  Sigmoid,
  Tanh,
  Softplus,
};

// Scalar parameters of a unary op. Unused fields are ignored.
struct UnaryParams {
  float alpha = 0.0f;   // leaky_relu slope, elu alpha
  float beta = 1.0f;    // swish beta, softplus beta
  float scalar = 0.0f;  // the scalar of *_scalar ops, the exponent of pow

  // One-field constructors for call sites: UnaryParams::with_alpha(0.01f).
  static UnaryParams with_alpha(float a) {
    UnaryParams p;
    p.alpha = a;
    return p;
  }
  static UnaryParams with_beta(float b) {
    UnaryParams p;
    p.beta = b;
    return p;
  }
  static UnaryParams with_scalar(float s) {
    UnaryParams p;
    p.scalar = s;
    return p;
  }
};

// --- arithmetic ----------------------------------------------------------------------------

struct NegFn {
  AG_HD float forward(float x) const { return -x; }
  AG_HD float derivative(float) const { return -1.0f; }  // d(-x)/dx = -1
};
struct ExpFn {
  AG_HD float forward(float x) const { return exp_f32(x); }
  AG_HD float derivative(float x) const { return exp_f32(x); }  // d e^x/dx = e^x
};
struct LogFn {
  AG_HD float forward(float x) const { return logf(x); }
  AG_HD float derivative(float x) const { return 1.0f / x; }  // d log(x)/dx = 1/x
};
struct SqrtFn {
  AG_HD float forward(float x) const { return sqrtf(x); }
  AG_HD float derivative(float x) const { return 0.5f / sqrtf(x); }  // d sqrt(x)/dx = 1/(2 sqrt(x))
};
struct PowFn {
  float p;
  AG_HD float forward(float x) const { return powf(x, p); }
  // d x^p/dx = p x^(p-1)   (PyTorch: exactly 0 when p == 0)
  AG_HD float derivative(float x) const { return p == 0.0f ? 0.0f : p * powf(x, p - 1.0f); }
};
struct AddScalarFn {
  float s;
  AG_HD float forward(float x) const { return x + s; }
  AG_HD float derivative(float) const { return 1.0f; }  // d(x+s)/dx = 1
};
struct SubScalarFn {
  float s;
  AG_HD float forward(float x) const { return x - s; }
  AG_HD float derivative(float) const { return 1.0f; }  // d(x-s)/dx = 1
};
struct RSubScalarFn {
  float s;
  AG_HD float forward(float x) const { return s - x; }
  AG_HD float derivative(float) const { return -1.0f; }  // d(s-x)/dx = -1
};
struct MulScalarFn {
  float s;
  AG_HD float forward(float x) const { return x * s; }
  AG_HD float derivative(float) const { return s; }  // d(x*s)/dx = s
};
struct DivScalarFn {
  float s;
  AG_HD float forward(float x) const { return x / s; }
  AG_HD float derivative(float) const { return 1.0f / s; }  // d(x/s)/dx = 1/s
};

// --- activations ---------------------------------------------------------------------------

struct ReluFn {
  // x < 0 ? 0 : x keeps NaN as NaN (a comparison with NaN is false), like torch.relu.
  AG_HD float forward(float x) const { return x < 0.0f ? 0.0f : x; }
  AG_HD float derivative(float x) const { return x > 0.0f ? 1.0f : 0.0f; }  // d relu/dx = [x > 0]
};
struct LeakyReluFn {
  float alpha;  // negative slope, PyTorch default 0.01
  AG_HD float forward(float x) const { return x > 0.0f ? x : x * alpha; }
  AG_HD float derivative(float x) const {
    return x > 0.0f ? 1.0f : alpha;
  }  // 1 if x > 0 else alpha
};
struct EluFn {
  float alpha;
  AG_HD float forward(float x) const { return x > 0.0f ? x : alpha * expm1f(x); }
  AG_HD float derivative(float x) const {
    return x > 0.0f ? 1.0f : alpha * expf(x);
  }  // a e^x, x<=0
};
struct SeluFn {
  static constexpr float kAlpha = 1.6732632423543772848f;
  static constexpr float kScale = 1.0507009873554804934f;
  AG_HD float forward(float x) const { return kScale * (x > 0.0f ? x : kAlpha * expm1f(x)); }
  // d selu/dx = scale if x > 0 else scale * alpha * e^x
  AG_HD float derivative(float x) const { return x > 0.0f ? kScale : kScale * kAlpha * expf(x); }
};
struct GeluErfFn {
  // gelu(x) = x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2
  AG_HD float forward(float x) const { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
  // d gelu/dx = Phi(x) + x * phi(x),  phi(x) = e^(-x^2/2) / sqrt(2 pi)
  AG_HD float derivative(float x) const {
    const float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
    return cdf + x * pdf;
  }
};
struct GeluTanhFn {
  static constexpr float kSqrt2OverPi = 0.79788456080286536f;
  static constexpr float kCubic = 0.044715f;
  // gelu_tanh(x) = x/2 * (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
  AG_HD float forward(float x) const {
    const float u = kSqrt2OverPi * (x + kCubic * x * x * x);
    return 0.5f * x * (1.0f + tanhf(u));
  }
  // d/dx = (1 + t)/2 + x/2 (1 - t^2) du/dx,  du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
  AG_HD float derivative(float x) const {
    const float u = kSqrt2OverPi * (x + kCubic * x * x * x);
    const float t = tanhf(u);
    const float du = kSqrt2OverPi * (1.0f + 3.0f * kCubic * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
  }
};
struct SwishFn {
  float beta;  // beta = 1 is SiLU
  // swish(x) = x * s,  s = sigmoid(beta x)
  AG_HD float forward(float x) const { return x * sigmoid_f32(beta * x); }
  // d swish/dx = s + beta x s (1 - s) = s * (1 + beta x (1 - s))
  AG_HD float derivative(float x) const {
    const float s = sigmoid_f32(beta * x);
    return s * (1.0f + beta * x * (1.0f - s));
  }
};
// log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
AG_HD float softplus_stable(float x) {
  return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}
struct MishFn {
  // mish(x) = x * tanh(softplus(x))
  AG_HD float forward(float x) const { return x * tanhf(softplus_stable(x)); }
  // d mish/dx = tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2),  sp = softplus(x)
  AG_HD float derivative(float x) const {
    const float t = tanhf(softplus_stable(x));
    return t + x * sigmoid_f32(x) * (1.0f - t * t);
  }
};
struct SigmoidFn {
  AG_HD float forward(float x) const { return sigmoid_f32(x); }
  AG_HD float derivative(float x) const {  // d sigmoid/dx = s (1 - s)
    const float s = sigmoid_f32(x);
    return s * (1.0f - s);
  }
};
struct TanhFn {
  AG_HD float forward(float x) const { return tanhf(x); }
  AG_HD float derivative(float x) const {  // d tanh/dx = 1 - tanh(x)^2
    const float t = tanhf(x);
    return 1.0f - t * t;
  }
};
struct SoftplusFn {
  float beta;  // PyTorch: softplus(x) = log(1 + e^(beta x)) / beta, linear when beta x > 20
  AG_HD float forward(float x) const {
    return beta * x > 20.0f ? x : log1pf(expf(beta * x)) / beta;
  }
  // d softplus/dx = sigmoid(beta x)   (1 in the linear region)
  AG_HD float derivative(float x) const { return beta * x > 20.0f ? 1.0f : sigmoid_f32(beta * x); }
};

// Calls f(functor) with the functor for `op`. The single switch that both backends use to turn a
// runtime op into a compile-time kernel instantiation.
template <class F>
inline void visit_unary(UnaryOp op, const UnaryParams& prm, F&& f) {
  switch (op) {
    case UnaryOp::Neg:
      return f(NegFn{});
    case UnaryOp::Exp:
      return f(ExpFn{});
    case UnaryOp::Log:
      return f(LogFn{});
    case UnaryOp::Sqrt:
      return f(SqrtFn{});
    case UnaryOp::Pow:
      return f(PowFn{prm.scalar});
    case UnaryOp::AddScalar:
      return f(AddScalarFn{prm.scalar});
    case UnaryOp::SubScalar:
      return f(SubScalarFn{prm.scalar});
    case UnaryOp::RSubScalar:
      return f(RSubScalarFn{prm.scalar});
    case UnaryOp::MulScalar:
      return f(MulScalarFn{prm.scalar});
    case UnaryOp::DivScalar:
      return f(DivScalarFn{prm.scalar});
    case UnaryOp::Relu:
      return f(ReluFn{});
    case UnaryOp::LeakyRelu:
      return f(LeakyReluFn{prm.alpha});
    case UnaryOp::Elu:
      return f(EluFn{prm.alpha});
    case UnaryOp::Selu:
      return f(SeluFn{});
    case UnaryOp::GeluErf:
      return f(GeluErfFn{});
    case UnaryOp::GeluTanh:
      return f(GeluTanhFn{});
    case UnaryOp::Swish:
      return f(SwishFn{prm.beta});
    case UnaryOp::Mish:
      return f(MishFn{});
    case UnaryOp::Sigmoid:
      return f(SigmoidFn{});
    case UnaryOp::Tanh:
      return f(TanhFn{});
    case UnaryOp::Softplus:
      return f(SoftplusFn{prm.beta});
  }
}

// Scalar evaluation (tests, the teaching tool): one value or one derivative.
inline float unary_value(UnaryOp op, const UnaryParams& prm, float x) {
  float y = 0.0f;
  visit_unary(op, prm, [&](auto fn) { y = fn.forward(x); });
  return y;
}
inline float unary_derivative(UnaryOp op, const UnaryParams& prm, float x) {
  float d = 0.0f;
  visit_unary(op, prm, [&](auto fn) { d = fn.derivative(x); });
  return d;
}

}  // namespace ag::math
