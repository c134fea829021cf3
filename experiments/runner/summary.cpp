#include "experiments/runner/summary.h"

#include <filesystem>

#include "experiments/runner/metrics.h"
#include "experiments/runner/trainer.h"

namespace sst2 {

namespace fs = std::filesystem;

namespace {

Json stats_json(const std::vector<double>& values) {
  const MeanStd ms = mean_std(values);
  return Json{{"mean", ms.mean}, {"std", ms.std}, {"values", values}};
}

}  // namespace

Json build_summary(const std::string& out_dir, const std::vector<ag::nn::FfnKind>& ffns,
                   const std::vector<int64_t>& seeds) {
  Json summary;
  summary["schema_version"] = 1;
  summary["runs"] = Json::array();
  summary["variants"] = Json::object();
  for (const ag::nn::FfnKind kind : ffns) {
    const std::string ffn = ag::nn::ffn_kind_name(kind);
    std::vector<int64_t> used;
    std::vector<double> best, final_acc, speed;
    Json diverged = Json::array(), unfinished = Json::array();
    Json params = nullptr;
    for (int64_t seed : seeds) {
      const std::string path = metrics_path(out_dir, ffn, seed);
      if (!fs::exists(path)) continue;
      const Json run = read_json_file(path);
      summary["runs"].push_back(fs::path(path).filename().string());
      const std::string status = run.value("status", "");
      if (params.is_null() && run.contains("params")) {
        params = Json{{"total", run["params"]["total"]}, {"ffn", run["params"]["ffn"]}};
      }
      if (status == "diverged") {
        diverged.push_back(seed);
        continue;
      }
      if (status != "finished" || !run["best_dev_acc"].is_number()) {
        unfinished.push_back(seed);
        continue;
      }
      used.push_back(seed);
      best.push_back(run["best_dev_acc"].get<double>());
      final_acc.push_back(run["final_dev_acc"].get<double>());
      speed.push_back(run["timing"]["steps_per_s"].get<double>());
    }
    Json v;
    v["seeds"] = used;
    v["best_dev_acc"] = stats_json(best);
    v["final_dev_acc"] = stats_json(final_acc);
    v["steps_per_s"] = stats_json(speed);
    v["params"] = params;
    v["diverged_seeds"] = diverged;
    v["unfinished_seeds"] = unfinished;
    summary["variants"][ffn] = v;
  }
  return summary;
}

void write_summary(const std::string& out_dir, const std::vector<ag::nn::FfnKind>& ffns,
                   const std::vector<int64_t>& seeds) {
  write_json_atomically((fs::path(out_dir) / "summary.json").string(),
                        build_summary(out_dir, ffns, seeds));
}

}  // namespace sst2
