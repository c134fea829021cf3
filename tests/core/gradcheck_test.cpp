// Finite-difference gradient checks of every differentiable op in core/ops.h (issue 3).
//
// Each TEST is named after its op, so `ctest -R <op>` runs it. Every check goes through
// tests/core/gradcheck.h: a random upstream weight r, the op's backward, and
// Richardson-extrapolated central differences of sum(f(x) * r) in double. Zeroing or deleting any
// op's backward makes its test here fail (the gradient would be undefined or zero where the finite
// differences are not).
//
// Tolerances: |analytic - numeric| <= atol + rtol |numeric|, per family below. With step h = 1e-2
// and Richardson extrapolation the truncation error is O(h^4) (~1e-8 for these smooth functions)
// and what remains is float rounding: each output carries ~1 ulp of error, which the difference
// quotient divides by h/2, i.e. ~1e-5 relative to the outputs that move. AG_GRADCHECK_VERBOSE=1
// prints, per check, the worst error as a fraction of its tolerance: the worst check in this file
// uses 37% of its tolerance (Release, and Debug + sanitizers, whose summation order differs),
// while a derivative wrong by 0.1% fails (GradcheckSelfTest), and so does a backward that drops
// or misroutes any gradient (checked by mutating each op's backward in a scratch copy).
//   kSmooth:  elementwise math on O(1) values: 2e-4 absolute + 2e-4 relative.
//   kLinear:  ops that are linear in each single input element (layout, sums, add, mul, matmul,
//             dropout, embedding): the differences are exact up to rounding for any step, so the
//             step is large (4) and not extrapolated, which shrinks the rounding noise ~400x;
//             2e-5 + 2e-5 relative (worst use: 3%).
//   kRows:    row ops (softmax, layer_norm, cross_entropy): a perturbation moves every output of
//             the row (the row's max, sum or variance shifts), so the rounding of all of them
//             enters; step 0.05, 3e-4 + 3e-4 relative.
//   kPiecewiseLinear: relu, leaky_relu with inputs >= 0.05 from the kink: exact differences with
//             a step of 0.04 that never crosses it; 1e-5 + 1e-5 relative.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "core/ops.h"
#include "tests/core/gradcheck.h"

