// Tape-based reverse-mode autograd.
//
// Each op that runs with at least one input requiring a gradient appends a Node to the
// thread's tape: its name, its inputs, its output and a closure that, given the gradient of the
// output, adds the gradients of the inputs. backward(loss) seeds dL/dL = 1 and walks the tape
// from the loss's node down to the first one (a plain loop, no recursion); since nodes are
// appended in execution order, every consumer of a tensor runs its backward before the tensor's
// producer, so each gradient is complete when it is used. The tape is freed afterwards.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ag {

using BackwardFn = std::function<void(const Tensor& grad_output)>;

struct Node {
  const char* op;  // "matmul", "swiglu", ...
  std::vector<Tensor> inputs;
  Tensor output;
  BackwardFn backward;
};

// Is gradient recording on for this thread? (NoGradGuard turns it off.)
bool grad_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Called by every op after computing `output`. If recording is on and some input requires a
// gradient, marks `output` as requiring one and appends the node; otherwise does nothing.
void record(const char* op, std::vector<Tensor> inputs, Tensor& output, BackwardFn backward);

// True when the backward of an op must compute a gradient for `input`.
inline bool needs_grad(const Tensor& input) {
  return input.defined() && input.requires_grad();
}

// Adds `g` into input.grad. The first gradient is adopted without a copy when nobody else holds
// its storage, so the common case costs nothing.
void accumulate_grad(const Tensor& input, Tensor g);

struct BackwardOptions {
  bool retain_grads = false;  // keep .grad on intermediate (non-leaf) tensors too
};

// Runs the backward pass from `loss`. A loss with more than one element needs `grad_output`
// of its shape. Throws ag::Error when the tape that produced `loss` was already freed (backward
// ran before) or `loss` does not require a gradient.
void backward(const Tensor& loss, const Tensor& grad_output = Tensor(),
              const BackwardOptions& options = {});

// The nodes recorded so far on this thread (for the tape printer and tests).
const std::vector<Node>& tape_nodes();
// Drops the recorded nodes without running backward (e.g. after an evaluation pass that forgot
// the NoGradGuard).
void clear_tape();

}  // namespace ag
