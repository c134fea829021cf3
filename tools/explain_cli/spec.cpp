#include "tools/explain_cli/spec.h"

#include <cmath>
#include <limits>

#include "tools/explain_cli/input_error.h"

namespace ag::explain {

namespace {

// Tensors larger than this are refused: a spec is something a person reads.
constexpr int64_t kMaxElements = int64_t(1) << 28;
constexpr int kMaxDims = 16;
// Integer params travel through a double (JSON numbers); beyond 2^53 they would be rounded.
constexpr int64_t kMaxIntegerParam = int64_t(1) << 53;

void check_keys(const Json& object, const std::vector<std::string>& allowed,
                const std::string& what) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const std::string& a : allowed) known = known || key == a;
    if (!known) {
      std::string list;
      for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
      input_error(what, " has an unknown key \"", key, "\" (expected ", list, ")");
    }
  }
}

// Each size is checked on its own first (a whole number, >= 0, at most kMaxElements), then their
// product; each message names the limit that is exceeded.
Shape parse_shape(const Json& j, const std::string& what) {
  if (!j.is_array()) input_error(what, ": \"shape\" must be a list of sizes, got ", json_kind(j));
  if (j.size() > size_t(kMaxDims)) {
    input_error(what, ": \"shape\" has ", j.size(), " dims, more than the limit of ", kMaxDims);
  }
  Shape shape;
  for (size_t i = 0; i < j.size(); ++i) {
    const Json& d = j[i];
    const std::optional<double> v = json_number(d);
    if (!v || !std::isfinite(*v) || *v != std::floor(*v)) {
      input_error(what, ": \"shape\" must hold whole numbers >= 0; the size at dim ", i, " is ",
                  json_kind(d));
    }
    if (*v < 0) {
      input_error(what, ": \"shape\" must hold sizes >= 0; the size at dim ", i, " is ", d.dump());
    }
    if (*v > double(kMaxElements)) {
      input_error(what, ": \"shape\" has the size ", d.dump(), " at dim ", i,
                  ", more than the limit of ", kMaxElements, " per dimension (and ", kMaxElements,
                  " elements per tensor)");
    }
    shape.push_back(int64_t(*v));
  }
  // Sizes of 0 count as 1 here: a tensor that is empty along one dim may still not be huge along
  // the others (its gradients and reductions are not empty).
  bool has_zero = false, overflow = false;
  int64_t spanned = 1;
  for (int64_t d : shape) {
    has_zero = has_zero || d == 0;
    overflow = overflow || __builtin_mul_overflow(spanned, std::max<int64_t>(d, 1), &spanned);
  }
  if (overflow || spanned > kMaxElements) {
    const std::string count =
        overflow ? "more than " + std::to_string(std::numeric_limits<int64_t>::max())
                 : std::to_string(spanned);
    input_error(what, ": shape ", to_string(shape), has_zero ? " would span " : " has ", count,
                " elements", has_zero ? " with its sizes of 0 counted as 1" : "",
                ", more than the limit of ", kMaxElements, " elements per tensor");
  }
  return shape;
}

// Appends the leaves of `data` in row-major order. A flat list is taken as is (its length is
// checked by the caller); nested lists must follow `shape` exactly.
void flatten(const Json& data, const Shape& shape, size_t depth, std::vector<const Json*>& leaves,
             const std::string& what) {
  if (depth == shape.size()) {
    if (data.is_array())
      input_error(what, ": \"data\" is nested deeper than shape ", to_string(shape));
    leaves.push_back(&data);
    return;
  }
  if (!data.is_array() || int64_t(data.size()) != shape[depth]) {
    input_error(what, ": nested \"data\" does not match shape ", to_string(shape), " at depth ",
                depth, " (expected a list of ", shape[depth], ", got ",
                data.is_array() ? "a list of " + std::to_string(data.size()) : json_kind(data),
                ")");
  }
  for (const Json& item : data) flatten(item, shape, depth + 1, leaves, what);
}

