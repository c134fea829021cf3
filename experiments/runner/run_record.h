// The run record: the metrics document of one run (experiments/METRICS.md), built up while the
// run trains and written, whole, by one function. A checkpoint carries a copy of it, and
// --resume continues from that copy.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "experiments/runner/config.h"
#include "experiments/runner/evaluation.h"
#include "experiments/runner/run_model.h"
#include "experiments/runner/step_launches.h"
#include "experiments/runner/trainer.h"

namespace sst2 {

// The `config` object of a run's record: config_to_json, with `ffn_dim` the width this variant
// uses and `ffn_dim_base` the --ffn-dim asked for. --resume compares it with the saved one.
Json recorded_config(const RunConfig& config, int64_t hidden);

// Facts of this invocation (a resumed run may be continued elsewhere), refreshed in the record
// at every write.
struct Invocation {
  ag::Device device = ag::Device::CPU;
  const GradientSync* sync = nullptr;           // --data-parallel over several ranks
  const StepLaunches* launches = nullptr;       // CUDA runs: the work queued per step
  double train_s = 0, eval_s = 0, total_s = 0;  // earlier invocations' included (resume)
};

// One epoch's results.
struct EpochResult {
  int64_t epoch = 0;
  double train_loss = 0, train_acc = 0;
  int64_t steps = 0, tokens = 0;
  double epoch_s = 0, eval_s = 0;  // training and evaluation time
  EvalResult dev;
  Json dev_ffn;                                           // FfnStats::to_json of the dev pass
  std::vector<std::pair<std::string, EvalResult>> evals;  // per --eval-file stem, in order
};

class RunRecord {
 public:
  // A new run's record: status "running", no epochs yet.
  RunRecord(const RunConfig& config, const ExperimentData& data, const RunModel& model,
            int64_t seed);

  // --resume: the record becomes `saved` (a checked record of this run, as of its checkpoint),
  // with this invocation's settings and --eval-file entries.
  void continue_from(Json saved);

  // A logged step: its loss, global gradient norm and the norms of the parameter groups.
  void add_step(int64_t step, int64_t epoch, float loss, float grad_norm,
                const std::map<std::string, float>& group_norms);
  // METRICS.md `epoch0`: the untrained model on dev.
  void set_initial_state(const EvalResult& dev, Json dev_ffn);
  // METRICS.md `weight_perturbation` (measured at the final epoch).
  void set_weight_perturbation(Json record);
  // Appends an epoch; the predictions of its dev and eval sets become "final", and "best" too
  // when its dev accuracy is the best so far (the first epoch wins ties). Returns whether it is.
  bool add_epoch(const EpochResult& result);
  // "running", "finished", "interrupted"; or diverged, with its failure record.
  void set_status(const char* status);
  void set_diverged(int64_t step, int64_t epoch, const std::string& message);

  // Refreshes this invocation's facts (device, threads, ranks, build, memory, timing, work per
  // step) in the document, which is then ready to be written or checkpointed.
  void refresh(const Invocation& invocation);
  // Refreshes the document and writes it to `path` atomically: the one place a run's metrics
  // file is written.
  void write(const std::string& path, const Invocation& invocation);

  const Json& doc() const { return doc_; }
  double best_dev_acc() const { return best_dev_acc_; }  // -1 before the first epoch

 private:
  void prepare_eval_predictions();

  const RunConfig& config_;
  const ExperimentData& data_;
  int64_t hidden_;
  Json doc_;
  double best_dev_acc_ = -1.0;
};

}  // namespace sst2
