#include "experiments/runner/resume_check.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "experiments/runner/options.h"

namespace sst2 {

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  ag::fail(path, ": ", what, " (--resume continues only from files it can trust)");
}

// A member of an object, or null when absent.
const Json& member(const Json& object, const char* key) {
  static const Json null;
  const auto it = object.find(key);
  return it == object.end() ? null : *it;
}

int64_t integer(const Json& object, const char* key, const std::string& path, int64_t min = 0) {
  const Json& v = member(object, key);
  if (!v.is_number_integer()) bad(path, std::string("'") + key + "' is not an integer");
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))
    bad(path, std::string("'") + key + "' is out of range");
  const int64_t i = v.get<int64_t>();
  if (i < min)
    bad(path,
        std::string("'") + key + "' is " + std::to_string(i) + ", below " + std::to_string(min));
  return i;
}

uint64_t unsigned_integer(const Json& object, const char* key, const std::string& path) {
  const Json& v = member(object, key);
  if (!v.is_number_unsigned()) bad(path, std::string("'") + key + "' is not an unsigned integer");
  return v.get<uint64_t>();
}

double number(const Json& object, const char* key, const std::string& path) {
  const Json& v = member(object, key);
  if (!v.is_number()) bad(path, std::string("'") + key + "' is not a number");
  return v.get<double>();
}

std::string text(const Json& object, const char* key, const std::string& path) {
  const Json& v = member(object, key);
  if (!v.is_string()) bad(path, std::string("'") + key + "' is not a string");
  return v.get<std::string>();
}

const Json& typed(const Json& object, const char* key, const std::string& path, bool array) {
  const Json& v = member(object, key);
  if (array ? !v.is_array() : !v.is_object()) {
    bad(path, std::string("'") + key + "' is not " + (array ? "a list" : "an object"));
  }
  return v;
}

}  // namespace

std::optional<std::string> first_setting_difference(const Json& saved, const Json& current) {
  for (const auto& [key, value] : current.items()) {
    const Option* opt = find_option_by_key(key);
    if (opt && !opt->changes_results()) continue;
    const auto it = saved.is_object() ? saved.find(key) : saved.end();
    if (it == saved.end()) {
      // Made by a build before the key: it ran with the default.
      if (opt && opt->added_later() && opt->write(RunConfig{}) == value) continue;
      return key;
    }
    if (*it != value) return key;
  }
  return std::nullopt;
}

SavedMetrics check_run_metrics(Json doc, const std::string& path, const std::string& ffn,
                               int64_t seed) {
  if (!doc.is_object()) bad(path, "not a run's metrics (a JSON object)");
  if (member(doc, "schema_version") != Json(1)) {
    bad(path, "schema_version is " + member(doc, "schema_version").dump() + ", not 1");
  }
  const Json& f = member(doc, "ffn");
  const Json& s = member(doc, "seed");
  if (f != Json(ffn) || !s.is_number_integer() || s != Json(seed)) {
    bad(path, "holds run " + f.dump() + " seed " + s.dump() + ", expected " + ffn + " seed " +
                  std::to_string(seed));
  }
  SavedMetrics m;
  m.status = text(doc, "status", path);
  static const std::set<std::string> statuses = {"running", "finished", "diverged", "interrupted"};
  if (!statuses.count(m.status)) bad(path, "unknown status '" + m.status + "'");
  typed(doc, "config", path, false);
  typed(doc, "steps", path, true);
  typed(doc, "dev_predictions", path, false);
  const Json& epochs = typed(doc, "epochs", path, true);
  for (size_t i = 0; i < epochs.size(); ++i) {
    const std::string where = path + ": epochs[" + std::to_string(i) + "]";
    if (!epochs[i].is_object()) ag::fail(where, " is not an object");
    if (member(epochs[i], "epoch") != Json(i + 1)) {
      ag::fail(where, " is epoch ", member(epochs[i], "epoch").dump(), ", expected ", i + 1);
    }
    integer(epochs[i], "steps", where);
  }
  m.epochs_done = int64_t(epochs.size());
  if (m.status == "finished" && m.epochs_done == 0) bad(path, "status 'finished' with no epochs");
  if (m.status == "diverged") {
    const Json& failure = typed(doc, "failure", path, false);
    if (failure.contains("message") && !failure["message"].is_string()) {
      bad(path, "failure.message is not a string");
    }
  }
  for (const char* key : {"best_dev_acc", "final_dev_acc"}) {
    const Json& v = member(doc, key);
    if (!v.is_null() && !v.is_number()) bad(path, std::string("'") + key + "' is not a number");
  }
  m.doc = std::move(doc);
  return m;
}

