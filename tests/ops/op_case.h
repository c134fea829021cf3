// The op-case registry: every test case of the engine's ops (core/ops.h) written once, as data,
// and run by several mode drivers:
//   GradCheck  finite differences against the backward   tests/core/op_gradcheck_test.cpp
//   Parity     the CUDA backend against the CPU           tests/cuda/op_parity_test.cpp
//   perf       times per op and backend                   tests/ops/op_perf.cpp (op_perf --perf)
// A case names the ops it exercises, its inputs (shape, how the values are drawn, variable or
// constant), a forward function of those inputs, and a tolerance for each mode it runs in; a case
// without a tolerance for a mode is not run in that mode. tests/core/op_coverage_test.cpp fails
// when an op declared in core/ops.h has no case (or no declared reason, see Registry).
//
// Adding an op: one or more cases in the cases_<family>.cpp of its family (or a new file listed
// in registry.cpp), with a gradcheck tolerance family of tolerances.h and a parity tolerance.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/ops.h"
#include "tests/ops/gradcheck.h"
#include "tests/ops/parity.h"

namespace opcases {

using ag::Generator;
using ag::Shape;
using ag::Tensor;

// How an input's values are drawn (values.h makes the usual ones). `draw` may look at the inputs
// drawn before this one (a target chosen from the logits, say); `text` describes the values in
// listings ("N(0, 1)", "U[0.5, 2)").
struct Values {
  std::string text;
  std::function<Tensor(const Shape&, Generator&, const std::vector<Tensor>& earlier)> draw;
};

struct Input {
  Shape shape = {};
  Values values = {};
  // A variable: the modes differentiate with respect to it (gradcheck's `wrt`, parity's leaves
  // that require a gradient). int32 inputs must be constants.
  bool grad = true;
  // Parity only: the CUDA copy starts this many floats into a larger buffer (parity::Input).
  int64_t misalign = 0;
  // Drawn from Generator(*seed) of its own; without one, from the case's generator (in order).
  std::optional<uint64_t> seed = {};
};

// One run of a case with some of its variables treated as constants ("each operand alone"):
// `vars[i]` false makes input i a constant; an empty `vars` keeps every input's own flag.
struct Variant {
  std::string label = {};  // appended to the case's name: " (grad a only)"
  std::vector<bool> vars = {};
};

// The outputs of the op(s) for the given inputs (already leaves on the device under test).
using Forward = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

struct OpCase {
  // The ops of core/ops.h this case exercises, as op_coverage_test spells them: the function's
  // name, or name(parameter types) for an overloaded one, e.g. "add(Tensor, float)".
  std::vector<std::string> ops = {};
  std::string name = {};  // unique over the registry; also names the case in failure messages
  std::vector<Input> inputs = {};
  Forward forward = {};
  std::optional<agtest::GradCheckOptions> gradcheck = {};  // GradCheck mode: its tolerances
  std::optional<parity::ParityOptions> parity = {};        // Parity mode: its comparison
  std::vector<Variant> variants = {Variant{}};
  // The generator of the inputs without a seed of their own, then of gradcheck's upstream
  // weights; 0 means parity::seed_of(name).
  uint64_t seed = 0;
  // Which gtest test runs the case (letters, digits, '_'); empty: the first op's name.
  std::string group = {};
};

// The whole registry: the cases, and the ops of core/ops.h that deliberately lack a mode, each
// with its reason (argmax has no gradient; set_num_threads is not an op).
class Registry {
 public:
  enum class Exemption { NotAnOp, NoGradient, NoParity };
  struct Declared {
    std::string op;
    Exemption what;
    std::string reason;
  };

  void add(OpCase c);
  void declare(const std::string& op, Exemption what, const std::string& reason);

  const std::vector<OpCase>& cases() const { return cases_; }
  const std::vector<Declared>& declared() const { return declared_; }

 private:
  std::vector<OpCase> cases_;
  std::vector<Declared> declared_;
};

}  // namespace opcases
