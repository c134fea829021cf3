// Gated linear units: fused swiglu, geglu and gated(), and the unfused swiglu.
#include <string>
#include <tuple>
#include <vector>

#include "tests/ops/builders.h"
#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

using ag::GeluApprox;
using ag::math::UnaryOp;
using ag::math::UnaryParams;

// h = op(a, b). Gradcheck (seeds 300, 301, ...): a from `a_values`, b ~ N(0, 1), both together,
// and on the small shapes each operand alone (the kernels' one-sided paths; the small shapes
// suffice for that and keep the suite fast: every checked element costs four evaluations).
// Compared across devices too.
void small_gated(Registry& r, const std::string& op, const std::string& label, const BinaryFn& f,
                 const Values& a_values) {
  const std::vector<Shape> shapes = {{1}, {7}, {33}, {4, 129}, {1031}};
  uint64_t seed = 300;
  for (const Shape& s : shapes) {
    r.add(
        {.ops = {op},
         .name = label + " " + shape_str(s) + " a " + a_values.text,
         .inputs = {var(s, a_values), var(s, normal())},
         .forward = binary(f),
         .gradcheck = kSmooth,
         .parity = kClose,
         .variants = ag::numel_of(s) > 100 ? std::vector<Variant>{Variant{}} : each_of_two_alone(),
         .seed = seed++});
  }
}

// Parity on every elementwise shape and the FFN's [batch, seq, hidden]: a ~ N(0, 2) (see
// activation_input), b ~ N(0, 1).
void large_gated(Registry& r, const std::string& op, const std::string& label, const BinaryFn& f) {
  std::vector<Shape> shapes = parity::elementwise_shapes(true);
  shapes.push_back({4, 32, 129});
  for (const Shape& s : shapes) {
    const std::string name = label + " " + shape_str(s);
    r.add({.ops = {op},
           .name = name,
           .inputs = {var(s, activation_input(2.0f), parity::seed_of(name + "a")),
                      var(s, normal(), parity::seed_of(name))},
           .forward = binary(f),
           .parity = kClose});
  }
}

UnaryParams with(float alpha, float beta) {
  UnaryParams p;
  p.alpha = alpha;
  p.beta = beta;
  return p;
}

}  // namespace

void gated_cases(Registry& r) {
  const BinaryFn swiglu = [](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); };
  const BinaryFn swiglu_unfused = [](const Tensor& a, const Tensor& b) {
    return ag::swiglu_unfused(a, b);
  };
  const BinaryFn geglu = [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); };
  const BinaryFn geglu_tanh = [](const Tensor& a, const Tensor& b) {
    return ag::geglu(a, b, GeluApprox::Tanh);
  };
  auto gated = [](UnaryOp act, UnaryParams p = {}) -> BinaryFn {
    return [act, p](const Tensor& a, const Tensor& b) { return ag::gated(a, b, act, p); };
  };

  small_gated(r, "swiglu", "swiglu", swiglu, uniform(-6, 6));
  small_gated(r, "swiglu_unfused", "swiglu_unfused", swiglu_unfused, uniform(-6, 6));
  small_gated(r, "geglu", "geglu erf", geglu, uniform(-6, 6));
  small_gated(r, "geglu", "geglu tanh", geglu_tanh, uniform(-6, 6));
  small_gated(r, "gated", "gated relu", gated(UnaryOp::Relu), away_from_zero(-6, 6));
  small_gated(r, "gated", "gated tanh", gated(UnaryOp::Tanh), uniform(-6, 6));
  small_gated(r, "gated", "gated sigmoid", gated(UnaryOp::Sigmoid), uniform(-6, 6));
  small_gated(r, "gated", "gated mish", gated(UnaryOp::Mish), uniform(-6, 6));
  UnaryParams beta_2;
  beta_2.beta = 2.0f;
  small_gated(r, "gated", "gated swish beta 2", gated(UnaryOp::Swish, beta_2), uniform(-6, 6));
  small_gated(r, "gated", "gated softplus", gated(UnaryOp::Softplus), uniform(-6, 6));

  large_gated(r, "swiglu", "swiglu", swiglu);
  large_gated(r, "swiglu_unfused", "swiglu_unfused", swiglu_unfused);
  large_gated(r, "geglu", "geglu", geglu);
  large_gated(r, "geglu", "geglu_tanh", geglu_tanh);
  const std::vector<std::tuple<std::string, UnaryOp, UnaryParams>> acts = {
      {"relu", UnaryOp::Relu, {}},
      {"leaky_relu 0.1", UnaryOp::LeakyRelu, with(0.1f, 1.0f)},
      {"elu", UnaryOp::Elu, with(1.0f, 1.0f)},
      {"selu", UnaryOp::Selu, {}},
      {"gelu", UnaryOp::GeluErf, {}},
      {"gelu_tanh", UnaryOp::GeluTanh, {}},
      {"swish 1.7", UnaryOp::Swish, with(0.0f, 1.7f)},
      {"mish", UnaryOp::Mish, {}},
      {"sigmoid", UnaryOp::Sigmoid, {}},
      {"tanh", UnaryOp::Tanh, {}},
      {"softplus 2", UnaryOp::Softplus, with(0.0f, 2.0f)},
  };
  for (const auto& [name, act, p] : acts) large_gated(r, "gated", "gated " + name, gated(act, p));
}

}  // namespace opcases
