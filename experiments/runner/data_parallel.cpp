#include "experiments/runner/data_parallel.h"

#include <vector>

#include "core/backend.h"
#include "core/error.h"

namespace sst2 {

BatchShard shard_of(int64_t begin, int64_t end, int rank, int ranks) {
  const int64_t n = end - begin;
  BatchShard s;
  s.begin = begin + n * rank / ranks;
  s.end = begin + n * (rank + 1) / ranks;
  s.rows = s.end - s.begin;
  if (s.rows == 0) {
    s.begin = end - 1;
    s.end = end;
    s.weight = 0.0f;
    return s;
  }
  s.weight = float(double(s.rows) / double(n));
  return s;
}

BatchShard eval_shard_of(int64_t rows, int rank, int ranks) {
  BatchShard s;
  s.begin = rows * rank / ranks;
  s.end = rows * (rank + 1) / ranks;
  s.rows = s.end - s.begin;
  return s;
}

GradientSync::GradientSync(ag::Device device, ag::nn::NamedParams params)
    : device_(device), params_(std::move(params)), all_reduce_(make_device_all_reduce(device)) {}

ag::Tensor GradientSync::reduce(const ag::Tensor& local_loss, float weight) {
  AG_CHECK(local_loss.numel() == 1, "GradientSync: the loss must have one element, got ",
           local_loss.describe());
  ag::Backend& be = ag::backend(device_);
  std::vector<ag::Tensor> grads;
  int64_t total = 1;  // the loss comes last
  for (const auto& named : params_) {
    const ag::Tensor g = named.second->grad();
    if (!g.defined()) continue;
    grads.push_back(g);
    total += g.numel();
  }
  if (!flat_.defined() || flat_.numel() != total) flat_ = ag::Tensor::empty({total}, device_);
  float* flat = flat_.data();
  int64_t at = 0;
  for (const ag::Tensor& g : grads) {
    be.copy(flat + at, g.data(), size_t(g.numel()) * sizeof(float));
    at += g.numel();
  }
  be.copy(flat + at, local_loss.data(), sizeof(float));
  if (weight != 1.0f) be.scale_inplace(flat, weight, total);

  all_reduce_->sum(flat, total);

  at = 0;
  for (ag::Tensor& g : grads) {
    be.copy(g.data(), flat + at, size_t(g.numel()) * sizeof(float));
    at += g.numel();
  }
  ag::Tensor loss = ag::Tensor::empty(local_loss.shape(), device_);
  be.copy(loss.data(), flat + at, sizeof(float));
  return loss;
}

}  // namespace sst2
