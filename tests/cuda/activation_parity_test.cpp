// CUDA vs CPU: activations (forward and gradient) and the gated units (fused swiglu, geglu and
// gated() against the CPU, and fused against unfused SwiGLU/GeGLU on CUDA and across devices).
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::GeluApprox;
using ag::Shape;
using ag::Tensor;
using ag::math::UnaryOp;
using ag::math::UnaryParams;
using parity::check;
using parity::seed_of;
using parity::shape_str;
using parity::var;

using UnaryFn = std::function<Tensor(const Tensor&)>;
using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// Inputs ~ Normal(0, std), except a single element ([] and [1]): it alone makes the norm, so it
// is drawn from [0.5, 3), away from the zeros of every activation and derivative. (Near such a
// zero, gelu' = Phi(x) + x phi(x) is the difference of two O(0.2) terms: last-bit differences of
// erff or expf between the backends would be a large fraction of the tiny result.)
Tensor activation_input(const Shape& s, uint64_t seed, float stddev) {
  return ag::numel_of(s) <= 1 ? parity::uniform(s, seed, 0.5f, 3.0f)
                              : parity::randn(s, seed, stddev);
}

// Normal(0, 3) on every elementwise shape (both sides of every kink and saturation, up to
// 1<<20 + 3 elements), plus a uniform [-30, 30] sweep that reaches softplus' linear threshold
// (beta x > 20) and the flat tails of sigmoid, tanh, elu and gelu.
void check_activation(const std::string& name, const UnaryFn& f) {
  const parity::Fn fn = [f](const std::vector<Tensor>& xs) { return f(xs[0]); };
  for (const Shape& s : parity::elementwise_shapes(true)) {
    const std::string what = name + " " + shape_str(s);
    check(what, fn, {var(activation_input(s, seed_of(what), 3.0f))});
  }
  const std::string what = name + " uniform [-30, 30]";
  check(what, fn, {var(parity::uniform({4099}, seed_of(what), -30.0f, 30.0f))});
}

TEST(CudaParityActivations, relu) {
  SKIP_WITHOUT_CUDA();
  check_activation("relu", [](const Tensor& x) { return ag::relu(x); });
}

TEST(CudaParityActivations, leaky_relu) {
  SKIP_WITHOUT_CUDA();
  check_activation("leaky_relu", [](const Tensor& x) { return ag::leaky_relu(x); });
  check_activation("leaky_relu 0.2", [](const Tensor& x) { return ag::leaky_relu(x, 0.2f); });
}

TEST(CudaParityActivations, elu) {
  SKIP_WITHOUT_CUDA();
  check_activation("elu", [](const Tensor& x) { return ag::elu(x); });
  check_activation("elu 0.5", [](const Tensor& x) { return ag::elu(x, 0.5f); });
}

TEST(CudaParityActivations, selu) {
  SKIP_WITHOUT_CUDA();
  check_activation("selu", [](const Tensor& x) { return ag::selu(x); });
}

TEST(CudaParityActivations, gelu) {
  SKIP_WITHOUT_CUDA();
  check_activation("gelu", [](const Tensor& x) { return ag::gelu(x, GeluApprox::None); });
  check_activation("gelu_tanh", [](const Tensor& x) { return ag::gelu(x, GeluApprox::Tanh); });
}

TEST(CudaParityActivations, silu) {
  SKIP_WITHOUT_CUDA();
  check_activation("silu", [](const Tensor& x) { return ag::silu(x); });
}

TEST(CudaParityActivations, swish) {
  SKIP_WITHOUT_CUDA();
  check_activation("swish 1.7", [](const Tensor& x) { return ag::swish(x, 1.7f); });
}

TEST(CudaParityActivations, mish) {
  SKIP_WITHOUT_CUDA();
  check_activation("mish", [](const Tensor& x) { return ag::mish(x); });
}

TEST(CudaParityActivations, sigmoid) {
  SKIP_WITHOUT_CUDA();
  check_activation("sigmoid", [](const Tensor& x) { return ag::sigmoid(x); });
}

TEST(CudaParityActivations, tanh) {
  SKIP_WITHOUT_CUDA();
  check_activation("tanh", [](const Tensor& x) { return ag::tanh(x); });
}

TEST(CudaParityActivations, softplus) {
  SKIP_WITHOUT_CUDA();
  check_activation("softplus", [](const Tensor& x) { return ag::softplus(x); });
  check_activation("softplus 2", [](const Tensor& x) { return ag::softplus(x, 2.0f); });
}

// --- gated units ---------------------------------------------------------------------------------

