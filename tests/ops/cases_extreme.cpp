// Parity on extreme inputs: finite values up to |x| = 100 (e^x overflows past 88.7) mixed with
// NaN, +inf and -inf (parity::extreme). NaN and +-inf must come out at exactly the same positions
// on both devices, forward and backward, and the finite values must agree to 1e-5 of their norm.
//
// Why positions can be demanded exactly: both backends evaluate the same per-element formulas
// (core/math), and whether a sum is NaN or +-inf does not depend on the order of its terms (NaN
// absorbs, inf + -inf is NaN in any order, finite partial sums of |x| <= 100 cannot overflow), so
// reductions, row ops and gemm classify every element the same way whatever their summation
// order. Inputs avoid the last bits around e^x's overflow threshold (see parity::extreme), where a
// fused multiply-add could legitimately flip a result between FLT_MAX and inf.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/ops/builders.h"
#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

using ag::GeluApprox;
using parity::seed_of;

const std::vector<Shape> kShapes = {{1}, {7}, {257}, {4099}, {5, 129}};

void unary_extreme(Registry& r, const std::string& op, const std::string& label, const UnaryFn& f) {
  for (const Shape& s : kShapes) {
    const std::string name = label + " extreme " + shape_str(s);
    r.add({.ops = {op},
           .name = name,
           .inputs = {var(s, extreme(), seed_of(name))},
           .forward = unary(f),
           .parity = kExtreme});
  }
}

void unary_arithmetic(Registry& r) {
  const std::vector<std::tuple<std::string, std::string, UnaryFn>> ops = {
      {"neg", "neg", [](const Tensor& x) { return ag::neg(x); }},
      {"exp", "exp", [](const Tensor& x) { return ag::exp(x); }},
      {"log", "log", [](const Tensor& x) { return ag::log(x); }},
      {"sqrt", "sqrt", [](const Tensor& x) { return ag::sqrt(x); }},
      {"pow", "pow 2", [](const Tensor& x) { return ag::pow(x, 2.0f); }},
      {"pow", "pow 3", [](const Tensor& x) { return ag::pow(x, 3.0f); }},
      {"pow", "pow 0.5", [](const Tensor& x) { return ag::pow(x, 0.5f); }},
      {"pow", "pow -1.5", [](const Tensor& x) { return ag::pow(x, -1.5f); }},
      {"add(Tensor, float)", "x + s", [](const Tensor& x) { return ag::add(x, 1.7f); }},
      {"sub(Tensor, float)", "x - s", [](const Tensor& x) { return ag::sub(x, 1.7f); }},
      {"rsub", "s - x", [](const Tensor& x) { return ag::rsub(1.7f, x); }},
      {"mul(Tensor, float)", "x * s", [](const Tensor& x) { return ag::mul(x, -0.3f); }},
      {"div(Tensor, float)", "x / s", [](const Tensor& x) { return ag::div(x, -0.3f); }},
  };
  for (const auto& [op, label, f] : ops) unary_extreme(r, op, label, f);
}

void activations(Registry& r) {
  const std::vector<std::tuple<std::string, std::string, UnaryFn>> ops = {
      {"relu", "relu", [](const Tensor& x) { return ag::relu(x); }},
      {"leaky_relu", "leaky_relu", [](const Tensor& x) { return ag::leaky_relu(x, 0.1f); }},
      {"elu", "elu", [](const Tensor& x) { return ag::elu(x); }},
      {"selu", "selu", [](const Tensor& x) { return ag::selu(x); }},
      {"gelu", "gelu", [](const Tensor& x) { return ag::gelu(x); }},
      {"gelu", "gelu_tanh", [](const Tensor& x) { return ag::gelu(x, GeluApprox::Tanh); }},
      {"silu", "silu", [](const Tensor& x) { return ag::silu(x); }},
      {"swish", "swish 1.7", [](const Tensor& x) { return ag::swish(x, 1.7f); }},
      {"mish", "mish", [](const Tensor& x) { return ag::mish(x); }},
      {"sigmoid", "sigmoid", [](const Tensor& x) { return ag::sigmoid(x); }},
      {"tanh", "tanh", [](const Tensor& x) { return ag::tanh(x); }},
      {"softplus", "softplus", [](const Tensor& x) { return ag::softplus(x); }},
      {"softplus", "softplus 2", [](const Tensor& x) { return ag::softplus(x, 2.0f); }},
  };
  for (const auto& [op, label, f] : ops) unary_extreme(r, op, label, f);
}

