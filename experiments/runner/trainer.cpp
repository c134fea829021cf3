#include "experiments/runner/trainer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/backend.h"
#include "core/ops.h"
#include "experiments/runner/data_parallel.h"
#include "experiments/runner/distributed.h"
#include "experiments/runner/metrics.h"
#include "experiments/runner/resume_check.h"
#include "experiments/runner/step_graph.h"
#include "experiments/runner/step_launches.h"
#include "experiments/runner/step_outputs.h"
#include "experiments/runner/system_info.h"
#include "experiments/runner/weight_noise.h"
#include "nn/checkpoint.h"
#include "nn/optim.h"
#include "nn/transformer.h"

namespace sst2 {

namespace fs = std::filesystem;
using ag::Device;
using ag::Tensor;

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

ag::nn::ClassifierConfig classifier_config(const RunConfig& c, ag::nn::FfnKind kind,
                                           int64_t vocab_size, int64_t hidden) {
  ag::nn::ClassifierConfig m;
  m.vocab_size = vocab_size;
  m.max_len = c.max_len;
  m.d_model = c.d_model;
  m.n_heads = c.heads;
  m.n_layers = c.layers;
  m.ffn_hidden = hidden;
  m.ffn_kind = kind;
  m.fused_ffn = !c.unfused;
  m.norm_first = c.norm == NormPlacement::Pre;
  m.dropout = float(c.dropout);
  m.pooling = c.pooling;
  m.positions = c.positions;
  m.num_classes = 2;
  return m;
}

// A gradient-norm group: "encoder.<i>.<block>" inside the encoder, else the top-level module
// ("token_embedding", "positions", "final_norm", "head").
bool in_encoder(const std::string& name) {
  return name.rfind("encoder.", 0) == 0;
}

struct EvalResult {
  double loss = 0.0;
  double acc = 0.0;
  std::vector<int32_t> predictions;
};

// The steps of an epoch whose loss and predictions still wait in StepOutputs' slots on the
// device. They are read together (one synchronisation) at a log step, a progress refresh, or the
// end of the epoch.
struct PendingSteps {
  std::vector<int64_t> slot;       // StepOutputs slot
  std::vector<int64_t> first_row;  // index into the epoch's order of the batch's first row
  std::vector<int64_t> rows;
  std::vector<int64_t> global_step;
  bool empty() const { return slot.empty(); }
  void add(int64_t s, int64_t first, int64_t n, int64_t step) {
    slot.push_back(s);
    first_row.push_back(first);
    rows.push_back(n);
    global_step.push_back(step);
  }
  void clear() {
    slot.clear();
    first_row.clear();
    rows.clear();
    global_step.clear();
  }
};

struct EpochTotals {
  double loss_sum = 0.0;  // sum of batch mean losses read so far
  int64_t steps_read = 0;
  int64_t correct = 0, seen = 0;
  int64_t tokens = 0;
};

struct Divergence {
  bool happened = false;
  int64_t step = 0, epoch = 0;
  std::string message;
};

class Trainer {
 public:
  Trainer(const RunConfig& config, const ExperimentData& data, ag::nn::FfnKind kind, int64_t seed,
          Progress& progress)
      : config_(config),
        data_(data),
        ffn_(ag::nn::ffn_kind_name(kind)),
        seed_(seed),
        progress_(progress),
        device_(config.device),
        kind_(kind),
        dropout_gen_(dropout_seed(seed)),
        metrics_path_(metrics_path(config.out, ffn_, seed)),
        checkpoint_path_(checkpoint_path(config.out, ffn_, seed)) {}

  RunResult run();

 private:
  void build_model();
  void init_metrics();
  // --resume: returns true when the run is already done (result_ filled).
  bool try_resume();
  void check_resumable(const Json& saved_config, const std::string& what) const;
  void train_epoch(int64_t epoch, Divergence& divergence, bool& interrupted, double& epoch_s,
                   EpochTotals& totals);
  // One full batch, already in graph_->inputs(), through the captured graph (capturing it the
  // first time: returns true then).
  bool graph_step(int64_t begin, int64_t end, int64_t step, int64_t epoch, bool log_step,
                  PendingSteps& pending);
  bool read_pending(PendingSteps& pending, const std::vector<int64_t>& order, int64_t epoch,
                    EpochTotals& totals, Divergence& divergence);
  void log_gradients(int64_t step, int64_t epoch, float loss);
  EvalResult evaluate(const TokenizedSet& set, FfnStats* stats);
  void finish_epoch(int64_t epoch, const EpochTotals& totals, double epoch_s);
  // METRICS.md `epoch0`: dev loss, accuracy and FFN statistics of the untrained model, so that
  // where training moved the pre-activations can be measured against where it started.
  void record_initial_state();
  // METRICS.md `weight_perturbation`, at the final epoch (weights are restored afterwards).
  void record_weight_perturbation();
  void save_checkpoint(int64_t epoch);
  void prepare_eval_predictions();
  void refresh_environment();
  void write_metrics();
  // --data-parallel over several ranks: the reductions of the training totals and of an
  // evaluation (data_parallel.h); only rank 0 writes files.
  bool writes_files() const { return !sync_ || dist::world().rank == 0; }
  void reduce_totals(EpochTotals& totals) const;
  void reduce_eval(EvalResult& r, double& loss_sum, int64_t& correct, FfnStats* stats) const;
  std::string label() const { return "[" + ffn_ + " seed " + std::to_string(seed_) + "]"; }

