// The human-readable output of an op spec (the JSON one is op_run_json in op_run.cpp).
#include <ostream>

#include "core/math/unary.h"
#include "tools/explain_cli/format.h"
#include "tools/explain_cli/op_run.h"

namespace ag::explain {

namespace {

std::string described(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + to_string(t.shape());
}

const char* role_of(const OpEntry& entry, const std::string& input) {
  for (const InputSlot& slot : entry.inputs) {
    if (input == slot.name) return slot.role;
  }
  return "";
}

void print_header(std::ostream& out, const OpRun& run) {
  out << run.entry->name << ":  " << run.entry->forward << '\n';
  out << "backward:  " << run.entry->backward << '\n';
  out << "params: " << (run.params.empty() ? "(defaults)" : dump_json(run.params))
      << "   device: " << device_label(run.device) << "\n\n";
}

// One row per element: the chain rule at work, downstream = upstream * local derivative.
void print_elementwise_table(std::ostream& out, const OpRun& run) {
  const Tensor& x = run.inputs.at(0).value;
  const std::vector<float> xs = x.to_vector();
  const std::vector<float> ys = run.outputs.at(0).to_vector();
  const std::vector<float> gs = run.grad_outputs.at(0).to_vector();
  const std::vector<float> dxs = run.grads.at(0).value.to_vector();
  const std::vector<std::string> head = {"element",     "input x",        "output y",
                                         "local f'(x)", "upstream dL/dy", "downstream dL/dx"};
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < xs.size(); ++i) {
    const float local = math::unary_derivative(run.elementwise->op, run.elementwise->params, xs[i]);
    rows.push_back({element_index(x.shape(), int64_t(i)), table_number(xs[i]), table_number(ys[i]),
                    table_number(local), table_number(gs[i]), table_number(dxs[i])});
  }
  std::vector<size_t> width(head.size());
  for (size_t c = 0; c < head.size(); ++c) {
    width[c] = head[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  for (size_t c = 0; c < head.size(); ++c) {
    out << (c ? "  " : "") << (c ? pad_left(head[c], width[c]) : pad_right(head[c], width[c]));
  }
  out << '\n';
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) {
      out << (c ? "  " : "") << (c ? pad_left(r[c], width[c]) : pad_right(r[c], width[c]));
    }
    out << '\n';
  }
  out << "\ndownstream = upstream * local derivative (the chain rule); the local derivative "
         "comes from the functor in core/math/unary.h, the downstream gradient from the "
         "engine's backward.\n";
}

void print_tensor_section(std::ostream& out, const std::string& title, const Tensor& t) {
  out << title << "  " << described(t) << '\n';
  print_tensor(out, t, "  ");
}

void print_tensors(std::ostream& out, const OpRun& run) {
  for (const NamedTensor& in : run.inputs) {
    const std::string role = role_of(*run.entry, in.name);
    print_tensor_section(out, "input " + in.name + (role.empty() ? "" : " (" + role + ")"),
                         in.value);
  }
  const bool several = run.outputs.size() > 1;
  for (size_t i = 0; i < run.outputs.size(); ++i) {
    const std::string suffix = several ? concat(" ", i) : "";
    print_tensor_section(out, "output" + suffix, run.outputs[i]);
  }
  for (size_t i = 0; i < run.grad_outputs.size(); ++i) {
    const std::string suffix = several ? concat(" ", i) : "";
    print_tensor_section(out, "grad_output" + suffix + " (upstream dL/doutput" + suffix + ")",
                         run.grad_outputs[i]);
  }
  for (const NamedTensor& g : run.grads) {
    print_tensor_section(out, "grad " + g.name + " (downstream dL/d" + g.name + ")", g.value);
  }
}

}  // namespace

void print_op_run(std::ostream& out, const OpRun& run) {
  print_header(out, run);
  if (run.elementwise) {
    print_elementwise_table(out, run);
  } else {
    print_tensors(out, run);
  }
}

}  // namespace ag::explain
