// The CI end-to-end check on the real SST-2 data: the short mode of the experiment,
//   sst2 --ffn relu,swish,swiglu --seeds 0 --epochs 1 --limit 2000 --threads 2 --quiet --out DIR
// must finish, write metrics that follow METRICS.md, and learn something. Skipped (with the
// reason) when the shared data is not on this machine.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "experiments/data/locate.h"
#include "experiments/runner/data_source.h"
#include "experiments/runner/trainer.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using namespace sst2_test;

TEST(EndToEnd, ShortModeOnTheRealData) {
  // The shared data as the build knows it (AG_SHARED_DIR), else the runner's default lookup.
  std::vector<std::string> where;
  const fs::path shared = fs::path(AG_SHARED_DIR) / "data";
  if (fs::exists(shared / "SST-2" / "train.tsv") && fs::exists(shared / "SST-2" / "dev.tsv") &&
      fs::exists(shared / "bert-base-uncased" / "vocab.txt")) {
    where = {"--data-dir", (shared / "SST-2").string(), "--vocab",
             (shared / "bert-base-uncased" / "vocab.txt").string()};
  } else {
    try {
      sst2::data::find_data_dir("", sst2::default_source_root());
      sst2::data::find_vocab("", sst2::default_source_root());
    } catch (const std::exception& e) {
      GTEST_SKIP() << "SST-2 data not available: " << e.what();
    }
  }
  ScratchDir dir("e2e");
  const std::string out = dir / "out";
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run_sst2(std::vector<std::string>{"--ffn", "relu,swish,swiglu", "--seeds", "0",
                                              "--epochs", "1", "--limit", "2000", "--threads", "2",
                                              "--quiet", "--out", out} +
                     where),
            0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("short mode: %.1f s for 3 variants x 125 steps + dev evaluation\n", seconds);

  for (const char* ffn : {"relu", "swish", "swiglu"}) {
    SCOPED_TRACE(ffn);
    const Json run = read_json(sst2::metrics_path(out, ffn, 0));
    for (const char* key : {"config", "params", "epochs"}) EXPECT_TRUE(run.contains(key)) << key;
    EXPECT_EQ(run["status"], "finished");
    EXPECT_EQ(run["data"]["train_examples"], 2000);
    EXPECT_EQ(run["data"]["dev_examples"], 872);
    ASSERT_EQ(run["epochs"].size(), 1u);
    const Json& e = run["epochs"][0];
    for (const char* key : {"epoch", "train_loss", "train_acc", "dev_loss", "dev_acc", "eval",
                            "epoch_s", "steps_per_s", "tokens_per_s"}) {
      EXPECT_TRUE(e.contains(key)) << key;
    }
    EXPECT_EQ(e["steps"], 125);
    EXPECT_EQ(run["dev_predictions"]["final"].size(), 872u);
    EXPECT_EQ(e["ffn"]["pre_activation"]["counts"].size(), 160u);
    // The loss fell: the logged losses of the last quarter of the epoch average below the
    // first step's, and so does the epoch's mean.
    const Json& steps = run["steps"];
    ASSERT_GE(steps.size(), 3u);  // steps 1, 51, 101
    const double first = steps[0]["loss"].get<double>();
    const size_t quarter = std::max<size_t>(1, steps.size() / 4);
    double tail = 0;
    for (size_t i = steps.size() - quarter; i < steps.size(); ++i)
      tail += steps[i]["loss"].get<double>();
    tail /= double(quarter);
    EXPECT_LT(tail, first);
    EXPECT_LT(e["train_loss"].get<double>(), first);
    std::printf(
        "%-7s first loss %.4f, last-quarter loss %.4f, train loss %.4f, dev loss %.4f, "
        "dev acc %.4f, %.1f steps/s\n",
        ffn, first, tail, e["train_loss"].get<double>(), e["dev_loss"].get<double>(),
        e["dev_acc"].get<double>(), e["steps_per_s"].get<double>());
  }
  const Json summary = read_json(out + "/summary.json");
  EXPECT_EQ(summary["runs"].size(), 3u);
}

}  // namespace
