// Activation functions. Each is the generic unary op (core/ops/elementwise.cpp: forward y = f(x),
// backward gx = gy * f'(x)) with f and f' from core/math/unary.h; the derivative is repeated
// here so the file reads as a table of what backprop multiplies by.
#include "core/ops/op_util.h"

namespace ag {

using math::UnaryOp;
using math::UnaryParams;

// d relu/dx = 1 if x > 0 else 0   (a unit with x < 0 passes no gradient: "dead")
Tensor relu(const Tensor& x) {
  return unary(x, UnaryOp::Relu, {}, "relu");
}

// d leaky_relu/dx = 1 if x > 0 else alpha
Tensor leaky_relu(const Tensor& x, float negative_slope) {
  UnaryParams p;
  p.alpha = negative_slope;
  return unary(x, UnaryOp::LeakyRelu, p, "leaky_relu");
}

// d elu/dx = 1 if x > 0 else alpha e^x
Tensor elu(const Tensor& x, float alpha) {
  UnaryParams p;
  p.alpha = alpha;
  return unary(x, UnaryOp::Elu, p, "elu");
}

// d selu/dx = scale if x > 0 else scale alpha e^x
Tensor selu(const Tensor& x) {
  return unary(x, UnaryOp::Selu, {}, "selu");
}

// erf form:  d gelu/dx = Phi(x) + x phi(x)
// tanh form: d gelu/dx = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
Tensor gelu(const Tensor& x, GeluApprox approximate) {
  return approximate == GeluApprox::Tanh ? unary(x, UnaryOp::GeluTanh, {}, "gelu")
                                         : unary(x, UnaryOp::GeluErf, {}, "gelu");
}

// d silu/dx = s (1 + x (1 - s)),  s = sigmoid(x)
Tensor silu(const Tensor& x) {
  return unary(x, UnaryOp::Swish, {}, "silu");
}

// d swish/dx = s (1 + beta x (1 - s)),  s = sigmoid(beta x)
Tensor swish(const Tensor& x, float beta) {
  UnaryParams p;
  p.beta = beta;
  return unary(x, UnaryOp::Swish, p, "swish");
}

// d mish/dx = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2),  sp = softplus(x)
Tensor mish(const Tensor& x) {
  return unary(x, UnaryOp::Mish, {}, "mish");
}

// d sigmoid/dx = s (1 - s)
Tensor sigmoid(const Tensor& x) {
  return unary(x, UnaryOp::Sigmoid, {}, "sigmoid");
}

// d tanh/dx = 1 - tanh(x)^2
Tensor tanh(const Tensor& x) {
  return unary(x, UnaryOp::Tanh, {}, "tanh");
}

// d softplus/dx = sigmoid(beta x)
Tensor softplus(const Tensor& x, float beta) {
  UnaryParams p;
  p.beta = beta;
  return unary(x, UnaryOp::Softplus, p, "softplus");
}

}  // namespace ag
