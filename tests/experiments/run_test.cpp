// The runner end to end on a tiny generated data set: the metrics files against METRICS.md,
// learning, resume == uninterrupted, divergence handling, missing data, --eval-file, summary.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "experiments/runner/data_source.h"
#include "experiments/runner/trainer.h"
#include "nn/checkpoint.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using namespace sst2_test;

// Every fixed key of METRICS.md and the keys this runner documents next to them.
void expect_run_schema(const Json& run, const std::string& what) {
  SCOPED_TRACE(what);
  for (const char* key : {"schema_version",   "ffn",           "seed",
                          "config",           "params",        "device",
                          "device_name",      "threads",       "build_type",
                          "git_commit",       "status",        "failure",
                          "epochs",           "steps",         "best_epoch",
                          "best_dev_acc",     "final_dev_acc", "dev_predictions",
                          "eval_predictions", "peak_memory",   "timing"}) {
    EXPECT_TRUE(run.contains(key)) << key;
  }
  EXPECT_EQ(run["schema_version"], 1);
  for (const char* key : {"total", "ffn", "embedding", "per_tensor"}) {
    EXPECT_TRUE(run["params"].contains(key)) << "params." << key;
  }
  int64_t per_tensor_sum = 0;
  for (const auto& [name, n] : run["params"]["per_tensor"].items())
    per_tensor_sum += n.get<int64_t>();
  EXPECT_EQ(per_tensor_sum, run["params"]["total"].get<int64_t>());
  EXPECT_TRUE(run["config"].contains("ffn_dim"));
  EXPECT_TRUE(run["config"].contains("preset"));
  for (const char* key : {"labels", "best", "final"}) {
    EXPECT_TRUE(run["dev_predictions"].contains(key)) << key;
  }
  for (const char* key : {"host_rss_bytes", "device_bytes"}) {
    EXPECT_TRUE(run["peak_memory"].contains(key)) << key;
  }
  EXPECT_GT(run["peak_memory"]["host_rss_bytes"].get<int64_t>(), 0);
  for (const char* key : {"train_s", "total_s"}) EXPECT_TRUE(run["timing"].contains(key)) << key;
  // The untrained model's dev statistics: an FFN record like an epoch's.
  ASSERT_TRUE(run["epoch0"].is_object()) << "epoch0";
  for (const char* key : {"dev_loss", "dev_acc", "ffn"}) {
    EXPECT_TRUE(run["epoch0"].contains(key)) << "epoch0." << key;
  }
  std::vector<Json> ffn_records = {run["epoch0"]["ffn"]};
  for (const Json& e : run["epochs"]) {
    for (const char* key : {"epoch", "train_loss", "train_acc", "dev_loss", "dev_acc", "eval",
                            "eval_loss", "epoch_s", "steps_per_s", "tokens_per_s", "lr", "ffn"}) {
      EXPECT_TRUE(e.contains(key)) << "epochs[]." << key;
    }
    ffn_records.push_back(e["ffn"]);
  }
  // A finished run's weight-noise record: 3 sizes x 5 draws, its means, and the unperturbed
  // dev loss, which is the final epoch's (the same weights evaluated again).
  if (run["status"] == "finished") {
    const Json& w = run["weight_perturbation"];
    ASSERT_TRUE(w.is_object()) << "weight_perturbation";
    EXPECT_EQ(w["sizes"], (Json{0.01, 0.02, 0.05}));
    EXPECT_EQ(w["draws"], 5);
    EXPECT_DOUBLE_EQ(w["base_dev_loss"].get<double>(),
                     run["epochs"].back()["dev_loss"].get<double>());
    ASSERT_EQ(w["dev_loss_increase"].size(), 3u);
    ASSERT_EQ(w["dev_acc_change"].size(), 3u);
    ASSERT_EQ(w["mean_dev_loss_increase"].size(), 3u);
    for (size_t s = 0; s < 3; ++s) {
      ASSERT_EQ(w["dev_loss_increase"][s].size(), 5u);
      double sum = 0.0;
      for (const Json& d : w["dev_loss_increase"][s]) sum += d.get<double>();
      EXPECT_NEAR(w["mean_dev_loss_increase"][s].get<double>(), sum / 5.0, 1e-12);
    }
    EXPECT_FALSE(w.contains("eval_s"));  // no timing: reproducible bit for bit
  }
  for (const Json& f : ffn_records) {
    EXPECT_EQ(f["bins"], (Json{{"lo", -8.0}, {"hi", 8.0}, {"count", 160}}));
    std::vector<std::string> hists = {"pre_activation", "activation_output", "block_output"};
    if (run["ffn"] == "swiglu" || run["ffn"] == "geglu") hists.push_back("up");
    for (const std::string& h : hists) {
      ASSERT_TRUE(f.contains(h)) << h;
      const Json& hj = f[h];
      for (const char* key :
           {"counts", "underflow", "overflow", "total", "mean", "std", "min", "max"}) {
        EXPECT_TRUE(hj.contains(key)) << h << "." << key;
      }
      ASSERT_EQ(hj["counts"].size(), 160u) << h;
      int64_t sum = 0;
      for (const auto& c : hj["counts"]) sum += c.get<int64_t>();
      EXPECT_EQ(sum + hj["underflow"].get<int64_t>() + hj["overflow"].get<int64_t>(),
                hj["total"].get<int64_t>())
          << h;
      EXPECT_GT(hj["total"].get<int64_t>(), 0) << h;
    }
    for (const char* key :
         {"negative_fraction", "negative_kept_fraction", "bump", "dead_unit_ratio"}) {
      EXPECT_TRUE(f.contains(key)) << key;
    }
    for (const char* key : {"fraction", "left_of_min", "right_of_min"}) {
      EXPECT_TRUE(f["bump"].contains(key)) << key;
    }
  }
  for (const Json& s : run["steps"]) {
    for (const char* key : {"step", "epoch", "loss", "grad_norm", "layer_grad_norms"}) {
      EXPECT_TRUE(s.contains(key)) << "steps[]." << key;
    }
  }
}

