// Fused gated units against their two-op compositions: swiglu(a, b) vs silu(a) * b and
// geglu(a, b) vs gelu(a) * b, forward and both gradients, on sizes from 1 element to past the
// CPU kernels' parallel threshold (32768), and the tape they leave (one node vs two).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/ops.h"

namespace {

using ag::Generator;
using ag::Shape;
using ag::Tensor;
using BinaryOpFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// 1 element; 7 (less than one vector); 4097 (one past a power of two); 65536 + 3 (past the
// threshold where the CPU loops split across threads, and not a multiple of any vector width);
// a 3-D shape like the FFN's [batch, seq, hidden].
const std::vector<Shape> kFusedShapes = {{1}, {7}, {4097}, {65539}, {4, 32, 129}};

// Both computations evaluate the same float formula (core/math/gated_units.h vs core/math/unary.h
// and binary.h); only the order of a multiplication or two may differ. 1e-6 relative is a few ulp.
constexpr double kRelTol = 1e-6;

void expect_close(const std::vector<float>& fused, const std::vector<float>& reference,
                  const std::string& what) {
  ASSERT_EQ(fused.size(), reference.size()) << what;
  size_t bad = 0, worst = 0;
  double worst_err = 0.0;
  for (size_t i = 0; i < fused.size(); ++i) {
    const double err = std::fabs(double(fused[i]) - double(reference[i]));
    // The absolute floor covers results that are 0 up to a denormal.
    const double allowed = kRelTol * std::fabs(double(reference[i])) + 1e-30;
    if (!(err <= allowed)) {
      if (err / allowed > worst_err) worst_err = err / allowed, worst = i;
      ++bad;
    }
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << fused.size()
                     << " elements differ by more than 1e-6 relative; worst at " << worst << ": "
                     << fused[worst] << " vs " << reference[worst];
}

struct Result {
  std::vector<float> h, ga, gb;
};

// h = op(a, b) and the gradients of sum(h * r).
Result run(const BinaryOpFn& op, const Tensor& a_in, const Tensor& b_in, const Tensor& r) {
  Tensor a = a_in.clone(), b = b_in.clone();
  a.requires_grad_(true);
  b.requires_grad_(true);
  const Tensor h = op(a, b);
  ag::backward(h, r);
  return {h.to_vector(), a.grad().to_vector(), b.grad().to_vector()};
}

void compare(const BinaryOpFn& fused, const BinaryOpFn& reference, uint64_t seed) {
  for (const Shape& shape : kFusedShapes) {
    SCOPED_TRACE("shape " + ag::to_string(shape));
    Generator gen(seed++);
    // Pre-activations of std 3 reach the saturated tails as well as the curved middle.
    const Tensor a = Tensor::randn(shape, gen, 0.0f, 3.0f), b = Tensor::randn(shape, gen);
    const Tensor r = Tensor::randn(shape, gen);
    const Result f = run(fused, a, b, r), u = run(reference, a, b, r);
    expect_close(f.h, u.h, "forward");
    expect_close(f.ga, u.ga, "gradient of the gate a");
    expect_close(f.gb, u.gb, "gradient of the up projection b");
  }
}

TEST(Fused, swiglu_matches_unfused) {
  compare([](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); },
          [](const Tensor& a, const Tensor& b) { return ag::swiglu_unfused(a, b); }, 10);
  // And the unfused op is what its name says: silu(a) * b.
  compare([](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); },
          [](const Tensor& a, const Tensor& b) { return ag::mul(ag::silu(a), b); }, 20);
}

TEST(Fused, geglu_matches_gelu_times_b) {
  compare([](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); },
          [](const Tensor& a, const Tensor& b) { return ag::mul(ag::gelu(a), b); }, 30);
  compare([](const Tensor& a, const Tensor& b) { return ag::geglu(a, b, ag::GeluApprox::Tanh); },
          [](const Tensor& a, const Tensor& b) {
            return ag::mul(ag::gelu(a, ag::GeluApprox::Tanh), b);
          },
          40);
}

TEST(Fused, gated_matches_act_times_b) {
  using ag::math::UnaryOp;
  compare([](const Tensor& a, const Tensor& b) { return ag::gated(a, b, UnaryOp::Relu); },
          [](const Tensor& a, const Tensor& b) { return ag::mul(ag::relu(a), b); }, 50);
  compare([](const Tensor& a, const Tensor& b) { return ag::gated(a, b, UnaryOp::Mish); },
          [](const Tensor& a, const Tensor& b) { return ag::mul(ag::mish(a), b); }, 60);
}

// Only one operand needing a gradient takes the kernels' one-sided paths.
TEST(Fused, swiglu_one_sided_gradients_match_unfused) {
  Generator gen(70);
  const Shape shape{65539};
  const Tensor a = Tensor::randn(shape, gen, 0.0f, 3.0f), b = Tensor::randn(shape, gen);
  const Tensor r = Tensor::randn(shape, gen);
  for (bool grad_a : {true, false}) {
    SCOPED_TRACE(grad_a ? "gradient for a only" : "gradient for b only");
    std::vector<float> results[2];
    for (int fused = 0; fused < 2; ++fused) {
      Tensor a2 = a.clone(), b2 = b.clone();
      (grad_a ? a2 : b2).requires_grad_(true);
      const Tensor h = fused ? ag::swiglu(a2, b2) : ag::swiglu_unfused(a2, b2);
      ag::backward(h, r);
      EXPECT_FALSE((grad_a ? b2 : a2).grad().defined()) << "a constant received a gradient";
      results[fused] = (grad_a ? a2 : b2).grad().to_vector();
    }
    expect_close(results[1], results[0], "gradient");
  }
}

// The tape: the fused op is one node ("swiglu"), the unfused composition two ("silu", "mul").
TEST(Fused, swiglu_records_one_tape_node) {
  ag::clear_tape();
  Generator gen(80);
  Tensor a = Tensor::randn({4, 33}, gen), b = Tensor::randn({4, 33}, gen);
  a.requires_grad_(true);
  b.requires_grad_(true);

  const Tensor h = ag::swiglu(a, b);
  ASSERT_EQ(ag::tape_nodes().size(), 1u);
  EXPECT_STREQ(ag::tape_nodes()[0].op, "swiglu");
  EXPECT_EQ(ag::tape_nodes()[0].inputs.size(), 2u);
  ag::clear_tape();

  const Tensor hu = ag::swiglu_unfused(a, b);
  ASSERT_EQ(ag::tape_nodes().size(), 2u);
  EXPECT_STREQ(ag::tape_nodes()[0].op, "silu");
  EXPECT_STREQ(ag::tape_nodes()[1].op, "mul");
  ag::clear_tape();

  const Tensor g = ag::geglu(a, b);
  ASSERT_EQ(ag::tape_nodes().size(), 1u);
  EXPECT_STREQ(ag::tape_nodes()[0].op, "geglu");
  ag::clear_tape();
}

// Nothing is recorded for inputs that need no gradient, fused or not.
TEST(Fused, swiglu_records_nothing_without_gradients) {
  ag::clear_tape();
  Generator gen(90);
  const Tensor a = Tensor::randn({7}, gen), b = Tensor::randn({7}, gen);
  const Tensor h = ag::swiglu(a, b), hu = ag::swiglu_unfused(a, b);
  EXPECT_TRUE(ag::tape_nodes().empty());
  EXPECT_FALSE(h.requires_grad());
  EXPECT_FALSE(hu.requires_grad());
}

}  // namespace