void binary_with_broadcasting(Registry& r) {
  const std::vector<std::pair<std::string, BinaryFn>> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return ag::add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return ag::sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return ag::mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return ag::div(a, b); }},
  };
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{257}, {257}}, {{4099}, {4099}}, {{7, 33}, {33}}, {{4, 1, 33}, {1, 7, 1}}, {{5, 129}, {}}};
  for (const auto& [op, f] : ops) {
    for (const auto& [sa, sb] : shapes) {
      const std::string name = op + " extreme " + shape_str(sa) + " " + shape_str(sb);
      r.add({.ops = {op + "(Tensor, Tensor)"},
             .name = name,
             .inputs = {var(sa, extreme(), seed_of(name + "a")),
                        var(sb, extreme(), seed_of(name + "b"))},
             .forward = binary(f),
             .parity = kExtreme});
    }
  }
  // masked_fill on extreme x with a random 0/1 mask [4, 1, 1, 33].
  r.add({.ops = {"masked_fill"},
         .name = "masked_fill extreme",
         .inputs = {var({4, 3, 33, 33}, extreme(), 6),
                    constant({4, 1, 1, 33},
                             custom("1 with probability 0.3",
                                    [](const Shape& s, Generator& g, const std::vector<Tensor>&) {
                                      std::vector<float> m(size_t(ag::numel_of(s)));
                                      for (float& f : m) f = g.uniform() < 0.3f ? 1.0f : 0.0f;
                                      return Tensor::from_vector(m, s);
                                    }),
                             5)},
         .forward =
             binary([](const Tensor& x, const Tensor& m) { return ag::masked_fill(x, m, -1e9f); }),
         .parity = kExtreme});
}

void gated(Registry& r) {
  const std::vector<std::tuple<std::string, std::string, BinaryFn>> ops = {
      {"swiglu", "swiglu", [](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); }},
      {"swiglu_unfused", "swiglu_unfused",
       [](const Tensor& a, const Tensor& b) { return ag::swiglu_unfused(a, b); }},
      {"geglu", "geglu", [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); }},
      {"geglu", "geglu_tanh",
       [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b, GeluApprox::Tanh); }},
      {"gated", "gated mish",
       [](const Tensor& a, const Tensor& b) { return ag::gated(a, b, ag::math::UnaryOp::Mish); }},
  };
  for (const auto& [op, label, f] : ops) {
    for (const Shape& s : kShapes) {
      const std::string name = label + " extreme " + shape_str(s);
      // b finite (the usual case: an extreme gate) and b extreme as well.
      r.add({.ops = {op},
             .name = name + " finite b",
             .inputs = {var(s, extreme(), seed_of(name)), var(s, normal(), seed_of(name + "b"))},
             .forward = binary(f),
             .parity = kExtreme});
      r.add({.ops = {op},
             .name = name + " extreme b",
             .inputs = {var(s, extreme(), seed_of(name)), var(s, extreme(), seed_of(name + "b"))},
             .forward = binary(f),
             .parity = kExtreme});
    }
  }
}