SavedMetrics read_run_metrics(const std::string& path, const std::string& ffn, int64_t seed) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ag::fail("cannot open ", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) ag::fail("cannot read ", path);
  Json doc;
  try {
    doc = Json::parse(text.str());
  } catch (const Json::exception& e) {
    bad(path, std::string("not valid JSON: ") + e.what());
  }
  return check_run_metrics(std::move(doc), path, ffn, seed);
}

CheckpointMeta read_checkpoint_meta(const std::string& metadata_json, const std::string& path,
                                    const std::string& ffn, int64_t seed) {
  Json meta;
  try {
    meta = Json::parse(metadata_json);
  } catch (const Json::exception& e) {
    bad(path, std::string("metadata is not valid JSON: ") + e.what());
  }
  if (!meta.is_object()) bad(path, "metadata is not a JSON object");
  const Json& kind = member(meta, "kind");
  const Json& format = member(meta, "format");
  if (kind != Json(kCheckpointKind) || format != Json(kCheckpointFormat)) {
    bad(path,
        "not a checkpoint of this runner (kind " + kind.dump() + ", format " + format.dump() + ")");
  }
  const Json& f = member(meta, "ffn");
  const Json& s = member(meta, "seed");
  if (f != Json(ffn) || !s.is_number_integer() || s != Json(seed)) {
    bad(path, "holds run " + f.dump() + " seed " + s.dump() + ", expected " + ffn + " seed " +
                  std::to_string(seed));
  }
  CheckpointMeta c;
  c.epoch = integer(meta, "epoch", path, 1);
  c.global_step = integer(meta, "global_step", path);
  c.optimizer_step = integer(meta, "optimizer_step", path);
  const Json& gen = typed(meta, "dropout_generator", path, false);
  c.generator_seed = unsigned_integer(gen, "seed", path + ": dropout_generator");
  c.generator_offset = unsigned_integer(gen, "offset", path + ": dropout_generator");
  c.metrics = check_run_metrics(member(meta, "metrics"), path + " (its metrics)", ffn, seed);
  if (c.metrics.epochs_done != c.epoch) {
    bad(path, "is at epoch " + std::to_string(c.epoch) + " but its metrics hold " +
                  std::to_string(c.metrics.epochs_done) + " epochs");
  }
  const Json& timing = typed(c.metrics.doc, "timing", path + " (its metrics)", false);
  c.train_s = number(timing, "train_s", path + " (its metrics' timing)");
  c.eval_s = number(timing, "eval_s", path + " (its metrics' timing)");
  c.total_s = number(timing, "total_s", path + " (its metrics' timing)");
  return c;
}

void check_metrics_match_checkpoint(const SavedMetrics& metrics, const std::string& metrics_path,
                                    const CheckpointMeta& checkpoint,
                                    const std::string& checkpoint_path) {
  const int64_t n = metrics.epochs_done, e = checkpoint.epoch;
  if (n != e && n != e - 1) {
    ag::fail(metrics_path, " records ", n, " finished epochs but the checkpoint ", checkpoint_path,
             " is at epoch ", e,
             ": they do not belong together (--resume continues only from "
             "files it can trust)");
  }
  const Json& a = metrics.doc["epochs"];
  const Json& b = checkpoint.metrics.doc["epochs"];
  for (size_t i = 0; i < size_t(std::min(n, e)); ++i) {
    if (a[i] != b[i]) {
      ag::fail(metrics_path, " and the checkpoint ", checkpoint_path, " disagree about epoch ",
               i + 1, " (--resume continues only from files it can trust)");
    }
  }
  const Json& mc = metrics.doc["config"];
  if (const auto key = first_setting_difference(checkpoint.metrics.doc["config"], mc)) {
    ag::fail(metrics_path, " and the checkpoint ", checkpoint_path, " were made with different ",
             *key, " (", member(mc, key->c_str()).dump(), " vs ",
             member(checkpoint.metrics.doc["config"], key->c_str()).dump(),
             "; --resume continues only from files it can trust)");
  }
}

}  // namespace sst2
