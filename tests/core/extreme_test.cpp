// Extreme inputs: the activations and the exp-based ops must stay finite (no NaN from an exp that
// overflows to inf and then meets a 0), saturate to the right limits, and pass NaN through.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/ops.h"

namespace {

using ag::Tensor;
using ag::math::UnaryOp;
using UnaryOpFn = std::function<Tensor(const Tensor&)>;

// 0, +-1e-30 (tiny: x^3 underflows), +-1, +-20 (softplus threshold), +-88.7 (e^88.7 is just
// below FLT_MAX), +-89 and +-100 (e^x overflows), +-104 (e^-104 underflows past the smallest
// denormal).
const std::vector<float> kExtremes = {0.0f,   1e-30f, -1e-30f, 1.0f,   -1.0f,
                                      20.0f,  -20.0f, 88.7f,   -88.7f, 89.0f,
                                      -89.0f, 100.0f, -100.0f, 104.0f, -104.0f};

struct Activation {
  const char* name;
  UnaryOpFn op;
  // The limits for x -> +inf and x -> -inf in terms of x: y ~ slope * x + offset.
  double slope_pos, offset_pos, slope_neg, offset_neg;
  // Derivative limits for x -> +inf and x -> -inf.
  double d_pos, d_neg;
};

const double kSeluScale = 1.0507009873554804934, kSeluAlpha = 1.6732632423543772848;

const std::vector<Activation>& activations() {
  static const std::vector<Activation> acts = {
      {"relu", [](const Tensor& x) { return ag::relu(x); }, 1, 0, 0, 0, 1, 0},
      {"leaky_relu", [](const Tensor& x) { return ag::leaky_relu(x, 0.1f); }, 1, 0, 0.1, 0, 1, 0.1},
      {"elu", [](const Tensor& x) { return ag::elu(x); }, 1, 0, 0, -1, 1, 0},
      {"selu", [](const Tensor& x) { return ag::selu(x); }, kSeluScale, 0, 0,
       -kSeluScale * kSeluAlpha, kSeluScale, 0},
      {"gelu_erf", [](const Tensor& x) { return ag::gelu(x); }, 1, 0, 0, 0, 1, 0},
      {"gelu_tanh", [](const Tensor& x) { return ag::gelu(x, ag::GeluApprox::Tanh); }, 1, 0, 0, 0,
       1, 0},
      {"silu", [](const Tensor& x) { return ag::silu(x); }, 1, 0, 0, 0, 1, 0},
      {"swish_beta_0_5", [](const Tensor& x) { return ag::swish(x, 0.5f); }, 1, 0, 0, 0, 1, 0},
      {"swish_beta_2", [](const Tensor& x) { return ag::swish(x, 2.0f); }, 1, 0, 0, 0, 1, 0},
      {"mish", [](const Tensor& x) { return ag::mish(x); }, 1, 0, 0, 0, 1, 0},
      {"sigmoid", [](const Tensor& x) { return ag::sigmoid(x); }, 0, 1, 0, 0, 0, 0},
      {"tanh", [](const Tensor& x) { return ag::tanh(x); }, 0, 1, 0, -1, 0, 0},
      {"softplus", [](const Tensor& x) { return ag::softplus(x); }, 1, 0, 0, 0, 1, 0},
      {"softplus_beta_2", [](const Tensor& x) { return ag::softplus(x, 2.0f); }, 1, 0, 0, 0, 1, 0},
      // act(a) * b with b = 1: the fused kernels' own formulas
      {"swiglu", [](const Tensor& x) { return ag::swiglu(x, Tensor::ones(x.shape())); }, 1, 0, 0, 0,
       1, 0},
      {"geglu", [](const Tensor& x) { return ag::geglu(x, Tensor::ones(x.shape())); }, 1, 0, 0, 0,
       1, 0},
      {"geglu_tanh",
       [](const Tensor& x) { return ag::geglu(x, Tensor::ones(x.shape()), ag::GeluApprox::Tanh); },
       1, 0, 0, 0, 1, 0},
      {"gated_mish",
       [](const Tensor& x) { return ag::gated(x, Tensor::ones(x.shape()), UnaryOp::Mish); }, 1, 0,
       0, 0, 1, 0},
  };
  return acts;
}

bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

std::string show(const std::vector<float>& xs, const std::vector<float>& ys) {
  std::string s;
  for (size_t i = 0; i < xs.size(); ++i)
    s += "\n  x=" + std::to_string(xs[i]) + " -> " + std::to_string(ys[i]);
  return s;
}

TEST(Extreme, activations_finite_values_and_gradients) {
  for (const Activation& act : activations()) {
    SCOPED_TRACE(act.name);
    Tensor x = Tensor::from_vector(kExtremes, {int64_t(kExtremes.size())});
    x.requires_grad_(true);
    const Tensor y = act.op(x);
    ag::backward(y, Tensor::ones(y.shape()));
    const std::vector<float> ys = y.to_vector(), gs = x.grad().to_vector();
    EXPECT_TRUE(all_finite(ys)) << "values:" << show(kExtremes, ys);
    EXPECT_TRUE(all_finite(gs)) << "gradients:" << show(kExtremes, gs);
  }
}

// At |x| = 100 every activation has reached its asymptote in float32: y = slope x + offset and
// y' = its limit, to float rounding (1e-5 relative to the values, which reach 100).
TEST(Extreme, activations_saturate_to_their_limits) {
  for (const Activation& act : activations()) {
    SCOPED_TRACE(act.name);
    Tensor x = Tensor::from_vector({100.0f, -100.0f, 104.0f, -104.0f}, {4});
    x.requires_grad_(true);
    const Tensor y = act.op(x);
    ag::backward(y, Tensor::ones(y.shape()));
    const std::vector<float> ys = y.to_vector(), gs = x.grad().to_vector();
    const double xs[] = {100, -100, 104, -104};
    for (size_t i = 0; i < 4; ++i) {
      const bool pos = xs[i] > 0;
      const double expect =
          pos ? act.slope_pos * xs[i] + act.offset_pos : act.slope_neg * xs[i] + act.offset_neg;
      EXPECT_NEAR(ys[i], expect, 1e-5 * std::fabs(expect) + 1e-6) << "x = " << xs[i];
      EXPECT_NEAR(gs[i], pos ? act.d_pos : act.d_neg, 1e-6) << "derivative at x = " << xs[i];
    }
  }
}

TEST(Extreme, activations_propagate_nan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const Activation& act : activations()) {
    SCOPED_TRACE(act.name);
    const std::vector<float> ys = act.op(Tensor::from_vector({nan, 1.0f, nan}, {3})).to_vector();
    EXPECT_TRUE(std::isnan(ys[0]) && std::isnan(ys[2])) << ys[0] << ", " << ys[2];
    EXPECT_FALSE(std::isnan(ys[1]));
  }
  // relu in particular (a max(x, 0) written as x > 0 ? x : 0 would turn NaN into 0).
  EXPECT_TRUE(std::isnan(ag::relu(Tensor::scalar(nan)).item()));
  EXPECT_TRUE(std::isnan(ag::exp(Tensor::scalar(nan)).item()));
  EXPECT_TRUE(std::isnan(ag::softmax(Tensor::from_vector({nan, 1.0f}, {2})).at({1})));
}

