// The op spec: what `explain SPEC_FILE` reads.
//   {"op": "swiglu",
//    "inputs": {"a": {"shape": [2, 3], "data": [...]}, "b": {...}},
//    "grad_output": {"shape": [2, 3], "data": [...]},      (optional, default ones)
//    "params": {"beta": 1.0}}                               (optional)
// Parsing checks the structure and the tensors; which inputs and params an op takes is checked
// against its entry in ops_table.h. Every problem is an InputError naming the offending part.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "tools/explain_cli/json_io.h"

namespace ag::explain {

struct OpSpec {
  std::string op;
  Json inputs = Json::object();  // name -> tensor object
  Json grad_output;              // null when absent: the upstream gradient is all ones
  Json params = Json::object();  // name -> value
};

// Checks the top level of a parsed spec document (unknown keys are errors: a misspelt
// "grad_ouput" must not silently become ones).
OpSpec parse_spec(const Json& doc);

// What the values of a tensor must be.
enum class ValueKind {
  Float,  // float32, takes a gradient
  Index,  // int32 (embedding indices, cross-entropy targets), no gradient
  Mask,   // 0/1 (or true/false) stored as float32, no gradient
};

// A tensor from the spec, checked, still on the host.
struct HostTensor {
  Shape shape;
  std::vector<float> values;     // Float and Mask
  std::vector<int32_t> indices;  // Index
  bool is_index = false;

  Tensor to_tensor() const;  // a CPU tensor
};

// Reads {"shape": [...], "data": [...]}. data is row-major: a flat list of numel values, or
// nested lists whose nesting matches shape. `what` names the tensor in errors ("input 'a' of
// swiglu", "grad_output").
HostTensor parse_tensor(const Json& j, const std::string& what, ValueKind kind);

// An op's params with typed accessors; a wrong type is an InputError naming the param and op.
class Params {
 public:
  Params(const Json& object, std::string op) : object_(object), op_(std::move(op)) {}

  bool has(const char* name) const;
  double number(const char* name, double fallback) const;
  double required_number(const char* name) const;
  int64_t integer(const char* name, int64_t fallback) const;
  int64_t required_integer(const char* name) const;
  bool boolean(const char* name, bool fallback) const;
  std::vector<int64_t> required_int_list(const char* name) const;
  // dim for sum/mean: an int or a list of ints; nullopt for null (all dims); absent: fallback.
  std::optional<std::vector<int64_t>> dims(const char* name, std::vector<int64_t> fallback) const;
  // One of `allowed` (a string).
  std::string choice(const char* name, const std::vector<std::string>& allowed,
                     const std::string& fallback) const;

 private:
  const Json* find(const char* name) const;
  int64_t as_integer(const Json& v, const std::string& what) const;
  [[noreturn]] void wrong(const char* name, const char* expected, const Json& got) const;

  const Json& object_;
  std::string op_;
};

}  // namespace ag::explain
