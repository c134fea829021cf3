#include "experiments/runner/run_record.h"

#include <algorithm>

#include "core/backend.h"
#include "experiments/runner/distributed.h"
#include "experiments/runner/metrics.h"
#include "experiments/runner/system_info.h"

namespace sst2 {

using ag::Device;

Json recorded_config(const RunConfig& config, int64_t hidden) {
  Json cfg = config_to_json(config);
  cfg["ffn_dim_base"] = config.ffn_dim;  // what was asked for
  cfg["ffn_dim"] = hidden;               // the width this variant actually uses
  return cfg;
}

RunRecord::RunRecord(const RunConfig& config, const ExperimentData& data, const RunModel& model,
                     int64_t seed)
    : config_(config), data_(data), hidden_(model.hidden) {
  const bool gated = ag::nn::is_gated(model.kind);
  Json per_tensor = Json::object();
  int64_t embedding = 0;
  for (const auto& [name, p] : model.params) {
    per_tensor[name] = p->numel();
    if (name.rfind("token_embedding.", 0) == 0 || name.rfind("positions.", 0) == 0) {
      embedding += p->numel();
    }
  }
  // The keys in METRICS.md's order; refresh() adds this invocation's facts after them.
  doc_ = Json::object();
  doc_["schema_version"] = 1;
  doc_["ffn"] = ag::nn::ffn_kind_name(model.kind);
  doc_["seed"] = seed;
  doc_["config"] = recorded_config(config, hidden_);
  doc_["params"] = Json{{"total", model.net->parameter_count()},
                        {"ffn", model.net->ffn_parameter_count()},
                        {"embedding", embedding},
                        {"per_tensor", per_tensor}};
  doc_["model"] = Json{{"ffn_hidden", hidden_},
                       {"gated", gated},
                       {"fused", gated && !config.unfused},
                       {"head_dim", config.d_model / config.heads},
                       {"vocab_size", data.vocab_size}};
  Json eval_sizes = Json::object();
  for (const auto& e : data.evals) eval_sizes[e.name] = e.rows;
  doc_["data"] = Json{{"data_dir", data.data_dir},         {"vocab", data.vocab_path},
                      {"train_examples", data.train.rows}, {"dev_examples", data.dev.rows},
                      {"eval_examples", eval_sizes},       {"eval_files", data.eval_paths}};
  doc_["device"] = ag::device_label(config.device);
  doc_["status"] = "running";
  doc_["failure"] = nullptr;
  doc_["epochs"] = Json::array();
  doc_["steps"] = Json::array();
  doc_["best_epoch"] = nullptr;
  doc_["epoch0"] = nullptr;               // filled before the first epoch
  doc_["weight_perturbation"] = nullptr;  // filled at the final epoch
  doc_["best_dev_acc"] = nullptr;
  doc_["final_dev_acc"] = nullptr;
  doc_["dev_predictions"] =
      Json{{"labels", data.dev.labels}, {"best", Json::array()}, {"final", Json::array()}};
  doc_["eval_predictions"] = Json::object();
  prepare_eval_predictions();
}

void RunRecord::continue_from(Json saved) {
  doc_ = std::move(saved);
  if (doc_["best_dev_acc"].is_number()) best_dev_acc_ = doc_["best_dev_acc"].get<double>();
  // The settings of this invocation (epochs, device, ...) replace the old ones.
  doc_["config"] = recorded_config(config_, hidden_);
  prepare_eval_predictions();
}

// An entry {"labels", "best", "final"} in eval_predictions for every --eval-file of this
// invocation. A resumed run may have been made without a file, or with another file of the
// same stem (other labels): then it starts empty, and its "best" stays empty until the dev
// accuracy improves on an epoch that evaluated the file.
void RunRecord::prepare_eval_predictions() {
  if (!doc_.contains("eval_predictions") || !doc_["eval_predictions"].is_object()) {
    doc_["eval_predictions"] = Json::object();  // a run file from before this key
  }
  Json& preds = doc_["eval_predictions"];
  for (const TokenizedSet& set : data_.evals) {
    const Json labels = set.labels;
    if (!preds.contains(set.name) || preds[set.name].value("labels", Json()) != labels) {
      preds[set.name] = Json{{"labels", labels}, {"best", Json::array()}, {"final", Json::array()}};
    }
  }
}

void RunRecord::add_step(int64_t step, int64_t epoch, float loss, float grad_norm,
                         const std::map<std::string, float>& group_norms) {
  Json layer_norms = Json::object();
  for (const auto& [name, norm] : group_norms) layer_norms[name] = norm;
  doc_["steps"].push_back(Json{{"step", step},
                               {"epoch", epoch},
                               {"loss", loss},
                               {"grad_norm", grad_norm},
                               {"layer_grad_norms", layer_norms}});
}

void RunRecord::set_initial_state(const EvalResult& dev, Json dev_ffn) {
  doc_["epoch0"] = Json{{"dev_loss", dev.loss}, {"dev_acc", dev.acc}, {"ffn", std::move(dev_ffn)}};
}

void RunRecord::set_weight_perturbation(Json record) {
  doc_["weight_perturbation"] = std::move(record);
}

bool RunRecord::add_epoch(const EpochResult& r) {
  Json eval_acc = Json::object(), eval_loss = Json::object();
  for (const auto& [stem, e] : r.evals) {
    eval_acc[stem] = e.acc;
    eval_loss[stem] = e.loss;
  }
  Json record;
  record["epoch"] = r.epoch;
  record["train_loss"] = r.train_loss;
  record["train_acc"] = r.train_acc;
  record["dev_loss"] = r.dev.loss;
  record["dev_acc"] = r.dev.acc;
  record["eval"] = eval_acc;
  record["eval_loss"] = eval_loss;
  record["epoch_s"] = r.epoch_s;
  record["steps"] = r.steps;
  record["steps_per_s"] = r.epoch_s > 0 ? double(r.steps) / r.epoch_s : 0.0;
  record["tokens_per_s"] = r.epoch_s > 0 ? double(r.tokens) / r.epoch_s : 0.0;
  record["eval_s"] = r.eval_s;
  record["lr"] = config_.lr;  // constant: no schedule
  record["ffn"] = r.dev_ffn;
  doc_["epochs"].push_back(record);

  // Evaluation files follow dev: "best" is the epoch of the best dev accuracy. A file that this
  // epoch did not evaluate (dropped on --resume) has no predictions for it: [].
  const bool improved = r.dev.acc > best_dev_acc_;  // the first epoch wins ties
  for (auto& item : doc_["eval_predictions"].items()) {
    // A named key, not a structured binding: clang 14 cannot capture bindings in a lambda.
    const std::string& stem = item.key();
    Json& entry = item.value();
    const auto it = std::find_if(r.evals.begin(), r.evals.end(),
                                 [&](const auto& e) { return e.first == stem; });
    const Json preds = it == r.evals.end() ? Json::array() : Json(it->second.predictions);
    if (improved) entry["best"] = preds;
    entry["final"] = preds;
  }
  if (improved) {
    best_dev_acc_ = r.dev.acc;
    doc_["best_epoch"] = r.epoch;
    doc_["best_dev_acc"] = r.dev.acc;
    doc_["dev_predictions"]["best"] = r.dev.predictions;
  }
  doc_["final_dev_acc"] = r.dev.acc;
  doc_["dev_predictions"]["final"] = r.dev.predictions;
  return improved;
}

void RunRecord::set_status(const char* status) {
  doc_["status"] = status;
}

void RunRecord::set_diverged(int64_t step, int64_t epoch, const std::string& message) {
  doc_["status"] = "diverged";
  doc_["failure"] = Json{{"step", step}, {"epoch", epoch}, {"message", message}};
}

void RunRecord::refresh(const Invocation& inv) {
  doc_["device"] = ag::device_label(inv.device);
  doc_["device_name"] = device_description(inv.device);
  doc_["threads"] = inv.device == Device::CPU ? ag::num_threads() : 0;
  doc_["distributed"] = Json{{"ranks", dist::world().size},
                             {"rank", dist::world().rank},
                             {"data_parallel", inv.sync != nullptr},
                             {"all_reduce", inv.sync ? Json(inv.sync->method()) : Json(nullptr)}};
  doc_["build_type"] = build_type();
  doc_["git_commit"] = git_commit();
  doc_["peak_memory"] = Json{{"host_rss_bytes", peak_host_rss_bytes()},
                             {"device_bytes", peak_device_bytes(inv.device)}};
  int64_t steps = 0;
  for (const auto& e : doc_["epochs"]) steps += e["steps"].get<int64_t>();
  doc_["timing"] = Json{{"train_s", inv.train_s},
                        {"eval_s", inv.eval_s},
                        {"total_s", inv.total_s},
                        {"steps", steps},
                        {"steps_per_s", inv.train_s > 0 ? double(steps) / inv.train_s : 0.0}};
  if (inv.device == Device::CUDA && inv.launches) doc_["gpu"] = inv.launches->to_json();
}

void RunRecord::write(const std::string& path, const Invocation& invocation) {
  refresh(invocation);
  write_json_atomically(path, doc_);
}

}  // namespace sst2
