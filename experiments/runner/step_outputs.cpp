#include "experiments/runner/step_outputs.h"

#include "core/error.h"
#include "core/ops.h"

namespace sst2 {

StepOutputs::StepOutputs(int64_t capacity, int64_t max_rows, ag::Device device)
    : losses_(ag::Tensor::zeros({capacity}, device)),
      predictions_(ag::Tensor::from_indices(std::vector<int32_t>(size_t(capacity * max_rows), 0),
                                            {capacity, max_rows}, device)),
      counter_(ag::Tensor::from_indices({0}, {1}, device)),
      capacity_(capacity),
      max_rows_(max_rows) {
  AG_CHECK(capacity >= 1 && max_rows >= 1, "StepOutputs: capacity ", capacity, ", rows ", max_rows);
}

int64_t StepOutputs::next_slot() {
  return appended_++ % capacity_;  // the device counter moves in step with this one
}

int64_t StepOutputs::append(const ag::Tensor& loss, const ag::Tensor& logits) {
  ag::append_step_outputs(loss, logits, losses_, predictions_, counter_);
  return next_slot();
}

int64_t StepOutputs::replayed() {
  return next_slot();
}

StepOutputs::Host StepOutputs::read() const {
  Host h;
  h.losses = losses_.to_vector();  // waits for every step queued so far
  h.predictions = predictions_.to_int_vector();
  return h;
}

}  // namespace sst2
