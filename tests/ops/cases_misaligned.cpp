// Parity on inputs that start 1, 2 or 3 floats into their buffer (never 16-byte aligned), so a
// vectorised kernel must either check alignment or peel a head; the buffer around each view is
// NaN, so reading outside the view shows up (parity::misaligned_view). Forward and gradients
// against the CPU on aligned copies, on sizes with tails and 1<<20 + 3 elements. Each op's
// misaligned cases are a test of their own (Registry/Parity.op/<op>_misaligned).
#include <string>
#include <vector>

#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

void misaligned_cases(Registry& r) {
  using parity::seed_of;
  const auto add = [&r](const std::vector<std::string>& ops, const std::string& name,
                        std::vector<Input> inputs, Forward f) {
    r.add({.ops = ops,
           .name = name,
           .inputs = std::move(inputs),
           .forward = std::move(f),
           .parity = kClose,
           .group = base_name(ops.front()) + "_misaligned"});
  };
  for (int64_t off : {1, 2, 3}) {
    const int64_t off_b = off % 3 + 1;  // a different misalignment for the second input
    for (const Shape& s : std::vector<Shape>{{5}, {257}, {4099}, {(int64_t(1) << 20) + 3}}) {
      const std::string tag = "offset " + std::to_string(off) + " " + shape_str(s);
      const Input a = misaligned(s, normal(), seed_of(tag + "a"), off);
      const Input b = misaligned(s, normal(), seed_of(tag + "b"), off_b);
      add({"exp"}, "exp " + tag, {a}, unary([](const Tensor& x) { return ag::exp(x); }));
      add({"gelu"}, "gelu_tanh " + tag, {a},
          unary([](const Tensor& x) { return ag::gelu(x, ag::GeluApprox::Tanh); }));
      add({"mul(Tensor, float)"}, "x * s " + tag, {a},
          unary([](const Tensor& x) { return ag::mul(x, 0.7f); }));
      add({"add(Tensor, Tensor)"}, "add " + tag, {a, b},
          binary([](const Tensor& x, const Tensor& y) { return ag::add(x, y); }));
      add({"mul(Tensor, Tensor)"}, "mul " + tag, {a, b},
          binary([](const Tensor& x, const Tensor& y) { return ag::mul(x, y); }));
      add({"swiglu"}, "swiglu " + tag, {a, b},
          binary([](const Tensor& x, const Tensor& y) { return ag::swiglu(x, y); }));
      add({"silu", "reshape"}, "reshape then silu " + tag, {a}, unary([](const Tensor& x) {
            return ag::silu(ag::reshape(x, {1, -1}));
          }));
      if (ag::numel_of(s) <= 4099) {  // N(1, 1): a sum that does not cancel (see parity.h)
        add({"sum(Tensor)"}, "sum " + tag,
            {misaligned(s, normal(1.0f, 1.0f), seed_of(tag + "sum"), off)},
            unary([](const Tensor& x) { return ag::sum(x); }));
      }
    }
    // Broadcasting and the row-wise ops on misaligned inputs.
    const std::string tag = "offset " + std::to_string(off);
    add({"add(Tensor, Tensor)"}, "add [7, 33] + [33] " + tag,
        {misaligned({7, 33}, normal(), seed_of(tag + "x"), off),
         misaligned({33}, normal(), seed_of(tag + "y"), off_b)},
        binary([](const Tensor& x, const Tensor& y) { return ag::add(x, y); }));
    add({"softmax"}, "softmax [7, 33] " + tag,
        {misaligned({7, 33}, normal(), seed_of(tag + "s"), off)},
        unary([](const Tensor& x) { return ag::softmax(x, -1); }));
    add({"layer_norm"}, "layer_norm [5, 129] " + tag,
        {misaligned({5, 129}, normal(), seed_of(tag + "ln"), off),
         misaligned({129}, normal(), seed_of(tag + "w"), off_b),
         misaligned({129}, normal(), seed_of(tag + "b"), off)},
        multi([](const std::vector<Tensor>& xs) { return ag::layer_norm(xs[0], xs[1], xs[2]); }));
    add({"matmul"}, "matmul [7, 13] x [13, 5] " + tag,
        {misaligned({7, 13}, normal(), seed_of(tag + "ma"), off),
         misaligned({13, 5}, normal(), seed_of(tag + "mb"), off_b)},
        binary([](const Tensor& x, const Tensor& y) { return ag::matmul(x, y); }));
  }
}

}  // namespace opcases
