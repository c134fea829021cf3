// A run's checkpoint, and --resume: what a run's files say about where it stands, checked
// (resume_check.h) before the model, its optimizer and its dropout generator are restored from
// them.
#pragma once

#include <cstdint>
#include <string>

#include "core/generator.h"
#include "experiments/runner/config.h"
#include "experiments/runner/run_model.h"

namespace sst2 {

// Writes `path` (nn/checkpoint.h, atomically) after `epoch`: the parameters under their names,
// the optimizer's slots as "<slot>/<parameter>", and metadata (kind, format, run, epoch, global
// step, optimizer step, the dropout generator's state, the best epoch so far and `record`, the
// run's metrics document as of this epoch).
void save_checkpoint(const std::string& path, const RunModel& model, const RunConfig& config,
                     int64_t seed, int64_t epoch, int64_t global_step,
                     const ag::Generator& dropout_gen, const Json& record);

// Where --resume finds a run.
struct ResumePoint {
  enum class Kind {
    Start,     // nothing to continue from: train from the start
    Done,      // the metrics file says finished (with enough epochs) or diverged: skip it
    Continue,  // restored from the checkpoint: train on from epoch + 1
  };
  Kind kind = Kind::Start;
  // Done: the saved status ("finished" or "diverged") and, diverged, its failure message.
  std::string status, message;
  // Continue: the checkpoint's counters, timings (of every invocation so far) and record.
  int64_t epoch = 0, global_step = 0;
  double train_s = 0, eval_s = 0, total_s = 0;
  Json record;
  bool metrics_behind = false;  // the metrics file lags the checkpoint: bring it up to date
};

// Reads and checks the run's metrics file and checkpoint (either may be missing). On Continue,
// `model`'s parameters and optimizer state and `dropout_gen` are the checkpoint's. Throws
// UsageError when the files were made with settings that change results (naming the first one)
// or the checkpoint is beyond --epochs, ag::Error when a file is damaged, foreign or does not
// fit the model. No file is changed.
ResumePoint resume_run(const RunConfig& config, const std::string& metrics_path,
                       const std::string& checkpoint_path, int64_t seed, RunModel& model,
                       ag::Generator& dropout_gen);

}  // namespace sst2
