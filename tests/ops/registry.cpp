#include "tests/ops/registry.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

namespace opcases {

// The families' cases (cases_*.cpp).
void elementwise_cases(Registry& r);
void activation_cases(Registry& r);
void gated_cases(Registry& r);
void matmul_cases(Registry& r);
void layout_cases(Registry& r);
void reduce_cases(Registry& r);
void row_cases(Registry& r);
void embedding_dropout_attention_cases(Registry& r);
void optim_cases(Registry& r);
void extreme_cases(Registry& r);
void misaligned_cases(Registry& r);

void Registry::add(OpCase c) {
  if (c.ops.empty() || c.name.empty() || !c.forward || (!c.gradcheck && !c.parity)) {
    throw std::logic_error("op case '" + c.name +
                           "' needs ops, a name, a forward function and at least one mode");
  }
  cases_.push_back(std::move(c));
}

void Registry::declare(const std::string& op, Exemption what, const std::string& reason) {
  declared_.push_back({op, what, reason});
}

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    elementwise_cases(reg);
    activation_cases(reg);
    gated_cases(reg);
    matmul_cases(reg);
    layout_cases(reg);
    reduce_cases(reg);
    row_cases(reg);
    embedding_dropout_attention_cases(reg);
    optim_cases(reg);
    extreme_cases(reg);
    misaligned_cases(reg);
    return reg;
  }();
  return r;
}

std::string base_name(const std::string& op) {
  return op.substr(0, op.find('('));
}

std::string group_of(const OpCase& c) {
  std::string g = c.group.empty() ? base_name(c.ops.front()) : c.group;
  for (char& ch : g) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return g;
}

uint64_t seed_of(const OpCase& c) {
  return c.seed != 0 ? c.seed : parity::seed_of(c.name);
}

std::vector<Group> groups(Mode mode) {
  std::vector<Group> out;
  std::map<std::string, size_t> index;
  for (const OpCase& c : registry().cases()) {
    if (mode == Mode::GradCheck ? !c.gradcheck : !c.parity) continue;
    const std::string g = group_of(c);
    auto [it, fresh] = index.emplace(g, out.size());
    if (fresh) out.push_back(Group{g, {}});
    out[it->second].cases.push_back(&c);
  }
  return out;
}

void PrintTo(const Group& group, std::ostream* os) {
  *os << group.name << " (" << group.cases.size() << " cases)";
}

std::vector<Tensor> draw_inputs(const OpCase& c, Generator& shared) {
  std::vector<Tensor> inputs;
  for (const Input& in : c.inputs) {
    Tensor t;
    if (in.seed) {
      Generator own(*in.seed);
      t = in.values.draw(in.shape, own, inputs);
    } else {
      t = in.values.draw(in.shape, shared, inputs);
    }
    if (t.shape() != in.shape) {
      throw std::logic_error("op case '" + c.name + "': values '" + in.values.text + "' gave " +
                             t.describe() + " for an input of shape " + ag::to_string(in.shape));
    }
    inputs.push_back(t);
  }
  return inputs;
}

const agtest::GradCheckOptions* gradcheck_tolerance(const std::string& op) {
  for (const OpCase& c : registry().cases()) {
    if (c.gradcheck && c.ops.front() == op) {
      return &*c.gradcheck;
    }
  }
  return nullptr;
}

}  // namespace opcases