namespace agtest {
namespace {

using ag::GeluApprox;
using ag::math::UnaryOp;

GradCheckOptions tolerance(double atol, double rtol, double step = 1e-2) {
  GradCheckOptions o;
  o.atol = atol;
  o.rtol = rtol;
  o.step = step;
  return o;
}

const GradCheckOptions kSmooth = tolerance(2e-4, 2e-4);
const GradCheckOptions kLinear = [] {
  GradCheckOptions o = tolerance(2e-5, 2e-5, 4.0);
  o.richardson = false;  // nothing to extrapolate away: it would only amplify the rounding
  return o;
}();
const GradCheckOptions kRows = tolerance(3e-4, 3e-4, 0.05);
const GradCheckOptions kPiecewiseLinear = [] {
  GradCheckOptions o = tolerance(1e-5, 1e-5, 0.04);
  o.richardson = false;  // exact on each linear piece
  return o;
}();

// Elementwise shapes: empty-dims scalar, single element, sizes that are not multiples of any
// vector width or block (7, 33, 129, 1031), and a 3-D shape.
const std::vector<Shape> kElementwiseShapes = {{}, {1}, {7}, {33}, {129}, {1031}, {3, 5, 7}};

using UnaryOpFn = std::function<Tensor(const Tensor&)>;
using InputMaker = std::function<Tensor(const Shape&, Generator&)>;

InputMaker uniform_in(float lo, float hi) {
  return [=](const Shape& s, Generator& g) { return uniform_input(s, g, lo, hi); };
}
// Uniform in [lo, hi] but at least 0.05 from 0 (relu-like kinks): the Richardson points lie
// within h = 0.01 of x, so every one of them stays on x's side of the kink.
InputMaker away_from_zero(float lo, float hi) {
  return [=](const Shape& s, Generator& g) { return away_from_kinks(s, g, lo, hi, {0.0f}, 0.05f); };
}
InputMaker positive(float lo, float hi) {
  return uniform_in(lo, hi);
}

// Checks op on every elementwise shape, each with its own seed.
void check_unary(const UnaryOpFn& op, const InputMaker& make, const GradCheckOptions& opt) {
  uint64_t seed = 100;
  for (const Shape& shape : kElementwiseShapes) {
    SCOPED_TRACE("shape " + ag::to_string(shape));
    Generator gen(seed++);
    const Tensor x = make(shape, gen);
    EXPECT_TRUE(gradcheck(unary_fn(op), {x}, gen, opt));
  }
}

// --- the checker itself --------------------------------------------------------------------------

// An op with a deliberately chosen backward: y = fwd(x), dy/dx claimed to be deriv(x).
Tensor custom_unary(const Tensor& x, float (*fwd)(float), float (*deriv)(float)) {
  std::vector<float> v = x.to_vector();
  for (float& e : v) e = fwd(e);
  Tensor y = Tensor::from_vector(v, x.shape());
  ag::record("custom", {x}, y, [x, deriv](const Tensor& gy) {
    std::vector<float> xs = x.to_vector(), g = gy.to_vector();
    for (size_t i = 0; i < g.size(); ++i) g[i] *= deriv(xs[i]);
    ag::accumulate_grad(x, Tensor::from_vector(g, x.shape()));
  });
  return y;
}

float gelu_erf(float x) {
  return ag::math::GeluErfFn{}.forward(x);
}
float gelu_erf_derivative(float x) {
  return ag::math::GeluErfFn{}.derivative(x);
}
float gelu_tanh_derivative(float x) {
  return ag::math::GeluTanhFn{}.derivative(x);
}
float gelu_erf_derivative_0_1_percent_high(float x) {
  return 1.001f * ag::math::GeluErfFn{}.derivative(x);
}

TEST(GradcheckSelfTest, AcceptsTheRightDerivative) {
  Generator gen(1);
  const Tensor x = uniform_input({129}, gen, -4, 4);
  EXPECT_TRUE(gradcheck(
      unary_fn([](const Tensor& t) { return custom_unary(t, gelu_erf, gelu_erf_derivative); }), {x},
      gen, kSmooth));
}

// The tanh form's derivative differs from the erf form's by at most ~2e-3 (x near +-2): close,
// but wrong, and the checker must say so.
TEST(GradcheckSelfTest, RejectsGeluTanhDerivativeForErfForward) {
  Generator gen(2);
  const Tensor x = uniform_input({129}, gen, -4, 4);
  EXPECT_FALSE(gradcheck(
      unary_fn([](const Tensor& t) { return custom_unary(t, gelu_erf, gelu_tanh_derivative); }),
      {x}, gen, kSmooth));
}

TEST(GradcheckSelfTest, RejectsDerivativeOffByATenthOfAPercent) {
  Generator gen(3);
  const Tensor x = uniform_input({129}, gen, -4, 4);
  EXPECT_FALSE(gradcheck(unary_fn([](const Tensor& t) {
                           return custom_unary(t, gelu_erf, gelu_erf_derivative_0_1_percent_high);
                         }),
                         {x}, gen, kSmooth));
}

TEST(GradcheckSelfTest, RejectsMissingGradient) {
  Generator gen(4);
  const Tensor x = uniform_input({7}, gen, -1, 1);
  // detach() cuts the graph: the output does not require a gradient at all.
  EXPECT_FALSE(
      gradcheck(unary_fn([](const Tensor& t) { return ag::exp(t.detach()); }), {x}, gen, kSmooth));
}

// An op whose backward writes a gradient into an input that did not ask for one.
Tensor leaky_gradient_mul(const Tensor& a, const Tensor& b) {
  Tensor y = ag::mul(a.detach(), b.detach());
  ag::record("leaky", {a, b}, y, [a, b](const Tensor& gy) {
    ag::accumulate_grad(a, ag::mul(gy.detach(), b.detach()));
    ag::accumulate_grad(b, ag::mul(gy.detach(), a.detach()));  // wrong: b needs no gradient
  });
  return y;
}

TEST(GradcheckSelfTest, RejectsGradientOnAConstantInput) {
  Generator gen(5);
  const Tensor a = uniform_input({7}, gen, -1, 1), b = uniform_input({7}, gen, -1, 1);
  GradCheckOptions opt = kSmooth;
  opt.wrt = {true, false};
  EXPECT_FALSE(gradcheck(binary_fn(leaky_gradient_mul), {a, b}, gen, opt));
  // mul itself gives a gradient only to the inputs that need one.
  EXPECT_TRUE(gradcheck(binary_fn([](const Tensor& x, const Tensor& y) { return ag::mul(x, y); }),
                        {a, b}, gen, opt));
}

// --- binary arithmetic with broadcasting ---------------------------------------------------------

struct BroadcastCase {
  const char* name;
  Shape a, b;
};
const std::vector<BroadcastCase> kBroadcastCases = {
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

using BinaryOpFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// b_maker draws the second operand (div needs it away from 0).
void check_binary(const BinaryOpFn& op, const InputMaker& b_maker, const GradCheckOptions& opt) {
  uint64_t seed = 200;
  for (const BroadcastCase& c : kBroadcastCases) {
    SCOPED_TRACE(std::string(c.name) + ": " + ag::to_string(c.a) + " op " + ag::to_string(c.b));
    Generator gen(seed++);
    const Tensor a = normal_input(c.a, gen), b = b_maker(c.b, gen);
    EXPECT_TRUE(gradcheck(binary_fn(op), {a, b}, gen, opt));
    // Each operand alone (the other a constant) exercises the one-sided backward paths.
    GradCheckOptions only_a = opt, only_b = opt;
    only_a.wrt = {true, false};
    only_b.wrt = {false, true};
    EXPECT_TRUE(gradcheck(binary_fn(op), {a, b}, gen, only_a));
    EXPECT_TRUE(gradcheck(binary_fn(op), {a, b}, gen, only_b));
  }
}

InputMaker normal_maker() {
  return [](const Shape& s, Generator& g) { return normal_input(s, g); };
}

// add and sub are linear: exact differences at a large step. A broadcast operand's gradient is
// a sum over up to 24 outputs, so the absolute tolerance allows for that sum's rounding.
TEST(GradcheckBinary, add) {
  check_binary([](const Tensor& a, const Tensor& b) { return ag::add(a, b); }, normal_maker(),
               kLinear);
}
TEST(GradcheckBinary, sub) {
  check_binary([](const Tensor& a, const Tensor& b) { return ag::sub(a, b); }, normal_maker(),
               kLinear);
}
// mul is linear in every single element of either operand (the checker moves one at a time),
// so its differences are exact too.
TEST(GradcheckBinary, mul) {
  check_binary([](const Tensor& a, const Tensor& b) { return ag::mul(a, b); }, normal_maker(),
               kLinear);
}
// div: |b| in [0.5, 2] keeps 1/b and a/b^2 moderate (|da| <= 2, |db| <= ~12).
TEST(GradcheckBinary, div) {
  check_binary([](const Tensor& a, const Tensor& b) { return ag::div(a, b); },
               [](const Shape& s, Generator& g) { return signed_magnitude(s, g, 0.5f, 2.0f); },
               kSmooth);
}

TEST(GradcheckBinary, operators) {
  Generator gen(7);
  const Tensor a = normal_input({3, 4}, gen), b = signed_magnitude({4}, gen, 0.5f, 2.0f);
  EXPECT_TRUE(gradcheck(
      binary_fn([](const Tensor& x, const Tensor& y) { return (x + y) * x - x / y - (-y); }),
      {a, b}, gen, kSmooth));
}

// masked_fill: gradient 1 where the mask is 0, else 0; the mask ([4, 1], broadcast over the last
// dim of x [3, 4, 5]) is a constant. Linear in x: exact differences.
TEST(GradcheckBinary, masked_fill) {
  Generator gen(8);
  const Tensor x = normal_input({3, 4, 5}, gen);
  const Tensor mask = Tensor::from_vector({1, 0, 0, 1}, {4, 1});
  GradCheckOptions opt = kLinear;
  opt.wrt = {true, false};
  EXPECT_TRUE(gradcheck(
      binary_fn([](const Tensor& t, const Tensor& m) { return ag::masked_fill(t, m, -3.5f); }),
      {x, mask}, gen, opt));
  // Same-shape mask with scattered ones, value -1e9 (attention's usage).
  const Tensor x2 = normal_input({5, 17}, gen);
  std::vector<float> m2(85);
  for (size_t i = 0; i < m2.size(); ++i) m2[i] = (i * 7) % 3 == 0 ? 1.0f : 0.0f;
  EXPECT_TRUE(gradcheck(
      binary_fn([](const Tensor& t, const Tensor& m) { return ag::masked_fill(t, m, -1e9f); }),
      {x2, Tensor::from_vector(m2, {5, 17})}, gen, opt));
}

// --- scalar arithmetic and elementwise math ------------------------------------------------------

TEST(GradcheckScalar, add_scalar) {
  check_unary([](const Tensor& x) { return ag::add(x, 2.5f); }, uniform_in(-3, 3), kLinear);
}
TEST(GradcheckScalar, sub_scalar) {
  check_unary([](const Tensor& x) { return ag::sub(x, 2.5f); }, uniform_in(-3, 3), kLinear);
}
TEST(GradcheckScalar, rsub_scalar) {
  check_unary([](const Tensor& x) { return ag::rsub(2.5f, x); }, uniform_in(-3, 3), kLinear);
}
TEST(GradcheckScalar, mul_scalar) {
  check_unary([](const Tensor& x) { return ag::mul(x, -1.75f); }, uniform_in(-3, 3), kLinear);
}
TEST(GradcheckScalar, div_scalar) {
  check_unary([](const Tensor& x) { return ag::div(x, 3.0f); }, uniform_in(-3, 3), kLinear);
}
TEST(GradcheckScalar, scalar_operators) {
  check_unary([](const Tensor& x) { return 2.0f - (x * 3.0f + 1.0f) / 4.0f - 0.5f * x; },
              uniform_in(-3, 3), kLinear);
}

TEST(GradcheckUnary, neg) {
  check_unary([](const Tensor& x) { return ag::neg(x); }, uniform_in(-3, 3), kLinear);
}
// exp on [-4, 4]: values up to e^4 = 55, so the noise (relative to the values) grows with them;
// rtol carries it.
TEST(GradcheckUnary, exp) {
  check_unary([](const Tensor& x) { return ag::exp(x); }, uniform_in(-4, 4), kSmooth);
}
// log, sqrt on [0.2, 5]: far enough from 0 that the steps stay in the domain and 1/x <= 5.
TEST(GradcheckUnary, log) {
  check_unary([](const Tensor& x) { return ag::log(x); }, positive(0.2f, 5.0f), kSmooth);
}
TEST(GradcheckUnary, sqrt) {
  check_unary([](const Tensor& x) { return ag::sqrt(x); }, positive(0.2f, 5.0f), kSmooth);
}
TEST(GradcheckUnary, pow_2) {
  check_unary([](const Tensor& x) { return ag::pow(x, 2.0f); }, uniform_in(-3, 3), kSmooth);
}
TEST(GradcheckUnary, pow_3) {
  check_unary([](const Tensor& x) { return ag::pow(x, 3.0f); }, uniform_in(-3, 3), kSmooth);
}
TEST(GradcheckUnary, pow_0_5) {
  check_unary([](const Tensor& x) { return ag::pow(x, 0.5f); }, positive(0.2f, 5.0f), kSmooth);
}
TEST(GradcheckUnary, pow_minus_1) {
  check_unary([](const Tensor& x) { return ag::pow(x, -1.0f); }, positive(0.3f, 3.0f), kSmooth);
}

// --- activations ---------------------------------------------------------------------------------

// Activations are checked on [-6, 6]: both saturated tails and the curved middle.
TEST(GradcheckActivation, relu) {
  check_unary([](const Tensor& x) { return ag::relu(x); }, away_from_zero(-6, 6), kPiecewiseLinear);
}
TEST(GradcheckActivation, leaky_relu) {
  check_unary([](const Tensor& x) { return ag::leaky_relu(x); }, away_from_zero(-6, 6),
              kPiecewiseLinear);
  check_unary([](const Tensor& x) { return ag::leaky_relu(x, 0.2f); }, away_from_zero(-6, 6),
              kPiecewiseLinear);
}
// elu and selu: the derivative jumps at 0 (except elu with alpha = 1, whose second derivative
// jumps), so the inputs keep clear of it.
TEST(GradcheckActivation, elu) {
  check_unary([](const Tensor& x) { return ag::elu(x); }, away_from_zero(-6, 6), kSmooth);
  check_unary([](const Tensor& x) { return ag::elu(x, 0.5f); }, away_from_zero(-6, 6), kSmooth);
}
TEST(GradcheckActivation, selu) {
  check_unary([](const Tensor& x) { return ag::selu(x); }, away_from_zero(-6, 6), kSmooth);
}
TEST(GradcheckActivation, gelu_erf) {
  check_unary([](const Tensor& x) { return ag::gelu(x); }, uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckActivation, gelu_tanh) {
  check_unary([](const Tensor& x) { return ag::gelu(x, GeluApprox::Tanh); }, uniform_in(-6, 6),
              kSmooth);
}
TEST(GradcheckActivation, silu) {
  check_unary([](const Tensor& x) { return ag::silu(x); }, uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckActivation, swish_beta_0_5) {
  check_unary([](const Tensor& x) { return ag::swish(x, 0.5f); }, uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckActivation, swish_beta_1) {
  check_unary([](const Tensor& x) { return ag::swish(x, 1.0f); }, uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckActivation, swish_beta_2) {
  check_unary([](const Tensor& x) { return ag::swish(x, 2.0f); }, uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckActivation, mish) {
  check_unary([](const Tensor& x) { return ag::mish(x); }, uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckActivation, sigmoid) {
  check_unary([](const Tensor& x) { return ag::sigmoid(x); }, uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckActivation, tanh) {
  check_unary([](const Tensor& x) { return ag::tanh(x); }, uniform_in(-6, 6), kSmooth);
}
// softplus switches to the identity where beta x > 20 (PyTorch's threshold); the ranges cross it
// (x = 20 for beta 1, 10 for beta 2) and keep 0.05 away from the switch.
TEST(GradcheckActivation, softplus_beta_1) {
  check_unary([](const Tensor& x) { return ag::softplus(x); },
              [](const Shape& s, Generator& g) {
                return away_from_kinks(s, g, -8.0f, 24.0f, {20.0f}, 0.05f);
              },
              kSmooth);
}
TEST(GradcheckActivation, softplus_beta_2) {
  check_unary([](const Tensor& x) { return ag::softplus(x, 2.0f); },
              [](const Shape& s, Generator& g) {
                return away_from_kinks(s, g, -6.0f, 12.0f, {10.0f}, 0.05f);
              },
              kSmooth);
}
TEST(GradcheckActivation, unary_generic) {
  ag::math::UnaryParams p;
  p.alpha = 0.3f;
  check_unary([p](const Tensor& x) { return ag::unary(x, UnaryOp::Elu, p, "elu_0_3"); },
              away_from_zero(-6, 6), kSmooth);
}

// --- gated linear units --------------------------------------------------------------------------

const std::vector<Shape> kGatedShapes = {{1}, {7}, {33}, {4, 129}, {1031}};

void check_gated(const BinaryOpFn& op, const InputMaker& a_maker, const GradCheckOptions& opt) {
  uint64_t seed = 300;
  for (const Shape& shape : kGatedShapes) {
    SCOPED_TRACE("shape " + ag::to_string(shape));
    Generator gen(seed++);
    const Tensor a = a_maker(shape, gen), b = normal_input(shape, gen);
    EXPECT_TRUE(gradcheck(binary_fn(op), {a, b}, gen, opt));
    // Each operand alone takes the kernels' one-sided paths; the small shapes suffice for that
    // (and keep the suite fast: every checked element costs four evaluations of the op).
    if (a.numel() > 100) continue;
    GradCheckOptions only_a = opt, only_b = opt;
    only_a.wrt = {true, false};
    only_b.wrt = {false, true};
    EXPECT_TRUE(gradcheck(binary_fn(op), {a, b}, gen, only_a));
    EXPECT_TRUE(gradcheck(binary_fn(op), {a, b}, gen, only_b));
  }
}

TEST(GradcheckGated, swiglu) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); }, uniform_in(-6, 6),
              kSmooth);
}
TEST(GradcheckGated, swiglu_unfused) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::swiglu_unfused(a, b); },
              uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckGated, geglu_erf) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); }, uniform_in(-6, 6),
              kSmooth);
}
TEST(GradcheckGated, geglu_tanh) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::geglu(a, b, GeluApprox::Tanh); },
              uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckGated, gated_relu) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::gated(a, b, UnaryOp::Relu); },
              away_from_zero(-6, 6), kSmooth);
}
TEST(GradcheckGated, gated_tanh) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::gated(a, b, UnaryOp::Tanh); },
              uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckGated, gated_sigmoid) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::gated(a, b, UnaryOp::Sigmoid); },
              uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckGated, gated_mish) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::gated(a, b, UnaryOp::Mish); },
              uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckGated, gated_swish_beta_2) {
  ag::math::UnaryParams p;
  p.beta = 2.0f;
  check_gated([p](const Tensor& a, const Tensor& b) { return ag::gated(a, b, UnaryOp::Swish, p); },
              uniform_in(-6, 6), kSmooth);
}
TEST(GradcheckGated, gated_softplus) {
  check_gated([](const Tensor& a, const Tensor& b) { return ag::gated(a, b, UnaryOp::Softplus); },
              uniform_in(-6, 6), kSmooth);
}

