// CUDA vs CPU on extreme inputs: finite values up to |x| = 100 (e^x overflows past 88.7) mixed
// with NaN, +inf and -inf. NaN and +-inf must come out at exactly the same positions on both
// devices, forward and backward, and the finite values must agree to 1e-5 of their norm.
//
// Why positions can be demanded exactly: both backends evaluate the same per-element formulas
// (core/math), and whether a sum is NaN or +-inf does not depend on the order of its terms (NaN
// absorbs, inf + -inf is NaN in any order, finite partial sums of |x| <= 100 cannot overflow), so
// reductions, row ops and gemm classify every element the same way whatever their summation
// order. Inputs avoid the last bits around e^x's overflow threshold (see parity::extreme), where a
// fused multiply-add could legitimately flip a result between FLT_MAX and inf.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::GeluApprox;
using ag::Generator;
using ag::Shape;
using ag::Tensor;
using parity::check;
using parity::check_multi;
using parity::constant;
using parity::extreme;
using parity::extreme_inputs;
using parity::seed_of;
using parity::shape_str;
using parity::var;

using UnaryFn = std::function<Tensor(const Tensor&)>;

const std::vector<Shape> kShapes = {{1}, {7}, {257}, {4099}, {5, 129}};

void check_unary_extreme(const std::string& name, const UnaryFn& f) {
  for (const Shape& s : kShapes) {
    const std::string what = name + " extreme " + shape_str(s);
    check(
        what, [f](const std::vector<Tensor>& xs) { return f(xs[0]); },
        {var(extreme(s, seed_of(what)))}, extreme_inputs());
  }
}

TEST(CudaParityExtreme, extreme_inputs_hold_every_kind) {
  SKIP_WITHOUT_CUDA();
  const std::vector<float> v = extreme({4099}, 1).to_vector();
  int nan = 0, pinf = 0, ninf = 0, big = 0;
  for (float x : v) {
    nan += std::isnan(x);
    pinf += std::isinf(x) && x > 0;
    ninf += std::isinf(x) && x < 0;
    big += std::isfinite(x) && std::fabs(x) > 89.5f;
    if (std::isfinite(x)) {
      EXPECT_LE(std::fabs(x), 100.0f);
      EXPECT_FALSE(std::fabs(x) > 87.5f && std::fabs(x) < 89.5f) << x;
    }
  }
  EXPECT_GT(nan, 50);
  EXPECT_GT(pinf, 50);
  EXPECT_GT(ninf, 50);
  EXPECT_GT(big, 50);  // finite values past exp's overflow threshold
}

TEST(CudaParityExtreme, unary_arithmetic) {
  SKIP_WITHOUT_CUDA();
  const std::vector<std::pair<std::string, UnaryFn>> ops = {
      {"neg", [](const Tensor& x) { return ag::neg(x); }},
      {"exp", [](const Tensor& x) { return ag::exp(x); }},
      {"log", [](const Tensor& x) { return ag::log(x); }},
      {"sqrt", [](const Tensor& x) { return ag::sqrt(x); }},
      {"pow 2", [](const Tensor& x) { return ag::pow(x, 2.0f); }},
      {"pow 3", [](const Tensor& x) { return ag::pow(x, 3.0f); }},
      {"pow 0.5", [](const Tensor& x) { return ag::pow(x, 0.5f); }},
      {"pow -1.5", [](const Tensor& x) { return ag::pow(x, -1.5f); }},
      {"x + s", [](const Tensor& x) { return ag::add(x, 1.7f); }},
      {"x - s", [](const Tensor& x) { return ag::sub(x, 1.7f); }},
      {"s - x", [](const Tensor& x) { return ag::rsub(1.7f, x); }},
      {"x * s", [](const Tensor& x) { return ag::mul(x, -0.3f); }},
      {"x / s", [](const Tensor& x) { return ag::div(x, -0.3f); }},
  };
  for (const auto& [name, f] : ops) check_unary_extreme(name, f);
}

TEST(CudaParityExtreme, activations) {
  SKIP_WITHOUT_CUDA();
  const std::vector<std::pair<std::string, UnaryFn>> ops = {
      {"relu", [](const Tensor& x) { return ag::relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return ag::leaky_relu(x, 0.1f); }},
      {"elu", [](const Tensor& x) { return ag::elu(x); }},
      {"selu", [](const Tensor& x) { return ag::selu(x); }},
      {"gelu", [](const Tensor& x) { return ag::gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return ag::gelu(x, GeluApprox::Tanh); }},
      {"silu", [](const Tensor& x) { return ag::silu(x); }},
      {"swish 1.7", [](const Tensor& x) { return ag::swish(x, 1.7f); }},
      {"mish", [](const Tensor& x) { return ag::mish(x); }},
      {"sigmoid", [](const Tensor& x) { return ag::sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return ag::tanh(x); }},
      {"softplus", [](const Tensor& x) { return ag::softplus(x); }},
      {"softplus 2", [](const Tensor& x) { return ag::softplus(x, 2.0f); }},
  };
  for (const auto& [name, f] : ops) check_unary_extreme(name, f);
}