std::vector<const Json*> data_leaves(const Json& data, const Shape& shape,
                                     const std::string& what) {
  if (!data.is_array() && !shape.empty()) {
    input_error(what, ": \"data\" must be a list, got ", json_kind(data));
  }
  const int64_t numel = numel_of(shape);
  std::vector<const Json*> leaves;
  bool flat = data.is_array();
  for (size_t i = 0; flat && i < data.size(); ++i) flat = !data[i].is_array();
  if (shape.empty()) {
    // A 0-d tensor: [v] or a bare number.
    if (data.is_array() && data.size() != 1) {
      input_error(what, ": shape [] holds 1 value but \"data\" has ", data.size());
    }
    if (data.is_array() && data[0].is_array())
      input_error(what, ": \"data\" is nested for shape []");
    leaves.push_back(data.is_array() ? &data[0] : &data);
  } else if (flat) {
    if (int64_t(data.size()) != numel) {
      input_error(what, ": shape ", to_string(shape), " holds ", numel, " values but \"data\" has ",
                  data.size());
    }
    for (const Json& v : data) leaves.push_back(&v);
  } else {
    flatten(data, shape, 0, leaves, what);
  }
  return leaves;
}

}  // namespace

OpSpec parse_spec(const Json& doc) {
  if (!doc.is_object()) input_error("the spec must be a JSON object, got ", json_kind(doc));
  check_keys(doc, {"op", "inputs", "grad_output", "params"}, "the spec");
  OpSpec spec;
  if (!doc.contains("op")) input_error("the spec has no \"op\" (e.g. \"op\": \"swiglu\")");
  if (!doc["op"].is_string()) input_error("\"op\" must be a string, got ", json_kind(doc["op"]));
  spec.op = doc["op"].get<std::string>();
  if (!doc.contains("inputs")) input_error("the spec has no \"inputs\" (an object name -> tensor)");
  if (!doc["inputs"].is_object()) {
    input_error("\"inputs\" must be an object (name -> tensor), got ", json_kind(doc["inputs"]));
  }
  spec.inputs = doc["inputs"];
  if (doc.contains("grad_output")) spec.grad_output = doc["grad_output"];
  if (doc.contains("params")) {
    if (!doc["params"].is_object()) {
      input_error("\"params\" must be an object, got ", json_kind(doc["params"]));
    }
    spec.params = doc["params"];
  }
  return spec;
}

Tensor HostTensor::to_tensor() const {
  return is_index ? Tensor::from_indices(indices, shape) : Tensor::from_vector(values, shape);
}

HostTensor parse_tensor(const Json& j, const std::string& what, ValueKind kind) {
  if (!j.is_object()) {
    input_error(what, " must be an object {\"shape\": [...], \"data\": [...]}, got ", json_kind(j));
  }
  check_keys(j, {"shape", "data"}, what);
  if (!j.contains("shape")) input_error(what, " has no \"shape\"");
  if (!j.contains("data")) input_error(what, " has no \"data\"");
  HostTensor t;
  t.shape = parse_shape(j["shape"], what);
  t.is_index = kind == ValueKind::Index;
  const std::vector<const Json*> leaves = data_leaves(j["data"], t.shape, what);
  for (size_t i = 0; i < leaves.size(); ++i) {
    const Json& leaf = *leaves[i];
    if (kind == ValueKind::Mask && leaf.is_boolean()) {
      t.values.push_back(leaf.get<bool>() ? 1.0f : 0.0f);
      continue;
    }
    const std::optional<double> v = json_number(leaf);
    if (!v) input_error(what, ": element ", i, " is ", json_kind(leaf), ", not a number");
    switch (kind) {
      case ValueKind::Float:
        if (std::isfinite(*v) && std::fabs(*v) > double(std::numeric_limits<float>::max())) {
          input_error(what, ": element ", i, " (", leaf.dump(), ") does not fit in float32");
        }
        t.values.push_back(float(*v));
        break;
      case ValueKind::Mask:
        if (*v != 0.0 && *v != 1.0) {
          input_error(what, " must hold 0/1 (or true/false); element ", i, " is ", leaf.dump());
        }
        t.values.push_back(float(*v));
        break;
      case ValueKind::Index:
        if (!std::isfinite(*v) || *v != std::floor(*v)) {
          input_error(what, " must hold integers; element ", i, " is ", leaf.dump());
        }
        if (*v < double(std::numeric_limits<int32_t>::min()) ||
            *v > double(std::numeric_limits<int32_t>::max())) {
          input_error(what, " holds int32 values; element ", i, " (", leaf.dump(),
                      ") is outside their range [", std::numeric_limits<int32_t>::min(), ", ",
                      std::numeric_limits<int32_t>::max(), "]");
        }
        t.indices.push_back(int32_t(*v));
        break;
    }
  }
  return t;
}