// h = op(a, b) on every elementwise shape; a ~ Normal(0, 2) (see activation_input),
// b ~ Normal(0, 1).
void check_gated(const std::string& name, const BinaryFn& op) {
  const parity::Fn fn = [op](const std::vector<Tensor>& xs) { return op(xs[0], xs[1]); };
  std::vector<Shape> shapes = parity::elementwise_shapes(true);
  shapes.push_back({4, 32, 129});  // the FFN's [batch, seq, hidden]
  for (const Shape& s : shapes) {
    const std::string what = name + " " + shape_str(s);
    check(what, fn,
          {var(activation_input(s, seed_of(what + "a"), 2.0f)),
           var(parity::randn(s, seed_of(what)))});
  }
}

TEST(CudaParityGated, swiglu) {
  SKIP_WITHOUT_CUDA();
  check_gated("swiglu", [](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); });
}

TEST(CudaParityGated, swiglu_unfused) {
  SKIP_WITHOUT_CUDA();
  check_gated("swiglu_unfused",
              [](const Tensor& a, const Tensor& b) { return ag::swiglu_unfused(a, b); });
}

TEST(CudaParityGated, geglu) {
  SKIP_WITHOUT_CUDA();
  check_gated("geglu", [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); });
  check_gated("geglu_tanh",
              [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b, GeluApprox::Tanh); });
}

TEST(CudaParityGated, gated) {
  SKIP_WITHOUT_CUDA();
  auto with = [](float alpha, float beta) {
    UnaryParams p;
    p.alpha = alpha;
    p.beta = beta;
    return p;
  };
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
  for (const auto& [name, act, prm] : acts) {
    check_gated("gated " + name, [act = act, prm = prm](const Tensor& a, const Tensor& b) {
      return ag::gated(a, b, act, prm);
    });
  }
}

// Fused against unfused, forward and both gradients: on CUDA (fused vs unfused), and across
// devices (CUDA fused vs CPU unfused, CUDA unfused vs CPU fused). Both compute the same float
// formula; only the order of a multiplication or two may differ.
void check_fused_against_unfused(const std::string& name, const BinaryFn& fused,
                                 const BinaryFn& unfused) {
  const parity::MultiFn f = [fused](const std::vector<Tensor>& xs) {
    return std::vector<Tensor>{fused(xs[0], xs[1])};
  };
  const parity::MultiFn u = [unfused](const std::vector<Tensor>& xs) {
    return std::vector<Tensor>{unfused(xs[0], xs[1])};
  };
  for (const Shape& s : std::vector<Shape>{{1}, {7}, {257}, {4099}, {4, 32, 129}, {65539}}) {
    const std::string what = name + " " + shape_str(s);
    SCOPED_TRACE(what);
    const std::vector<parity::Input> in = {var(activation_input(s, seed_of(what + "a"), 2.0f)),
                                           var(parity::randn(s, seed_of(what + "b")))};
    const parity::Outcome gpu_fused = parity::run_on(parity::kGpu, false, f, in);
    const parity::Outcome gpu_unfused = parity::run_on(parity::kGpu, false, u, in);
    const parity::Outcome cpu_fused = parity::run_on(ag::Device::CPU, true, f, in);
    const parity::Outcome cpu_unfused = parity::run_on(ag::Device::CPU, true, u, in);
    for (const parity::Outcome* o : {&gpu_fused, &gpu_unfused}) {
      ASSERT_EQ(o->outputs.size(), 1u);
      ASSERT_EQ(o->grads.size(), 2u);
      EXPECT_EQ(o->outputs[0].device(), parity::kGpu);
      for (const Tensor& g : o->grads) {
        ASSERT_TRUE(g.defined());
        EXPECT_EQ(g.device(), parity::kGpu);
      }
    }
    const std::vector<
        std::pair<std::string, std::pair<const parity::Outcome*, const parity::Outcome*>>>
        pairs = {{"cuda fused vs cuda unfused", {&gpu_fused, &gpu_unfused}},
                 {"cuda fused vs cpu unfused", {&gpu_fused, &cpu_unfused}},
                 {"cuda unfused vs cpu fused", {&gpu_unfused, &cpu_fused}}};
    for (const auto& [label, pr] : pairs) {
      const parity::Outcome& x = *pr.first;
      const parity::Outcome& y = *pr.second;
      EXPECT_TRUE(parity::match(x.outputs[0], y.outputs[0])) << label << ": h";
      EXPECT_TRUE(parity::match(x.grads[0], y.grads[0])) << label << ": grad a";
      EXPECT_TRUE(parity::match(x.grads[1], y.grads[1])) << label << ": grad b";
    }
  }
}

TEST(CudaParityGated, swiglu_fused_matches_unfused) {
  SKIP_WITHOUT_CUDA();
  check_fused_against_unfused(
      "swiglu", [](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); },
      [](const Tensor& a, const Tensor& b) { return ag::swiglu_unfused(a, b); });
}

TEST(CudaParityGated, geglu_fused_matches_unfused) {
  SKIP_WITHOUT_CUDA();
  check_fused_against_unfused(
      "geglu", [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); },
      [](const Tensor& a, const Tensor& b) { return ag::mul(ag::gelu(a), b); });
}

}  // namespace
