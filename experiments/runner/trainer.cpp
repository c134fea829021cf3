// One run from start to end: the model and its record are built, --resume finds where the run
// stands, and every epoch is trained (train_loop.h), evaluated (evaluation.h), recorded
// (run_record.h) and checkpointed (checkpoints.h).
#include "experiments/runner/trainer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "experiments/runner/checkpoints.h"
#include "experiments/runner/distributed.h"
#include "experiments/runner/evaluation.h"
#include "experiments/runner/metrics.h"
#include "experiments/runner/run_model.h"
#include "experiments/runner/run_record.h"
#include "experiments/runner/system_info.h"
#include "experiments/runner/train_loop.h"
#include "experiments/runner/weight_noise.h"

namespace sst2 {

namespace fs = std::filesystem;

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

std::string run_name(const std::string& ffn, int64_t seed) {
  return ffn + "_seed" + std::to_string(seed);
}

std::string metrics_path(const std::string& out_dir, const std::string& ffn, int64_t seed) {
  return (fs::path(out_dir) / (run_name(ffn, seed) + ".json")).string();
}

std::string checkpoint_path(const std::string& out_dir, const std::string& ffn, int64_t seed) {
  return (fs::path(out_dir) / "checkpoints" / (run_name(ffn, seed) + ".ckpt")).string();
}

uint64_t dropout_seed(int64_t seed) {
  // A stream unrelated to the init stream Generator(seed) (different seed value, mixed bits).
  return mix64(uint64_t(seed) ^ 0x44524F504F5554ull);  // "DROPOUT"
}

namespace {

class Trainer {
 public:
  Trainer(const RunConfig& config, const ExperimentData& data, ag::nn::FfnKind kind, int64_t seed,
          Progress& progress)
      : config_(config),
        data_(data),
        seed_(seed),
        progress_(progress),
        name_(ag::nn::ffn_kind_name(kind)),
        label_("[" + name_ + " seed " + std::to_string(seed) + "]"),
        run_start_(now_seconds()),
        metrics_path_(metrics_path(config.out, name_, seed)),
        checkpoint_path_(checkpoint_path(config.out, name_, seed)),
        model_(build_run_model(config, kind, data.vocab_size, seed)),
        record_(config, data, model_, seed),
        loop_(config, data.train, model_, seed, dropout_seed(seed), stop_requested(), record_,
              progress, label_) {}

  RunResult run();

 private:
  // --resume: returns true when the run is already done (result_ filled).
  bool resume();
  void finish_epoch(int64_t epoch, const EpochOutcome& trained);
  // METRICS.md `epoch0`: dev loss, accuracy and FFN statistics of the untrained model, so that
  // where training moved the pre-activations can be measured against where it started.
  void record_initial_state();
  // METRICS.md `weight_perturbation`, at the final epoch (weights are restored afterwards).
  void record_weight_perturbation();
  Invocation invocation() const;
  // --data-parallel over several ranks: only rank 0 writes files.
  bool writes_files() const { return !model_.sync || dist::world().rank == 0; }
  void write_metrics();
  void save(int64_t epoch);

  const RunConfig& config_;
  const ExperimentData& data_;
  int64_t seed_;
  Progress& progress_;
  std::string name_, label_;  // "swiglu", "[swiglu seed 0]"
  double run_start_;          // this invocation's timing starts before the model is built
  std::string metrics_path_, checkpoint_path_;
  RunModel model_;
  RunRecord record_;
  TrainLoop loop_;

