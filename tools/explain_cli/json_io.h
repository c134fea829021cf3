// JSON in and out. Numbers follow Python's json module, the usual producer and consumer of these
// files (a PyTorch script writes the spec, a checker reads the answer): non-finite floats are the
// bare words NaN, Infinity and -Infinity, which strict JSON cannot spell.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/tensor.h"

namespace ag::explain {

// Keys keep their insertion order, so output reads "op, output, grads" as documented.
using Json = nlohmann::ordered_json;

// Parses `text`; `source` names it in errors ("spec.json", "stdin"). Accepts NaN, Infinity and
// -Infinity outside strings (they become the strings "NaN", ... which json_number() reads).
// Throws InputError("malformed JSON in <source>: ...") on a syntax error.
Json parse_json_text(const std::string& text, const std::string& source);

// Writes `j` on one line with Python's separators (", " and ": ") and non-finite numbers as
// NaN / Infinity / -Infinity.
std::string dump_json(const Json& j);

// A float as the shortest decimal that reads back as the same float: 0.1f is written 0.1, not
// 0.10000000149011612 (what its widening to double would print).
Json float_json(float v);

// {"shape": [...], "data": [...]} of a tensor on the host, row-major; int tensors as integers.
Json tensor_json(const Tensor& host_tensor);

// A JSON number, or one of the strings NaN / Infinity / -Infinity (also nan, inf, -inf);
// nullopt for anything else.
std::optional<double> json_number(const Json& j);

// "a string", "an object", ... for error messages.
std::string json_kind(const Json& j);

}  // namespace ag::explain
