// Runs one op spec through the engine: builds the inputs on the device (float inputs require a
// gradient), calls the op, runs ag::backward with the spec's upstream gradient and reads back the
// output and the input gradients.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "tools/explain_cli/json_io.h"
#include "tools/explain_cli/ops_table.h"
#include "tools/explain_cli/spec.h"

namespace ag::explain {

struct NamedTensor {
  std::string name;
  Tensor value;  // on the host
};

struct OpRun {
  const OpEntry* entry = nullptr;
  Device device = Device::CPU;
  Json params = Json::object();            // as given in the spec
  std::vector<NamedTensor> inputs;         // as given, in the op's slot order
  std::vector<Tensor> outputs;             // one; several for a multi-output op (split)
  std::vector<Tensor> grad_outputs;        // the upstream gradient of each output
  std::vector<NamedTensor> grads;          // dL/d(input) for every float input
  std::optional<Elementwise> elementwise;  // set for elementwise unary ops
};

// Throws InputError for a bad spec and ag::Error for what the engine rejects.
OpRun run_op(const OpSpec& spec, Device device);

// {"op": ..., "output": {...}, "grads": {name: {...}}}; a multi-output op has "outputs": [...]
// instead of "output".
Json op_run_json(const OpRun& run);

// The human-readable explanation: a per-element table for elementwise unary ops, a per-tensor
// print (inputs, output, upstream gradient, input gradients) for the others.
void print_op_run(std::ostream& out, const OpRun& run);

}  // namespace ag::explain