// The labels of a TSV written by tiny_tsv, read back from its text.
std::vector<int> tsv_labels(const std::string& tsv) {
  std::vector<int> labels;
  size_t pos = tsv.find('\n') + 1;  // past the header
  while (pos < tsv.size()) {
    const size_t end = tsv.find('\n', pos);
    const std::string line = tsv.substr(pos, end - pos);
    labels.push_back(std::stoi(line.substr(line.rfind('\t') + 1)));
    pos = end + 1;
  }
  return labels;
}

// The fraction of `preds` equal to `labels` (both JSON arrays of the same length).
double accuracy(const Json& preds, const std::vector<int>& labels) {
  EXPECT_EQ(preds.size(), labels.size());
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size() && i < preds.size(); ++i) {
    correct += preds[i].get<int>() == labels[i];
  }
  return double(correct) / double(labels.size());
}

TEST(Run, MetricsFilesFollowTheContract) {
  ScratchDir dir("schema");
  write_tiny_data(dir);
  write_text(dir / "extra/hard_cases.tsv", tiny_tsv(12, 9));
  const std::string out = dir / "out";
  ASSERT_EQ(run_sst2(tiny_args(dir, out) +
                     std::vector<std::string>{"--ffn", "relu,swiglu", "--seeds", "0,1", "--epochs",
                                              "2", "--eval-file", dir / "extra/hard_cases.tsv"}),
            0);
  for (const char* ffn : {"relu", "swiglu"}) {
    for (int seed : {0, 1}) {
      const std::string path = sst2::metrics_path(out, ffn, seed);
      ASSERT_TRUE(fs::exists(path)) << path;
      const Json run = read_json(path);
      expect_run_schema(run, path);
      EXPECT_EQ(run["ffn"], ffn);
      EXPECT_EQ(run["seed"], seed);
      EXPECT_EQ(run["status"], "finished");
      EXPECT_TRUE(run["failure"].is_null());
      ASSERT_EQ(run["epochs"].size(), 2u);
      EXPECT_EQ(run["epochs"][0]["epoch"], 1);
      EXPECT_EQ(run["epochs"][1]["epoch"], 2);
      // 96 examples at batch 8: 12 steps an epoch, logged at steps 1, 3, 5, ..., 23.
      EXPECT_EQ(run["epochs"][0]["steps"], 12);
      ASSERT_EQ(run["steps"].size(), 12u);
      EXPECT_EQ(run["steps"][1]["step"], 3);
      const Json& norms = run["steps"][0]["layer_grad_norms"];
      for (const char* group : {"token_embedding", "positions", "encoder.0.attn", "encoder.0.ffn",
                                "encoder.0.norm1", "encoder.0.norm2", "final_norm", "head"}) {
        EXPECT_TRUE(norms.contains(group)) << group;
      }
      // The global norm is the root of the summed squared group norms.
      double sq = 0;
      for (const auto& [g, n] : norms.items()) sq += n.get<double>() * n.get<double>();
      EXPECT_NEAR(std::sqrt(sq), run["steps"][0]["grad_norm"].get<double>(),
                  1e-4 * run["steps"][0]["grad_norm"].get<double>());
      // Predictions for every dev example, labels as in the file.
      EXPECT_EQ(run["dev_predictions"]["labels"].size(), 40u);
      EXPECT_EQ(run["dev_predictions"]["best"].size(), 40u);
      EXPECT_EQ(run["dev_predictions"]["final"].size(), 40u);
      // final_dev_acc is the accuracy of the final predictions
      int64_t correct = 0;
      for (size_t i = 0; i < 40; ++i) {
        correct += run["dev_predictions"]["final"][i] == run["dev_predictions"]["labels"][i];
      }
      EXPECT_DOUBLE_EQ(run["final_dev_acc"].get<double>(), double(correct) / 40.0);
      EXPECT_DOUBLE_EQ(run["final_dev_acc"].get<double>(),
                       run["epochs"][1]["dev_acc"].get<double>());
      const int best = run["best_epoch"].get<int>();
      EXPECT_DOUBLE_EQ(run["best_dev_acc"].get<double>(),
                       run["epochs"][best - 1]["dev_acc"].get<double>());
      // the extra file, by stem
      EXPECT_TRUE(run["epochs"][1]["eval"].contains("hard_cases"));
      EXPECT_TRUE(run["epochs"][1]["eval_loss"].contains("hard_cases"));
      // ... and its predictions at the best-dev and final epochs, labels as in the file
      const std::vector<int> hard_labels = tsv_labels(tiny_tsv(12, 9));
      ASSERT_EQ(hard_labels.size(), 12u);
      ASSERT_TRUE(run["eval_predictions"].contains("hard_cases"));
      const Json& hp = run["eval_predictions"]["hard_cases"];
      EXPECT_EQ(hp["labels"], Json(hard_labels));
      EXPECT_DOUBLE_EQ(accuracy(hp["final"], hard_labels),
                       run["epochs"][1]["eval"]["hard_cases"].get<double>());
      EXPECT_DOUBLE_EQ(accuracy(hp["best"], hard_labels),
                       run["epochs"][best - 1]["eval"]["hard_cases"].get<double>());
      EXPECT_EQ(run["eval_predictions"].size(), 1u);
      EXPECT_EQ(run["config"]["ffn_dim"], 32);
      EXPECT_TRUE(fs::exists(sst2::checkpoint_path(out, ffn, seed)));
    }
  }
  const Json summary = read_json(out + "/summary.json");
  EXPECT_EQ(summary["schema_version"], 1);
  EXPECT_EQ(summary["runs"].size(), 4u);
  for (const char* ffn : {"relu", "swiglu"}) {
    const Json& v = summary["variants"][ffn];
    EXPECT_EQ(v["seeds"], Json::array({0, 1}));
    const double a = read_json(sst2::metrics_path(out, ffn, 0))["best_dev_acc"].get<double>();
    const double b = read_json(sst2::metrics_path(out, ffn, 1))["best_dev_acc"].get<double>();
    EXPECT_DOUBLE_EQ(v["best_dev_acc"]["mean"].get<double>(), (a + b) / 2);
    EXPECT_NEAR(v["best_dev_acc"]["std"].get<double>(), std::abs(a - b) / std::sqrt(2.0), 1e-12);
    EXPECT_EQ(v["best_dev_acc"]["values"], Json::array({a, b}));
    for (const char* key : {"final_dev_acc", "steps_per_s"}) {
      EXPECT_TRUE(v[key].contains("mean") && v[key].contains("std") && v[key].contains("values"));
    }
    EXPECT_TRUE(v["params"].contains("total") && v["params"].contains("ffn"));
  }
}

