// The CI end-to-end check on the real SST-2 data: the short mode of the experiment,
//   sst2 --ffn relu,swish,swiglu --seeds 0 --epochs 1 --limit 2000 --threads 2 --quiet --out DIR
// must finish, write metrics that follow METRICS.md, and learn something. Skipped (with the
// reason) when the shared data is not on this machine.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/backend.h"
#include "core/device.h"
#include "experiments/data/locate.h"
#include "experiments/runner/data_source.h"
#include "experiments/runner/trainer.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using namespace sst2_test;

// Where the real data is: $AG_DATA_DIR (the SST-2 directory, or the data root holding SST-2/
// and bert-base-uncased/), $AG_SHARED_DIR/data, the build's AG_SHARED_DIR/data, then the
// runner's own default lookup. Empty when none has it, with the reason in `why`.
std::vector<std::string> locate_real_data(std::string& why) {
  std::vector<fs::path> roots;
  fs::path data_dir;
  if (const char* env = std::getenv("AG_DATA_DIR"); env && *env) {
    if (fs::exists(fs::path(env) / "train.tsv")) {
      data_dir = env;
      roots.push_back(fs::path(env).parent_path());
    } else {
      roots.push_back(env);
    }
  }
  if (const char* env = std::getenv("AG_SHARED_DIR"); env && *env) {
    roots.push_back(fs::path(env) / "data");
  }
  roots.push_back(fs::path(AG_SHARED_DIR) / "data");
  for (const fs::path& root : roots) {
    const fs::path dir = data_dir.empty() ? root / "SST-2" : data_dir;
    const fs::path vocab = root / "bert-base-uncased" / "vocab.txt";
    if (fs::exists(dir / "train.tsv") && fs::exists(dir / "dev.tsv") && fs::exists(vocab)) {
      return {"--data-dir", dir.string(), "--vocab", vocab.string()};
    }
  }
  try {
    return {"--data-dir", sst2::data::find_data_dir("", sst2::default_source_root()), "--vocab",
            sst2::data::find_vocab("", sst2::default_source_root())};
  } catch (const std::exception& e) {
    why = e.what();
  }
  return {};
}