void rows(Registry& r) {
  // Few specials per row (so that some rows stay finite): a NaN or +inf poisons its whole row, a
  // -inf alone is a masked position.
  struct Case {
    Shape shape;
    int64_t dim;
    double special;
  };
  // Values up to +-100 saturate a softmax row (one y ~ 1, the rest ~ 0), and its gradient
  // y (dy - sum dy y) is then a difference of two nearly equal O(1) numbers: a last-bit change in
  // the sum (another summation order) is ~1e-5 of the small result. The positions of NaN/inf are
  // still compared exactly; the finite values to 1e-3 of their norm.
  parity::ParityOptions saturated = kExtreme;
  saturated.grads.tol = 1e-3;
  for (const Case& c : std::vector<Case>{{{7, 33}, -1, 0.005},
                                         {{5, 129}, -1, 0.002},
                                         {{3, 1025}, -1, 0.0002},
                                         {{3, 33, 5}, 1, 0.005}}) {
    const std::string tag = shape_str(c.shape) + " dim " + std::to_string(c.dim);
    const Input x = var(c.shape, extreme(c.special), seed_of(tag));
    const int64_t dim = c.dim;
    r.add({.ops = {"softmax"},
           .name = "softmax extreme " + tag,
           .inputs = {x},
           .forward = unary([dim](const Tensor& t) { return ag::softmax(t, dim); }),
           .parity = saturated});
    r.add({.ops = {"log_softmax"},
           .name = "log_softmax extreme " + tag,
           .inputs = {x},
           .forward = unary([dim](const Tensor& t) { return ag::log_softmax(t, dim); }),
           .parity = kExtreme});
    if (dim != -1) continue;
    const int64_t cols = c.shape.back();
    r.add({.ops = {"layer_norm"},
           .name = "layer_norm extreme " + tag,
           .inputs = {x, var({cols}, normal(), seed_of(tag + "w")),
                      var({cols}, normal(), seed_of(tag + "b"))},
           .forward = multi(
               [](const std::vector<Tensor>& xs) { return ag::layer_norm(xs[0], xs[1], xs[2]); }),
           .parity = kExtreme});
    r.add({.ops = {"layer_norm"},
           .name = "layer_norm extreme, no affine " + tag,
           .inputs = {x},
           .forward = unary([](const Tensor& t) { return ag::layer_norm(t, Tensor(), Tensor()); }),
           .parity = kExtreme});
  }
}

void reductions_and_matmul(Registry& r) {
  const Input x = var({7, 33}, extreme(0.005), 21);
  const auto add = [&](const std::string& op, const std::string& name, std::vector<Input> in,
                       Forward f) {
    r.add({.ops = {op},
           .name = name,
           .inputs = std::move(in),
           .forward = std::move(f),
           .parity = kExtreme});
  };
  add("sum(Tensor, vector<int64_t>, bool)", "sum dim 1 extreme", {x},
      unary([](const Tensor& t) { return ag::sum(t, {1}); }));
  add("sum(Tensor, vector<int64_t>, bool)", "sum dim 0 extreme", {x},
      unary([](const Tensor& t) { return ag::sum(t, {0}); }));
  add("mean(Tensor, vector<int64_t>, bool)", "mean dim 1 keepdim extreme", {x},
      unary([](const Tensor& t) { return ag::mean(t, {1}, true); }));
  add("sum(Tensor)", "sum all extreme", {x}, unary([](const Tensor& t) { return ag::sum(t); }));
  Input constant_x = x;
  constant_x.grad = false;
  add("sum_squares", "sum_squares extreme", {constant_x},
      unary([](const Tensor& t) { return ag::sum_squares(t); }));
  add("sum_squares", "sum_squares finite extreme", {constant({4099}, uniform(-100.0f, 100.0f), 22)},
      unary([](const Tensor& t) { return ag::sum_squares(t); }));
  const Forward mm = binary([](const Tensor& a, const Tensor& b) { return ag::matmul(a, b); });
  add("matmul", "matmul extreme", {x, var({33, 5}, extreme(0.005), 23)}, mm);
  add("matmul", "matmul extreme a, finite b", {x, var({33, 17}, normal(), 24)}, mm);
}

// Every non-finite logit of `logits` made -inf (masked classes).
Tensor masked_logits(const Tensor& logits) {
  std::vector<float> v = logits.to_vector();
  for (float& f : v)
    if (!std::isfinite(f)) f = -std::numeric_limits<float>::infinity();
  return Tensor::from_vector(v, logits.shape());
}