// --weight-noise-draws: 0 leaves the record null and trains exactly as the default does; N draws
// are the first N of the default's 5 (each draw's noise depends on its index, not on N).
TEST(Run, WeightNoiseDrawsAreASettingThatChangesOnlyTheRecord) {
  ScratchDir dir("noise_draws");
  write_tiny_data(dir);
  const auto base = std::vector<std::string>{"--ffn", "swiglu", "--epochs", "1"};
  Json runs[3];
  const char* draws[3] = {"5", "2", "0"};
  for (int i = 0; i < 3; ++i) {
    const std::string out = dir / (std::string("draws") + draws[i]);
    ASSERT_EQ(run_sst2(tiny_args(dir, out) + base +
                       std::vector<std::string>{"--weight-noise-draws", draws[i]}),
              0);
    runs[i] = read_json(sst2::metrics_path(out, "swiglu", 0));
    EXPECT_EQ(runs[i]["config"]["weight_noise_draws"], std::stoi(draws[i]));
  }
  EXPECT_TRUE(runs[2]["weight_perturbation"].is_null());
  const Json& five = runs[0]["weight_perturbation"];
  const Json& two = runs[1]["weight_perturbation"];
  ASSERT_TRUE(five.is_object() && two.is_object());
  EXPECT_EQ(two["draws"], 2);
  for (size_t s = 0; s < 3; ++s) {
    ASSERT_EQ(two["dev_loss_increase"][s].size(), 2u);
    for (size_t d = 0; d < 2; ++d) {
      EXPECT_EQ(two["dev_loss_increase"][s][d], five["dev_loss_increase"][s][d]) << s << "," << d;
      EXPECT_EQ(two["dev_acc_change"][s][d], five["dev_acc_change"][s][d]) << s << "," << d;
    }
  }
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(runs[i]["epochs"].size(), 1u);
    EXPECT_EQ(without_timings(runs[i]["epochs"][0]), without_timings(runs[0]["epochs"][0]));
    EXPECT_EQ(runs[i]["dev_predictions"], runs[0]["dev_predictions"]);
  }
  std::string err;
  EXPECT_EQ(run_sst2(tiny_args(dir, dir / "bad") + base +
                         std::vector<std::string>{"--weight-noise-draws", "-1"},
                     &err),
            2);
  EXPECT_NE(err.find("--weight-noise-draws"), std::string::npos) << err;
}

