// Activations: the named ones of core/ops.h and unary(), which they all call.
#include <string>
#include <vector>

#include "tests/ops/builders.h"
#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

using ag::GeluApprox;
using ag::math::UnaryOp;

// Parity: N(0, 3) on every elementwise shape (both sides of every kink and saturation, up to
// 1<<20 + 3 elements; a lone element in [0.5, 3), see activation_input), plus a uniform
// [-30, 30] sweep that reaches softplus' linear threshold (beta x > 20) and the flat tails of
// sigmoid, tanh, elu and gelu.
void large_activation(Registry& r, const std::string& op, const std::string& label,
                      const UnaryFn& f) {
  large_unary(r, op, label, f, activation_input(3.0f), kClose);
  const std::string name = label + " uniform [-30, 30]";
  r.add({.ops = {op},
         .name = name,
         .inputs = {var({4099}, uniform(-30.0f, 30.0f), parity::seed_of(name))},
         .forward = unary(f),
         .parity = kClose});
}

}  // namespace

void activation_cases(Registry& r) {
  // Gradcheck on [-6, 6]: both saturated tails and the curved middle. relu and leaky_relu are
  // exact on each linear piece; elu and selu have a derivative that jumps at 0 (elu with alpha
  // = 1: its second derivative), so their inputs keep clear of it too.
  small_unary(
      r, {"relu"}, "relu", [](const Tensor& x) { return ag::relu(x); }, away_from_zero(-6, 6),
      kPiecewiseLinear);
  small_unary(
      r, {"leaky_relu"}, "leaky_relu", [](const Tensor& x) { return ag::leaky_relu(x); },
      away_from_zero(-6, 6), kPiecewiseLinear);
  small_unary(
      r, {"leaky_relu"}, "leaky_relu 0.2", [](const Tensor& x) { return ag::leaky_relu(x, 0.2f); },
      away_from_zero(-6, 6), kPiecewiseLinear);
  small_unary(
      r, {"elu"}, "elu", [](const Tensor& x) { return ag::elu(x); }, away_from_zero(-6, 6),
      kSmooth);
  small_unary(
      r, {"elu"}, "elu 0.5", [](const Tensor& x) { return ag::elu(x, 0.5f); },
      away_from_zero(-6, 6), kSmooth);
  small_unary(
      r, {"selu"}, "selu", [](const Tensor& x) { return ag::selu(x); }, away_from_zero(-6, 6),
      kSmooth);
  small_unary(
      r, {"gelu"}, "gelu erf", [](const Tensor& x) { return ag::gelu(x); }, uniform(-6, 6),
      kSmooth);
  small_unary(
      r, {"gelu"}, "gelu tanh", [](const Tensor& x) { return ag::gelu(x, GeluApprox::Tanh); },
      uniform(-6, 6), kSmooth);
  small_unary(
      r, {"silu"}, "silu", [](const Tensor& x) { return ag::silu(x); }, uniform(-6, 6), kSmooth);
  for (float beta : {0.5f, 1.0f, 2.0f}) {
    small_unary(
        r, {"swish"}, "swish beta " + std::to_string(beta),
        [beta](const Tensor& x) { return ag::swish(x, beta); }, uniform(-6, 6), kSmooth);
  }
  small_unary(
      r, {"mish"}, "mish", [](const Tensor& x) { return ag::mish(x); }, uniform(-6, 6), kSmooth);
  small_unary(
      r, {"sigmoid"}, "sigmoid", [](const Tensor& x) { return ag::sigmoid(x); }, uniform(-6, 6),
      kSmooth);
  small_unary(
      r, {"tanh"}, "tanh", [](const Tensor& x) { return ag::tanh(x); }, uniform(-6, 6), kSmooth);
  // softplus switches to the identity where beta x > 20 (PyTorch's threshold); the ranges cross
  // it (x = 20 for beta 1, 10 for beta 2) and keep 0.05 away from the switch.
  small_unary(
      r, {"softplus"}, "softplus", [](const Tensor& x) { return ag::softplus(x); },
      away_from_kinks(-8.0f, 24.0f, {20.0f}, 0.05f), kSmooth);
  small_unary(
      r, {"softplus"}, "softplus beta 2", [](const Tensor& x) { return ag::softplus(x, 2.0f); },
      away_from_kinks(-6.0f, 12.0f, {10.0f}, 0.05f), kSmooth);
  small_unary(
      r, {"unary"}, "unary elu alpha 0.3",
      [](const Tensor& x) {
        ag::math::UnaryParams p;
        p.alpha = 0.3f;
        return ag::unary(x, UnaryOp::Elu, p, "elu_0_3");
      },
      away_from_zero(-6, 6), kSmooth);

  large_activation(r, "relu", "relu", [](const Tensor& x) { return ag::relu(x); });
  large_activation(r, "leaky_relu", "leaky_relu",
                   [](const Tensor& x) { return ag::leaky_relu(x); });
  large_activation(r, "leaky_relu", "leaky_relu 0.2",
                   [](const Tensor& x) { return ag::leaky_relu(x, 0.2f); });
  large_activation(r, "elu", "elu", [](const Tensor& x) { return ag::elu(x); });
  large_activation(r, "elu", "elu 0.5", [](const Tensor& x) { return ag::elu(x, 0.5f); });
  large_activation(r, "selu", "selu", [](const Tensor& x) { return ag::selu(x); });
  large_activation(r, "gelu", "gelu",
                   [](const Tensor& x) { return ag::gelu(x, GeluApprox::None); });
  large_activation(r, "gelu", "gelu_tanh",
                   [](const Tensor& x) { return ag::gelu(x, GeluApprox::Tanh); });
  large_activation(r, "silu", "silu", [](const Tensor& x) { return ag::silu(x); });
  large_activation(r, "swish", "swish 1.7", [](const Tensor& x) { return ag::swish(x, 1.7f); });
  large_activation(r, "mish", "mish", [](const Tensor& x) { return ag::mish(x); });
  large_activation(r, "sigmoid", "sigmoid", [](const Tensor& x) { return ag::sigmoid(x); });
  large_activation(r, "tanh", "tanh", [](const Tensor& x) { return ag::tanh(x); });
  large_activation(r, "softplus", "softplus", [](const Tensor& x) { return ag::softplus(x); });
  large_activation(r, "softplus", "softplus 2",
                   [](const Tensor& x) { return ag::softplus(x, 2.0f); });
}

}  // namespace opcases
