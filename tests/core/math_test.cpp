// The shared math of core/math (what both the CPU and the CUDA kernels compute), checked one
// scalar at a time against double-precision references: exp_f32 and sigmoid_f32 over the whole
// float range, every unary functor's value and derivative, and the optimizer update rules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "core/math/exp.h"
#include "core/math/gated_units.h"
#include "core/math/optimizer_updates.h"
#include "core/math/unary.h"
#include "core/ops.h"

namespace {

using ag::math::UnaryOp;
using ag::math::UnaryParams;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kFltMin = 1.1754943508222875e-38;  // smallest normal float

// --- exp_f32 -------------------------------------------------------------------------------------

// A dense sweep: 4 million points over [-104, 89], i.e. ~5e-5 apart, which visits every
// reduction interval n = round(x / ln 2) thousands of times. Where the result is a normal float
// the relative error is at most ~2 ulp (2^-23 = 1.19e-7 per ulp), so 3e-7. Where it is denormal
// (x < -87.34) the float grid itself is coarser: the error is at most 2 units of the smallest
// denormal 2^-149 on top of that.
TEST(MathExp, matches_std_exp_over_the_float_range) {
  const int n = 4'000'000;
  double worst_rel = 0.0, worst_rel_x = 0.0;
  int bad_denormal = 0;
  for (int i = 0; i <= n; ++i) {
    const float x = -104.0f + 193.0f * float(i) / float(n);
    const double ref = std::exp(double(x));
    const float got = ag::math::exp_f32(x);
    if (ref > double(std::numeric_limits<float>::max())) {
      EXPECT_EQ(got, kInf) << "x = " << x;
      continue;
    }
    if (ref >= kFltMin) {
      const double rel = std::fabs(double(got) - ref) / ref;
      if (rel > worst_rel) worst_rel = rel, worst_rel_x = x;
    } else if (std::fabs(double(got) - ref) > 3e-7 * ref + 2 * std::ldexp(1.0, -149)) {
      ++bad_denormal;
    }
  }
  char worst[32];
  std::snprintf(worst, sizeof worst, "%.3g", worst_rel);
  RecordProperty("exp_f32_max_rel_error", worst);
  EXPECT_LE(worst_rel, 3e-7) << "at x = " << worst_rel_x;
  EXPECT_EQ(bad_denormal, 0);
}

TEST(MathExp, edges) {
  using ag::math::exp_f32;
  EXPECT_EQ(exp_f32(0.0f), 1.0f);
  EXPECT_EQ(exp_f32(-0.0f), 1.0f);
  EXPECT_EQ(exp_f32(89.0f), kInf);
  EXPECT_EQ(exp_f32(88.8f), kInf);
  EXPECT_EQ(exp_f32(1000.0f), kInf);
  EXPECT_EQ(exp_f32(kInf), kInf);
  EXPECT_TRUE(std::isfinite(exp_f32(88.72f)));  // e^88.72 = 3.38e38 < FLT_MAX = 3.40e38
  EXPECT_NEAR(exp_f32(88.72f) / std::exp(double(88.72f)), 1.0, 3e-7);
  EXPECT_EQ(exp_f32(-105.0f), 0.0f);
  EXPECT_EQ(exp_f32(-1000.0f), 0.0f);
  EXPECT_EQ(exp_f32(-kInf), 0.0f);
  EXPECT_TRUE(std::isnan(exp_f32(kNaN)));
  // Denormal results (not flushed to zero): e^-100 = 3.72e-44 is 26.6 units of 2^-149.
  EXPECT_NEAR(exp_f32(-100.0f), std::exp(-100.0), 1.5 * std::ldexp(1.0, -149));
  EXPECT_GT(exp_f32(-100.0f), 0.0f);
  EXPECT_NEAR(exp_f32(-90.0f), std::exp(double(-90.0f)), 1e-6 * std::exp(-90.0));
  EXPECT_NEAR(exp_f32(-103.0f), std::exp(-103.0), 1.5 * std::ldexp(1.0, -149));
  // Exact at small integers up to the float rounding of e^k.
  for (int k = -10; k <= 10; ++k)
    EXPECT_NEAR(exp_f32(float(k)), std::exp(double(k)), 2.4e-7 * std::exp(double(k))) << k;
}

TEST(MathExp, sigmoid_f32_finite_and_monotone_everywhere) {
  using ag::math::sigmoid_f32;
  std::vector<float> xs = {-kInf, -std::numeric_limits<float>::max(), -1e30f,
                           kInf,  std::numeric_limits<float>::max(),  1e30f};
  for (int i = 0; i <= 400000; ++i) xs.push_back(-200.0f + 400.0f * float(i) / 400000.0f);
  float previous = -1.0f;
  double worst = 0.0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const float s = sigmoid_f32(xs[i]);
    ASSERT_TRUE(std::isfinite(s)) << "sigmoid(" << xs[i] << ") = " << s;
    ASSERT_GE(s, 0.0f);
    ASSERT_LE(s, 1.0f);
    if (i >= 6) {  // the sweep is increasing: so is sigmoid
      ASSERT_GE(s, previous) << "x = " << xs[i];
      previous = s;
      const double ref = 1.0 / (1.0 + std::exp(-double(xs[i])));
      if (ref > kFltMin) worst = std::max(worst, std::fabs(s - ref) / ref);
    }
  }
  EXPECT_EQ(sigmoid_f32(-kInf), 0.0f);
  EXPECT_EQ(sigmoid_f32(kInf), 1.0f);
  EXPECT_EQ(sigmoid_f32(0.0f), 0.5f);
  EXPECT_TRUE(std::isnan(sigmoid_f32(kNaN)));
  // exp, one add and one division, each within ~1 ulp.
  EXPECT_LE(worst, 5e-7);
}