TEST(Run, MatchedSwigluHasTheParameterCountOfRelu) {
  ScratchDir dir("matched");
  write_tiny_data(dir, 16, 8);
  const std::string out = dir / "out";
  ASSERT_EQ(run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu,swiglu",
                                                                    "--epochs", "1", "--ffn-dim",
                                                                    "48", "--swiglu-match-params"}),
            0);
  const Json relu = read_json(sst2::metrics_path(out, "relu", 0));
  const Json swiglu = read_json(sst2::metrics_path(out, "swiglu", 0));
  EXPECT_EQ(relu["config"]["ffn_dim"], 48);
  EXPECT_EQ(swiglu["config"]["ffn_dim"], 32);  // 2 * 48 / 3
  EXPECT_EQ(swiglu["config"]["ffn_dim_base"], 48);
  // relu: 16*48 + 48 + 48*16 + 16 = 1600; swiglu: 3 * 16*32 = 1536 (no biases)
  EXPECT_EQ(relu["params"]["ffn"], 1600);
  EXPECT_EQ(swiglu["params"]["ffn"], 1536);
  EXPECT_EQ(swiglu["epochs"][0]["ffn"]["pre_activation"]["counts"].size(), 160u);
}

TEST(Run, LossFallsOnALearnableTask) {
  ScratchDir dir("learn");
  write_tiny_data(dir);
  const std::string out = dir / "out";
  ASSERT_EQ(
      run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu,swish,swiglu",
                                                              "--epochs", "8", "--lr", "0.003"}),
      0);
  for (const char* ffn : {"relu", "swish", "swiglu"}) {
    const Json run = read_json(sst2::metrics_path(out, ffn, 0));
    const Json& e = run["epochs"];
    ASSERT_EQ(e.size(), 8u);
    SCOPED_TRACE(ffn);
    // Chance is ln 2 = 0.693 and 50%; the words decide the label, so a model that learns gets
    // far below and above (about 0.1-0.2 and 90-100% after 8 epochs).
    EXPECT_LT(e[7]["train_loss"].get<double>(), e[0]["train_loss"].get<double>() - 0.2);
    EXPECT_LT(e[7]["dev_loss"].get<double>(), 0.4);
    EXPECT_GE(run["best_dev_acc"].get<double>(), 0.85);
  }
}