// --- matmul --------------------------------------------------------------------------------------

// L = sum(r * (a b)) is linear in every single element of a and of b (the checker perturbs one
// element at a time), so all three checks (a alone, b alone, both) use exact large-step
// differences. Each gradient element sums K or N products of O(1) normals (the shared weight
// sums over the whole batch too): kLinear's tolerances hold with a wide margin (worst use 3%).
void check_matmul(const Shape& sa, const Shape& sb, uint64_t seed) {
  SCOPED_TRACE(ag::to_string(sa) + " x " + ag::to_string(sb));
  Generator gen(seed);
  const Tensor a = normal_input(sa, gen), b = normal_input(sb, gen);
  const MultiFn f = binary_fn([](const Tensor& x, const Tensor& y) { return ag::matmul(x, y); });
  GradCheckOptions only_a = kLinear, only_b = kLinear;
  only_a.wrt = {true, false};
  only_b.wrt = {false, true};
  EXPECT_TRUE(gradcheck(f, {a, b}, gen, only_a));
  EXPECT_TRUE(gradcheck(f, {a, b}, gen, only_b));
  EXPECT_TRUE(gradcheck(f, {a, b}, gen, kLinear));
}

TEST(GradcheckMatmul, matmul_2d) {
  check_matmul({5, 7}, {7, 3}, 400);
  check_matmul({1, 1}, {1, 1}, 401);
  check_matmul({1, 33}, {33, 1}, 402);
  check_matmul({17, 9}, {9, 13}, 403);
}
TEST(GradcheckMatmul, matmul_batched_3d) {
  check_matmul({2, 5, 7}, {2, 7, 3}, 410);
  check_matmul({3, 1, 4}, {3, 4, 6}, 411);
}
TEST(GradcheckMatmul, matmul_batched_4d) {
  check_matmul({2, 3, 4, 5}, {2, 3, 5, 6}, 420);
}
TEST(GradcheckMatmul, matmul_shared_weight) {  // [B, T, K] x [K, N]
  check_matmul({2, 5, 7}, {7, 3}, 430);
  check_matmul({3, 2, 4, 5}, {5, 6}, 431);
}
TEST(GradcheckMatmul, matmul_2d_times_batched) {  // [M, K] x [B, K, N]
  check_matmul({5, 7}, {2, 7, 3}, 440);
  check_matmul({4, 5}, {2, 3, 5, 6}, 441);
}

