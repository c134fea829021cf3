// Every op explain can run: its inputs, its params, its formulas and how to call the engine.
// One table, so the CLI's checks ("op 'swiglu' has no input 'x'"), the human output's formulas and
// the tape printer's "what does this node's backward do" all come from the same place.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/math/unary.h"
#include "core/tensor.h"
#include "tools/explain_cli/spec.h"

namespace ag::explain {

struct InputSlot {
  const char* name;
  ValueKind kind;
  bool optional = false;
  const char* role = "";  // "gate", "up", ... shown in error messages and the human output
};

// The scalar function behind an elementwise unary op, for the per-element table's f'(x).
struct Elementwise {
  math::UnaryOp op;
  math::UnaryParams params;
};

// The inputs of one call, by slot name, already on the device (optional ones may be missing).
struct OpArgs {
  const std::map<std::string, Tensor>& inputs;
  const Params& params;

  const Tensor& operator[](const char* name) const { return inputs.at(name); }
  Tensor optional(const char* name) const {
    const auto it = inputs.find(name);
    return it == inputs.end() ? Tensor() : it->second;
  }
};

struct OpEntry {
  const char* name;
  std::vector<InputSlot> inputs;
  std::vector<const char*> params;
  const char* forward;   // "h = silu(a) * b"
  const char* backward;  // "da = g * b * silu'(a),  db = g * silu(a)"
  // Runs the op through the engine: one output, or several for multi-output ops (split).
  std::function<std::vector<Tensor>(const OpArgs&)> run;
  // Elementwise unary ops only: the functor of core/math/unary.h that the engine uses.
  std::function<Elementwise(const Params&)> elementwise = nullptr;
  bool multi_output = false;
};

const std::vector<OpEntry>& all_ops();
// nullptr for an unknown name.
const OpEntry* find_op(const std::string& name);
// "add, sub, ..." for error messages and --help.
std::string op_names();
// The closest op name within a small edit distance ("swiglo" -> "swiglu"), or "".
std::string closest_op_name(const std::string& name);

}  // namespace ag::explain
