#include "experiments/runner/step_launches.h"

namespace sst2 {

namespace {

ag::LaunchCounts gpu_counts() {
  return ag::backend(ag::Device::CUDA).launch_counts();
}

ag::LaunchCounts minus(const ag::LaunchCounts& a, const ag::LaunchCounts& b) {
  ag::LaunchCounts d;
  d.kernels = a.kernels - b.kernels;
  d.library = a.library - b.library;
  d.memsets = a.memsets - b.memsets;
  d.copies = a.copies - b.copies;
  d.graphs = a.graphs - b.graphs;
  return d;
}

}  // namespace

void StepLaunches::begin() {
  at_begin_ = gpu_counts();
}

void StepLaunches::end(bool typical, Kind kind) {
  const ag::LaunchCounts step = minus(gpu_counts(), at_begin_);
  ++steps_;
  total_ += step.total();
  if (typical && kind != Kind::Capture) {
    last_typical_ = step;
    have_typical_ = true;
  }
}

nlohmann::json StepLaunches::to_json() const {
  using Json = nlohmann::json;
  auto count = [&](int64_t v) { return have_typical_ ? Json(v) : Json(nullptr); };
  Json captured = nullptr;
  if (have_capture_) {
    captured = Json{{"launches", captured_.total()},
                    {"kernels", captured_.kernels},
                    {"library_calls", captured_.library},
                    {"memsets", captured_.memsets},
                    {"copies", captured_.copies}};
  }
  return Json{
      {"launches_per_step", count(last_typical_.total())},
      {"kernels", count(last_typical_.kernels)},
      {"library_calls", count(last_typical_.library)},
      {"memsets", count(last_typical_.memsets)},
      {"copies", count(last_typical_.copies)},
      {"graph_launches", count(last_typical_.graphs)},
      {"steps_counted", steps_},
      {"mean_launches_per_step", steps_ ? Json(double(total_) / double(steps_)) : Json(nullptr)},
      {"cuda_graph", have_capture_},
      {"captured_step", captured}};
}

}  // namespace sst2
