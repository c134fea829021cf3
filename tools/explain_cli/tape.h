// Tape mode (--tape): a tiny feed-forward block run forward and backward, with the tape it
// recorded shown node by node.
//   non-gated (relu, swish, gelu):  y = act(x @ W1 + b1) @ W2 + b2
//   gated (swiglu, geglu):          y = (act(x @ W_gate) * (x @ W_up)) @ W_down
//   loss = mean(y * y)
// x is 2 tokens x 4 dims, the hidden width 6; every tensor comes from one fixed seed.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "tools/explain_cli/json_io.h"

namespace ag::explain {

// One tensor of the graph, copied to the host: its values before backward, its gradient after.
struct TapeTensor {
  int id = 0;
  std::string name;
  Shape shape;
  std::vector<float> values;
  std::vector<float> grad;  // empty when no gradient reached it
  bool has_grad = false;
  bool leaf = false;  // a parameter or the input (made by no op)
};

// One node of the tape, in recording (execution) order.
struct TapeNode {
  int index = 0;
  std::string op;
  std::vector<int> inputs;  // TapeTensor ids
  int output = 0;
};

struct TapeRun {
  std::string ffn;          // "swiglu"
  std::string description;  // the block's formula
  Device device = Device::CPU;
  std::vector<TapeTensor> tensors;
  std::vector<TapeNode> nodes;
  float loss = 0.0f;

  const TapeTensor& tensor(const std::string& name) const;  // throws std::out_of_range
};

// relu, swish, gelu, swiglu, geglu (what --ffn all runs), and swiglu_unfused.
const std::vector<std::string>& tiny_ffn_kinds();
constexpr uint64_t kTinyFfnSeed = 2024;

// Runs the block on `device`: snapshots ag::tape_nodes() after the forward (backward frees the
// tape), then runs ag::backward with retain_grads so intermediate gradients can be shown.
TapeRun run_tiny_ffn(const std::string& ffn, Device device);

// The first `count` nodes of this thread's tape into `run` (tensors numbered in order of first
// use; F32 inputs only). `handles` receives every tensor shown, in id order, so the caller can
// keep them alive past backward and read their gradients with snapshot_grads. Also used by the
// Python module's to_dot, so both draw the same picture.
void snapshot_nodes(size_t count, TapeRun& run, std::vector<Tensor>& handles);
// Copies handles[i].grad() (when defined) into run.tensors[i].
void snapshot_grads(TapeRun& run, const std::vector<Tensor>& handles);

void print_tape(std::ostream& out, const TapeRun& run);
Json tape_json(const TapeRun& run);

// A Graphviz digraph of one or more runs (one cluster each): tensors are boxes with their shape,
// first values and gradient; ops are ellipses; edges follow the data.
std::string tape_dot(const std::vector<TapeRun>& runs);

// Writes `text` to `path` atomically (core/atomic_file.h), so a reader never sees a half-written
// file. InputError naming the file and the reason when it cannot.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace ag::explain
