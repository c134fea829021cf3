// Elementwise arithmetic: binary ops with numpy broadcasting, scalar ops, neg, exp, log, sqrt,
// pow, masked_fill and the operators of core/ops.h.
#include <string>
#include <utility>
#include <vector>

#include "tests/ops/builders.h"
#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

using parity::seed_of;

// a op b. Gradcheck: ten broadcasting patterns (seeds 200, 201, ...), a ~ N(0, 1), b from
// `b_values`, both operands and each alone (the one-sided backward paths). Parity: every
// elementwise shape (a ~ N(0, 1)) and eleven broadcasting patterns, there with both operands in
// U[0.5, 2): broadcasting sums gradients over the broadcast dims (down to a single number for a
// scalar operand), and sums of same-sign terms do not cancel, so the backends' summation orders
// stay far below 1e-5 of the result.
void binary_cases(Registry& r, const std::string& op, const BinaryFn& f, const Values& b_values,
                  const agtest::GradCheckOptions& tol, bool denominator) {
  struct Broadcast {
    const char* name;
    Shape a, b;
  };
  const std::vector<Broadcast> small = {
      {"same shape", {3, 4}, {3, 4}},
      {"same shape, long", {1031}, {1031}},
      {"row vector", {3, 4}, {4}},
      {"both broadcast", {2, 1, 5}, {3, 1}},
      {"scalar lhs", {}, {2, 3}},
      {"scalar rhs", {2, 3}, {}},
      {"column times row", {5, 1}, {1, 7}},
      {"middle dim", {2, 3, 4}, {2, 1, 4}},
      {"interleaved 4-D", {2, 1, 3, 1}, {1, 4, 1, 5}},
      {"one element vs 3-D", {1}, {3, 1, 2}},
  };
  const std::string key = op + "(Tensor, Tensor)";
  uint64_t seed = 200;
  for (const Broadcast& c : small) {
    r.add({.ops = {key},
           .name = op + " " + c.name + ": " + shape_str(c.a) + " op " + shape_str(c.b),
           .inputs = {var(c.a, normal()), var(c.b, b_values)},
           .forward = binary(f),
           .gradcheck = tol,
           .parity = kClose,
           .variants = each_of_two_alone(),
           .seed = seed++});
  }
  for (const Shape& s : parity::elementwise_shapes(true)) {
    const std::string name = op + " " + shape_str(s);
    r.add({.ops = {key},
           .name = name,
           .inputs = {var(s, normal(), seed_of(name + "a")),
                      var(s, denominator ? signed_magnitude(0.5f, 2.0f) : normal(), seed_of(name))},
           .forward = binary(f),
           .parity = kClose});
  }
  // The transformer's patterns ([B, T, D] + [D], [B, 1, D] * [1, T, 1]), scalars on either side,
  // a trailing 1, both sides broadcasting, 4-D, and larger ones.
  const std::vector<std::pair<Shape, Shape>> large = {
      {{4, 7, 33}, {33}},     {{4, 1, 33}, {1, 7, 1}},   {{5, 129}, {}},
      {{}, {5, 129}},         {{3, 5, 257}, {3, 5, 1}},  {{1}, {1000}},
      {{7, 1}, {1, 255}},     {{2, 3, 4, 5}, {3, 1, 5}}, {{8, 129, 257}, {257}},
      {{1, 1025}, {1025, 1}}, {{4099, 1}, {4099, 3}}};
  for (const auto& [sa, sb] : large) {
    const std::string name = op + " " + shape_str(sa) + " with " + shape_str(sb);
    r.add({.ops = {key},
           .name = name,
           .inputs = {var(sa, uniform(0.5f, 2.0f), seed_of(name + "a")),
                      var(sb, uniform(0.5f, 2.0f), seed_of(name + "b"))},
           .forward = binary(f),
           .parity = kClose});
  }
}