// The first finite logit of each row (every row must have one).
Tensor first_finite_class(const Tensor& logits) {
  const std::vector<float> v = logits.to_vector();
  const int64_t rows = logits.shape()[0], classes = logits.shape()[1];
  std::vector<int32_t> targets(size_t(rows), 0);
  for (int64_t n = 0; n < rows; ++n) {
    int32_t t = 0;
    while (t < classes && !std::isfinite(v[size_t(n * classes + t)])) ++t;
    if (t == classes) throw std::logic_error("row " + std::to_string(n) + " has no finite logit");
    targets[size_t(n)] = t;
  }
  return Tensor::from_indices(targets, {rows});
}

void cross_entropy(Registry& r) {
  const Forward ce =
      binary([](const Tensor& l, const Tensor& t) { return ag::cross_entropy(l, t); });
  // With NaN and +inf the mean loss is NaN on both devices; the gradient rows of the other
  // samples stay finite.
  r.add({.ops = {"cross_entropy"},
         .name = "cross_entropy extreme",
         .inputs = {var({33, 7}, extreme(0.01), 31), constant({33}, indices(7), 32)},
         .forward = ce,
         .parity = kExtreme});
  // Only -inf among finite logits up to +-100 (masked classes), targets on finite logits: a finite
  // loss.
  r.add({.ops = {"cross_entropy"},
         .name = "cross_entropy -inf logits",
         .inputs = {var({33, 7},
                        custom("extreme (0.01) with NaN and inf made -inf",
                               [](const Shape& s, Generator& g, const std::vector<Tensor>&) {
                                 return masked_logits(parity::extreme(s, g, 0.01));
                               }),
                        31),
                    constant({33}, custom("the first finite logit's class",
                                          [](const Shape&, Generator&,
                                             const std::vector<Tensor>& earlier) {
                                            return first_finite_class(earlier[0]);
                                          }))},
         .forward = ce,
         .parity = kExtreme});
}

void dropout_embedding_argmax(Registry& r) {
  // dropout: y = x * scale(mask) exactly as backend.h specifies, so a dropped NaN or inf is NaN
  // (x * 0) on both devices, like PyTorch's mask multiply.
  r.add({.ops = {"dropout"},
         .name = "dropout extreme",
         .inputs = {var({4099}, extreme(), 42)},
         .forward = unary([](const Tensor& x) {
           Generator gen(41);
           return ag::dropout(x, 0.5f, gen);
         }),
         .parity = kExtreme});
  // embedding gathers NaN and inf rows bit for bit.
  parity::ParityOptions gather = kExtreme;
  gather.forward.exact = true;
  r.add({.ops = {"embedding"},
         .name = "embedding extreme",
         .inputs = {var({50, 33}, extreme(), 43), constant({4, 65}, indices(50), 44)},
         .forward = binary([](const Tensor& w, const Tensor& i) { return ag::embedding(w, i); }),
         .parity = gather});
  // argmax with NaN (the first NaN wins) and inf.
  r.add({.ops = {"argmax"},
         .name = "argmax extreme",
         .inputs = {constant({65, 33}, extreme(), 45)},
         .forward = unary([](const Tensor& x) { return ag::argmax(x); }),
         .parity = kClose});
}

}  // namespace

// Each op's extreme cases are a test of their own (Registry/Parity.op/<op>_extreme).
void extreme_cases(Registry& r) {
  Registry extreme;
  unary_arithmetic(extreme);
  activations(extreme);
  binary_with_broadcasting(extreme);
  gated(extreme);
  rows(extreme);
  reductions_and_matmul(extreme);
  cross_entropy(extreme);
  dropout_embedding_argmax(extreme);
  for (OpCase c : extreme.cases()) {
    c.group = group_of(c) + "_extreme";
    r.add(std::move(c));
  }
}

}  // namespace opcases