// --- Params --------------------------------------------------------------------------------

const Json* Params::find(const char* name) const {
  return object_.contains(name) ? &object_[name] : nullptr;
}

bool Params::has(const char* name) const {
  return find(name) != nullptr;
}

void Params::wrong(const char* name, const char* expected, const Json& got) const {
  input_error("param '", name, "' of ", op_, " must be ", expected, ", got ", json_kind(got));
}

double Params::number(const char* name, double fallback) const {
  const Json* v = find(name);
  if (!v) return fallback;
  const std::optional<double> d = json_number(*v);
  if (!d) wrong(name, "a number", *v);
  return *d;
}

double Params::required_number(const char* name) const {
  if (!find(name)) input_error(op_, " needs the param '", name, "' (a number)");
  return number(name, 0.0);
}

int64_t Params::as_integer(const Json& v, const std::string& name) const {
  const std::optional<double> d = json_number(v);
  if (!d || !std::isfinite(*d) || *d != std::floor(*d)) wrong(name.c_str(), "an integer", v);
  if (std::fabs(*d) > double(kMaxIntegerParam)) {
    input_error("param '", name, "' of ", op_, " is ", v.dump(), ", beyond the limit of ",
                kMaxIntegerParam, " in magnitude for an integer param");
  }
  return int64_t(*d);
}

int64_t Params::integer(const char* name, int64_t fallback) const {
  const Json* v = find(name);
  return v ? as_integer(*v, name) : fallback;
}

int64_t Params::required_integer(const char* name) const {
  if (!find(name)) input_error(op_, " needs the param '", name, "' (an integer)");
  return integer(name, 0);
}

bool Params::boolean(const char* name, bool fallback) const {
  const Json* v = find(name);
  if (!v) return fallback;
  if (!v->is_boolean()) wrong(name, "true or false", *v);
  return v->get<bool>();
}

std::vector<int64_t> Params::required_int_list(const char* name) const {
  const Json* v = find(name);
  if (!v) input_error(op_, " needs the param '", name, "' (a list of integers)");
  if (!v->is_array()) wrong(name, "a list of integers", *v);
  std::vector<int64_t> out;
  for (const Json& item : *v) out.push_back(as_integer(item, name));
  return out;
}

std::optional<std::vector<int64_t>> Params::dims(const char* name,
                                                 std::vector<int64_t> fallback) const {
  const Json* v = find(name);
  if (!v) return fallback;
  if (v->is_null()) return std::nullopt;
  if (v->is_array()) {
    std::vector<int64_t> out;
    for (const Json& item : *v) out.push_back(as_integer(item, name));
    if (out.empty()) return std::nullopt;  // PyTorch: an empty dim list reduces everything
    return out;
  }
  if (!json_number(*v)) wrong(name, "an integer, a list of integers or null", *v);
  return std::vector<int64_t>{as_integer(*v, name)};
}

std::string Params::choice(const char* name, const std::vector<std::string>& allowed,
                           const std::string& fallback) const {
  const Json* v = find(name);
  if (!v) return fallback;
  std::string list;
  for (const std::string& a : allowed) list += (list.empty() ? "\"" : " or \"") + a + "\"";
  if (!v->is_string()) wrong(name, list.c_str(), *v);
  const std::string s = v->get<std::string>();
  for (const std::string& a : allowed) {
    if (s == a) return s;
  }
  wrong(name, list.c_str(), *v);
}

}  // namespace ag::explain