// Under AddressSanitizer (tools/test.sh --sanitize, a Debug build) a step is ~20x slower: the
// same checks then run on a shorter slice so that the suite stays within minutes.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST(EndToEnd, ShortModeOnTheRealData) {
  std::string why;
  const std::vector<std::string> where = locate_real_data(why);
  if (where.empty()) GTEST_SKIP() << "SST-2 data not available: " << why;
  // The short mode; under sanitizers 20 steps per variant on a 200-sentence dev slice.
  const int64_t limit = kSanitized ? 320 : 2000, dev_rows = kSanitized ? 200 : 872;
  std::vector<std::string> extra;
  if (kSanitized) extra = {"--dev-limit", "200", "--log-every", "4"};
  ScratchDir dir("e2e");
  const std::string out = dir / "out";
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(run_sst2(std::vector<std::string>{"--ffn", "relu,swish,swiglu", "--seeds", "0",
                                              "--epochs", "1", "--limit", std::to_string(limit),
                                              "--threads", "2", "--quiet", "--out", out} +
                     where + extra),
            0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("short mode%s: %.1f s for 3 variants x %lld steps + dev evaluation\n",
              kSanitized ? " (sanitizer slice)" : "", seconds, (long long)(limit / 16));

  for (const char* ffn : {"relu", "swish", "swiglu"}) {
    SCOPED_TRACE(ffn);
    const Json run = read_json(sst2::metrics_path(out, ffn, 0));
    for (const char* key : {"config", "params", "epochs"}) EXPECT_TRUE(run.contains(key)) << key;
    EXPECT_EQ(run["status"], "finished");
    EXPECT_EQ(run["data"]["train_examples"], limit);
    EXPECT_EQ(run["data"]["dev_examples"], dev_rows);
    ASSERT_EQ(run["epochs"].size(), 1u);
    const Json& e = run["epochs"][0];
    for (const char* key : {"epoch", "train_loss", "train_acc", "dev_loss", "dev_acc", "eval",
                            "epoch_s", "steps_per_s", "tokens_per_s"}) {
      EXPECT_TRUE(e.contains(key)) << key;
    }
    EXPECT_EQ(e["steps"], limit / 16);
    EXPECT_EQ(int64_t(run["dev_predictions"]["final"].size()), dev_rows);
    EXPECT_EQ(e["ffn"]["pre_activation"]["counts"].size(), 160u);
    // The loss fell: the logged losses of the last quarter of the epoch average below the
    // first step's, and so does the epoch's mean.
    const Json& steps = run["steps"];
    ASSERT_GE(steps.size(), 3u);  // steps 1, 51, 101 (1, 5, ..., 17 under sanitizers)
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

// The runner on the CUDA device (a GPU, or the emulated device of an AG_CUDA=EMULATE build, where
// this runs in CI) against the same runs on the CPU: every step's loss to 1e-4 relative and the
// same dev accuracy, for the three variants of the experiment.
TEST(EndToEnd, CudaRunsGiveTheCpuLossCurve) {
  if (!ag::cuda_available()) GTEST_SKIP() << "no CUDA device (or CUDA backend not built)";
  std::string why;
  const std::vector<std::string> where = locate_real_data(why);
  if (where.empty()) GTEST_SKIP() << "SST-2 data not available: " << why;
  const std::string limit = kSanitized ? "96" : "512", dev_limit = kSanitized ? "64" : "872";
  ScratchDir dir("cuda_vs_cpu");
  const std::vector<std::string> common =
      std::vector<std::string>{
          "--ffn", "relu,swish,swiglu", "--seeds", "0",           "--epochs", "1",      "--limit",
          limit,   "--dev-limit",       dev_limit, "--log-every", "1",        "--quiet"} +
      where;
  ASSERT_EQ(run_sst2(common + std::vector<std::string>{"--device", "cpu", "--out", dir / "cpu"}),
            0);
  ASSERT_EQ(run_sst2(common + std::vector<std::string>{"--device", "cuda", "--out", dir / "cuda"}),
            0);
  for (const char* ffn : {"relu", "swish", "swiglu"}) {
    SCOPED_TRACE(ffn);
    const Json cpu = read_json(sst2::metrics_path(dir / "cpu", ffn, 0));
    const Json gpu = read_json(sst2::metrics_path(dir / "cuda", ffn, 0));
    EXPECT_EQ(gpu["device"], ag::device_label(ag::Device::CUDA));
    if (ag::cuda_emulated()) {
      EXPECT_EQ(gpu["device"], "cuda (emulated)");
      EXPECT_NE(gpu["device_name"].get<std::string>().find("emulated"), std::string::npos);
    }
    // The launch counter ran on every step; with --log-every 1 no step is a typical one.
    EXPECT_FALSE(cpu.contains("gpu"));
    ASSERT_TRUE(gpu.contains("gpu"));
    EXPECT_EQ(gpu["gpu"]["steps_counted"], gpu["epochs"][0]["steps"]);
    EXPECT_TRUE(gpu["gpu"]["launches_per_step"].is_null());
    EXPECT_GT(gpu["gpu"]["mean_launches_per_step"].get<double>(), 10.0);
    ASSERT_EQ(cpu["steps"].size(), gpu["steps"].size());
    ASSERT_GE(cpu["steps"].size(), 6u);
    for (size_t i = 0; i < cpu["steps"].size(); ++i) {
      const double a = cpu["steps"][i]["loss"].get<double>();
      const double b = gpu["steps"][i]["loss"].get<double>();
      EXPECT_NEAR(a, b, 1e-4 * std::abs(a)) << "step " << cpu["steps"][i]["step"];
    }
    EXPECT_EQ(cpu["epochs"][0]["dev_acc"], gpu["epochs"][0]["dev_acc"]);
    EXPECT_EQ(cpu["dev_predictions"]["final"], gpu["dev_predictions"]["final"]);
  }
}

}  // namespace