// --- unary functors ------------------------------------------------------------------------------

struct FunctorCase {
  const char* name;
  UnaryOp op;
  UnaryParams params;
  double lo, hi;                            // the grid
  std::vector<double> kinks;                // points where the derivative (or a higher one) jumps
  std::function<double(double)> reference;  // the function in double, from its closed form
};

constexpr auto with_scalar = &UnaryParams::with_scalar;
constexpr auto with_alpha = &UnaryParams::with_alpha;
constexpr auto with_beta = &UnaryParams::with_beta;

double sigma(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double softplus(double x, double beta) {
  return beta * x > 20 ? x : std::log1p(std::exp(beta * x)) / beta;
}

const double kSeluScale = 1.0507009873554804934, kSeluAlpha = 1.6732632423543772848;

const std::vector<FunctorCase>& functor_cases() {
  static const std::vector<FunctorCase> cases = {
      {"neg", UnaryOp::Neg, {}, -8, 8, {}, [](double x) { return -x; }},
      {"exp", UnaryOp::Exp, {}, -8, 8, {}, [](double x) { return std::exp(x); }},
      {"log", UnaryOp::Log, {}, 0.05, 8, {}, [](double x) { return std::log(x); }},
      {"sqrt", UnaryOp::Sqrt, {}, 0.05, 8, {}, [](double x) { return std::sqrt(x); }},
      {"pow_2", UnaryOp::Pow, with_scalar(2), -8, 8, {}, [](double x) { return x * x; }},
      {"pow_3", UnaryOp::Pow, with_scalar(3), -8, 8, {}, [](double x) { return x * x * x; }},
      {"pow_0_5",
       UnaryOp::Pow,
       with_scalar(0.5f),
       0.05,
       8,
       {},
       [](double x) { return std::sqrt(x); }},
      {"pow_minus_1", UnaryOp::Pow, with_scalar(-1), 0.05, 8, {}, [](double x) { return 1 / x; }},
      {"pow_0", UnaryOp::Pow, with_scalar(0), 0.05, 8, {}, [](double) { return 1.0; }},
      {"add_scalar",
       UnaryOp::AddScalar,
       with_scalar(2.5f),
       -8,
       8,
       {},
       [](double x) { return x + 2.5; }},
      {"sub_scalar",
       UnaryOp::SubScalar,
       with_scalar(2.5f),
       -8,
       8,
       {},
       [](double x) { return x - 2.5; }},
      {"rsub_scalar",
       UnaryOp::RSubScalar,
       with_scalar(2.5f),
       -8,
       8,
       {},
       [](double x) { return 2.5 - x; }},
      {"mul_scalar",
       UnaryOp::MulScalar,
       with_scalar(-1.75f),
       -8,
       8,
       {},
       [](double x) { return -1.75 * x; }},
      {"div_scalar",
       UnaryOp::DivScalar,
       with_scalar(4.0f),
       -8,
       8,
       {},
       [](double x) { return x / 4; }},
      {"relu", UnaryOp::Relu, {}, -8, 8, {0}, [](double x) { return x > 0 ? x : 0.0; }},
      {"leaky_relu",
       UnaryOp::LeakyRelu,
       with_alpha(0.01f),
       -8,
       8,
       {0},
       [](double x) { return x > 0 ? x : 0.01 * x; }},
      {"elu",
       UnaryOp::Elu,
       with_alpha(1.0f),
       -8,
       8,
       {0},
       [](double x) { return x > 0 ? x : std::expm1(x); }},
      {"elu_0_5",
       UnaryOp::Elu,
       with_alpha(0.5f),
       -8,
       8,
       {0},
       [](double x) { return x > 0 ? x : 0.5 * std::expm1(x); }},
      {"selu",
       UnaryOp::Selu,
       {},
       -8,
       8,
       {0},
       [](double x) { return kSeluScale * (x > 0 ? x : kSeluAlpha * std::expm1(x)); }},
      {"gelu_erf",
       UnaryOp::GeluErf,
       {},
       -8,
       8,
       {},
       [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {"gelu_tanh",
       UnaryOp::GeluTanh,
       {},
       -8,
       8,
       {},
       [](double x) {
         return 0.5 * x *
                (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
       }},
      {"silu", UnaryOp::Swish, with_beta(1), -8, 8, {}, [](double x) { return x * sigma(x); }},
      {"swish_0_5",
       UnaryOp::Swish,
       with_beta(0.5f),
       -8,
       8,
       {},
       [](double x) { return x * sigma(0.5 * x); }},
      {"swish_2",
       UnaryOp::Swish,
       with_beta(2),
       -8,
       8,
       {},
       [](double x) { return x * sigma(2 * x); }},
      {"mish",
       UnaryOp::Mish,
       {},
       -8,
       8,
       {},
       [](double x) { return x * std::tanh(std::log1p(std::exp(x))); }},
      {"sigmoid", UnaryOp::Sigmoid, {}, -8, 8, {}, sigma},
      {"tanh", UnaryOp::Tanh, {}, -8, 8, {}, [](double x) { return std::tanh(x); }},
      {"softplus",
       UnaryOp::Softplus,
       with_beta(1),
       -8,
       24,
       {20},
       [](double x) { return softplus(x, 1); }},
      {"softplus_2",
       UnaryOp::Softplus,
       with_beta(2),
       -8,
       12,
       {10},
       [](double x) { return softplus(x, 2); }},
  };
  return cases;
}

// The grid: every 0.01 over [lo, hi], skipping points within 2h of a kink.
std::vector<float> grid(const FunctorCase& c, double h) {
  std::vector<float> xs;
  for (double x = c.lo; x <= c.hi + 1e-9; x += 0.01) {
    bool near_kink = false;
    for (double k : c.kinks) near_kink |= std::fabs(x - k) < 2 * h;
    if (!near_kink) xs.push_back(float(x));
  }
  return xs;
}

// Every functor covers its UnaryOp: the case list above must name all of them.
TEST(MathUnary, every_op_has_a_case) {
  std::vector<bool> seen(size_t(UnaryOp::Softplus) + 1, false);
  for (const FunctorCase& c : functor_cases()) seen[size_t(c.op)] = true;
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "UnaryOp " << i;
}

// forward() against the closed form in double: float evaluation of O(1) formulas, a few ulp.
// Relative 2e-6 plus an absolute 1e-6 for results that cancel towards 0 (x + 2.5 near -2.5, or
// gelu's tails where the float erf is 1 - tiny).
TEST(MathUnary, forward_matches_the_closed_form) {
  for (const FunctorCase& c : functor_cases()) {
    SCOPED_TRACE(c.name);
    int bad = 0;
    for (float x : grid(c, 0.0)) {
      const double ref = c.reference(double(x));
      const double got = ag::math::unary_value(c.op, c.params, x);
      if (!(std::fabs(got - ref) <= 2e-6 * std::fabs(ref) + 1e-6)) {
        if (++bad <= 3) ADD_FAILURE() << "f(" << x << ") = " << got << ", expected " << ref;
      }
    }
    EXPECT_EQ(bad, 0);
  }
}

// derivative() against a central difference of forward(): the float functor is evaluated at
// x +- h (h = 1e-3) and the difference taken in double. Truncation h^2/6 |f'''| is < 1e-6 for
// these functions on the grid; rounding is ~1 ulp of f divided by 2h: 3e-5 for |f| ~ 1 and
// 0.06 for exp(8) = 2981, i.e. 2e-5 relative. So 1e-3 relative, plus 1e-4 absolute where f'
// crosses 0 (silu's minimum) or f ~ 8 makes the rounding 2.4e-4 per ulp / 2e-3.
TEST(MathUnary, derivative_matches_central_difference_of_forward) {
  const double h = 1e-3;
  for (const FunctorCase& c : functor_cases()) {
    SCOPED_TRACE(c.name);
    int bad = 0;
    for (float x : grid(c, h)) {
      const float xp = float(double(x) + h), xm = float(double(x) - h);
      const double fd = (double(ag::math::unary_value(c.op, c.params, xp)) -
                         double(ag::math::unary_value(c.op, c.params, xm))) /
                        (double(xp) - double(xm));
      const double d = ag::math::unary_derivative(c.op, c.params, x);
      if (!(std::fabs(d - fd) <= 1e-3 * std::fabs(fd) + 1e-4 * (1 + std::fabs(x) / 8))) {
        if (++bad <= 3) ADD_FAILURE() << "f'(" << x << ") = " << d << ", differences say " << fd;
      }
    }
    EXPECT_EQ(bad, 0);
  }
}

// At the kinks, the conventions of PyTorch.
TEST(MathUnary, derivatives_at_kinks_follow_pytorch) {
  const auto d = [](UnaryOp op, UnaryParams p, float x) {
    return ag::math::unary_derivative(op, p, x);
  };
  EXPECT_EQ(d(UnaryOp::Relu, {}, 0.0f), 0.0f);
  EXPECT_EQ(d(UnaryOp::LeakyRelu, with_alpha(0.01f), 0.0f), 0.01f);
  EXPECT_EQ(d(UnaryOp::Elu, with_alpha(0.5f), 0.0f), 0.5f);
  EXPECT_FLOAT_EQ(d(UnaryOp::Selu, {}, 0.0f), float(kSeluScale * kSeluAlpha));
  EXPECT_EQ(d(UnaryOp::Pow, with_scalar(0), 0.0f), 0.0f);  // d x^0/dx = 0, even at 0
  EXPECT_EQ(d(UnaryOp::Pow, with_scalar(2), 0.0f), 0.0f);
  EXPECT_EQ(d(UnaryOp::Softplus, with_beta(1), 25.0f), 1.0f);  // the linear region
}

// --- gated units (core/math/gated_units.h) -------------------------------------------------------

// gated_backward's fused value-and-derivative (it shares SiLU's sigmoid) against the functor's own.
TEST(MathGated, backward_matches_functor_derivative) {
  for (float beta : {0.5f, 1.0f, 2.0f}) {
    const ag::math::SwishFn act{beta};
    for (int i = -800; i <= 800; ++i) {
      const float a = 0.01f * float(i), b = 1.5f, dh = -0.75f;
      float da = 0, db = 0;
      ag::math::gated_backward(act, a, b, dh, da, db);
      EXPECT_FLOAT_EQ(da, dh * b * act.derivative(a)) << "a = " << a;
      EXPECT_FLOAT_EQ(db, dh * act.forward(a)) << "a = " << a;
    }
  }
}

// --- optimizers ----------------------------------------------------------------------------------

// PyTorch's AdamW (torch.optim.AdamW, foreach=False), written out in double:
//   p *= 1 - lr wd;  m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
struct AdamState {
  double p, m = 0, v = 0;
};
void adamw_reference(AdamState& s, double g, int t, double lr, double b1, double b2, double eps,
                     double wd) {
  s.p *= 1 - lr * wd;
  s.m = b1 * s.m + (1 - b1) * g;
  s.v = b2 * s.v + (1 - b2) * g * g;
  const double denom = std::sqrt(s.v) / std::sqrt(1 - std::pow(b2, t)) + eps;
  s.p -= lr / (1 - std::pow(b1, t)) * s.m / denom;
}

TEST(MathOptim, adamw_two_steps_match_pytorch_formula) {
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
  const std::vector<float> p0 = {0.5f, -1.25f};
  const std::vector<std::vector<float>> grads = {{0.2f, 3.0f}, {-0.4f, -0.001f}};
  // The engine's op on a 2-element tensor.
  ag::Tensor p = ag::Tensor::from_vector(p0, {2});
  ag::Tensor m = ag::Tensor::zeros({2}), v = ag::Tensor::zeros({2});
  AdamState ref[2] = {{p0[0]}, {p0[1]}};
  for (int t = 1; t <= 2; ++t) {
    const std::vector<float>& g = grads[size_t(t - 1)];
    ag::adamw_step(p, ag::Tensor::from_vector(g, {2}), m, v,
                   ag::math::make_adamw_step(lr, b1, b2, eps, wd, t));
    for (size_t i = 0; i < 2; ++i) adamw_reference(ref[i], g[i], t, lr, b1, b2, eps, wd);
    const std::vector<float> pv = p.to_vector(), mv = m.to_vector(), vv = v.to_vector();
    for (size_t i = 0; i < 2; ++i) {
      SCOPED_TRACE("step " + std::to_string(t) + ", element " + std::to_string(i));
      // float32 state: a few ulp of O(1) numbers (the update itself is ~1e-3, so an error in
      // the formula shows up at 1e-5 or more).
      EXPECT_NEAR(pv[i], ref[i].p, 3e-7);
      EXPECT_NEAR(mv[i], ref[i].m, 1e-7 * std::fabs(ref[i].m) + 1e-9);
      EXPECT_NEAR(vv[i], ref[i].v, 1e-6 * std::fabs(ref[i].v) + 1e-12);
    }
  }
  // And torch 1.13 itself (torch.optim.AdamW, float64, same settings) after two steps:
  EXPECT_NEAR(p.at({0}), 0.499356113615, 3e-7);
  EXPECT_NEAR(p.at({1}), -1.25164480017, 3e-7);
  // The reference formula is torch's (up to the float rounding of lr, betas and gradients).
  EXPECT_NEAR(ref[0].p, 0.499356113615, 1e-9);
  EXPECT_NEAR(ref[1].p, -1.25164480017, 1e-9);
  // The first step by hand for element 0: p = 0.5 (1 - 1e-5) = 0.499995; m = 0.02; v = 4e-5;
  // m_hat = 0.2, sqrt(v_hat) = 0.2, so the step is lr * 1 and p = 0.498995 (torch: 0.49899500005).
  AdamState first{0.5};
  adamw_reference(first, 0.2, 1, lr, b1, b2, eps, wd);
  EXPECT_NEAR(first.p, 0.49899500005, 1e-9);
}

// PyTorch's SGD (momentum 0.9, dampening 0, weight decay 0.01, first step buf = g):
//   g += wd p;  buf = t == 1 ? g : momentum buf + g;  p -= lr buf
TEST(MathOptim, sgd_two_steps_match_pytorch) {
  ag::Tensor p = ag::Tensor::from_vector({0.5f, -1.25f}, {2});
  ag::Tensor buf = ag::Tensor::zeros({2});
  const std::vector<std::vector<float>> grads = {{0.2f, 3.0f}, {-0.4f, -0.001f}};
  for (int t = 1; t <= 2; ++t) {
    ag::sgd_step(p, ag::Tensor::from_vector(grads[size_t(t - 1)], {2}), buf,
                 ag::math::SgdStep{0.1f, 0.9f, 0.01f, t == 1});
  }
  // torch 1.13, torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01), float64, two steps.
  EXPECT_NEAR(p.at({0}), 0.5005705, 3e-7);
  EXPECT_NEAR(p.at({1}), -1.81597625, 3e-7);
  EXPECT_NEAR(buf.at({0}), -0.210705, 3e-7);
  EXPECT_NEAR(buf.at({1}), 2.6722625, 1e-6);
}

}  // namespace
