#include "tools/explain_cli/tape.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "core/ops.h"
#include "tools/explain_cli/format.h"
#include "tools/explain_cli/input_error.h"

namespace ag::explain {

namespace {

constexpr int64_t kTokens = 2, kDims = 4, kHidden = 6;

Tensor parameter(const Shape& shape, Generator& gen, float std, Device device, const char* name) {
  Tensor t = Tensor::randn(shape, gen, 0.0f, std, device);
  t.requires_grad_(true);
  t.set_name(name);
  return t;
}

Tensor named(Tensor t, const char* name) {
  t.set_name(name);
  return t;
}

// The block's forward pass; returns the loss. Names label the tensors in the printout.
Tensor forward(const std::string& ffn, Device device, std::string& description) {
  Generator gen(kTinyFfnSeed);
  const Tensor x = parameter({kTokens, kDims}, gen, 1.0f, device, "x");
  Tensor y;
  const bool gated = ffn == "swiglu" || ffn == "geglu" || ffn == "swiglu_unfused";
  if (gated) {
    const float scale = 0.5f;  // ~ 1/sqrt(fan_in) for fan_in 4
    const Tensor w_gate = parameter({kDims, kHidden}, gen, scale, device, "W_gate");
    const Tensor w_up = parameter({kDims, kHidden}, gen, scale, device, "W_up");
    const Tensor w_down = parameter({kHidden, kDims}, gen, 0.4f, device, "W_down");
    const Tensor gate = named(ag::matmul(x, w_gate), "gate");
    const Tensor up = named(ag::matmul(x, w_up), "up");
    Tensor h;
    if (ffn == "swiglu") {
      h = ag::swiglu(gate, up);
      description = "y = swiglu(x @ W_gate, x @ W_up) @ W_down,  swiglu(a, b) = silu(a) * b";
    } else if (ffn == "geglu") {
      h = ag::geglu(gate, up);
      description = "y = geglu(x @ W_gate, x @ W_up) @ W_down,  geglu(a, b) = gelu(a) * b";
    } else {
      h = ag::mul(named(ag::silu(gate), "silu(gate)"), up);
      description = "y = (silu(x @ W_gate) * (x @ W_up)) @ W_down   (unfused: silu, then mul)";
    }
    y = named(ag::matmul(named(h, "h"), w_down), "y");
  } else {
    const Tensor w1 = parameter({kDims, kHidden}, gen, 0.5f, device, "W1");
    const Tensor b1 = parameter({kHidden}, gen, 0.1f, device, "b1");
    const Tensor w2 = parameter({kHidden, kDims}, gen, 0.4f, device, "W2");
    const Tensor b2 = parameter({kDims}, gen, 0.1f, device, "b2");
    const Tensor pre = named(ag::add(named(ag::matmul(x, w1), "x@W1"), b1), "pre");
    Tensor act;
    if (ffn == "relu") {
      act = ag::relu(pre);
    } else if (ffn == "swish") {
      act = ag::swish(pre, 1.0f);
    } else {
      act = ag::gelu(pre);
    }
    description = "y = " + ffn + "(x @ W1 + b1) @ W2 + b2";
    act.set_name("act");
    y = named(ag::add(named(ag::matmul(act, w2), "act@W2"), b2), "y");
  }
  description += ";  loss = mean(y * y)";
  return named(ag::mean(named(ag::mul(y, y), "y*y")), "loss");
}

}  // namespace

const std::vector<std::string>& tiny_ffn_kinds() {
  static const std::vector<std::string> kinds = {"relu",   "swish", "gelu",
                                                 "swiglu", "geglu", "swiglu_unfused"};
  return kinds;
}

const TapeTensor& TapeRun::tensor(const std::string& name) const {
  for (const TapeTensor& t : tensors) {
    if (t.name == name) return t;
  }
  throw std::out_of_range("no tensor named " + name + " on the tape");
}

void snapshot_nodes(size_t count, TapeRun& run, std::vector<Tensor>& handles) {
  std::map<const TensorImpl*, int> ids;
  for (size_t i = 0; i < handles.size(); ++i) ids.emplace(handles[i].impl(), int(i));
  auto id_of = [&](const Tensor& t) {
    const auto [it, inserted] = ids.emplace(t.impl(), int(handles.size()));
    if (inserted) {
      handles.push_back(t);
      TapeTensor info;
      info.id = it->second;
      info.name = t.name().empty() ? concat("t", it->second) : t.name();
      info.shape = t.shape();
      info.values = t.to_vector();
      info.leaf = t.is_leaf();
      run.tensors.push_back(std::move(info));
    }
    return it->second;
  };
  const std::vector<Node>& nodes = ag::tape_nodes();
  count = std::min(count, nodes.size());
  for (size_t i = 0; i < count; ++i) {
    TapeNode node;
    node.index = int(i);
    node.op = nodes[i].op;
    for (const Tensor& in : nodes[i].inputs) {
      if (in.defined() && in.dtype() == DType::F32) node.inputs.push_back(id_of(in));
    }
    node.output = id_of(nodes[i].output);
    run.nodes.push_back(std::move(node));
  }
}

void snapshot_grads(TapeRun& run, const std::vector<Tensor>& handles) {
  for (size_t i = 0; i < handles.size() && i < run.tensors.size(); ++i) {
    const Tensor g = handles[i].grad();
    run.tensors[i].has_grad = g.defined();
    if (g.defined()) run.tensors[i].grad = g.to_vector();
  }
}

TapeRun run_tiny_ffn(const std::string& ffn, Device device) {
  bool known = false;
  for (const std::string& k : tiny_ffn_kinds()) known = known || k == ffn;
  if (!known) {
    input_error("unknown --ffn '", ffn,
                "' (expected relu, swish, gelu, swiglu, geglu, swiglu_unfused or all)");
  }
  TapeRun run;
  run.ffn = ffn;
  run.device = device;
  // Drop anything an earlier caller left on this thread's tape, so node 0 is this block's.
  ag::clear_tape();

  Tensor loss;
  std::vector<Tensor> handles;  // keeps every tensor alive past backward, for its gradient
  try {
    loss = forward(ffn, device, run.description);
    // Snapshot the tape now: ag::backward frees it.
    snapshot_nodes(ag::tape_nodes().size(), run, handles);
    run.loss = loss.item();
    BackwardOptions options;
    options.retain_grads = true;  // keep the intermediate gradients to show them
    ag::backward(loss, Tensor(), options);
  } catch (...) {
    ag::clear_tape();
    throw;
  }
  snapshot_grads(run, handles);
  return run;
}

}  // namespace ag::explain
