#include "experiments/runner/checkpoints.h"

#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "core/error.h"
#include "experiments/runner/resume_check.h"
#include "experiments/runner/run_record.h"
#include "nn/checkpoint.h"

namespace sst2 {

namespace fs = std::filesystem;

namespace {

// `saved`, the config a file recorded, against this invocation's: a setting that changes
// results must be the same. `what` names the file.
void check_resumable(const Json& saved, const std::string& what, const RunConfig& config,
                     int64_t hidden) {
  const Json current = recorded_config(config, hidden);
  if (const auto key = first_setting_difference(saved, current)) {
    const auto it = saved.find(*key);
    throw UsageError("--resume: " + what + " was made with " + *key + " = " +
                     (it != saved.end() ? it->dump() : std::string("(absent)")) +
                     " but this invocation has " + *key + " = " + current[*key].dump() +
                     " (use the same settings, or another --out)");
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const RunModel& model, const RunConfig& config,
                     int64_t seed, int64_t epoch, int64_t global_step,
                     const ag::Generator& dropout_gen, const Json& record) {
  ag::nn::Checkpoint ckpt;
  const ag::nn::OptimizerState opt = model.optimizer->state();
  Json meta;
  meta["kind"] = kCheckpointKind;
  meta["format"] = kCheckpointFormat;
  meta["ffn"] = ag::nn::ffn_kind_name(model.kind);
  meta["seed"] = seed;
  meta["epoch"] = epoch;
  meta["global_step"] = global_step;
  meta["optimizer"] = setting_name(config.optimizer);
  meta["optimizer_step"] = opt.step;
  meta["dropout_generator"] = Json{{"seed", dropout_gen.seed()}, {"offset", dropout_gen.offset()}};
  meta["best_epoch"] = record.value("best_epoch", Json());
  meta["best_dev_acc"] = record.value("best_dev_acc", Json());
  meta["metrics"] = record;
  ckpt.metadata_json = meta.dump();
  for (const auto& [name, p] : model.params) ckpt.tensors.emplace_back(name, *p);
  for (const auto& named : opt.tensors) ckpt.tensors.push_back(named);
  fs::create_directories(fs::path(path).parent_path());
  ag::nn::save_checkpoint(path, ckpt);
}

ResumePoint resume_run(const RunConfig& config, const std::string& metrics_path,
                       const std::string& checkpoint_path, int64_t seed, RunModel& model,
                       ag::Generator& dropout_gen) {
  const std::string ffn = ag::nn::ffn_kind_name(model.kind);
  ResumePoint point;
  // Everything read back is checked first (resume_check.h), the metrics file against the
  // checkpoint too: a file that fails leaves the run's files as they are.
  std::optional<SavedMetrics> saved;
  if (fs::exists(metrics_path)) saved = read_run_metrics(metrics_path, ffn, seed);
  const bool has_checkpoint = fs::exists(checkpoint_path);
  ag::nn::Checkpoint ckpt;
  CheckpointMeta meta;
  if (has_checkpoint) {
    ckpt = ag::nn::load_checkpoint(checkpoint_path);
    meta = read_checkpoint_meta(ckpt.metadata_json, checkpoint_path, ffn, seed);
    if (saved) check_metrics_match_checkpoint(*saved, metrics_path, meta, checkpoint_path);
  }
  if (saved) {
    const std::string& status = saved->status;
    if (status == "diverged" || (status == "finished" && saved->epochs_done >= config.epochs)) {
      check_resumable(saved->doc["config"], metrics_path, config, model.hidden);
      point.kind = ResumePoint::Kind::Done;
      point.status = status;
      if (status == "diverged") {
        point.message = saved->doc["failure"].value("message", std::string("diverged"));
      }
      return point;
    }
  }
  if (!has_checkpoint) {
    if (saved && saved->epochs_done > 0) {
      ag::fail(metrics_path, " records ", saved->epochs_done,
               " finished epochs but their checkpoint ", checkpoint_path,
               " is missing (--resume continues only from files it can trust)");
    }
    return point;
  }

  check_resumable(meta.metrics.doc["config"], checkpoint_path, config, model.hidden);
  const int64_t epoch = meta.epoch;
  if (epoch > config.epochs) {
    throw UsageError("--resume: " + checkpoint_path + " is at epoch " + std::to_string(epoch) +
                     ", beyond --epochs " + std::to_string(config.epochs));
  }

  // Parameters are the tensors named like them; optimizer slots are "<slot>/<parameter>".
  std::vector<std::pair<std::string, ag::Tensor>> weights;
  ag::nn::OptimizerState opt_state;
  opt_state.step = meta.optimizer_step;
  for (auto& [name, t] : ckpt.tensors) {
    (name.find('/') == std::string::npos ? weights : opt_state.tensors).emplace_back(name, t);
  }
  try {
    ag::nn::restore_parameters(weights, model.params);
    model.optimizer->load_state(opt_state);
  } catch (const ag::Error& e) {
    ag::fail(checkpoint_path, ": does not fit the model: ", e.what());
  }
  dropout_gen.set_state(meta.generator_seed, meta.generator_offset);
  point.kind = ResumePoint::Kind::Continue;
  point.epoch = epoch;
  point.global_step = meta.global_step;
  point.train_s = meta.train_s;
  point.eval_s = meta.eval_s;
  point.total_s = meta.total_s;
  point.record = std::move(meta.metrics.doc);
  // The process died between the checkpoint and the metrics.
  point.metrics_behind = !saved || saved->epochs_done < epoch;
  return point;
}

}  // namespace sst2
