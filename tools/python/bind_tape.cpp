// The tape for Python: no_grad(), the recorded nodes, and the Graphviz picture that
// `explain --tape --dot` draws (the same code: tools/explain_cli/dot.cpp).
#include <memory>

#include "core/ops.h"
#include "tools/explain_cli/tape.h"
#include "tools/python/bindings.h"

namespace ag::python {

namespace {

// A context manager around NoGradGuard; guards nest (each restores what it found).
class NoGrad {
 public:
  void enter() {
    AG_CHECK(!guard_, "no_grad: this context manager is already active");
    guard_ = std::make_unique<NoGradGuard>();
  }
  void exit() { guard_.reset(); }

 private:
  std::unique_ptr<NoGradGuard> guard_;
};

py::dict node_dict(size_t index, const Node& n) {
  py::list inputs;
  for (const Tensor& t : n.inputs) {
    if (t.defined()) inputs.append(shape_tuple(t.shape()));
  }
  py::dict d;
  d["index"] = index;
  d["op"] = n.op;
  d["inputs"] = inputs;
  d["output"] = shape_tuple(n.output.shape());
  return d;
}

// The index of loss's node on this thread's tape, or a ValueError saying why it has none.
size_t node_of(const Tensor& loss) {
  const int64_t i = loss.impl()->tape_node;
  const std::vector<Node>& nodes = tape_nodes();
  AG_CHECK(
      i >= 0 && i < int64_t(nodes.size()) && nodes[size_t(i)].output.impl() == loss.impl(),
      "to_dot: ", loss.describe(),
      " is not on the current tape (made under no_grad, from inputs that need no gradient, "
      "or its tape was freed by backward: call to_dot before backward, or with backward=True)");
  return size_t(i);
}

std::string to_dot(const Tensor& loss, bool run_backward, const std::string& title) {
  explain::TapeRun run;
  run.ffn = title;
  run.description = "loss " + loss.describe();
  run.device = loss.device();
  std::vector<Tensor> handles;  // keeps every shown tensor alive for its gradient
  explain::snapshot_nodes(node_of(loss) + 1, run, handles);
  if (run_backward) {
    BackwardOptions options;
    options.retain_grads = true;  // show the intermediate gradients too, as explain does
    ag::backward(loss, Tensor(), options);
  }
  explain::snapshot_grads(run, handles);
  return explain::tape_dot({run});
}

}  // namespace

void bind_tape(py::module_& m) {
  py::class_<NoGrad>(m, "_NoGrad")
      .def(py::init<>())
      .def(
          "__enter__",
          [](NoGrad& g) {
            g.enter();
            return &g;
          },
          py::return_value_policy::reference)
      .def("__exit__", [](NoGrad& g, py::args) {
        g.exit();
        return false;
      });
  m.def("grad_enabled", &grad_enabled);
  m.def(
      "tape",
      [] {
        py::list out;
        const std::vector<Node>& nodes = tape_nodes();
        for (size_t i = 0; i < nodes.size(); ++i) out.append(node_dict(i, nodes[i]));
        return out;
      },
      "The nodes recorded so far on this thread's tape: index, op, input and output shapes");
  m.def("clear_tape", &clear_tape);
  m.def("to_dot", &to_dot, py::arg("loss"), py::kw_only(), py::arg("backward") = false,
        py::arg("title") = "graph",
        "Graphviz source of the graph that produced `loss`, drawn as `explain --tape --dot` "
        "draws it; backward=True runs the backward pass first to show every gradient");
}

}  // namespace ag::python