// --- layout --------------------------------------------------------------------------------------

// Layout ops move values without arithmetic: the gradient is exact, so the tolerances only
// absorb the rounding of the host-side weighted sum.
void check_layout(const MultiFn& f, const std::vector<Tensor>& inputs, uint64_t seed) {
  Generator gen(seed);
  EXPECT_TRUE(gradcheck(f, inputs, gen, kLinear));
}

TEST(GradcheckLayout, reshape) {
  Generator gen(500);
  const Tensor x = normal_input({3, 4, 5}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::reshape(t, {5, -1}); }), {x}, 501);
  check_layout(unary_fn([](const Tensor& t) { return ag::reshape(t, {60}); }), {x}, 502);
  check_layout(unary_fn([](const Tensor& t) { return ag::reshape(t, {2, 1, 30}); }), {x}, 503);
  // A reshape followed by an op that writes a new tensor: the view's gradient must reach x.
  check_layout(unary_fn([](const Tensor& t) {
                 return ag::mul(ag::reshape(t, {12, 5}), 2.0f);
               }),
               {x}, 504);
}

TEST(GradcheckLayout, transpose) {
  Generator gen(510);
  const Tensor x = normal_input({2, 3, 4}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::transpose(t, 0, 2); }), {x}, 511);
  check_layout(unary_fn([](const Tensor& t) { return ag::transpose(t, -1, -2); }), {x}, 512);
  check_layout(unary_fn([](const Tensor& t) { return ag::transpose(t, 1, 1); }), {x}, 513);
  const Tensor m = normal_input({5, 17}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::transpose(t, 0, 1); }), {m}, 514);
}

