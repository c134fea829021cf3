#include "experiments/runner/step_launches.h"

namespace sst2 {

namespace {

ag::LaunchCounts gpu_counts() {
  return ag::backend(ag::Device::CUDA).launch_counts();
}

}  // namespace

void StepLaunches::begin() {
  at_begin_ = gpu_counts();
}

void StepLaunches::end(bool typical) {
  const ag::LaunchCounts now = gpu_counts();
  ag::LaunchCounts step;
  step.kernels = now.kernels - at_begin_.kernels;
  step.library = now.library - at_begin_.library;
  step.memsets = now.memsets - at_begin_.memsets;
  step.copies = now.copies - at_begin_.copies;
  ++steps_;
  total_ += step.total();
  if (typical) {
    last_typical_ = step;
    have_typical_ = true;
  }
}

nlohmann::json StepLaunches::to_json() const {
  using Json = nlohmann::json;
  auto count = [&](int64_t v) { return have_typical_ ? Json(v) : Json(nullptr); };
  return Json{
      {"launches_per_step", count(last_typical_.total())},
      {"kernels", count(last_typical_.kernels)},
      {"library_calls", count(last_typical_.library)},
      {"memsets", count(last_typical_.memsets)},
      {"copies", count(last_typical_.copies)},
      {"steps_counted", steps_},
      {"mean_launches_per_step", steps_ ? Json(double(total_) / double(steps_)) : Json(nullptr)}};
}

}  // namespace sst2
