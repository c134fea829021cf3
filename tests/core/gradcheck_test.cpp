// The finite-difference checker of tests/ops/gradcheck.h checked itself: it accepts a right
// derivative and rejects one that is slightly wrong, a missing gradient, and a gradient given to a
// constant. And the checks of ops that are no finite-difference case: dropout's gradient is its
// own mask, p = 1 drops everything, empty parts of split and slice have the right shapes.
//
// The finite-difference checks of every differentiable op of core/ops.h are cases of the op
// registry (tests/ops/cases_*.cpp, tolerance families in tests/ops/tolerances.h), run by
// op_gradcheck_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/ops.h"
#include "tests/ops/gradcheck.h"
#include "tests/ops/tolerances.h"

namespace agtest {
namespace {

using opcases::kSmooth;

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

// Empty parts (a split size of 0, an empty slice, concat with an empty input) are legal; the
// registry's layout cases check their gradients. Under UBSan this once failed: the CPU copy_2d
// called memcpy with the null data pointer of a 0-element output (Storage allocates nothing for 0
// bytes), which is undefined behaviour even for a length of 0.
TEST(GradcheckLayout, split_with_empty_part) {
  Generator gen(548);
  const Tensor x = normal_input({3, 6, 4}, gen);
  const std::vector<Tensor> parts = ag::split(x, {1, 0, 2}, 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].shape(), (Shape{1, 6, 4}));
  EXPECT_EQ(parts[1].shape(), (Shape{0, 6, 4}));
  EXPECT_EQ(parts[2].shape(), (Shape{2, 6, 4}));
  EXPECT_EQ(ag::slice(x, 1, 2, 2).shape(), (Shape{3, 0, 4}));
  EXPECT_EQ(ag::concat({normal_input({2, 3}, gen), normal_input({2, 0}, gen)}, 1).shape(),
            (Shape{2, 3}));
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

}  // namespace
}  // namespace agtest
