// --data-parallel: every rank holds the whole model, each global batch is split across the
// ranks, and the gradients are averaged with one all-reduce per step, so that every rank takes
// the same optimizer step as one process on the whole batch would.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/tensor.h"
#include "experiments/runner/grad_allreduce.h"
#include "nn/optim.h"

namespace sst2 {

// This rank's part of the batch rows [begin, end) of an epoch's order.
struct BatchShard {
  int64_t begin = 0, end = 0;  // the rows this rank computes
  int64_t rows = 0;            // the rows it contributes (0 for a placeholder)
  // The loss is a mean over the rows: this rank's gradient counts rows / (end - begin of the
  // whole batch), so that the sum over ranks is the whole batch's gradient even when the batch
  // does not split evenly.
  float weight = 1.0f;
};

// Contiguous, balanced parts: rank r gets rows [n r / P, n (r + 1) / P). A rank left without a
// row (a last batch smaller than the ranks) computes the batch's last row with weight 0, so
// that it still runs the model (its dropout stream advances like everyone's) and joins the
// all-reduce.
BatchShard shard_of(int64_t begin, int64_t end, int rank, int ranks);

// The same split of a whole evaluation set (no placeholder: a rank may get no row).
BatchShard eval_shard_of(int64_t rows, int rank, int ranks);

class GradientSync {
 public:
  GradientSync(ag::Device device, ag::nn::NamedParams params);
  // After backward: every gradient and the local mean loss times `weight`, packed into one
  // contiguous buffer, summed over the ranks in one all-reduce, and unpacked. Returns the mean
  // loss of the whole batch (one element, on the device). Parameters without a gradient are
  // left out; every rank runs the same model, so the same ones are missing everywhere.
  ag::Tensor reduce(const ag::Tensor& local_loss, float weight);
  std::string method() const { return all_reduce_->name(); }
  int64_t buffer_floats() const { return flat_.defined() ? flat_.numel() : 0; }

 private:
  ag::Device device_;
  ag::nn::NamedParams params_;
  std::unique_ptr<DeviceAllReduce> all_reduce_;
  ag::Tensor flat_;
};

}  // namespace sst2