TEST(GradcheckLayout, permute) {
  Generator gen(520);
  const Tensor x = normal_input({2, 3, 4}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::permute(t, {2, 0, 1}); }), {x}, 521);
  check_layout(unary_fn([](const Tensor& t) { return ag::permute(t, {1, 2, 0}); }), {x}, 522);
  const Tensor y = normal_input({2, 3, 1, 5}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::permute(t, {0, 2, 1, 3}); }), {y}, 523);
  check_layout(unary_fn([](const Tensor& t) { return ag::permute(t, {3, 1, 0, 2}); }), {y}, 524);
}

TEST(GradcheckLayout, slice) {
  Generator gen(530);
  const Tensor x = normal_input({4, 5, 6}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::slice(t, 0, 1, 3); }), {x}, 531);
  check_layout(unary_fn([](const Tensor& t) { return ag::slice(t, 1, 0, 5); }), {x}, 532);
  check_layout(unary_fn([](const Tensor& t) { return ag::slice(t, -1, 2, 5); }), {x}, 533);
  check_layout(unary_fn([](const Tensor& t) { return ag::slice(t, 2, 5, 6); }), {x}, 534);
  const Tensor v = normal_input({1031}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::slice(t, 0, 17, 1000); }), {v}, 535);
}

TEST(GradcheckLayout, split_sizes) {
  Generator gen(540);
  const Tensor x = normal_input({3, 6, 4}, gen);
  for (size_t part = 0; part < 3; ++part) {
    SCOPED_TRACE("part " + std::to_string(part));
    check_layout(unary_fn([part](const Tensor& t) {
                   return ag::split(t, {2, 3, 1}, 1)[part];
                 }),
                 {x}, 541 + part);
    check_layout(unary_fn([part](const Tensor& t) {
                   return ag::split(t, {1, 2}, 0)[part % 2];
                 }),
                 {x}, 545 + part);
  }
}