  const RunConfig& config_;
  const ExperimentData& data_;
  std::string ffn_;
  int64_t seed_;
  Progress& progress_;
  Device device_;
  ag::nn::FfnKind kind_;
  int64_t hidden_ = 0;

  std::unique_ptr<ag::nn::TransformerClassifier> model_;
  std::unique_ptr<ag::nn::Optimizer> optimizer_;
  ag::nn::NamedParams params_, encoder_params_, other_params_;
  ag::Generator dropout_gen_;
  ag::Generator eval_gen_{0};           // never drawn from (eval mode has no dropout)
  std::unique_ptr<GradientSync> sync_;  // --data-parallel with more than one rank

  int64_t start_epoch_ = 1;
  int64_t global_step_ = 0;
  double train_s_ = 0.0, eval_s_ = 0.0;  // including earlier invocations (resume)
  double best_dev_acc_ = -1.0;
  double run_start_ = 0.0, resumed_total_s_ = 0.0;
  StepLaunches launches_;  // CUDA runs only
  std::unique_ptr<StepOutputs> outputs_;
  std::unique_ptr<StepGraph> graph_;  // --cuda-graph
  int64_t eager_full_steps_ = 0;
  Json metrics_;
  std::string metrics_path_, checkpoint_path_;
  RunResult result_;
};

void Trainer::build_model() {
  hidden_ = config_.ffn_dim;
  if (ag::nn::is_gated(kind_) && config_.swiglu_match_params) {
    hidden_ = ag::nn::matched_gated_hidden(config_.ffn_dim);
  }
  ag::Generator init_gen{uint64_t(seed_)};
  model_ = std::make_unique<ag::nn::TransformerClassifier>(
      classifier_config(config_, kind_, data_.vocab_size, hidden_), init_gen);
  model_->to(device_);
  params_ = model_->named_parameters();
  for (const auto& named : params_) {
    (in_encoder(named.first) ? encoder_params_ : other_params_).push_back(named);
  }
  if (config_.data_parallel && dist::multi_rank()) {
    sync_ = std::make_unique<GradientSync>(device_, params_);
  }
  if (config_.optimizer == OptimizerKind::Sgd) {
    optimizer_ =
        std::make_unique<ag::nn::Sgd>(params_, config_.lr, config_.momentum, config_.weight_decay);
  } else {
    optimizer_ = std::make_unique<ag::nn::AdamW>(params_, config_.lr, config_.beta1, config_.beta2,
                                                 config_.eps, config_.weight_decay);
  }
}

void Trainer::init_metrics() {
  Json cfg = config_to_json(config_);
  cfg["ffn_dim_base"] = config_.ffn_dim;  // what was asked for
  cfg["ffn_dim"] = hidden_;               // the width this variant actually uses

  Json per_tensor = Json::object();
  int64_t embedding = 0;
  for (const auto& [name, p] : params_) {
    per_tensor[name] = p->numel();
    if (name.rfind("token_embedding.", 0) == 0 || name.rfind("positions.", 0) == 0) {
      embedding += p->numel();
    }
  }
  metrics_ = Json::object();
  metrics_["schema_version"] = 1;
  metrics_["ffn"] = ffn_;
  metrics_["seed"] = seed_;
  metrics_["config"] = cfg;
  metrics_["params"] = Json{{"total", model_->parameter_count()},
                            {"ffn", model_->ffn_parameter_count()},
                            {"embedding", embedding},
                            {"per_tensor", per_tensor}};
  metrics_["model"] = Json{{"ffn_hidden", hidden_},
                           {"gated", ag::nn::is_gated(kind_)},
                           {"fused", ag::nn::is_gated(kind_) && !config_.unfused},
                           {"head_dim", config_.d_model / config_.heads},
                           {"vocab_size", data_.vocab_size}};
  Json eval_sizes = Json::object();
  for (const auto& e : data_.evals) eval_sizes[e.name] = e.rows;
  metrics_["data"] = Json{{"data_dir", data_.data_dir},         {"vocab", data_.vocab_path},
                          {"train_examples", data_.train.rows}, {"dev_examples", data_.dev.rows},
                          {"eval_examples", eval_sizes},        {"eval_files", data_.eval_paths}};
  metrics_["device"] = ag::device_label(device_);
  metrics_["status"] = "running";
  metrics_["failure"] = nullptr;
  metrics_["epochs"] = Json::array();
  metrics_["steps"] = Json::array();
  metrics_["best_epoch"] = nullptr;
  metrics_["epoch0"] = nullptr;               // filled before the first epoch
  metrics_["weight_perturbation"] = nullptr;  // filled at the final epoch
  metrics_["best_dev_acc"] = nullptr;
  metrics_["final_dev_acc"] = nullptr;
  metrics_["dev_predictions"] =
      Json{{"labels", data_.dev.labels}, {"best", Json::array()}, {"final", Json::array()}};
  metrics_["eval_predictions"] = Json::object();
  prepare_eval_predictions();
  refresh_environment();
}

// An entry {"labels", "best", "final"} in eval_predictions for every --eval-file of this
// invocation. A resumed run may have been made without a file, or with another file of the
// same stem (other labels): then it starts empty, and its "best" stays empty until the dev
// accuracy improves on an epoch that evaluated the file.
void Trainer::prepare_eval_predictions() {
  if (!metrics_.contains("eval_predictions") || !metrics_["eval_predictions"].is_object()) {
    metrics_["eval_predictions"] = Json::object();  // a run file from before this key
  }
  Json& preds = metrics_["eval_predictions"];
  for (const TokenizedSet& set : data_.evals) {
    const Json labels = set.labels;
    if (!preds.contains(set.name) || preds[set.name].value("labels", Json()) != labels) {
      preds[set.name] = Json{{"labels", labels}, {"best", Json::array()}, {"final", Json::array()}};
    }
  }
}

// Facts that belong to this invocation (a resumed run may be continued elsewhere).
void Trainer::refresh_environment() {
  metrics_["device"] = ag::device_label(device_);
  metrics_["device_name"] = device_description(device_);
  metrics_["threads"] = device_ == Device::CPU ? ag::num_threads() : 0;
  metrics_["distributed"] = Json{{"ranks", dist::world().size},
                                 {"rank", dist::world().rank},
                                 {"data_parallel", sync_ != nullptr},
                                 {"all_reduce", sync_ ? Json(sync_->method()) : Json(nullptr)}};
  metrics_["build_type"] = build_type();
  metrics_["git_commit"] = git_commit();
  metrics_["peak_memory"] =
      Json{{"host_rss_bytes", peak_host_rss_bytes()}, {"device_bytes", peak_device_bytes(device_)}};
  const double total_s = resumed_total_s_ + (now_seconds() - run_start_);
  int64_t steps = 0;
  for (const auto& e : metrics_["epochs"]) steps += e["steps"].get<int64_t>();
  metrics_["timing"] = Json{{"train_s", train_s_},
                            {"eval_s", eval_s_},
                            {"total_s", total_s},
                            {"steps", steps},
                            {"steps_per_s", train_s_ > 0 ? double(steps) / train_s_ : 0.0}};
  if (device_ == Device::CUDA) metrics_["gpu"] = launches_.to_json();
}

void Trainer::write_metrics() {
  if (!writes_files()) return;
  refresh_environment();
  write_json_atomically(metrics_path_, metrics_);
}

void Trainer::check_resumable(const Json& saved, const std::string& what) const {
  Json current = config_to_json(config_);
  current["ffn_dim_base"] = config_.ffn_dim;
  current["ffn_dim"] = hidden_;
  if (const auto key = first_setting_difference(saved, current)) {
    const auto it = saved.find(*key);
    throw UsageError("--resume: " + what + " was made with " + *key + " = " +
                     (it != saved.end() ? it->dump() : std::string("(absent)")) +
                     " but this invocation has " + *key + " = " + current[*key].dump() +
                     " (use the same settings, or another --out)");
  }
}

bool Trainer::try_resume() {
  // Everything read back is checked first (resume_check.h), the metrics file against the
  // checkpoint too: a file that fails leaves the run's files as they are.
  std::optional<SavedMetrics> saved;
  if (fs::exists(metrics_path_)) saved = read_run_metrics(metrics_path_, ffn_, seed_);
  const bool has_checkpoint = fs::exists(checkpoint_path_);
  ag::nn::Checkpoint ckpt;
  CheckpointMeta meta;
  if (has_checkpoint) {
    ckpt = ag::nn::load_checkpoint(checkpoint_path_);
    meta = read_checkpoint_meta(ckpt.metadata_json, checkpoint_path_, ffn_, seed_);
    if (saved) check_metrics_match_checkpoint(*saved, metrics_path_, meta, checkpoint_path_);
  }
  if (saved) {
    const std::string& status = saved->status;
    if (status == "diverged" || (status == "finished" && saved->epochs_done >= config_.epochs)) {
      check_resumable(saved->doc["config"], metrics_path_);
      result_.skipped = true;
      result_.metrics_path = metrics_path_;
      if (status == "diverged") {
        result_.status = RunStatus::Diverged;
        result_.message = saved->doc["failure"].value("message", std::string("diverged"));
      }
      progress_.line(label() + " already " + status + " in " + metrics_path_ + ", skipped");
      return true;
    }
  }
  if (!has_checkpoint) {
    if (saved && saved->epochs_done > 0) {
      ag::fail(metrics_path_, " records ", saved->epochs_done,
               " finished epochs but their checkpoint ", checkpoint_path_,
               " is missing (--resume continues only from files it can trust)");
    }
    return false;
  }

  check_resumable(meta.metrics.doc["config"], checkpoint_path_);
  const int64_t epoch = meta.epoch;
  if (epoch > config_.epochs) {
    throw UsageError("--resume: " + checkpoint_path_ + " is at epoch " + std::to_string(epoch) +
                     ", beyond --epochs " + std::to_string(config_.epochs));
  }

  // Parameters are the tensors named like them; optimizer slots are "<slot>/<parameter>".
  std::vector<std::pair<std::string, Tensor>> weights;
  ag::nn::OptimizerState opt_state;
  opt_state.step = meta.optimizer_step;
  for (auto& [name, t] : ckpt.tensors) {
    (name.find('/') == std::string::npos ? weights : opt_state.tensors).emplace_back(name, t);
  }
  try {
    ag::nn::restore_parameters(weights, params_);
    optimizer_->load_state(opt_state);
  } catch (const ag::Error& e) {
    ag::fail(checkpoint_path_, ": does not fit the model: ", e.what());
  }
  dropout_gen_.set_state(meta.generator_seed, meta.generator_offset);
  global_step_ = meta.global_step;
  metrics_ = std::move(meta.metrics.doc);
  train_s_ = meta.train_s;
  eval_s_ = meta.eval_s;
  resumed_total_s_ = meta.total_s;
  if (metrics_["best_dev_acc"].is_number()) best_dev_acc_ = metrics_["best_dev_acc"].get<double>();
  // The settings of this invocation (epochs, device, ...) replace the old ones.
  Json cfg = config_to_json(config_);
  cfg["ffn_dim_base"] = config_.ffn_dim;
  cfg["ffn_dim"] = hidden_;
  metrics_["config"] = cfg;
  prepare_eval_predictions();
  start_epoch_ = epoch + 1;
  progress_.line(label() + " resuming from " + checkpoint_path_ + " after epoch " +
                 std::to_string(epoch));
  // The process died between the checkpoint and the metrics: bring the metrics file up to the
  // checkpoint now, so that it never lags by more than the epoch being written.
  if (!saved || saved->epochs_done < epoch) write_metrics();
  return false;
}

void Trainer::log_gradients(int64_t step, int64_t epoch, float loss) {
  // Each of these reads synchronises once; that is why they run only every log_every steps.
  const float global = ag::nn::global_grad_norm(params_);
  std::map<std::string, float> groups = ag::nn::grad_norms_by_prefix(encoder_params_, 3);
  for (const auto& [name, norm] : ag::nn::grad_norms_by_prefix(other_params_, 1)) {
    groups[name] = norm;
  }
  Json layer_norms = Json::object();
  for (const auto& [name, norm] : groups) layer_norms[name] = norm;
  metrics_["steps"].push_back(Json{{"step", step},
                                   {"epoch", epoch},
                                   {"loss", loss},
                                   {"grad_norm", global},
                                   {"layer_grad_norms", layer_norms}});
}

bool Trainer::read_pending(PendingSteps& pending, const std::vector<int64_t>& order, int64_t epoch,
                           EpochTotals& totals, Divergence& divergence) {
  if (pending.empty()) return true;
  const StepOutputs::Host host = outputs_->read();  // one read for the whole window
  for (size_t i = 0; i < pending.slot.size(); ++i) {
    const size_t slot = size_t(pending.slot[i]);
    const float loss = host.losses[slot];
    if (!std::isfinite(loss)) {
      divergence.happened = true;
      divergence.step = pending.global_step[i];
      divergence.epoch = epoch;
      divergence.message = std::string("training loss is ") + (std::isnan(loss) ? "NaN" : "Inf") +
                           " at step " + std::to_string(pending.global_step[i]) + " (epoch " +
                           std::to_string(epoch) + ")";
      pending.clear();
      return false;
    }
    totals.loss_sum += double(loss);
    ++totals.steps_read;
    const int32_t* preds = host.predictions.data() + slot * size_t(outputs_->max_rows());
    for (int64_t r = 0; r < pending.rows[i]; ++r) {
      const int64_t row = order[size_t(pending.first_row[i] + r)];
      totals.correct += preds[r] == data_.train.labels[size_t(row)] ? 1 : 0;
      ++totals.seen;
    }
  }
  pending.clear();
  return true;
}

bool Trainer::graph_step(int64_t begin, int64_t end, int64_t step, int64_t epoch, bool log_step,
                         PendingSteps& pending) {
  auto& adamw = static_cast<ag::nn::AdamW&>(*optimizer_);  // validate(): --optimizer adamw
  adamw.prepare_step(Device::CUDA);
  const bool capture = !graph_->captured();
  int64_t slot = 0;
  if (capture) {
    // The eager step's work, on the static inputs, with AdamW's scalars read on the device.
    graph_->capture(
        [&] {
          const Batch& in = graph_->inputs();
          optimizer_->zero_grad();
          const Tensor logits = model_->forward(in.ids, in.mask, dropout_gen_);
          Tensor l = ag::cross_entropy(logits, in.labels);
          ag::backward(l);
          adamw.apply_prepared();
          slot = outputs_->append(l.detach(), logits.detach());
          return l.detach();
        },
        dropout_gen_, params_);
  } else {
    (void)graph_->replay(dropout_gen_, params_);
    slot = outputs_->replayed();
  }
  pending.add(slot, begin, end - begin, step);
  // The gradients are the step's (AdamW does not change them): the norms the eager step logs.
  if (log_step) log_gradients(step, epoch, graph_->loss().item());
  return capture;
}

void Trainer::train_epoch(int64_t epoch, Divergence& divergence, bool& interrupted, double& epoch_s,
                          EpochTotals& totals) {
  const TokenizedSet& train = data_.train;
  const std::vector<int64_t> order = epoch_permutation(train.rows, uint64_t(seed_), epoch);
  const int64_t B = config_.batch;
  const int64_t steps = (train.rows + B - 1) / B;  // the last, partial batch is kept
  const bool on_cpu = device_ == Device::CPU;
  BatchAssembler batches(train, device_, config_.padding_mask);
  PendingSteps pending;
  if (!outputs_) {
    // Reads come every log_every steps and at the end of an epoch: that many slots suffice.
    outputs_ = std::make_unique<StepOutputs>(std::min(config_.log_every, steps) + 1, B, device_);
  }
  model_->train(true);
  progress_.begin_epoch(label(), epoch, config_.epochs, steps);

  const double start = now_seconds();
  for (int64_t s = 0; s < steps; ++s) {
    // With data parallelism every rank stops at the same step (or one would wait forever).
    bool stop = stop_requested().load(std::memory_order_relaxed);
    if (sync_) stop = dist::max(stop ? 1 : 0) != 0;
    if (stop) {
      interrupted = true;
      return;
    }
    const int64_t step = ++global_step_;
    const int64_t begin = s * B, end = std::min(train.rows, begin + B);
    const bool full = end - begin == B;
    const bool log_step = (step - 1) % config_.log_every == 0;
    // --cuda-graph: every full batch but the run's first (which creates AdamW's moments) is the
    // graph's; the debug NaN step runs eagerly, since it changes the step.
    const bool graphed =
        config_.cuda_graph && full && eager_full_steps_ > 0 && step != config_.debug_nan_at_step;
    // --data-parallel: this rank's part of the batch, its dropout keyed by the global rows.
    BatchShard part{begin, end, end - begin, 1.0f};
    if (sync_) {
      part = shard_of(begin, end, dist::world().rank, dist::world().size);
      dropout_gen_.set_batch_split(uint64_t(part.begin - begin), uint64_t(part.end - part.begin),
                                   uint64_t(end - begin));
    }
    // The batch goes to the device first: its upload is not counted as the step's work.
    Batch batch;
    if (graphed) {
      if (!graph_) graph_ = std::make_unique<StepGraph>(B, train.seq_len, config_.padding_mask);
      batches.gather_into(order, begin, end, graph_->inputs());
    } else {
      batch = batches.gather(order, part.begin, part.end);
    }
    if (!on_cpu) launches_.begin();
    bool captured_now = false;
    if (graphed) {
      captured_now = graph_step(begin, end, step, epoch, log_step, pending);
      if (captured_now) launches_.set_captured(graph_->recorded());
    } else {
      if (config_.cuda_graph) StepGraph::before_eager_step();
      optimizer_->zero_grad();
      const Tensor logits = model_->forward(batch.ids, batch.mask, dropout_gen_);
      Tensor loss = ag::cross_entropy(logits, batch.labels);
      if (step == config_.debug_nan_at_step) loss = ag::mul(loss, std::nanf(""));  // test hook
      ag::backward(loss);
      if (sync_) loss = sync_->reduce(loss, part.weight);     // the whole batch's gradient and loss
      if (log_step) log_gradients(step, epoch, loss.item());  // norms before clipping
      if (config_.clip_grad_norm > 0)
        ag::nn::clip_grad_norm(params_, float(config_.clip_grad_norm));
      optimizer_->step();
      pending.add(outputs_->append(loss.detach(), logits.detach()), part.begin, part.rows, step);
      if (full) ++eager_full_steps_;
    }
    if (!on_cpu) {
      using Kind = StepLaunches::Kind;
      launches_.end(!log_step && full,
                    graphed ? (captured_now ? Kind::Capture : Kind::Replay) : Kind::Eager);
    }
    totals.tokens += part.rows * train.seq_len;

    // Values are read (a device synchronisation) only at log steps and at the end of the
    // epoch; on the CPU, where reading costs nothing, also when the progress bar redraws.
    const bool last = s + 1 == steps;
    const bool redraw = on_cpu ? progress_.due(s + 1) : false;
    if (log_step || last || redraw) {
      if (!read_pending(pending, order, epoch, totals, divergence)) return;
      if (redraw || (!on_cpu && progress_.due(s + 1))) {
        const double elapsed = now_seconds() - start;
        progress_.update(s + 1, totals.steps_read ? totals.loss_sum / double(totals.steps_read) : 0,
                         elapsed > 0 ? double(s + 1) / elapsed : 0.0);
      }
    }
  }
  epoch_s = now_seconds() - start;  // the last read above waited for the device
  reduce_totals(totals);
  progress_.end_epoch();
}

EvalResult Trainer::evaluate(const TokenizedSet& set, FfnStats* stats) {
  EvalResult r;
  ag::NoGradGuard no_grad;
  model_->train(false);
  ag::nn::FeedForward& ffn = model_->layers.front()->ffn;  // statistics of the first layer
  ffn.capture = stats != nullptr;
  BatchAssembler batches(set, device_, config_.padding_mask);
  double loss_sum = 0.0;
  int64_t correct = 0;
  r.predictions.reserve(size_t(set.rows));
  // With data parallelism each rank evaluates its contiguous part of the set.
  const BatchShard part = sync_ ? eval_shard_of(set.rows, dist::world().rank, dist::world().size)
                                : BatchShard{0, set.rows, set.rows, 1.0f};
  for (int64_t begin = part.begin; begin < part.end; begin += config_.eval_batch) {
    const int64_t end = std::min(part.end, begin + config_.eval_batch);
    const Batch batch = batches.range(begin, end);
    const Tensor logits = model_->forward(batch.ids, batch.mask, eval_gen_);
    loss_sum += double(ag::cross_entropy(logits, batch.labels).item()) * double(end - begin);
    const std::vector<int32_t> preds = ag::argmax(logits).to_int_vector();
    for (size_t i = 0; i < preds.size(); ++i) {
      r.predictions.push_back(preds[i]);
      correct += preds[i] == set.labels[size_t(begin) + i] ? 1 : 0;
    }
    if (stats) {
      const ag::nn::FfnProbe& probe = ffn.last_probe;
      const std::vector<float> pre = probe.pre_activation.to_vector();
      const std::vector<float> up =
          probe.up.defined() ? probe.up.to_vector() : std::vector<float>();
      const std::vector<float> act = probe.activation.to_vector();
      const std::vector<float> out = probe.output.to_vector();
      const int64_t rows = (end - begin) * set.seq_len;
      AG_CHECK(
          int64_t(pre.size()) == rows * hidden_ && int64_t(out.size()) == rows * config_.d_model,
          "FFN probe: expected ", rows, " positions of ", hidden_, " / ", config_.d_model,
          " values, got ", pre.size(), " / ", out.size());
      // Padding positions are left out when the model masks them (they are noise it ignores).
      stats->add(pre.data(), up.empty() ? nullptr : up.data(), act.data(), out.data(), rows,
                 config_.d_model, config_.padding_mask ? batches.host_mask().data() : nullptr);
    }
  }
  ffn.capture = false;
  ffn.last_probe = {};
  model_->train(true);
  if (sync_) reduce_eval(r, loss_sum, correct, stats);
  r.loss = loss_sum / double(set.rows);
  r.acc = double(correct) / double(set.rows);
  return r;
}

void Trainer::finish_epoch(int64_t epoch, const EpochTotals& totals, double epoch_s) {
  const double eval_start = now_seconds();
  FfnStats stats(hidden_, ag::nn::is_gated(kind_));
  const EvalResult dev = evaluate(data_.dev, &stats);
  Json eval_acc = Json::object(), eval_loss = Json::object();
  std::map<std::string, std::vector<int32_t>> eval_preds;
  for (const TokenizedSet& set : data_.evals) {
    EvalResult e = evaluate(set, nullptr);
    eval_acc[set.name] = e.acc;
    eval_loss[set.name] = e.loss;
    eval_preds[set.name] = std::move(e.predictions);
  }
  const double eval_s = now_seconds() - eval_start;
  train_s_ += epoch_s;
  eval_s_ += eval_s;

  const int64_t steps = totals.steps_read;
  Json record;
  record["epoch"] = epoch;
  record["train_loss"] = steps ? totals.loss_sum / double(steps) : 0.0;
  record["train_acc"] = totals.seen ? double(totals.correct) / double(totals.seen) : 0.0;
  record["dev_loss"] = dev.loss;
  record["dev_acc"] = dev.acc;
  record["eval"] = eval_acc;
  record["eval_loss"] = eval_loss;
  record["epoch_s"] = epoch_s;
  record["steps"] = steps;
  record["steps_per_s"] = epoch_s > 0 ? double(steps) / epoch_s : 0.0;
  record["tokens_per_s"] = epoch_s > 0 ? double(totals.tokens) / epoch_s : 0.0;
  record["eval_s"] = eval_s;
  record["lr"] = config_.lr;  // constant: no schedule
  record["ffn"] = stats.to_json();
  metrics_["epochs"].push_back(record);

  // Evaluation files follow dev: "best" is the epoch of the best dev accuracy. A file that this
  // epoch did not evaluate (dropped on --resume) has no predictions for it: [].
  const bool improved = dev.acc > best_dev_acc_;  // the first epoch wins ties
  for (auto& [stem, entry] : metrics_["eval_predictions"].items()) {
    const auto it = eval_preds.find(stem);
    const Json preds = it == eval_preds.end() ? Json::array() : Json(it->second);
    if (improved) entry["best"] = preds;
    entry["final"] = preds;
  }
  if (improved) {
    best_dev_acc_ = dev.acc;
    metrics_["best_epoch"] = epoch;
    metrics_["best_dev_acc"] = dev.acc;
    metrics_["dev_predictions"]["best"] = dev.predictions;
  }
  metrics_["final_dev_acc"] = dev.acc;
  metrics_["dev_predictions"]["final"] = dev.predictions;

  char line[256];
  std::snprintf(line, sizeof line,
                "%s epoch %lld/%lld: train loss %.4f acc %.4f | dev loss %.4f acc %.4f | "
                "%.1f steps/s, %.1f s",
                label().c_str(), (long long)epoch, (long long)config_.epochs,
                record["train_loss"].get<double>(), record["train_acc"].get<double>(), dev.loss,
                dev.acc, record["steps_per_s"].get<double>(), epoch_s);
  std::string text = line;
  for (const auto& [stem, acc] : eval_acc.items()) {
    std::snprintf(line, sizeof line, " | %s acc %.4f", stem.c_str(), acc.get<double>());
    text += line;
  }
  progress_.line(text);
}

void Trainer::record_initial_state() {
  // Eval mode draws no random numbers, so training afterwards is exactly what it was without.
  FfnStats stats(hidden_, ag::nn::is_gated(kind_));
  const EvalResult dev = evaluate(data_.dev, &stats);
  metrics_["epoch0"] = Json{{"dev_loss", dev.loss}, {"dev_acc", dev.acc}, {"ffn", stats.to_json()}};
}

void Trainer::record_weight_perturbation() {
  // No timing in the record: a run file's numbers, timings aside, are reproducible bit for bit.
  if (config_.weight_noise_draws == 0) return;  // not asked for: the record stays null
  const int draws = int(config_.weight_noise_draws);
  metrics_["weight_perturbation"] =
      measure_weight_perturbation(params_, uint64_t(seed_), draws, [this] {
        const EvalResult r = evaluate(data_.dev, nullptr);
        return LossAndAccuracy{r.loss, r.acc};
      });
}

void Trainer::reduce_totals(EpochTotals& totals) const {
  if (!sync_) return;
  // The loss sum is already the whole batches' (reduced every step); the counts are per rank.
  int64_t counts[3] = {totals.correct, totals.seen, totals.tokens};
  dist::sum(counts, 3);
  totals.correct = counts[0];
  totals.seen = counts[1];
  totals.tokens = counts[2];
}

void Trainer::reduce_eval(EvalResult& r, double& loss_sum, int64_t& correct,
                          FfnStats* stats) const {
  dist::sum(&loss_sum, 1);
  dist::sum(&correct, 1);
  r.predictions = dist::all_gather(r.predictions);  // contiguous parts, in rank order
  if (stats) stats->merge_across_ranks();
}

void Trainer::save_checkpoint(int64_t epoch) {
  if (!writes_files()) return;
  refresh_environment();
  ag::nn::Checkpoint ckpt;
  const ag::nn::OptimizerState opt = optimizer_->state();
  Json meta;
  meta["kind"] = kCheckpointKind;
  meta["format"] = kCheckpointFormat;
  meta["ffn"] = ffn_;
  meta["seed"] = seed_;
  meta["epoch"] = epoch;
  meta["global_step"] = global_step_;
  meta["optimizer"] = setting_name(config_.optimizer);
  meta["optimizer_step"] = opt.step;
  meta["dropout_generator"] =
      Json{{"seed", dropout_gen_.seed()}, {"offset", dropout_gen_.offset()}};
  meta["best_epoch"] = metrics_["best_epoch"];
  meta["best_dev_acc"] = metrics_["best_dev_acc"];
  meta["metrics"] = metrics_;
  ckpt.metadata_json = meta.dump();
  for (const auto& [name, p] : params_) ckpt.tensors.emplace_back(name, *p);
  for (const auto& named : opt.tensors) ckpt.tensors.push_back(named);
  fs::create_directories(fs::path(checkpoint_path_).parent_path());
  ag::nn::save_checkpoint(checkpoint_path_, ckpt);
}

RunResult Trainer::run() {
  run_start_ = now_seconds();
  result_.metrics_path = metrics_path_;
  build_model();
  init_metrics();
  if (config_.resume && try_resume()) return result_;

  if (start_epoch_ == 1) {
    progress_.line(label() + " " + std::to_string(model_->parameter_count()) + " parameters (FFN " +
                   std::to_string(model_->ffn_parameter_count()) + ", hidden " +
                   std::to_string(hidden_) + "), " + std::to_string(data_.train.rows) +
                   " train / " + std::to_string(data_.dev.rows) + " dev examples");
  }
  if (start_epoch_ == 1) record_initial_state();
  for (int64_t epoch = start_epoch_; epoch <= config_.epochs; ++epoch) {
    Divergence divergence;
    bool interrupted = false;
    double epoch_s = 0.0;
    EpochTotals totals;
    train_epoch(epoch, divergence, interrupted, epoch_s, totals);
    if (divergence.happened) {
      progress_.end_epoch();
      metrics_["status"] = "diverged";
      metrics_["failure"] = Json{
          {"step", divergence.step}, {"epoch", divergence.epoch}, {"message", divergence.message}};
      write_metrics();
      result_.status = RunStatus::Diverged;
      result_.message = divergence.message;
      return result_;
    }
    if (interrupted) {
      progress_.end_epoch();
      metrics_["status"] = "interrupted";
      write_metrics();
      result_.status = RunStatus::Interrupted;
      return result_;
    }
    finish_epoch(epoch, totals, epoch_s);
    if (epoch == config_.epochs) record_weight_perturbation();
    metrics_["status"] = epoch == config_.epochs ? "finished" : "running";
    // Checkpoint first: if we die between the two, the checkpoint (which carries its own copy
    // of the metrics) is the newer one, and --resume continues from it.
    save_checkpoint(epoch);
    write_metrics();
  }
  if (start_epoch_ > config_.epochs) {  // resumed from a checkpoint of the last epoch
    metrics_["status"] = "finished";
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
