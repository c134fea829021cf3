// CUDA vs CPU: elementwise arithmetic (binary ops with broadcasting, scalar ops, neg, exp, log,
// sqrt, pow), forward and every input's gradient, on sizes that are not multiples of any block or
// vector width, 1<<20 + 3 elements (full vectors, then a tail), and inputs whose first element is
// not 16-byte aligned.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::Shape;
using ag::Tensor;
using parity::check;
using parity::elementwise_shapes;
using parity::misaligned;
using parity::seed_of;
using parity::shape_str;
using parity::var;

using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;
using UnaryFn = std::function<Tensor(const Tensor&)>;

parity::Fn unary_fn(UnaryFn f) {
  return [f = std::move(f)](const std::vector<Tensor>& xs) { return f(xs[0]); };
}
parity::Fn binary_fn(BinaryFn f) {
  return [f = std::move(f)](const std::vector<Tensor>& xs) { return f(xs[0], xs[1]); };
}

// (a, b) shape pairs: the transformer's patterns ([B, T, D] + [D], [B, 1, D] * [1, T, 1]),
// scalars on either side, a trailing 1, both sides broadcasting, 4-D, and a larger one.
const std::vector<std::pair<Shape, Shape>> kBroadcasts = {
    {{4, 7, 33}, {33}},     {{4, 1, 33}, {1, 7, 1}},   {{5, 129}, {}},
    {{}, {5, 129}},         {{3, 5, 257}, {3, 5, 1}},  {{1}, {1000}},
    {{7, 1}, {1, 255}},     {{2, 3, 4, 5}, {3, 1, 5}}, {{8, 129, 257}, {257}},
    {{1, 1025}, {1025, 1}}, {{4099, 1}, {4099, 3}}};

// a op b on every elementwise shape (same shapes, a ~ Normal(0, 1)) and every broadcast pattern.
// `denominator`: b is kept away from 0 (|b| in [0.5, 2)). Broadcasting sums gradients over the
// broadcast dims (down to a single number for a scalar operand), so there both operands are
// positive, in [0.5, 2): sums of same-sign terms do not cancel, and the different summation
// orders of the backends stay far below 1e-5 of the result.
void check_binary(const std::string& name, const BinaryFn& op, bool denominator) {
  for (const Shape& s : elementwise_shapes(true)) {
    const std::string what = name + " " + shape_str(s);
    const Tensor b = denominator ? parity::signed_magnitude(s, seed_of(what), 0.5f, 2.0f)
                                 : parity::randn(s, seed_of(what));
    check(what, binary_fn(op), {var(parity::randn(s, seed_of(what + "a"))), var(b)});
  }
  for (const auto& [sa, sb] : kBroadcasts) {
    const std::string what = name + " " + shape_str(sa) + " with " + shape_str(sb);
    check(what, binary_fn(op),
          {var(parity::uniform(sa, seed_of(what + "a"), 0.5f, 2.0f)),
           var(parity::uniform(sb, seed_of(what + "b"), 0.5f, 2.0f))});
  }
}

TEST(CudaParityElementwise, add) {
  SKIP_WITHOUT_CUDA();
  check_binary(
      "add", [](const Tensor& a, const Tensor& b) { return ag::add(a, b); }, false);
}

TEST(CudaParityElementwise, sub) {
  SKIP_WITHOUT_CUDA();
  check_binary(
      "sub", [](const Tensor& a, const Tensor& b) { return ag::sub(a, b); }, false);
}

TEST(CudaParityElementwise, mul) {
  SKIP_WITHOUT_CUDA();
  check_binary(
      "mul", [](const Tensor& a, const Tensor& b) { return ag::mul(a, b); }, false);
}

TEST(CudaParityElementwise, div) {
  SKIP_WITHOUT_CUDA();
  check_binary(
      "div", [](const Tensor& a, const Tensor& b) { return ag::div(a, b); }, true);
}

TEST(CudaParityElementwise, scalar_ops) {
  SKIP_WITHOUT_CUDA();
  for (float s : {1.7f, -0.3f}) {
    const std::vector<std::pair<std::string, UnaryFn>> ops = {
        {"x + s", [s](const Tensor& x) { return ag::add(x, s); }},
        {"x - s", [s](const Tensor& x) { return ag::sub(x, s); }},
        {"s - x", [s](const Tensor& x) { return ag::rsub(s, x); }},
        {"x * s", [s](const Tensor& x) { return ag::mul(x, s); }},
        {"x / s", [s](const Tensor& x) { return ag::div(x, s); }},
    };
    for (const auto& [name, op] : ops) {
      for (const Shape& shape : elementwise_shapes(true)) {
        const std::string what = name + " s=" + std::to_string(s) + " " + shape_str(shape);
        check(what, unary_fn(op), {var(parity::randn(shape, seed_of(what)))});
      }
    }
  }
}

// f on every elementwise shape, inputs from `make`.
void check_unary(const std::string& name, const UnaryFn& f,
                 const std::function<Tensor(const Shape&, uint64_t)>& make) {
  for (const Shape& shape : elementwise_shapes(true)) {
    const std::string what = name + " " + shape_str(shape);
    check(what, unary_fn(f), {var(make(shape, seed_of(what)))});
  }
}

Tensor normal2(const Shape& s, uint64_t seed) {
  return parity::randn(s, seed, 2.0f);
}
Tensor positive(const Shape& s, uint64_t seed) {
  return parity::uniform(s, seed, 0.05f, 10.0f);
}

TEST(CudaParityElementwise, neg) {
  SKIP_WITHOUT_CUDA();
  check_unary(
      "neg", [](const Tensor& x) { return ag::neg(x); }, normal2);
}