TEST(Run, ResumeEqualsAnUninterruptedRun) {
  ScratchDir dir("resume");
  write_tiny_data(dir);
  write_text(dir / "extra/held_out.tsv", tiny_tsv(10, 5));
  const auto base =
      tiny_args(dir, "") +
      std::vector<std::string>{"--ffn", "swiglu,relu", "--eval-file", dir / "extra/held_out.tsv"};
  auto with_out = [&](const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args[5] = out;  // the --out value
    return args + extra;
  };
  const std::string full = dir / "full", parts = dir / "parts";
  ASSERT_EQ(run_sst2(with_out(full, {"--epochs", "3"})), 0);
  ASSERT_EQ(run_sst2(with_out(parts, {"--epochs", "1"})), 0);
  // Pretend the second invocation died after epoch 1: --resume continues from the checkpoint.
  ASSERT_EQ(run_sst2(with_out(parts, {"--epochs", "3", "--resume"})), 0);
  for (const char* ffn : {"swiglu", "relu"}) {
    SCOPED_TRACE(ffn);
    const Json a = read_json(sst2::metrics_path(full, ffn, 0));
    const Json b = read_json(sst2::metrics_path(parts, ffn, 0));
    ASSERT_EQ(a["epochs"].size(), 3u);
    ASSERT_EQ(b["epochs"].size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(without_timings(a["epochs"][i]), without_timings(b["epochs"][i]))
          << "epoch " << i + 1;
    }
    EXPECT_EQ(a["steps"], b["steps"]);  // every logged loss and gradient norm, bit for bit
    EXPECT_EQ(a["dev_predictions"], b["dev_predictions"]);
    EXPECT_EQ(a["eval_predictions"], b["eval_predictions"]);
    EXPECT_EQ(a["eval_predictions"]["held_out"]["final"].size(), 10u);
    EXPECT_EQ(a["best_epoch"], b["best_epoch"]);
    // The weight-noise measurement of the first invocation's final epoch restored the weights
    // bit for bit (else the epochs above would differ); the last one matches.
    EXPECT_EQ(a["weight_perturbation"], b["weight_perturbation"]);
    EXPECT_EQ(a["epoch0"], b["epoch0"]);
    EXPECT_EQ(b["status"], "finished");
    EXPECT_EQ(b["config"]["epochs"], 3);
  }
  // A finished run is skipped: nothing changes, not even the timings.
  const Json before = read_json(sst2::metrics_path(parts, "relu", 0));
  std::string err;
  ASSERT_EQ(run_sst2(with_out(parts, {"--epochs", "3", "--resume"}), &err), 0);
  EXPECT_EQ(read_json(sst2::metrics_path(parts, "relu", 0)), before);
  // A checkpoint from other settings is refused, naming the setting.
  ASSERT_EQ(run_sst2(with_out(dir / "other", {"--epochs", "1"})), 0);
  EXPECT_EQ(run_sst2(with_out(dir / "other", {"--epochs", "2", "--resume", "--lr", "0.5"}), &err),
            2);
  EXPECT_NE(err.find("lr"), std::string::npos) << err;
}

