// Failed writes lose nothing: a write of the checkpoint, the metrics or the summary that fails
// part-way (ENOSPC, EIO; injected through core/atomic_file.h's test-only AG_TEST_WRITE_FAULT)
// leaves the previous version of that file intact, the error names the file and the reason,
// the exit status is 1, no temporary is left, and --resume then finishes the run with the
// metrics of a run that never failed.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "experiments/runner/trainer.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using namespace sst2_test;

std::string read_bytes(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Files under `dir` whose name holds ".tmp".
std::vector<std::string> temporaries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp") != std::string::npos)
      out.push_back(e.path().string());
  }
  return out;
}

// Sets AG_TEST_WRITE_FAULT for the scope.
class Fault {
 public:
  explicit Fault(const std::string& spec) { ::setenv("AG_TEST_WRITE_FAULT", spec.c_str(), 1); }
  ~Fault() { ::unsetenv("AG_TEST_WRITE_FAULT"); }
  Fault(const Fault&) = delete;
  Fault& operator=(const Fault&) = delete;
};

class WriteFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tiny_data(dir_);
    // The reference: 2 epochs without any failure.
    ASSERT_EQ(run_sst2(args(ref_, "2")), 0);
    // The run under test, after its first epoch.
    ASSERT_EQ(run_sst2(args(out_, "1")), 0);
    metrics_ = sst2::metrics_path(out_, "relu", 0);
    ckpt_ = sst2::checkpoint_path(out_, "relu", 0);
    summary_ = out_ + "/summary.json";
  }
  std::vector<std::string> args(const std::string& out, const std::string& epochs) const {
    return tiny_args(dir_, out) +
           std::vector<std::string>{"--ffn", "relu", "--epochs", epochs, "--resume"};
  }
  // Resumes to 2 epochs under `spec`: exit 1 with one line naming `file` and `reason`, the
  // files in `kept` byte for byte as before, no temporary; then --resume without the fault
  // finishes with the reference's metrics.
  void expect_nothing_lost(const std::string& spec, const std::string& file, int err,
                           const std::vector<std::string>& kept) {
    std::vector<std::string> before;
    for (const auto& f : kept) before.push_back(read_bytes(f));
    std::string out;
    {
      Fault fault(spec);
      EXPECT_EQ(run_sst2(args(out_, "2"), &out), 1) << out;
    }
    EXPECT_NE(out.find("cannot write " + file + ": " + std::strerror(err)), std::string::npos)
        << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    for (size_t i = 0; i < kept.size(); ++i) {
      EXPECT_TRUE(read_bytes(kept[i]) == before[i]) << kept[i] << " changed";
    }
    EXPECT_EQ(temporaries(out_), std::vector<std::string>{});

    ASSERT_EQ(run_sst2(args(out_, "2"), &out), 0) << out;
    const Json a = comparable_run(read_json(metrics_));
    const Json b = comparable_run(read_json(sst2::metrics_path(ref_, "relu", 0)));
    EXPECT_TRUE(a == b) << "differs from the reference: " << Json::diff(b, a).dump().substr(0, 600);
  }

  ScratchDir dir_{"write_failure"};
  std::string ref_ = dir_ / "ref", out_ = dir_ / "out";
  std::string metrics_, ckpt_, summary_;
};

TEST_F(WriteFailure, ACheckpointWriteThatFailsPartWayKeepsTheOldCheckpoint) {
  // The disk fills up 1000 bytes into the new checkpoint (of some 50 KB).
  expect_nothing_lost("ENOSPC:1000:.ckpt", ckpt_, ENOSPC, {ckpt_, metrics_, summary_});
}

TEST_F(WriteFailure, ACheckpointWriteThatFailsAtTheSyncKeepsTheOldCheckpoint) {
  expect_nothing_lost("EIO:100000000:relu_seed0.ckpt", ckpt_, EIO, {ckpt_, metrics_, summary_});
}

TEST_F(WriteFailure, AMetricsWriteThatFailsKeepsTheOldMetrics) {
  // The checkpoint of epoch 2 is written before the metrics; the metrics file keeps epoch 1,
  // and --resume continues from the newer checkpoint.
  expect_nothing_lost("EIO:64:relu_seed0.json", metrics_, EIO, {metrics_, summary_});
}

TEST_F(WriteFailure, AMetricsWriteThatFailsAtItsFirstByteKeepsTheOldMetrics) {
  expect_nothing_lost("ENOSPC:0:relu_seed0.json:1", metrics_, ENOSPC, {metrics_, summary_});
}

TEST_F(WriteFailure, ASummaryWriteThatFailsKeepsTheOldSummary) {
  expect_nothing_lost("ENOSPC:10:summary.json", summary_, ENOSPC, {summary_});
  EXPECT_EQ(read_json(summary_)["runs"], Json::array({"relu_seed0.json"}));
}

}  // namespace