TEST(Extreme, exp_overflows_to_inf_not_nan) {
  Tensor x = Tensor::from_vector({88.7f, 89.0f, 100.0f, -100.0f, -104.0f, -1000.0f}, {6});
  x.requires_grad_(true);
  const Tensor y = ag::exp(x);
  ag::backward(y, Tensor::ones(y.shape()));
  const std::vector<float> ys = y.to_vector(), gs = x.grad().to_vector();
  EXPECT_TRUE(std::isfinite(ys[0]));
  EXPECT_NEAR(ys[0] / std::exp(double(88.7f)), 1.0, 1e-6);  // 88.7f is 88.69999695
  for (size_t i : {1, 2}) {
    EXPECT_EQ(ys[i], INFINITY) << "exp(" << x.at({int64_t(i)}) << ")";
    EXPECT_EQ(gs[i], INFINITY);
  }
  EXPECT_NEAR(ys[3], std::exp(-100.0), 1e-45);  // a denormal, not flushed: 3.7e-44
  EXPECT_EQ(ys[4], 0.0f);
  EXPECT_EQ(ys[5], 0.0f);
  EXPECT_EQ(gs[5], 0.0f);
}

// --- row-wise ops --------------------------------------------------------------------------------

TEST(Extreme, softmax_of_huge_spread) {
  Tensor x = Tensor::from_vector({1000.0f, 0.0f, -1000.0f}, {3});
  x.requires_grad_(true);
  const Tensor y = ag::softmax(x);
  ag::backward(y, Tensor::from_vector({1.0f, -2.0f, 0.5f}, {3}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1.0f, 0.0f, 0.0f}));
  // dx = y (dy - sum dy y) = [1 * (1 - 1), 0, 0]
  EXPECT_TRUE(all_finite(x.grad().to_vector()));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0.0f, 0.0f, 0.0f}));

  Tensor x2 = Tensor::from_vector({1000.0f, 0.0f, -1000.0f}, {3});
  x2.requires_grad_(true);
  const Tensor ly = ag::log_softmax(x2);
  ag::backward(ly, Tensor::from_vector({1.0f, -2.0f, 0.5f}, {3}));
  EXPECT_EQ(ly.to_vector(), (std::vector<float>{0.0f, -1000.0f, -2000.0f}));
  // dx = dy - e^y sum(dy) = [1 + 0.5, -2, 0.5]
  EXPECT_EQ(x2.grad().to_vector(), (std::vector<float>{1.5f, -2.0f, 0.5f}));
}

