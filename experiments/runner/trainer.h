// One training run: a TransformerClassifier with one FFN variant and one seed, trained for the
// configured epochs on the tokenised SST-2 data, evaluated on dev (and --eval-file sets) after
// every epoch, with its metrics file and checkpoint rewritten after every epoch.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/runner/batches.h"
#include "experiments/runner/config.h"
#include "experiments/runner/progress.h"

namespace sst2 {

// Everything the runs share, tokenised once.
struct ExperimentData {
  TokenizedSet train, dev;
  std::vector<TokenizedSet> evals;  // one per --eval-file, named by file stem
  int64_t vocab_size = 0;
  std::string data_dir, vocab_path;
  std::vector<std::string> eval_paths;
};

enum class RunStatus {
  Finished,     // all epochs done (now or, with --resume, before)
  Diverged,     // a NaN/Inf loss stopped it (now or before)
  Interrupted,  // SIGINT/SIGTERM: metrics of the finished epochs kept, checkpoint of the last one
};

struct RunResult {
  RunStatus status = RunStatus::Finished;
  bool skipped = false;  // --resume found it already done
  std::string metrics_path;
  std::string message;  // what went wrong, for Diverged
};

// A run's name and files, by its FFN variant's name (ag::nn::ffn_kind_name).
std::string run_name(const std::string& ffn, int64_t seed);  // "swiglu_seed0"
std::string metrics_path(const std::string& out_dir, const std::string& ffn, int64_t seed);
std::string checkpoint_path(const std::string& out_dir, const std::string& ffn, int64_t seed);

// Trains (or, with config.resume, skips or continues) one run. Throws UsageError when a
// checkpoint does not fit the configuration, ag::Error on runtime failures.
RunResult train_run(const RunConfig& config, const ExperimentData& data, ag::nn::FfnKind ffn,
                    int64_t seed, Progress& progress);

// Set by the SIGINT/SIGTERM handler (installed by the app); runs stop at the next step.
std::atomic<bool>& stop_requested();

// The generator seed for dropout masks of the run with `seed` (model init uses `seed` itself).
uint64_t dropout_seed(int64_t seed);

}  // namespace sst2
