// What --resume reads back (experiments/runner/resume_check.h) on any text: the metrics file's
// checks and the checkpoint metadata's checks either pass or throw an ag::Error of one line
// naming the file. A document that passes must then survive everything the trainer does with
// it (reads, appends), which is what the checks are for: any other exception is a finding.
#include "core/error.h"
#include "experiments/runner/resume_check.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

// What the trainer does with the metrics document of a resumed run.
void use_like_the_trainer(sst2::Json doc) {
  int64_t steps = 0;
  for (const auto& e : doc["epochs"]) steps += e["steps"].get<int64_t>();
  (void)steps;
  if (doc["best_dev_acc"].is_number()) (void)doc["best_dev_acc"].get<double>();
  doc["config"] = sst2::Json::object();
  doc["epochs"].push_back(sst2::Json{{"epoch", doc["epochs"].size() + 1}, {"steps", 1}});
  doc["steps"].push_back(sst2::Json::object());
  doc["best_epoch"] = 1;
  doc["dev_predictions"]["best"] = sst2::Json::array();
  doc["dev_predictions"]["final"] = sst2::Json::array();
  doc["timing"] = sst2::Json::object();
  (void)doc.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(fuzz::bytes(data, size));
  std::optional<sst2::SavedMetrics> metrics;
  try {
    sst2::Json doc;
    try {
      doc = sst2::Json::parse(text);
    } catch (const sst2::Json::exception&) {
      return 0;  // read_run_metrics reports this itself
    }
    metrics = sst2::check_run_metrics(std::move(doc), "fuzz.json", "relu", 0);
    if (metrics->status == "diverged")
      (void)metrics->doc["failure"].value("message", std::string());
    use_like_the_trainer(metrics->doc);
  } catch (const ag::Error& e) {
    fuzz::check_message(e.what(), "fuzz.json");
  }
  try {
    const sst2::CheckpointMeta meta = sst2::read_checkpoint_meta(text, "fuzz.ckpt", "relu", 0);
    use_like_the_trainer(meta.metrics.doc);
    if (metrics) {
      try {
        sst2::check_metrics_match_checkpoint(*metrics, "fuzz.json", meta, "fuzz.ckpt");
      } catch (const ag::Error& e) {
        fuzz::check_message(e.what(), "fuzz.json");
      }
    }
  } catch (const ag::Error& e) {
    fuzz::check_message(e.what(), "fuzz.ckpt");
  }
  return 0;
}
