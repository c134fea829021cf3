// The training steps' losses and predictions, kept on the device until the runner reads them
// (every --log-every steps and at the end of an epoch): a ring of slots that each step writes
// with ag::append_step_outputs, the slot chosen by a counter on the device, so a step replayed
// from a CUDA graph fills the next slot just as an eager one does. Reading is one wait for the
// whole window instead of one per step.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace sst2 {

class StepOutputs {
 public:
  // `capacity` slots of up to `max_rows` predictions: at least the steps between two reads.
  StepOutputs(int64_t capacity, int64_t max_rows, ag::Device device);

  // Queues this step's loss and the argmax of each logits row into the next slot; returns it.
  int64_t append(const ag::Tensor& loss, const ag::Tensor& logits);
  // A step whose append was queued by a graph replay: the slot it wrote.
  int64_t replayed();
  // The slots' contents on the host (one wait for the device).
  struct Host {
    std::vector<float> losses;
    std::vector<int32_t> predictions;  // [capacity, max_rows]
  };
  Host read() const;
  int64_t max_rows() const { return max_rows_; }

  ag::Tensor& losses() { return losses_; }

 private:
  int64_t next_slot();
  ag::Tensor losses_, predictions_, counter_;
  int64_t capacity_, max_rows_, appended_ = 0;
};

}  // namespace sst2