TEST(CudaParityExtreme, binary_with_broadcasting) {
  SKIP_WITHOUT_CUDA();
  using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;
  const std::vector<std::pair<std::string, BinaryFn>> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return ag::add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return ag::sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return ag::mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return ag::div(a, b); }},
  };
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{257}, {257}}, {{4099}, {4099}}, {{7, 33}, {33}}, {{4, 1, 33}, {1, 7, 1}}, {{5, 129}, {}}};
  for (const auto& [name, op] : ops) {
    for (const auto& [sa, sb] : shapes) {
      const std::string what = name + " extreme " + shape_str(sa) + " " + shape_str(sb);
      check(
          what, [op](const std::vector<Tensor>& xs) { return op(xs[0], xs[1]); },
          {var(extreme(sa, seed_of(what + "a"))), var(extreme(sb, seed_of(what + "b")))},
          extreme_inputs());
    }
  }
  // masked_fill on extreme x with a random 0/1 mask [4, 1, 1, 33].
  std::vector<float> m(4 * 33);
  Generator gen(5);
  for (float& f : m) f = gen.uniform() < 0.3f ? 1.0f : 0.0f;
  check(
      "masked_fill extreme",
      [](const std::vector<Tensor>& xs) { return ag::masked_fill(xs[0], xs[1], -1e9f); },
      {var(extreme({4, 3, 33, 33}, 6)), constant(Tensor::from_vector(m, {4, 1, 1, 33}))},
      extreme_inputs());
}

TEST(CudaParityExtreme, gated) {
  SKIP_WITHOUT_CUDA();
  using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;
  const std::vector<std::pair<std::string, BinaryFn>> ops = {
      {"swiglu", [](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); }},
      {"swiglu_unfused", [](const Tensor& a, const Tensor& b) { return ag::swiglu_unfused(a, b); }},
      {"geglu", [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); }},
      {"geglu_tanh",
       [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b, GeluApprox::Tanh); }},
      {"gated mish",
       [](const Tensor& a, const Tensor& b) { return ag::gated(a, b, ag::math::UnaryOp::Mish); }},
  };
  for (const auto& [name, op] : ops) {
    for (const Shape& s : kShapes) {
      const std::string what = name + " extreme " + shape_str(s);
      // b finite (the usual case: an extreme gate) and b extreme as well.
      check(
          what + " finite b", [op](const std::vector<Tensor>& xs) { return op(xs[0], xs[1]); },
          {var(extreme(s, seed_of(what))), var(parity::randn(s, seed_of(what + "b")))},
          extreme_inputs());
      check(
          what + " extreme b", [op](const std::vector<Tensor>& xs) { return op(xs[0], xs[1]); },
          {var(extreme(s, seed_of(what))), var(extreme(s, seed_of(what + "b")))}, extreme_inputs());
    }
  }
}

TEST(CudaParityExtreme, rows) {
  SKIP_WITHOUT_CUDA();
  // Few specials per row (so that some rows stay finite): a NaN or +inf poisons its whole row,
  // a -inf alone is a masked position.
  struct Case {
    Shape shape;
    int64_t dim;
    double special;
  };
  for (const Case& c : std::vector<Case>{{{7, 33}, -1, 0.005},
                                         {{5, 129}, -1, 0.002},
                                         {{3, 1025}, -1, 0.0002},
                                         {{3, 33, 5}, 1, 0.005}}) {
    const std::string tag = shape_str(c.shape) + " dim " + std::to_string(c.dim);
    const int64_t dim = c.dim;
    const Tensor x = extreme(c.shape, seed_of(tag), c.special);
    // Values up to +-100 saturate a softmax row (one y ~ 1, the rest ~ 0), and its gradient
    // y (dy - sum dy y) is then a difference of two nearly equal O(1) numbers: a last-bit change
    // in the sum (another summation order) is ~1e-5 of the small result. The positions of NaN/inf
    // are still compared exactly; the finite values to 1e-3 of their norm.
    parity::ParityOptions saturated = extreme_inputs();
    saturated.grads.tol = 1e-3;
    check(
        "softmax extreme " + tag,
        [dim](const std::vector<Tensor>& xs) { return ag::softmax(xs[0], dim); }, {var(x)},
        saturated);
    check(
        "log_softmax extreme " + tag,
        [dim](const std::vector<Tensor>& xs) { return ag::log_softmax(xs[0], dim); }, {var(x)},
        extreme_inputs());
    if (dim == -1) {
      const int64_t cols = c.shape.back();
      check(
          "layer_norm extreme " + tag,
          [](const std::vector<Tensor>& xs) { return ag::layer_norm(xs[0], xs[1], xs[2]); },
          {var(x), var(parity::randn({cols}, seed_of(tag + "w"))),
           var(parity::randn({cols}, seed_of(tag + "b")))},
          extreme_inputs());
      check(
          "layer_norm extreme, no affine " + tag,
          [](const std::vector<Tensor>& xs) { return ag::layer_norm(xs[0], Tensor(), Tensor()); },
          {var(x)}, extreme_inputs());
    }
  }
}

