#include "core/tape.h"

#include "core/backend.h"
#include "core/error.h"
#include "core/plan_builders.h"

namespace ag {

namespace {

struct Tape {
  std::vector<Node> nodes;
  uint64_t generation = 1;  // bumped each time the tape is freed
};

thread_local Tape t_tape;
// Set while backward() walks the tape without retain_grads: intermediate gradients then live
// only until their node has run, and nobody outside the walk sees or changes them in place.
thread_local bool t_walking_private_grads = false;
thread_local bool t_grad_enabled = true;

}  // namespace

bool grad_enabled() {
  return t_grad_enabled;
}

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) {
  t_grad_enabled = false;
}
NoGradGuard::~NoGradGuard() {
  t_grad_enabled = previous_;
}

void record(const char* op, std::vector<Tensor> inputs, Tensor& output, BackwardFn backward) {
  if (!t_grad_enabled) return;
  bool any = false;
  for (const Tensor& t : inputs) {
    if (!needs_grad(t)) continue;
    any = true;
    const TensorImpl* in = t.impl();
    AG_CHECK(in->tape_node < 0 || in->tape_generation == t_tape.generation, op,
             ": an input was produced by a forward pass whose tape was already freed (by "
             "backward or clear_tape); its gradient could not flow. Recompute it, or detach() it");
  }
  if (!any) return;
  TensorImpl* out = output.impl();
  out->requires_grad = true;
  out->tape_node = int64_t(t_tape.nodes.size());
  out->tape_generation = t_tape.generation;
  t_tape.nodes.push_back(Node{op, std::move(inputs), output, std::move(backward)});
}

void accumulate_grad(const Tensor& input, Tensor g) {
  TensorImpl* impl = input.impl();
  AG_CHECK(g.shape() == input.shape(), "autograd: gradient ", g.describe(),
           " does not match its tensor ", input.describe(), " (an op's backward is wrong)");
  if (!impl->grad) {
    // Adopt g when we hold the only reference to its memory; otherwise copy, so that two
    // tensors never share one gradient buffer that a later += would change for both.
    const bool sole_owner = g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1;
    // An intermediate's gradient inside a private walk may share g's buffer (the copy would be
    // one more launch per add or reshape on a GPU); grad_shared keeps later += off it. A leaf's
    // gradient outlives the walk, where the caller may scale it in place: it gets its own.
    const bool share = !sole_owner && t_walking_private_grads && !input.is_leaf();
    impl->grad = sole_owner || share ? g.impl_ptr() : g.clone().impl_ptr();
    impl->grad_shared = share;
    return;
  }
  Tensor existing(impl->grad);
  Backend& be = backend(existing.device());
  if (impl->grad_shared) {  // existing + g into a buffer of its own: the same sums as +=
    Tensor sum = Tensor::empty(existing.shape(), existing.device());
    be.binary(math::BinaryOp::Add, 0.0f,
              make_broadcast_plan(existing.shape(), g.shape(), existing.shape()), existing.data(),
              g.data(), sum.data());
    impl->grad = sum.impl_ptr();
    impl->grad_shared = false;
    return;
  }
  be.add_inplace(existing.data(), g.data(), g.numel());
}

void backward(const Tensor& loss, const Tensor& grad_output, const BackwardOptions& options) {
  AG_CHECK(loss.defined(), "backward: the loss is an undefined tensor");
  AG_CHECK(loss.requires_grad(), "backward: ", loss.describe(),
           " does not require a gradient (no input of the ops that made it requires one, or "
           "it was computed under NoGradGuard)");
  if (grad_output.defined()) {
    AG_CHECK(grad_output.shape() == loss.shape() && grad_output.device() == loss.device(),
             "backward: upstream gradient ", grad_output.describe(), " does not match ",
             loss.describe());
  } else {
    AG_CHECK(loss.numel() == 1, "backward: the loss ", loss.describe(),
             " is not a scalar; pass an upstream gradient of its shape");
  }
  if (loss.is_leaf()) {  // d loss / d loss: nothing to walk
    accumulate_grad(loss, grad_output.defined() ? grad_output.clone()
                                                : Tensor::ones(loss.shape(), loss.device()));
    return;
  }
  const TensorImpl* li = loss.impl();
  AG_CHECK(li->tape_generation == t_tape.generation && li->tape_node < int64_t(t_tape.nodes.size()),
           "backward: the tape that produced this tensor was already freed; backward can run "
           "once per forward pass (run the forward again)");

  // The seed may alias grad_output: only nodes recorded after the loss's could add into
  // loss.grad, and the walk starts at the loss, so this buffer is only ever read.
  loss.impl()->grad = grad_output.defined() ? grad_output.impl_ptr()
                                            : Tensor::ones(loss.shape(), loss.device()).impl_ptr();

  // Reverse walk. Consumers come after producers on the tape, so when node i runs, its
  // output's gradient has received every contribution.
  struct PrivateWalk {
    explicit PrivateWalk(bool on) : previous(t_walking_private_grads) {
      t_walking_private_grads = on;
    }
    ~PrivateWalk() { t_walking_private_grads = previous; }
    bool previous;
  } private_walk(!options.retain_grads);
  for (int64_t i = li->tape_node; i >= 0; --i) {
    Node& node = t_tape.nodes[size_t(i)];
    TensorImpl* out = node.output.impl();
    if (out->grad) {
      const Tensor g(out->grad);
      node.backward(g);
      if (!options.retain_grads) {  // intermediate: free it as soon as used
        out->grad.reset();
        out->grad_shared = false;
      }
    }
    node.backward = nullptr;  // drop saved tensors early
  }
  clear_tape();
}

const std::vector<Node>& tape_nodes() {
  return t_tape.nodes;
}

void clear_tape() {
  t_tape.nodes.clear();
  ++t_tape.generation;
}

}  // namespace ag