TEST(CudaParityElementwise, exp) {
  SKIP_WITHOUT_CUDA();
  check_unary(
      "exp", [](const Tensor& x) { return ag::exp(x); }, normal2);
}

TEST(CudaParityElementwise, log) {
  SKIP_WITHOUT_CUDA();
  check_unary(
      "log", [](const Tensor& x) { return ag::log(x); }, positive);
}

TEST(CudaParityElementwise, sqrt) {
  SKIP_WITHOUT_CUDA();
  check_unary(
      "sqrt", [](const Tensor& x) { return ag::sqrt(x); }, positive);
}

TEST(CudaParityElementwise, pow) {
  SKIP_WITHOUT_CUDA();
  // Integer exponents (and 0, whose gradient is exactly 0) on signed inputs; fractional and
  // negative ones on positive inputs.
  for (float p : {2.0f, 3.0f, 0.0f}) {
    check_unary(
        "pow " + std::to_string(p), [p](const Tensor& x) { return ag::pow(x, p); }, normal2);
  }
  for (float p : {0.5f, -1.5f, 2.5f}) {
    check_unary(
        "pow " + std::to_string(p), [p](const Tensor& x) { return ag::pow(x, p); },
        [](const Shape& s, uint64_t seed) { return parity::uniform(s, seed, 0.2f, 4.0f); });
  }
}

// Inputs that start 1, 2 or 3 floats into their buffer (never 16-byte aligned), so a vectorised
// kernel must either check alignment or peel a head; the buffer around each view is NaN, so
// reading outside the view shows up. Forward and gradients against the CPU on aligned copies.
TEST(CudaParityElementwise, misaligned_starts_and_tails) {
  SKIP_WITHOUT_CUDA();
  // The views really start off a 16-byte boundary and read back the values they were made from
  // (run_on builds the device-side leaves the same way for every Input made by misaligned()).
  for (int64_t off : {1, 2, 3}) {
    const Tensor values = parity::randn({33}, seed_of("view"));
    const Tensor view = parity::misaligned_view(values, off, parity::kGpu);
    ASSERT_EQ(view.device(), parity::kGpu);
    EXPECT_NE(reinterpret_cast<uintptr_t>(view.data()) % 16, 0u) << "offset " << off;
    EXPECT_EQ(view.to_vector(), values.to_vector()) << "offset " << off;
  }
  const std::vector<Shape> shapes = {{5}, {257}, {4099}, {(int64_t(1) << 20) + 3}};
  for (int64_t off : {1, 2, 3}) {
    const int64_t off_b = off % 3 + 1;  // a different misalignment for the second input
    for (const Shape& s : shapes) {
      const std::string tag = "offset " + std::to_string(off) + " " + shape_str(s);
      const Tensor a = parity::randn(s, seed_of(tag + "a"));
      const Tensor b = parity::randn(s, seed_of(tag + "b"));
      check("exp " + tag, unary_fn([](const Tensor& x) { return ag::exp(x); }),
            {misaligned(a, off)});
      check("gelu_tanh " + tag,
            unary_fn([](const Tensor& x) { return ag::gelu(x, ag::GeluApprox::Tanh); }),
            {misaligned(a, off)});
      check("x * s " + tag, unary_fn([](const Tensor& x) { return ag::mul(x, 0.7f); }),
            {misaligned(a, off)});
      check("add " + tag, binary_fn([](const Tensor& x, const Tensor& y) { return ag::add(x, y); }),
            {misaligned(a, off), misaligned(b, off_b)});
      check("mul " + tag, binary_fn([](const Tensor& x, const Tensor& y) { return ag::mul(x, y); }),
            {misaligned(a, off), misaligned(b, off_b)});
      check("swiglu " + tag,
            binary_fn([](const Tensor& x, const Tensor& y) { return ag::swiglu(x, y); }),
            {misaligned(a, off), misaligned(b, off_b)});
      check("reshape then silu " + tag, unary_fn([](const Tensor& x) {
              return ag::silu(ag::reshape(x, {1, -1}));
            }),
            {misaligned(a, off)});
      if (a.numel() <= 4099) {  // Normal(1, 1): a sum that does not cancel (see parity.h)
        check("sum " + tag, unary_fn([](const Tensor& x) { return ag::sum(x); }),
              {misaligned(parity::randn(s, seed_of(tag + "sum"), 1.0f, 1.0f), off)});
      }
    }
    // Broadcasting and the row-wise ops on misaligned inputs.
    const std::string tag = "offset " + std::to_string(off);
    check("add [7, 33] + [33] " + tag,
          binary_fn([](const Tensor& x, const Tensor& y) { return ag::add(x, y); }),
          {misaligned(parity::randn({7, 33}, seed_of(tag + "x")), off),
           misaligned(parity::randn({33}, seed_of(tag + "y")), off_b)});
    check("softmax [7, 33] " + tag, unary_fn([](const Tensor& x) { return ag::softmax(x, -1); }),
          {misaligned(parity::randn({7, 33}, seed_of(tag + "s")), off)});
    check("layer_norm [5, 129] " + tag,
          [](const std::vector<Tensor>& xs) { return ag::layer_norm(xs[0], xs[1], xs[2]); },
          {misaligned(parity::randn({5, 129}, seed_of(tag + "ln")), off),
           misaligned(parity::randn({129}, seed_of(tag + "w")), off_b),
           misaligned(parity::randn({129}, seed_of(tag + "b")), off)});
    check("matmul [7, 13] x [13, 5] " + tag,
          binary_fn([](const Tensor& x, const Tensor& y) { return ag::matmul(x, y); }),
          {misaligned(parity::randn({7, 13}, seed_of(tag + "ma")), off),
           misaligned(parity::randn({13, 5}, seed_of(tag + "mb")), off_b)});
  }
}

}  // namespace