// Empty parts (a split size of 0, an empty slice, concat with an empty input) are legal and must
// work forward and backward. Under UBSan this test fails: the CPU copy_2d (cpu/layout.cpp) calls
// memcpy with the null data pointer of the 0-element output (Storage allocates nothing for 0
// bytes), which is undefined behaviour even for a length of 0. See the report for the fix.
TEST(GradcheckLayout, split_with_empty_part) {
  Generator gen(548);
  const Tensor x = normal_input({3, 6, 4}, gen);
  for (size_t part : {0, 2}) {
    SCOPED_TRACE("part " + std::to_string(part));
    check_layout(unary_fn([part](const Tensor& t) {
                   return ag::split(t, {1, 0, 2}, 0)[part];
                 }),
                 {x}, 549 + part);
  }
  const std::vector<Tensor> parts = ag::split(x, {1, 0, 2}, 0);
  EXPECT_EQ(parts[1].shape(), (Shape{0, 6, 4}));
  EXPECT_EQ(ag::slice(x, 1, 2, 2).shape(), (Shape{3, 0, 4}));
  check_layout(
      [](const std::vector<Tensor>& in) {
        return ag::concat({in[0], in[1], in[0]}, 1);
      },
      {normal_input({2, 3}, gen), normal_input({2, 0}, gen)}, 552);
}

TEST(GradcheckLayout, split_equal) {
  Generator gen(550);
  const Tensor x = normal_input({5, 7}, gen);
  for (size_t part = 0; part < 3; ++part) {  // 5 rows in chunks of 2: 2, 2, 1
    SCOPED_TRACE("part " + std::to_string(part));
    check_layout(unary_fn([part](const Tensor& t) { return ag::split(t, 2, 0)[part]; }), {x},
                 551 + part);
    check_layout(unary_fn([part](const Tensor& t) { return ag::split(t, 3, -1)[part]; }), {x},
                 555 + part);
  }
}

TEST(GradcheckLayout, concat) {
  Generator gen(560);
  const MultiFn cat0 = [](const std::vector<Tensor>& in) { return ag::concat(in, 0); };
  const MultiFn cat1 = [](const std::vector<Tensor>& in) { return ag::concat(in, 1); };
  const MultiFn cat_last = [](const std::vector<Tensor>& in) { return ag::concat(in, -1); };
  check_layout(
      cat0,
      {normal_input({1, 3, 4}, gen), normal_input({2, 3, 4}, gen), normal_input({3, 3, 4}, gen)},
      561);
  check_layout(
      cat1,
      {normal_input({2, 1, 4}, gen), normal_input({2, 5, 4}, gen), normal_input({2, 2, 4}, gen)},
      562);
  check_layout(
      cat_last,
      {normal_input({2, 3, 3}, gen), normal_input({2, 3, 1}, gen), normal_input({2, 3, 7}, gen)},
      563);
  // A constant among the inputs gets no gradient; the others still do.
  Generator gen2(564);
  GradCheckOptions opt = kLinear;
  opt.wrt = {true, false, true};
  EXPECT_TRUE(gradcheck(
      cat1,
      {normal_input({2, 1, 4}, gen), normal_input({2, 5, 4}, gen), normal_input({2, 2, 4}, gen)},
      gen2, opt));
}

// --- reductions ----------------------------------------------------------------------------------

// Sums are linear; a summed output of n normals has magnitude ~sqrt(n) and ulp-level rounding.
TEST(GradcheckReduce, sum_one_dim) {
  Generator gen(600);
  const Tensor x = normal_input({3, 4, 5}, gen);
  for (int64_t d : {0, 1, 2, -1}) {
    SCOPED_TRACE("dim " + std::to_string(d));
    check_layout(unary_fn([d](const Tensor& t) { return ag::sum(t, {d}); }), {x}, 601);
    check_layout(unary_fn([d](const Tensor& t) { return ag::sum(t, {d}, true); }), {x}, 602);
  }
  const Tensor rows = normal_input({5, 17}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum(t, {1}); }), {rows}, 603);
}
TEST(GradcheckReduce, sum_several_dims) {
  Generator gen(610);
  const Tensor x = normal_input({3, 4, 5, 2}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum(t, {0, 2}); }), {x}, 611);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum(t, {1, 3}, true); }), {x}, 612);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum(t, {0, 1, 2, 3}); }), {x}, 613);
}
TEST(GradcheckReduce, sum_all) {
  Generator gen(620);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum(t); }), {normal_input({3, 4, 5}, gen)},
               621);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum(t); }), {normal_input({1031}, gen)},
               622);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum(t); }), {normal_input({}, gen)}, 623);
}
TEST(GradcheckReduce, mean_one_dim) {
  Generator gen(630);
  const Tensor x = normal_input({3, 4, 5}, gen);
  for (int64_t d : {0, 1, 2, -1}) {
    SCOPED_TRACE("dim " + std::to_string(d));
    check_layout(unary_fn([d](const Tensor& t) { return ag::mean(t, {d}); }), {x}, 631);
    check_layout(unary_fn([d](const Tensor& t) { return ag::mean(t, {d}, true); }), {x}, 632);
  }
}
TEST(GradcheckReduce, mean_several_dims) {
  Generator gen(640);
  const Tensor x = normal_input({3, 4, 5, 2}, gen);
  check_layout(unary_fn([](const Tensor& t) { return ag::mean(t, {0, 2}); }), {x}, 641);
  check_layout(unary_fn([](const Tensor& t) { return ag::mean(t, {-1, 1}, true); }), {x}, 642);
}
TEST(GradcheckReduce, mean_all) {
  Generator gen(650);
  check_layout(unary_fn([](const Tensor& t) { return ag::mean(t); }),
               {normal_input({3, 4, 5}, gen)}, 651);
  check_layout(unary_fn([](const Tensor& t) { return ag::mean(t); }), {normal_input({1031}, gen)},
               652);
}
TEST(GradcheckReduce, expand) {
  Generator gen(660);
  check_layout(unary_fn([](const Tensor& t) {
                 return ag::expand(t, {2, 3, 4, 5});
               }),
               {normal_input({3, 1, 5}, gen)}, 661);
  check_layout(unary_fn([](const Tensor& t) {
                 return ag::expand(t, {3, 5});
               }),
               {normal_input({5}, gen)}, 662);
  check_layout(unary_fn([](const Tensor& t) {
                 return ag::expand(t, {2, 3});
               }),
               {normal_input({}, gen)}, 663);
  check_layout(unary_fn([](const Tensor& t) {
                 return ag::expand(t, {4, 7});
               }),
               {normal_input({4, 7}, gen)}, 664);
}
TEST(GradcheckReduce, sum_to) {
  Generator gen(670);
  check_layout(unary_fn([](const Tensor& t) {
                 return ag::sum_to(t, {3, 1, 5});
               }),
               {normal_input({2, 3, 4, 5}, gen)}, 671);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum_to(t, {5}); }),
               {normal_input({4, 5}, gen)}, 672);
  check_layout(unary_fn([](const Tensor& t) { return ag::sum_to(t, {}); }),
               {normal_input({2, 3}, gen)}, 673);
  check_layout(unary_fn([](const Tensor& t) {
                 return ag::sum_to(t, {2, 3});
               }),
               {normal_input({2, 3}, gen)}, 674);
}

