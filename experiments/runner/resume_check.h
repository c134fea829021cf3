// What --resume reads back, checked before anything is trusted: the run's metrics file and its
// checkpoint's metadata must be well-formed, belong to the run, and agree with each other.
// Every check throws ag::Error (exit status 1) naming the file and what is wrong; none changes
// a file.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "experiments/runner/config.h"

namespace sst2 {

// The first key of `current` (a recorded config) whose value in `saved` differs and whose
// option changes results (options.h), or nullopt: settings that say where things are, how
// much is shown, which runs and how many epochs may differ on --resume. A key that older builds
// did not write (the table's added_later) counts as its default when absent; a key outside the
// table (ffn_dim_base) is always compared.
std::optional<std::string> first_setting_difference(const Json& saved, const Json& current);

// A run's metrics file (METRICS.md), checked: a JSON object with schema_version 1, this run's
// ffn and seed, a known status, a config object, epochs numbered 1..n, a failure record when
// diverged.
struct SavedMetrics {
  Json doc;
  std::string status;  // running | finished | diverged | interrupted
  int64_t epochs_done = 0;
};
SavedMetrics read_run_metrics(const std::string& path, const std::string& ffn, int64_t seed);
SavedMetrics check_run_metrics(Json doc, const std::string& path, const std::string& ffn,
                               int64_t seed);

// The runner's metadata of a checkpoint, checked: kind and format, this run's ffn and seed,
// counters, the dropout generator state, and the metrics document as of its epoch (which
// passes check_run_metrics and holds exactly `epoch` epochs).
struct CheckpointMeta {
  int64_t epoch = 0, global_step = 0, optimizer_step = 0;
  uint64_t generator_seed = 0, generator_offset = 0;
  double train_s = 0, eval_s = 0, total_s = 0;
  SavedMetrics metrics;
};
CheckpointMeta read_checkpoint_meta(const std::string& metadata_json, const std::string& path,
                                    const std::string& ffn, int64_t seed);

// The metrics file against the checkpoint it continues from: it holds the checkpoint's epochs
// (or one fewer: the process died between writing the two), the same epoch records and the
// same settings.
void check_metrics_match_checkpoint(const SavedMetrics& metrics, const std::string& metrics_path,
                                    const CheckpointMeta& checkpoint,
                                    const std::string& checkpoint_path);

// The checkpoint's kind and format version in its metadata.
inline constexpr const char* kCheckpointKind = "sst2-runner-checkpoint";
inline constexpr int kCheckpointFormat = 1;

}  // namespace sst2