TEST(CudaParityExtreme, reductions_and_matmul) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = extreme({7, 33}, 21, 0.005);
  check(
      "sum dim 1 extreme", [](const std::vector<Tensor>& xs) { return ag::sum(xs[0], {1}); },
      {var(x)}, extreme_inputs());
  check(
      "sum dim 0 extreme", [](const std::vector<Tensor>& xs) { return ag::sum(xs[0], {0}); },
      {var(x)}, extreme_inputs());
  check(
      "mean dim 1 keepdim extreme",
      [](const std::vector<Tensor>& xs) { return ag::mean(xs[0], {1}, true); }, {var(x)},
      extreme_inputs());
  check(
      "sum all extreme", [](const std::vector<Tensor>& xs) { return ag::sum(xs[0]); }, {var(x)},
      extreme_inputs());
  check(
      "sum_squares extreme", [](const std::vector<Tensor>& xs) { return ag::sum_squares(xs[0]); },
      {constant(x)}, extreme_inputs());
  check(
      "sum_squares finite extreme",
      [](const std::vector<Tensor>& xs) { return ag::sum_squares(xs[0]); },
      {constant(parity::uniform({4099}, 22, -100.0f, 100.0f))}, extreme_inputs());
  check(
      "matmul extreme", [](const std::vector<Tensor>& xs) { return ag::matmul(xs[0], xs[1]); },
      {var(x), var(extreme({33, 5}, 23, 0.005))}, extreme_inputs());
  check(
      "matmul extreme a, finite b",
      [](const std::vector<Tensor>& xs) { return ag::matmul(xs[0], xs[1]); },
      {var(x), var(parity::randn({33, 17}, 24))}, extreme_inputs());
}

TEST(CudaParityExtreme, cross_entropy) {
  SKIP_WITHOUT_CUDA();
  const parity::Fn ce = [](const std::vector<Tensor>& xs) {
    return ag::cross_entropy(xs[0], xs[1]);
  };
  // With NaN and +inf the mean loss is NaN on both devices; the gradient rows of the other
  // samples stay finite.
  const Tensor logits = extreme({33, 7}, 31, 0.01);
  check("cross_entropy extreme", ce, {var(logits), constant(parity::indices({33}, 32, 7))},
        extreme_inputs());
  // Only -inf among finite logits up to +-100 (masked classes), targets on finite logits: a
  // finite loss.
  std::vector<float> v = logits.to_vector();
  for (float& f : v)
    if (!std::isfinite(f)) f = -std::numeric_limits<float>::infinity();
  std::vector<int32_t> targets(33, 0);
  for (int64_t n = 0; n < 33; ++n) {
    int32_t t = 0;
    while (t < 7 && !std::isfinite(v[size_t(n * 7 + t)])) ++t;
    ASSERT_LT(t, 7) << "row " << n << " has no finite logit";
    targets[size_t(n)] = t;
  }
  check("cross_entropy -inf logits", ce,
        {var(Tensor::from_vector(v, {33, 7})), constant(Tensor::from_indices(targets, {33}))},
        extreme_inputs());
}

TEST(CudaParityExtreme, dropout_embedding_argmax) {
  SKIP_WITHOUT_CUDA();
  // dropout: y = x * scale(mask) exactly as backend.h specifies, so a dropped NaN or inf is
  // NaN (x * 0) on both devices, like PyTorch's mask multiply.
  check(
      "dropout extreme",
      [](const std::vector<Tensor>& xs) {
        Generator gen(41);
        return ag::dropout(xs[0], 0.5f, gen);
      },
      {var(extreme({4099}, 42))}, extreme_inputs());
  // embedding gathers NaN and inf rows bit for bit.
  parity::ParityOptions gather = extreme_inputs();
  gather.forward.exact = true;
  check(
      "embedding extreme",
      [](const std::vector<Tensor>& xs) { return ag::embedding(xs[0], xs[1]); },
      {var(extreme({50, 33}, 43)), constant(parity::indices({4, 65}, 44, 50))}, gather);
  // argmax with NaN (the first NaN wins) and inf.
  check("argmax extreme", [](const std::vector<Tensor>& xs) { return ag::argmax(xs[0]); },
        {constant(extreme({65, 33}, 45))});
}

}  // namespace
