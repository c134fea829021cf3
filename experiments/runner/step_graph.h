// A training step captured once as a CUDA graph and replayed for every full batch (--cuda-graph).
//
// On a GPU the default model's step is ~80 small launches, each costing microseconds of launch
// overhead; replayed as a graph it is one launch. A graph replays the work of its capture with
// the same addresses and kernel arguments, so everything that changes from step to step lives
// on the device and is updated before each replay, outside the graph:
//   - the batch: copied into static input buffers (ids, mask, labels);
//   - AdamW's step scalars: AdamW::prepare_step uploads them, the captured update reads them;
//   - dropout's random positions: the device's random shift moves them by the positions the
//     eager step would have drawn since the capture (Backend::set_random_shift);
//   - the step's loss and predictions: append_step_outputs writes them to the slot the device
//     counter names.
// The memory the step allocated during the capture stays the graph's (the caching allocator's
// graph pool) while this object lives. Results equal the eager step's bit for bit: the same
// kernels in the same order on the same numbers.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/backend.h"
#include "core/generator.h"
#include "core/tensor.h"
#include "experiments/runner/batches.h"
#include "nn/optim.h"

namespace sst2 {

class StepGraph {
 public:
  // Static inputs for batches of `rows` x `seq_len` on the CUDA device (the mask only when the
  // model gets one).
  StepGraph(int64_t rows, int64_t seq_len, bool with_mask);
  ~StepGraph();

  Batch& inputs() { return inputs_; }  // fill before capture() and before each replay()
  bool captured() const { return graph_ != nullptr; }
  // What the graph holds: the work queued while it was captured.
  const ag::LaunchCounts& recorded() const { return recorded_; }

  // Captures queue_step (which must only queue device work on inputs(): no read-back, no
  // upload) and then runs it once, as its first replay. `params` are the model's parameters:
  // the gradients the capture left on them are put back after every replay, so that they can
  // be read (gradient norms) whatever eager steps did in between.
  void capture(const std::function<ag::Tensor()>& queue_step, ag::Generator& dropout_gen,
               const ag::nn::NamedParams& params);
  // One more step: moves the random shift and dropout_gen as the eager step would, launches the
  // graph, restores the captured gradients. Returns the captured step's loss tensor (its value
  // is this replay's once the device has run it).
  ag::Tensor replay(ag::Generator& dropout_gen, const ag::nn::NamedParams& params);
  // The captured step's loss: after a replay has run, its value is that replay's.
  const ag::Tensor& loss() const { return loss_; }
  // Before an eager step: random positions unshifted again.
  static void before_eager_step();

 private:
  Batch inputs_;
  std::shared_ptr<void> graph_;
  ag::Tensor loss_;
  std::vector<ag::Tensor> grads_;  // per parameter, as the capture left them
  uint64_t capture_offset_ = 0, offsets_per_step_ = 0;
  ag::LaunchCounts recorded_;
};

}  // namespace sst2