// --- row-wise ops --------------------------------------------------------------------------------

// softmax / log_softmax over the last dim (rows x cols 5 x 17 and 1 x 1031), a middle dim and the
// first dim (strided rows). Inputs of std 2 make rows with a dominant entry as well as flat ones.
void check_softmax_family(bool log) {
  const auto op = [log](int64_t dim) {
    return unary_fn([log, dim](const Tensor& t) {
      return log ? ag::log_softmax(t, dim) : ag::softmax(t, dim);
    });
  };
  Generator gen(log ? 710 : 700);
  struct Case {
    Shape shape;
    int64_t dim;
    double step;
  };
  // The 1031-wide row takes a large step: moving one x_j shifts every log_softmax output (~ -9,
  // ulp 1e-6) by a tiny amount, and their independent roundings add up to ~1e-5 in L, which a
  // step of 0.05 would turn into 1e-3 of noise. With std-1 inputs each x_j has a weight
  // p_j < 0.02 in that row, so the truncation error of the large step stays small.
  for (const Case& c : std::vector<Case>{{{5, 17}, -1, 0.05},
                                         {{1, 1031}, -1, 0.5},
                                         {{7}, 0, 0.05},
                                         {{4, 1}, 1, 0.05},
                                         {{3, 7, 5}, 1, 0.05},
                                         {{3, 7, 5}, 0, 0.05},
                                         {{2, 3, 4, 5}, 2, 0.05}}) {
    SCOPED_TRACE(ag::to_string(c.shape) + " dim " + std::to_string(c.dim));
    const Tensor x = normal_input(c.shape, gen, c.shape.back() > 1000 ? 1.0f : 2.0f);
    GradCheckOptions opt = kRows;
    opt.step = c.step;
    EXPECT_TRUE(gradcheck(op(c.dim), {x}, gen, opt));
  }
}

TEST(GradcheckRows, softmax) {
  check_softmax_family(false);
}
TEST(GradcheckRows, log_softmax) {
  check_softmax_family(true);
}

// layer_norm: gradients for x, weight and bias together and each alone; without the affine part;
// rows of 1 column are not included (the normalised value is identically 0 there).
TEST(GradcheckRows, layer_norm_affine) {
  Generator gen(720);
  const MultiFn f = [](const std::vector<Tensor>& in) {
    return ag::layer_norm(in[0], in[1], in[2]);
  };
  for (const Shape& shape : std::vector<Shape>{{5, 17}, {2, 3, 33}, {1, 4}, {129}}) {
    SCOPED_TRACE(ag::to_string(shape));
    const Shape vec{shape.back()};
    const Tensor x = normal_input(shape, gen, 1.5f);
    const Tensor w = uniform_input(vec, gen, 0.5f, 1.5f), b = normal_input(vec, gen);
    EXPECT_TRUE(gradcheck(f, {x, w, b}, gen, kRows));
    for (const std::vector<bool>& wrt :
         {std::vector<bool>{true, false, false}, std::vector<bool>{false, true, false},
          std::vector<bool>{false, false, true}}) {
      GradCheckOptions opt = kRows;
      opt.wrt = wrt;
      EXPECT_TRUE(gradcheck(f, {x, w, b}, gen, opt));
    }
  }
}

TEST(GradcheckRows, layer_norm_no_affine) {
  Generator gen(730);
  const MultiFn f = unary_fn([](const Tensor& t) { return ag::layer_norm(t, Tensor(), Tensor()); });
  for (const Shape& shape : std::vector<Shape>{{5, 17}, {2, 3, 33}, {2}}) {
    SCOPED_TRACE(ag::to_string(shape));
    EXPECT_TRUE(gradcheck(f, {normal_input(shape, gen)}, gen, kRows));
  }
  // Weight only, bias only.
  const Tensor x = normal_input({5, 17}, gen), w = uniform_input({17}, gen, 0.5f, 1.5f);
  EXPECT_TRUE(gradcheck(
      [](const std::vector<Tensor>& in) { return ag::layer_norm(in[0], in[1], Tensor()); }, {x, w},
      gen, kRows));
  EXPECT_TRUE(gradcheck(
      [](const std::vector<Tensor>& in) { return ag::layer_norm(in[0], Tensor(), in[1]); },
      {x, normal_input({17}, gen)}, gen, kRows));
}