// Attention masks with -inf (or -1e9) must leave the unmasked entries a proper distribution.
TEST(Extreme, softmax_with_masked_entries) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> y =
      ag::softmax(Tensor::from_vector({-inf, 0.0f, -inf, 0.0f, -1e9f}, {5})).to_vector();
  EXPECT_EQ(y, (std::vector<float>{0.0f, 0.5f, 0.0f, 0.5f, 0.0f}));
  // A fully masked row has no distribution: NaN, like PyTorch (not an exception or garbage).
  for (float v : ag::softmax(Tensor::from_vector({-inf, -inf}, {2})).to_vector())
    EXPECT_TRUE(std::isnan(v));
}

TEST(Extreme, cross_entropy_with_huge_logits) {
  Tensor logits = Tensor::from_vector(
      {1000.0f, -1000.0f, 0.0f, -1e4f, 1e4f, 5.0f, 88.0f, 89.0f, -104.0f}, {3, 3});
  logits.requires_grad_(true);
  const Tensor loss = ag::cross_entropy(logits, Tensor::from_indices({1, 0, 1}, {3}));
  ag::backward(loss);
  // Row losses: 1000 - (-1000) = 2000;  1e4 - (-1e4) = 2e4;  logsumexp(88, 89) - 89 = log(1 + e^-1)
  const double expected = (2000.0 + 2e4 + std::log1p(std::exp(-1.0))) / 3.0;
  EXPECT_NEAR(loss.item(), expected, 1e-6 * expected);
  const std::vector<float> g = logits.grad().to_vector();
  EXPECT_TRUE(all_finite(g));
  // dx = (softmax - onehot) / 3
  const double p88 = 1.0 / (1.0 + std::exp(1.0));
  const std::vector<double> expected_grad = {1.0 / 3, -1.0 / 3,          0, -1.0 / 3, 1.0 / 3, 0,
                                             p88 / 3, (1 - p88 - 1) / 3, 0};
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], expected_grad[i], 1e-6) << i;
}

TEST(Extreme, layer_norm_of_constant_row) {
  Tensor x = Tensor::from_vector({5.0f, 5.0f, 5.0f, 5.0f, -1e6f, -1e6f, -1e6f, -1e6f}, {2, 4});
  Tensor w = Tensor::from_vector({1.0f, 2.0f, 3.0f, 4.0f}, {4});
  Tensor b = Tensor::from_vector({0.5f, -0.5f, 0.0f, 1.0f}, {4});
  for (Tensor* t : {&x, &w, &b}) t->requires_grad_(true);
  const Tensor y = ag::layer_norm(x, w, b);
  ag::backward(y, Tensor::from_vector({1, -1, 2, 0.5f, 1, 1, 1, 1}, {2, 4}));
  // Variance 0: xhat = 0, so y = bias exactly, and the gradients stay finite (rstd = 1/sqrt(eps)).
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0.5f, -0.5f, 0.0f, 1.0f, 0.5f, -0.5f, 0.0f, 1.0f}));
  EXPECT_TRUE(all_finite(x.grad().to_vector()));
  EXPECT_TRUE(all_finite(w.grad().to_vector()));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{2.0f, 0.0f, 3.0f, 1.5f}));
}

TEST(Extreme, sigmoid_and_tanh_at_float_limits) {
  const float big = std::numeric_limits<float>::max();
  const std::vector<float> s = ag::sigmoid(Tensor::from_vector({big, -big}, {2})).to_vector();
  EXPECT_EQ(s, (std::vector<float>{1.0f, 0.0f}));
  const std::vector<float> t = ag::tanh(Tensor::from_vector({big, -big}, {2})).to_vector();
  EXPECT_EQ(t, (std::vector<float>{1.0f, -1.0f}));
}

}  // namespace