// --eval-file may change on --resume: a file added later has no predictions for epochs that did
// not evaluate it, so its "best" is empty unless the best dev epoch comes after it was added.
TEST(Run, AnEvalFileAddedOnResumeHasPredictionsOnlyForTheEpochsThatSawIt) {
  ScratchDir dir("resume_eval");
  write_tiny_data(dir);
  const std::string tsv = tiny_tsv(10, 5);
  write_text(dir / "extra/late.tsv", tsv);
  const std::string out = dir / "out";
  const auto base = tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu"};
  ASSERT_EQ(run_sst2(base + std::vector<std::string>{"--epochs", "1"}), 0);
  EXPECT_EQ(read_json(sst2::metrics_path(out, "relu", 0))["eval_predictions"], Json::object());
  ASSERT_EQ(run_sst2(base + std::vector<std::string>{"--epochs", "3", "--resume", "--eval-file",
                                                     dir / "extra/late.tsv"}),
            0);
  const Json run = read_json(sst2::metrics_path(out, "relu", 0));
  ASSERT_EQ(run["epochs"].size(), 3u);
  EXPECT_TRUE(run["epochs"][0]["eval"].empty());
  const Json& p = run["eval_predictions"]["late"];
  const std::vector<int> labels = tsv_labels(tsv);
  EXPECT_EQ(p["labels"], Json(labels));
  EXPECT_DOUBLE_EQ(accuracy(p["final"], labels), run["epochs"][2]["eval"]["late"].get<double>());
  const int best = run["best_epoch"].get<int>();
  if (best == 1) {
    EXPECT_EQ(p["best"], Json::array());
  } else {
    EXPECT_DOUBLE_EQ(accuracy(p["best"], labels),
                     run["epochs"][best - 1]["eval"]["late"].get<double>());
  }

  // The other way round: a file evaluated after epoch 1 only has no final predictions.
  const std::string out2 = dir / "out2";
  const auto base2 = tiny_args(dir, out2) + std::vector<std::string>{"--ffn", "relu"};
  ASSERT_EQ(run_sst2(base2 + std::vector<std::string>{"--epochs", "1", "--eval-file",
                                                      dir / "extra/late.tsv"}),
            0);
  ASSERT_EQ(run_sst2(base2 + std::vector<std::string>{"--epochs", "3", "--resume"}), 0);
  const Json dropped = read_json(sst2::metrics_path(out2, "relu", 0));
  const Json& q = dropped["eval_predictions"]["late"];
  EXPECT_EQ(q["labels"], Json(labels));
  EXPECT_EQ(q["final"], Json::array());
  if (dropped["best_epoch"] == 1) {
    EXPECT_DOUBLE_EQ(accuracy(q["best"], labels),
                     dropped["epochs"][0]["eval"]["late"].get<double>());
  } else {
    EXPECT_EQ(q["best"], Json::array());
  }
}

TEST(Run, DivergenceStopsTheRunKeepsTheLastGoodCheckpointAndTheOthersGoOn) {
  ScratchDir dir("nan");
  write_tiny_data(dir, 32, 8);  // 4 steps an epoch
  const std::string out = dir / "out";
  std::string err;
  // The loss turns NaN at step 6, in epoch 2, through the runner's test hook.
  EXPECT_EQ(
      run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu", "--epochs", "3",
                                                              "--debug-nan-at-step", "6"},
               &err),
      1);
  EXPECT_NE(err.find("training loss is NaN at step 6 (epoch 2)"), std::string::npos) << err;
  const Json run = read_json(sst2::metrics_path(out, "relu", 0));
  expect_run_schema(run, "diverged run");
  EXPECT_EQ(run["status"], "diverged");
  EXPECT_EQ(run["failure"]["step"], 6);
  EXPECT_EQ(run["failure"]["epoch"], 2);
  EXPECT_EQ(run["epochs"].size(), 1u);  // the good epoch is kept
  const ag::nn::Checkpoint ckpt = ag::nn::load_checkpoint(sst2::checkpoint_path(out, "relu", 0));
  EXPECT_EQ(Json::parse(ckpt.metadata_json)["epoch"], 1);  // the last good one
  for (const auto& [name, t] : ckpt.tensors) {
    for (float v : t.to_vector()) ASSERT_TRUE(std::isfinite(v)) << name;
  }

  // A huge SGD step makes a real NaN; the run after it still trains, and the exit status is 1.
  const std::string out2 = dir / "out2";
  EXPECT_EQ(
      run_sst2(tiny_args(dir, out2) + std::vector<std::string>{"--ffn", "swish,relu", "--epochs",
                                                               "1", "--optimizer", "sgd", "--lr",
                                                               "1e30", "--seeds", "0"},
               &err),
      1);
  const Json swish = read_json(sst2::metrics_path(out2, "swish", 0));
  EXPECT_EQ(swish["status"], "diverged");
  EXPECT_NE(swish["failure"]["message"].get<std::string>().find("epoch 1"), std::string::npos);
  EXPECT_TRUE(fs::exists(sst2::metrics_path(out2, "relu", 0)));
  const Json summary = read_json(out2 + "/summary.json");
  EXPECT_EQ(summary["variants"]["swish"]["diverged_seeds"], Json::array({0}));
  EXPECT_EQ(summary["variants"]["swish"]["seeds"], Json::array());

  // --resume does not retrain a diverged run (it would diverge again) and still exits 1.
  EXPECT_EQ(run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu", "--epochs",
                                                                    "3", "--debug-nan-at-step", "6",
                                                                    "--resume"},
                     &err),
            1);
}

