#include "experiments/runner/step_graph.h"

#include "core/backend.h"
#include "core/error.h"

namespace sst2 {

using ag::Device;
using ag::Tensor;

StepGraph::StepGraph(int64_t rows, int64_t seq_len, bool with_mask) {
  AG_CHECK(ag::backend(Device::CUDA).supports_graphs(),
           "--cuda-graph: the CUDA backend of this build cannot capture graphs");
  inputs_.rows = rows;
  inputs_.ids = Tensor::from_indices(std::vector<int32_t>(size_t(rows * seq_len), 0),
                                     {rows, seq_len}, Device::CUDA);
  if (with_mask) inputs_.mask = Tensor::zeros({rows, seq_len}, Device::CUDA);
  inputs_.labels =
      Tensor::from_indices(std::vector<int32_t>(size_t(rows), 0), {rows}, Device::CUDA);
}

StepGraph::~StepGraph() {
  loss_ = Tensor();
  grads_.clear();
  graph_.reset();  // waits for the queued replays, then hands the graph's memory back
}

void StepGraph::capture(const std::function<Tensor()>& queue_step, ag::Generator& dropout_gen,
                        const ag::nn::NamedParams& params) {
  AG_CHECK(!graph_, "StepGraph: already captured");
  ag::Backend& be = ag::backend(Device::CUDA);
  be.set_random_shift(0);  // the capture's positions are the eager ones of this step
  capture_offset_ = dropout_gen.offset();
  be.begin_capture();
  try {
    const ag::LaunchCounts before = be.launch_counts();
    loss_ = queue_step();
    const ag::LaunchCounts after = be.launch_counts();
    recorded_.kernels = after.kernels - before.kernels;
    recorded_.library = after.library - before.library;
    recorded_.memsets = after.memsets - before.memsets;
    recorded_.copies = after.copies - before.copies;
    graph_ = be.end_capture();
  } catch (...) {
    be.abort_capture();
    throw;
  }
  offsets_per_step_ = dropout_gen.offset() - capture_offset_;
  grads_.clear();
  for (const auto& named : params) grads_.push_back(named.second->grad());
  // The capture only recorded the step: run it.
  be.launch_graph(graph_);
}

Tensor StepGraph::replay(ag::Generator& dropout_gen, const ag::nn::NamedParams& params) {
  AG_CHECK(graph_, "StepGraph: replay before capture");
  ag::Backend& be = ag::backend(Device::CUDA);
  // The eager step would draw its masks from the generator's current offset on: shift the
  // captured positions there, and advance the generator past them.
  be.set_random_shift(dropout_gen.offset() - capture_offset_);
  (void)dropout_gen.reserve(offsets_per_step_);
  be.launch_graph(graph_);
  for (size_t i = 0; i < params.size() && i < grads_.size(); ++i)
    params[i].second->set_grad(grads_[i]);
  return loss_;
}

void StepGraph::before_eager_step() {
  ag::backend(Device::CUDA).set_random_shift(0);
}

}  // namespace sst2
