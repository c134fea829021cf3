#include "tools/explain_cli/op_run.h"

#include <map>

#include "core/error.h"
#include "core/ops.h"
#include "tools/explain_cli/format.h"
#include "tools/explain_cli/input_error.h"

namespace ag::explain {

namespace {

std::string slot_list(const OpEntry& entry) {
  std::string s;
  for (const InputSlot& slot : entry.inputs) {
    if (!s.empty()) s += ", ";
    s += slot.name;
    if (*slot.role) s += std::string(" (") + slot.role + ")";
    if (slot.optional) s += " (optional)";
  }
  return s;
}

void check_input_names(const OpSpec& spec, const OpEntry& entry) {
  for (const auto& [name, value] : spec.inputs.items()) {
    bool known = false;
    for (const InputSlot& slot : entry.inputs) known = known || name == slot.name;
    if (!known) {
      input_error("op '", entry.name, "' has no input '", name, "' (its inputs: ", slot_list(entry),
                  ")");
    }
  }
  for (const InputSlot& slot : entry.inputs) {
    if (!slot.optional && !spec.inputs.contains(slot.name)) {
      input_error("op '", entry.name, "' needs the input '", slot.name,
                  "' (its inputs: ", slot_list(entry), ")");
    }
  }
}

void check_param_names(const OpSpec& spec, const OpEntry& entry) {
  for (const auto& [name, value] : spec.params.items()) {
    bool known = false;
    for (const char* p : entry.params) known = known || name == p;
    if (!known) {
      std::string list;
      for (const char* p : entry.params) list += (list.empty() ? "" : ", ") + std::string(p);
      input_error("op '", entry.name, "' has no param '", name,
                  "' (its params: ", list.empty() ? "none" : list, ")");
    }
  }
}

// The upstream gradients, one per output: ones by default. A multi-output op takes a list with
// one tensor per output, or a single tensor shaped like the outputs concatenated (= its input),
// which is cut the same way.
std::vector<Tensor> upstream_gradients(const OpSpec& spec, const OpEntry& entry,
                                       const std::vector<Tensor>& outputs,
                                       const std::vector<HostTensor>& given) {
  std::vector<Tensor> grads;
  if (given.empty()) {
    for (const Tensor& y : outputs) grads.push_back(Tensor::ones(y.shape()));
    return grads;
  }
  if (given.size() == 1 && outputs.size() > 1) {
    // one gradient for the whole input of split: cut it like the input was cut
    const Tensor whole = given[0].to_tensor();
    const int64_t dim = Params(spec.params, entry.name).integer("dim", 0);
    std::vector<int64_t> sizes;
    const int d = outputs[0].ndim() ? normalize_dim(dim, outputs[0].ndim(), "split") : 0;
    for (const Tensor& y : outputs) sizes.push_back(y.shape()[size_t(d)]);
    Shape expected = outputs[0].shape();
    expected[size_t(d)] = 0;
    for (int64_t s : sizes) expected[size_t(d)] += s;
    if (whole.shape() != expected) {
      input_error("grad_output has shape ", to_string(whole.shape()), " but the outputs of ",
                  entry.name, " together are ", to_string(expected),
                  " (or give a list with one gradient per output)");
    }
    NoGradGuard no_grad;
    return ag::split(whole, sizes, d);
  }
  if (given.size() != outputs.size()) {
    input_error("grad_output has ", given.size(), " tensors but ", entry.name, " produced ",
                outputs.size(), " outputs");
  }
  for (size_t i = 0; i < given.size(); ++i) {
    const Tensor g = given[i].to_tensor();
    if (g.shape() != outputs[i].shape()) {
      input_error("grad_output", outputs.size() > 1 ? concat("[", i, "]") : "", " has shape ",
                  to_string(g.shape()), " but the output of ", entry.name, " is ",
                  to_string(outputs[i].shape()));
    }
    grads.push_back(g);
  }
  return grads;
}

}  // namespace

OpRun run_op(const OpSpec& spec, Device device) {
  const OpEntry* entry = find_op(spec.op);
  if (!entry) {
    const std::string guess = closest_op_name(spec.op);
    input_error("unknown op '", spec.op, "'",
                guess.empty() ? "" : " (did you mean '" + guess + "'?)",
                "; known ops: ", op_names());
  }
  check_input_names(spec, *entry);
  check_param_names(spec, *entry);

  // Everything from the spec is checked before the engine runs, so a bad grad_output cannot
  // leave a half-used tape behind.
  std::vector<HostTensor> host_inputs;
  std::vector<const InputSlot*> present;
  for (const InputSlot& slot : entry->inputs) {
    if (!spec.inputs.contains(slot.name)) continue;
    host_inputs.push_back(parse_tensor(spec.inputs[slot.name],
                                       "input '" + std::string(slot.name) + "' of " + entry->name,
                                       slot.kind));
    present.push_back(&slot);
  }
  std::vector<HostTensor> host_grads;
  if (spec.grad_output.is_array() && entry->multi_output) {
    for (size_t i = 0; i < spec.grad_output.size(); ++i) {
      host_grads.push_back(parse_tensor(
          spec.grad_output[i], "grad_output[" + std::to_string(i) + "]", ValueKind::Float));
    }
  } else if (!spec.grad_output.is_null()) {
    host_grads.push_back(parse_tensor(spec.grad_output, "grad_output", ValueKind::Float));
  }

  OpRun run;
  run.entry = entry;
  run.device = device;
  run.params = spec.params;
  const Params params(spec.params, entry->name);
  std::map<std::string, Tensor> on_device;
  for (size_t i = 0; i < present.size(); ++i) {
    Tensor host = host_inputs[i].to_tensor();
    run.inputs.push_back({present[i]->name, host});
    Tensor t = host.to(device);  // CUDA: the engine throws ag::Error when it has no GPU
    if (present[i]->kind == ValueKind::Float) t.requires_grad_(true);
    on_device.emplace(present[i]->name, t);
  }

  try {
    const std::vector<Tensor> outputs = entry->run(OpArgs{on_device, params});
    for (const Tensor& y : outputs) run.outputs.push_back(y.to(Device::CPU));
    run.grad_outputs = upstream_gradients(spec, *entry, run.outputs, host_grads);
    if (outputs.size() == 1) {
      ag::backward(outputs[0], run.grad_outputs[0].to(device));
    } else {
      // L = sum_i sum(y_i * g_i) has dL/dy_i = g_i exactly: one backward for all the outputs.
      Tensor total;
      for (size_t i = 0; i < outputs.size(); ++i) {
        const Tensor term = ag::sum(ag::mul(outputs[i], run.grad_outputs[i].to(device)));
        total = total.defined() ? ag::add(total, term) : term;
      }
      ag::backward(total);
    }
  } catch (...) {
    ag::clear_tape();  // nodes of a failed forward would otherwise linger for the next run
    throw;
  }

  for (size_t i = 0; i < present.size(); ++i) {
    if (present[i]->kind != ValueKind::Float) continue;
    const Tensor& t = on_device.at(present[i]->name);
    // An input the output does not depend on gets no gradient from the engine: report zeros.
    const Tensor g = t.grad().defined() ? t.grad().to(Device::CPU) : Tensor::zeros(t.shape());
    run.grads.push_back({present[i]->name, g});
  }
  if (entry->elementwise) run.elementwise = entry->elementwise(params);
  return run;
}

Json op_run_json(const OpRun& run) {
  Json j = Json::object();
  j["op"] = run.entry->name;
  if (run.entry->multi_output) {
    Json outs = Json::array();
    for (const Tensor& y : run.outputs) outs.push_back(tensor_json(y));
    j["outputs"] = std::move(outs);
  } else {
    j["output"] = tensor_json(run.outputs.at(0));
  }
  Json grads = Json::object();
  for (const NamedTensor& g : run.grads) grads[g.name] = tensor_json(g.value);
  j["grads"] = std::move(grads);
  return j;
}

}  // namespace ag::explain