TEST(Run, InterruptKeepsFinishedEpochsAndResumeContinues) {
  ScratchDir dir("interrupt");
  write_tiny_data(dir, 32, 8);
  const std::string out = dir / "out";
  const std::string metrics = sst2::metrics_path(out, "relu", 0);
  // SIGINT as soon as the first epoch is on disk; 500 epochs would take far longer than that.
  std::atomic<bool> returned{false};
  std::thread interrupter([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!fs::exists(metrics) && !returned && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (fs::exists(metrics) && !returned) ::kill(::getpid(), SIGINT);
  });
  const int rc =
      run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu", "--epochs", "500"});
  returned = true;
  interrupter.join();
  ASSERT_EQ(rc, 130);
  const Json run = read_json(metrics);
  EXPECT_EQ(run["status"], "interrupted");
  const int64_t done = int64_t(run["epochs"].size());
  ASSERT_GE(done, 1);
  ASSERT_LT(done, 500);
  const ag::nn::Checkpoint ckpt = ag::nn::load_checkpoint(sst2::checkpoint_path(out, "relu", 0));
  EXPECT_EQ(Json::parse(ckpt.metadata_json)["epoch"], done);
  // --resume finishes it, one more epoch.
  ASSERT_EQ(run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu", "--epochs",
                                                                    std::to_string(done + 1),
                                                                    "--resume"}),
            0);
  const Json resumed = read_json(metrics);
  EXPECT_EQ(resumed["status"], "finished");
  EXPECT_EQ(int64_t(resumed["epochs"].size()), done + 1);
}

TEST(Run, MissingDataIsAUsageErrorListingThePlacesSearched) {
  ScratchDir dir("missing");
  std::string err;
  EXPECT_EQ(run_sst2({"--data-dir", dir / "nowhere", "--quiet", "--out", dir / "out"}, &err), 2);
  EXPECT_NE(err.find(dir / "nowhere"), std::string::npos) << err;
  EXPECT_NE(err.find("SST-2.zip"), std::string::npos) << err;  // how to get it
  EXPECT_FALSE(fs::exists(dir / "out"));

  // The default search: the current directory, then the source root.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  sst2::RunConfig config;
  std::string message;
  try {
    sst2::load_experiment_data(config, (dir.path() / "src").string());
  } catch (const sst2::UsageError& e) {
    message = e.what();
  }
  fs::current_path(cwd);
  EXPECT_NE(message.find((dir.path() / "data" / "SST-2").string()), std::string::npos) << message;
  EXPECT_NE(message.find((dir.path() / "src" / "data" / "SST-2").string()), std::string::npos)
      << message;
  EXPECT_NE(message.find("shared"), std::string::npos) << message;

  // A bad --eval-file is a usage error too.
  write_tiny_data(dir, 8, 8);
  EXPECT_EQ(run_sst2(tiny_args(dir, dir / "out") +
                         std::vector<std::string>{"--eval-file", dir / "none.tsv"},
                     &err),
            2);
  EXPECT_NE(err.find("none.tsv"), std::string::npos) << err;
}

}  // namespace