// x op s for the scalar ops: gradcheck on small shapes (linear: exact differences), parity on
// the large ones for s = 1.7 and -0.3.
void scalar_cases(Registry& r, const std::string& op, const std::string& group,
                  const std::string& gradcheck_label, float gradcheck_s, const std::string& label,
                  const std::function<Tensor(const Tensor&, float)>& f) {
  small_unary(
      r, {op}, gradcheck_label, [f, gradcheck_s](const Tensor& x) { return f(x, gradcheck_s); },
      uniform(-3, 3), kLinear, group);
  for (float s : {1.7f, -0.3f}) {
    large_unary(
        r, op, label + " s=" + std::to_string(s), [f, s](const Tensor& x) { return f(x, s); },
        normal(), kClose, group);
  }
}

Tensor padded_mask_4x1() {
  return Tensor::from_vector({1, 0, 0, 1}, {4, 1});
}

Tensor scattered_mask_5x17() {
  std::vector<float> m(85);
  for (size_t i = 0; i < m.size(); ++i) m[i] = (i * 7) % 3 == 0 ? 1.0f : 0.0f;
  return Tensor::from_vector(m, {5, 17});
}

}  // namespace

void elementwise_cases(Registry& r) {
  // add and sub are linear, and mul is linear in every single element of either operand (the
  // checker moves one at a time): exact differences at a large step. A broadcast operand's
  // gradient is a sum over up to 24 outputs, which kLinear's absolute tolerance allows for.
  binary_cases(
      r, "add", [](const Tensor& a, const Tensor& b) { return ag::add(a, b); }, normal(), kLinear,
      false);
  binary_cases(
      r, "sub", [](const Tensor& a, const Tensor& b) { return ag::sub(a, b); }, normal(), kLinear,
      false);
  binary_cases(
      r, "mul", [](const Tensor& a, const Tensor& b) { return ag::mul(a, b); }, normal(), kLinear,
      false);
  // div: |b| in [0.5, 2] keeps 1/b and a/b^2 moderate (|da| <= 2, |db| <= ~12).
  binary_cases(
      r, "div", [](const Tensor& a, const Tensor& b) { return ag::div(a, b); },
      signed_magnitude(0.5f, 2.0f), kSmooth, true);

  // The operators of core/ops.h, which forward to the functions above.
  r.add({.ops = {"operator+(Tensor, Tensor)", "operator*(Tensor, Tensor)",
                 "operator-(Tensor, Tensor)", "operator/(Tensor, Tensor)", "operator-(Tensor)"},
         .name = "(x + y) * x - x / y - (-y)",
         .inputs = {var({3, 4}, normal()), var({4}, signed_magnitude(0.5f, 2.0f))},
         .forward =
             binary([](const Tensor& x, const Tensor& y) { return (x + y) * x - x / y - (-y); }),
         .gradcheck = kSmooth,
         .parity = kClose,
         .seed = 7,
         .group = "operators"});
  small_unary(
      r,
      {"operator-(float, Tensor)", "operator*(Tensor, float)", "operator+(Tensor, float)",
       "operator/(Tensor, float)", "operator*(float, Tensor)"},
      "2 - (x * 3 + 1) / 4 - 0.5 * x",
      [](const Tensor& x) { return 2.0f - (x * 3.0f + 1.0f) / 4.0f - 0.5f * x; }, uniform(-3, 3),
      kLinear, "operators");
  small_unary(
      r, {"operator-(Tensor, float)"}, "x - 0.25", [](const Tensor& x) { return x - 0.25f; },
      uniform(-3, 3), kLinear, "operators");

  // masked_fill: gradient 1 where the mask is 0, else 0; the mask (a constant) broadcasts.
  // Linear in x: exact differences. (rows.cpp has attention's padding and causal masks.)
  r.add({.ops = {"masked_fill"},
         .name = "masked_fill [3, 4, 5] mask [4, 1] value -3.5",
         .inputs = {var({3, 4, 5}, normal()), constant({4, 1}, fixed("1 0 0 1", padded_mask_4x1))},
         .forward =
             binary([](const Tensor& t, const Tensor& m) { return ag::masked_fill(t, m, -3.5f); }),
         .gradcheck = kLinear,
         .parity = kClose,
         .seed = 8});
  // Same-shape mask with scattered ones, value -1e9 (attention's usage).
  r.add({.ops = {"masked_fill"},
         .name = "masked_fill [5, 17] scattered mask value -1e9",
         .inputs = {var({5, 17}, normal()),
                    constant({5, 17}, fixed("every third 1", scattered_mask_5x17))},
         .forward =
             binary([](const Tensor& t, const Tensor& m) { return ag::masked_fill(t, m, -1e9f); }),
         .gradcheck = kLinear,
         .parity = kClose});

  // Scalar arithmetic.
  scalar_cases(r, "add(Tensor, float)", "add_scalar", "x + 2.5", 2.5f, "x + s",
               [](const Tensor& x, float s) { return ag::add(x, s); });
  scalar_cases(r, "sub(Tensor, float)", "sub_scalar", "x - 2.5", 2.5f, "x - s",
               [](const Tensor& x, float s) { return ag::sub(x, s); });
  scalar_cases(r, "rsub", "rsub", "2.5 - x", 2.5f, "s - x",
               [](const Tensor& x, float s) { return ag::rsub(s, x); });
  scalar_cases(r, "mul(Tensor, float)", "mul_scalar", "x * -1.75", -1.75f, "x * s",
               [](const Tensor& x, float s) { return ag::mul(x, s); });
  scalar_cases(r, "div(Tensor, float)", "div_scalar", "x / 3", 3.0f, "x / s",
               [](const Tensor& x, float s) { return ag::div(x, s); });

  // Elementwise math. Gradcheck: exp on [-4, 4] (values up to e^4 = 55, so the noise grows with
  // them; rtol carries it); log, sqrt on [0.2, 5] (far enough from 0 that the steps stay in the
  // domain and 1/x <= 5). Parity: N(0, 2) inputs, or [0.05, 10) where the domain is positive.
  small_unary(
      r, {"neg"}, "neg", [](const Tensor& x) { return ag::neg(x); }, uniform(-3, 3), kLinear);
  small_unary(
      r, {"exp"}, "exp", [](const Tensor& x) { return ag::exp(x); }, uniform(-4, 4), kSmooth);
  small_unary(
      r, {"log"}, "log", [](const Tensor& x) { return ag::log(x); }, uniform(0.2f, 5.0f), kSmooth);
  small_unary(
      r, {"sqrt"}, "sqrt", [](const Tensor& x) { return ag::sqrt(x); }, uniform(0.2f, 5.0f),
      kSmooth);
  small_unary(
      r, {"pow"}, "pow 2", [](const Tensor& x) { return ag::pow(x, 2.0f); }, uniform(-3, 3),
      kSmooth);
  small_unary(
      r, {"pow"}, "pow 3", [](const Tensor& x) { return ag::pow(x, 3.0f); }, uniform(-3, 3),
      kSmooth);
  small_unary(
      r, {"pow"}, "pow 0.5", [](const Tensor& x) { return ag::pow(x, 0.5f); }, uniform(0.2f, 5.0f),
      kSmooth);
  small_unary(
      r, {"pow"}, "pow -1", [](const Tensor& x) { return ag::pow(x, -1.0f); }, uniform(0.3f, 3.0f),
      kSmooth);
  large_unary(
      r, "neg", "neg", [](const Tensor& x) { return ag::neg(x); }, normal(2.0f), kClose);
  large_unary(
      r, "exp", "exp", [](const Tensor& x) { return ag::exp(x); }, normal(2.0f), kClose);
  large_unary(
      r, "log", "log", [](const Tensor& x) { return ag::log(x); }, uniform(0.05f, 10.0f), kClose);
  large_unary(
      r, "sqrt", "sqrt", [](const Tensor& x) { return ag::sqrt(x); }, uniform(0.05f, 10.0f),
      kClose);
  // Integer exponents (and 0, whose gradient is exactly 0) on signed inputs; fractional and
  // negative ones on positive inputs.
  for (float p : {2.0f, 3.0f, 0.0f}) {
    large_unary(
        r, "pow", "pow " + std::to_string(p), [p](const Tensor& x) { return ag::pow(x, p); },
        normal(2.0f), kClose);
  }
  for (float p : {0.5f, -1.5f, 2.5f}) {
    large_unary(
        r, "pow", "pow " + std::to_string(p), [p](const Tensor& x) { return ag::pow(x, p); },
        uniform(0.2f, 4.0f), kClose);
  }
}

}  // namespace opcases
