// Work the GPU backend queues per training step (kernels, library calls, memsets, copies, graph
// launches), read from Backend::launch_counts around each step, for the metrics' "gpu" object.
// On a GPU a small model's step costs about one launch overhead per item, so this count
// predicts its step time.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/backend.h"

namespace sst2 {

class StepLaunches {
 public:
  enum class Kind { Eager, Capture, Replay };  // --cuda-graph: one capture, then replays
  // Call begin() before a step's gradient zeroing and end() after its optimizer update. A
  // typical step is a full batch that logs nothing: logging reads norms and the loss back.
  void begin();
  void end(bool typical, Kind kind = Kind::Eager);
  // The work a captured graph recorded (StepGraph::recorded).
  void set_captured(const ag::LaunchCounts& recorded) {
    captured_ = recorded;
    have_capture_ = true;
  }
  // {"launches_per_step", "kernels", "library_calls", "memsets", "copies", "graph_launches",
  //  "steps_counted", "mean_launches_per_step", "cuda_graph", "captured_step"}; the per-kind
  //  counts are those of the last typical step; captured_step (null without a capture) holds
  //  the counts of the work the graph recorded.
  nlohmann::json to_json() const;

 private:
  ag::LaunchCounts at_begin_, last_typical_, captured_;
  bool have_typical_ = false, have_capture_ = false;
  int64_t steps_ = 0, total_ = 0;
};

}  // namespace sst2