  int64_t start_epoch_ = 1;
  double train_s_ = 0.0, eval_s_ = 0.0;  // including earlier invocations (resume)
  double resumed_total_s_ = 0.0;
  RunResult result_;
};

Invocation Trainer::invocation() const {
  Invocation inv;
  inv.device = config_.device;
  inv.sync = model_.sync.get();
  inv.launches = &loop_.launches();
  inv.train_s = train_s_;
  inv.eval_s = eval_s_;
  inv.total_s = resumed_total_s_ + (now_seconds() - run_start_);
  return inv;
}

void Trainer::write_metrics() {
  if (writes_files()) record_.write(metrics_path_, invocation());
}

void Trainer::save(int64_t epoch) {
  if (!writes_files()) return;
  record_.refresh(invocation());
  save_checkpoint(checkpoint_path_, model_, config_, seed_, epoch, loop_.global_step(),
                  loop_.dropout_generator(), record_.doc());
}

bool Trainer::resume() {
  ResumePoint point = resume_run(config_, metrics_path_, checkpoint_path_, seed_, model_,
                                 loop_.dropout_generator());
  switch (point.kind) {
    case ResumePoint::Kind::Start:
      return false;
    case ResumePoint::Kind::Done:
      result_.skipped = true;
      if (point.status == "diverged") {
        result_.status = RunStatus::Diverged;
        result_.message = point.message;
      }
      progress_.line(label_ + " already " + point.status + " in " + metrics_path_ + ", skipped");
      return true;
    case ResumePoint::Kind::Continue:
      break;
  }
  loop_.set_global_step(point.global_step);
  record_.continue_from(std::move(point.record));
  train_s_ = point.train_s;
  eval_s_ = point.eval_s;
  resumed_total_s_ = point.total_s;
  start_epoch_ = point.epoch + 1;
  progress_.line(label_ + " resuming from " + checkpoint_path_ + " after epoch " +
                 std::to_string(point.epoch));
  // The process died between the checkpoint and the metrics: bring the metrics file up to the
  // checkpoint now, so that it never lags by more than the epoch being written.
  if (point.metrics_behind) write_metrics();
  return false;
}

void Trainer::finish_epoch(int64_t epoch, const EpochOutcome& trained) {
  const double eval_start = now_seconds();
  FfnStats stats(model_.hidden, ag::nn::is_gated(model_.kind));
  EpochResult r;
  r.dev = evaluate(model_, config_, data_.dev, &stats);
  for (const TokenizedSet& set : data_.evals) {
    r.evals.emplace_back(set.name, evaluate(model_, config_, set, nullptr));
  }
  r.eval_s = now_seconds() - eval_start;
  r.epoch_s = trained.seconds;
  train_s_ += r.epoch_s;
  eval_s_ += r.eval_s;

  const EpochTotals& totals = trained.totals;
  r.epoch = epoch;
  r.steps = totals.steps_read;
  r.tokens = totals.tokens;
  r.train_loss = r.steps ? totals.loss_sum / double(r.steps) : 0.0;
  r.train_acc = totals.seen ? double(totals.correct) / double(totals.seen) : 0.0;
  r.dev_ffn = stats.to_json();
  record_.add_epoch(r);

  char line[256];
  std::snprintf(line, sizeof line,
                "%s epoch %lld/%lld: train loss %.4f acc %.4f | dev loss %.4f acc %.4f | "
                "%.1f steps/s, %.1f s",
                label_.c_str(), (long long)epoch, (long long)config_.epochs, r.train_loss,
                r.train_acc, r.dev.loss, r.dev.acc,
                r.epoch_s > 0 ? double(r.steps) / r.epoch_s : 0.0, r.epoch_s);
  std::string text = line;
  for (const auto& [stem, e] : r.evals) {
    std::snprintf(line, sizeof line, " | %s acc %.4f", stem.c_str(), e.acc);
    text += line;
  }
  progress_.line(text);
}

void Trainer::record_initial_state() {
  // Eval mode draws no random numbers, so training afterwards is exactly what it was without.
  FfnStats stats(model_.hidden, ag::nn::is_gated(model_.kind));
  const EvalResult dev = evaluate(model_, config_, data_.dev, &stats);
  record_.set_initial_state(dev, stats.to_json());
}

void Trainer::record_weight_perturbation() {
  // No timing in the record: a run file's numbers, timings aside, are reproducible bit for bit.
  if (config_.weight_noise_draws == 0) return;  // not asked for: the record stays null
  const int draws = int(config_.weight_noise_draws);
  record_.set_weight_perturbation(
      measure_weight_perturbation(model_.params, uint64_t(seed_), draws, [this] {
        const EvalResult r = evaluate(model_, config_, data_.dev, nullptr);
        return LossAndAccuracy{r.loss, r.acc};
      }));
}

RunResult Trainer::run() {
  result_.metrics_path = metrics_path_;
  if (config_.resume && resume()) return result_;

  if (start_epoch_ == 1) {
    progress_.line(label_ + " " + std::to_string(model_.net->parameter_count()) +
                   " parameters (FFN " + std::to_string(model_.net->ffn_parameter_count()) +
                   ", hidden " + std::to_string(model_.hidden) + "), " +
                   std::to_string(data_.train.rows) + " train / " + std::to_string(data_.dev.rows) +
                   " dev examples");
    record_initial_state();
  }
  for (int64_t epoch = start_epoch_; epoch <= config_.epochs; ++epoch) {
    const EpochOutcome trained = loop_.run_epoch(epoch);
    if (trained.divergence.happened) {
      progress_.end_epoch();
      const Divergence& d = trained.divergence;
      record_.set_diverged(d.step, d.epoch, d.message);
      write_metrics();
      result_.status = RunStatus::Diverged;
      result_.message = d.message;
      return result_;
    }
    if (trained.interrupted) {
      progress_.end_epoch();
      record_.set_status("interrupted");
      write_metrics();
      result_.status = RunStatus::Interrupted;
      return result_;
    }
    finish_epoch(epoch, trained);
    if (epoch == config_.epochs) record_weight_perturbation();
    record_.set_status(epoch == config_.epochs ? "finished" : "running");
    // Checkpoint first: if we die between the two, the checkpoint (which carries its own copy
    // of the metrics) is the newer one, and --resume continues from it.
    save(epoch);
    write_metrics();
  }
  if (start_epoch_ > config_.epochs) {  // resumed from a checkpoint of the last epoch
    record_.set_status("finished");
    write_metrics();
  }
  result_.status = RunStatus::Finished;
  return result_;
}

}  // namespace

RunResult train_run(const RunConfig& config, const ExperimentData& data, ag::nn::FfnKind ffn,
                    int64_t seed, Progress& progress) {
  Trainer trainer(config, data, ffn, seed, progress);
  return trainer.run();
}

}  // namespace sst2