TEST(GradcheckRows, cross_entropy) {
  Generator gen(740);
  const MultiFn f = [](const std::vector<Tensor>& in) { return ag::cross_entropy(in[0], in[1]); };
  for (const Shape& shape : std::vector<Shape>{{5, 7}, {1, 3}, {33, 2}, {3, 129}}) {
    SCOPED_TRACE(ag::to_string(shape));
    const Tensor logits = normal_input(shape, gen, 2.0f);
    const Tensor targets = index_input({shape[0]}, gen, int32_t(shape[1]));
    EXPECT_TRUE(gradcheck(f, {logits, targets}, gen, kRows));
  }
}

// --- embedding -----------------------------------------------------------------------------------

// Repeated indices: the weight gradient of a row used k times is the sum of k upstream rows.
// Linear in the weight: exact differences.
TEST(GradcheckEmbedding, embedding) {
  Generator gen(800);
  const MultiFn f = [](const std::vector<Tensor>& in) { return ag::embedding(in[0], in[1]); };
  const Tensor weight = normal_input({7, 5}, gen);
  const Tensor repeated = Tensor::from_indices({0, 3, 3, 6, 1, 3, 0, 3, 2, 6, 6, 3}, {2, 6});
  EXPECT_TRUE(gradcheck(f, {weight, repeated}, gen, kLinear));
  EXPECT_TRUE(gradcheck(f, {weight, Tensor::from_indices({4}, {1})}, gen, kLinear));
  EXPECT_TRUE(
      gradcheck(f, {normal_input({33, 3}, gen), index_input({4, 9}, gen, 33)}, gen, kLinear));
}

// --- dropout -------------------------------------------------------------------------------------

// The gradient of dropout is the mask of its own forward, scaled: gx = gy * keep / (1 - p).
TEST(GradcheckDropout, dropout_gradient_is_the_output_mask) {
  const float p = 0.3f;
  Generator data_gen(900);
  // Values away from 0, so a zero output can only mean a dropped element.
  Tensor x = away_from_kinks({1031}, data_gen, -2.0f, 2.0f, {0.0f}, 0.05f);
  x.requires_grad_(true);
  Generator gen(901);
  const Tensor y = ag::dropout(x, p, gen);
  const Tensor r = normal_input({1031}, data_gen);
  ag::backward(y, r);
  const std::vector<float> xs = x.to_vector(), ys = y.to_vector(), rs = r.to_vector(),
                           gs = x.grad().to_vector();
  int dropped = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (ys[i] == 0.0f) {
      ++dropped;
      EXPECT_EQ(gs[i], 0.0f) << "element " << i << " was dropped but passes a gradient";
    } else {
      // Kept: y = x / (1 - p) and gx = r / (1 - p), to float rounding of the division.
      EXPECT_NEAR(ys[i], xs[i] / (1.0f - p), 1e-6f * std::fabs(ys[i])) << "element " << i;
      EXPECT_NEAR(gs[i], rs[i] / (1.0f - p), 1e-6f * std::fabs(gs[i]) + 1e-7f) << "element " << i;
    }
  }
  // Binomial(1031, 0.3): mean 309.3, sd 14.7; 5 sd either side.
  EXPECT_NEAR(dropped, 309.3, 5 * 14.7);
}

TEST(GradcheckDropout, dropout_finite_differences) {
  for (const Shape& shape : std::vector<Shape>{{1}, {7}, {129}, {1031}, {3, 5, 7}}) {
    SCOPED_TRACE(ag::to_string(shape));
    Generator data_gen(910);
    const Tensor x = normal_input(shape, data_gen);
    // Every evaluation restarts the generator at the same state, so each sees the same mask.
    Generator mask_gen(911);
    const MultiFn f = unary_fn([&mask_gen](const Tensor& t) {
      mask_gen.set_state(911, 0);
      return ag::dropout(t, 0.3f, mask_gen);
    });
    EXPECT_TRUE(gradcheck(f, {x}, data_gen, kLinear));
  }
}

// p = 1 drops everything: zeros forward and backward (not 0 * inf = NaN from the 1 / (1 - p)).
TEST(GradcheckDropout, dropout_p_one_drops_everything) {
  Generator data_gen(930), mask_gen(931);
  Tensor x = normal_input({129}, data_gen);
  x.requires_grad_(true);
  const Tensor y = ag::dropout(x, 1.0f, mask_gen);
  ag::backward(y, normal_input({129}, data_gen));
  EXPECT_EQ(y.to_vector(), std::vector<float>(129, 0.0f));
  EXPECT_EQ(x.grad().to_vector(), std::vector<float>(129, 0.0f));
}

TEST(GradcheckDropout, dropout_p_zero_and_eval_are_identity) {
  Generator data_gen(920), mask_gen(921);
  const Tensor x = normal_input({33}, data_gen);
  EXPECT_TRUE(gradcheck(unary_fn([&](const Tensor& t) { return ag::dropout(t, 0.0f, mask_gen); }),
                        {x}, data_gen, kLinear));
  EXPECT_TRUE(
      gradcheck(unary_fn([&](const Tensor& t) { return ag::dropout(t, 0.5f, mask_gen, false); }),
                {x}, data_gen, kLinear));
}

}  // namespace
}  // namespace agtest
