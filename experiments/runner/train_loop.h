// The training loop of one run, an epoch at a time: batches in the epoch's order, forward,
// backward and update (eagerly, or as a replay of the captured CUDA graph), the steps' losses
// and predictions read back in windows, gradient norms at log steps.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/generator.h"
#include "experiments/runner/batches.h"
#include "experiments/runner/config.h"
#include "experiments/runner/progress.h"
#include "experiments/runner/run_model.h"
#include "experiments/runner/run_record.h"
#include "experiments/runner/step_graph.h"
#include "experiments/runner/step_launches.h"
#include "experiments/runner/step_outputs.h"

namespace sst2 {

// What an epoch's training measured, over every rank's rows.
struct EpochTotals {
  double loss_sum = 0.0;  // sum of batch mean losses read so far
  int64_t steps_read = 0;
  int64_t correct = 0, seen = 0;
  int64_t tokens = 0;
};

struct Divergence {
  bool happened = false;
  int64_t step = 0, epoch = 0;
  std::string message;  // "training loss is NaN at step 6 (epoch 2)"
};

struct EpochOutcome {
  EpochTotals totals;
  double seconds = 0.0;      // the epoch's training time (set when it ran to its end)
  bool interrupted = false;  // stop_requested(): stopped before a step
  Divergence divergence;     // a NaN/Inf loss: stopped at the first read that saw it
};

class TrainLoop {
 public:
  // `seed` orders the epochs; dropout masks come from Generator(dropout_seed). The loop stops
  // before the next step once `stop` is set. Everything passed by reference must outlive the
  // loop; `record` receives the logged steps.
  TrainLoop(const RunConfig& config, const TokenizedSet& train, RunModel& model, int64_t seed,
            uint64_t dropout_seed, const std::atomic<bool>& stop, RunRecord& record,
            Progress& progress, std::string label);

  // Trains epoch `epoch` (1-based) from the current global step.
  EpochOutcome run_epoch(int64_t epoch);

  // The state a checkpoint saves and --resume restores.
  ag::Generator& dropout_generator() { return dropout_gen_; }
  int64_t global_step() const { return global_step_; }
  void set_global_step(int64_t step) { global_step_ = step; }
  // The work queued per step (CUDA runs only), for the record.
  const StepLaunches& launches() const { return launches_; }

 private:
  struct PendingSteps;
  // One full batch, already in graph_->inputs(), through the captured graph (capturing it the
  // first time: returns true then).
  bool graph_step(int64_t begin, int64_t end, int64_t step, int64_t epoch, bool log_step,
                  PendingSteps& pending);
  // Reads the pending steps' losses and predictions into `totals`; false (divergence filled)
  // at a loss that is not finite.
  bool read_pending(PendingSteps& pending, const std::vector<int64_t>& order, int64_t epoch,
                    EpochTotals& totals, Divergence& divergence);
  void log_gradients(int64_t step, int64_t epoch, float loss);
  void reduce_totals(EpochTotals& totals) const;  // --data-parallel: the counts of every rank

  const RunConfig& config_;
  const TokenizedSet& train_;
  RunModel& model_;
  int64_t seed_;
  const std::atomic<bool>& stop_;
  RunRecord& record_;
  Progress& progress_;
  std::string label_;
  ag::Generator dropout_gen_;
  int64_t global_step_ = 0;
  StepLaunches launches_;  // CUDA runs only
  std::unique_ptr<StepOutputs> outputs_;
  std::unique_ptr<StepGraph> graph_;  // --cuda-graph
  int64_t eager_full_steps_ = 0;
};

}  // namespace sst2
