// Text and JSON views of a tape run (the Graphviz one is in dot.cpp).
#include <algorithm>

#include "tools/explain_cli/format.h"
#include "tools/explain_cli/ops_table.h"
#include "tools/explain_cli/tape.h"

namespace ag::explain {

namespace {

constexpr size_t kShownValues = 4;

std::string with_shape(const TapeTensor& t) {
  return t.name + to_string(t.shape);
}

// Tensors in the order backward produces their gradients: the loss first, back through the
// tape, then the leaves (input and parameters).
std::vector<const TapeTensor*> backward_order(const TapeRun& run) {
  std::vector<const TapeTensor*> order;
  for (auto node = run.nodes.rbegin(); node != run.nodes.rend(); ++node) {
    order.push_back(&run.tensors[size_t(node->output)]);
  }
  for (const TapeTensor& t : run.tensors) {
    if (t.leaf) order.push_back(&t);
  }
  return order;
}

}  // namespace

void print_tape(std::ostream& out, const TapeRun& run) {
  out << "tiny " << run.ffn << " FFN: " << run.description << '\n';
  out << "x: 2 tokens x 4 dims, hidden width 6, seed " << kTinyFfnSeed << ", device "
      << device_label(run.device) << "\n\n";

  out << "the tape: " << run.nodes.size()
      << " nodes, in the order the forward pass recorded them\n";
  std::vector<std::vector<std::string>> rows = {{"#", "op", "inputs", "output", "output values"}};
  for (const TapeNode& node : run.nodes) {
    std::string inputs;
    for (int id : node.inputs) {
      inputs += (inputs.empty() ? "" : ", ") + with_shape(run.tensors[size_t(id)]);
    }
    const TapeTensor& y = run.tensors[size_t(node.output)];
    rows.push_back({std::to_string(node.index), node.op, inputs, with_shape(y),
                    first_values(y.values, kShownValues)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  for (const auto& r : rows) {
    out << "  " << pad_left(r[0], width[0]);
    for (size_t c = 1; c < r.size(); ++c) {
      out << "  " << (c + 1 == r.size() ? r[c] : pad_right(r[c], width[c]));
    }
    out << '\n';
  }
  out << "loss = " << short_number(run.loss) << "\n\n";

  out << "backward: ag::backward(loss) seeds dL/dloss = 1 and walks the tape from the last node "
         "to the first;\neach node turns the gradient g of its output into gradients of its "
         "inputs:\n";
  size_t op_width = 0;
  for (const TapeNode& node : run.nodes) op_width = std::max(op_width, node.op.size());
  for (auto node = run.nodes.rbegin(); node != run.nodes.rend(); ++node) {
    const OpEntry* entry = find_op(node->op);
    out << "  #" << node->index << " " << pad_right(node->op, op_width) << "  "
        << (entry ? entry->backward : "(see core/ops)") << '\n';
  }
  out << '\n';

  // ReLU's zero derivative, seen on this very input: units whose pre-activation is <= 0 pass
  // nothing back, which is what "dead" means when it holds for every input.
  for (const TapeNode& node : run.nodes) {
    if (node.op != "relu" || node.inputs.empty()) continue;
    const TapeTensor& pre = run.tensors[size_t(node.inputs[0])];
    size_t blocked = 0;
    for (float v : pre.values) blocked += v <= 0.0f;
    out << "relu (#" << node.index << "): " << blocked << " of " << pre.values.size() << " "
        << pre.name << " values are <= 0; relu' = 0 there, so dL/d" << pre.name
        << " is 0 in those places whatever dL/d" << run.tensors[size_t(node.output)].name
        << " is\n\n";
  }

  out << "gradients after backward (retain_grads keeps those of intermediate tensors too):\n";
  size_t name_width = 0;
  for (const TapeTensor& t : run.tensors) name_width = std::max(name_width, with_shape(t).size());
  for (const TapeTensor* t : backward_order(run)) {
    out << "  dL/d" << pad_right(with_shape(*t), name_width) << "  "
        << (t->has_grad ? first_values(t->grad, kShownValues) : "(none)") << '\n';
  }
}

Json tape_json(const TapeRun& run) {
  Json j = Json::object();
  j["ffn"] = run.ffn;
  j["description"] = run.description;
  j["device"] = device_label(run.device);
  j["loss"] = float_json(run.loss);
  Json nodes = Json::array();
  for (const TapeNode& node : run.nodes) {
    Json inputs = Json::array();
    for (int id : node.inputs) inputs.push_back(run.tensors[size_t(id)].name);
    nodes.push_back(Json{{"index", node.index},
                         {"op", node.op},
                         {"inputs", std::move(inputs)},
                         {"output", run.tensors[size_t(node.output)].name}});
  }
  j["nodes"] = std::move(nodes);
  Json tensors = Json::array();
  for (const TapeTensor& t : run.tensors) {
    Json values = Json::array(), grad = Json::array();
    for (float v : t.values) values.push_back(float_json(v));
    for (float v : t.grad) grad.push_back(float_json(v));
    tensors.push_back(Json{{"name", t.name},
                           {"shape", t.shape},
                           {"leaf", t.leaf},
                           {"data", std::move(values)},
                           {"grad", t.has_grad ? std::move(grad) : Json(nullptr)}});
  }
  j["tensors"] = std::move(tensors);
  return j;
}

}  // namespace ag::explain
