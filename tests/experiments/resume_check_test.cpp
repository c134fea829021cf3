// --resume trusts nothing it has not checked: a damaged or foreign checkpoint, or a metrics file
// that does not match its checkpoint, is refused with one line naming the file, exit status 1,
// and every file of the run left as it was.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include "experiments/runner/trainer.h"
#include "nn/checkpoint.h"
#include "tests/common/scratch_files.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using namespace sst2_test;

using agtest::read_bytes;
using agtest::write_bytes;

// Every file under `dir` with its bytes.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[e.path().string()] = read_bytes(e.path().string());
  }
  return files;
}

// A relu run of 2 epochs (12 steps each) in DIR/out, and the arguments that resume it to 3.
class ResumeCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    write_tiny_data(dir_);
    ASSERT_EQ(run_sst2(args("2")), 0);
    metrics_ = sst2::metrics_path(out_, "relu", 0);
    ckpt_ = sst2::checkpoint_path(out_, "relu", 0);
  }
  std::vector<std::string> args(const std::string& epochs, bool resume = false) const {
    auto a = tiny_args(dir_, out_) + std::vector<std::string>{"--ffn", "relu", "--epochs", epochs};
    if (resume) a.push_back("--resume");
    return a;
  }
  // --resume to 3 epochs must fail with status 1 and one line holding every needle, leaving
  // every file as it was.
  void expect_refused(const std::vector<std::string>& needles) {
    const auto before = snapshot(out_);
    std::string err;
    EXPECT_EQ(run_sst2(args("3", true), &err), 1) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    for (const std::string& n : needles) EXPECT_NE(err.find(n), std::string::npos) << err;
    EXPECT_TRUE(snapshot(out_) == before) << "a refused --resume changed the run's files";
  }

  ScratchDir dir_{"resume_check"};
  std::string out_ = dir_ / "out";
  std::string metrics_, ckpt_;
};

TEST_F(ResumeCheck, AnyFlippedByteOfTheCheckpointIsRefusedNamingTheChecksumAndTheFile) {
  const std::string good = read_bytes(ckpt_);
  ASSERT_GT(good.size(), 1000u);
  // 24 header bytes, then 48 spread over the metadata, the tensors and the checksum.
  std::vector<size_t> positions;
  for (size_t i = 0; i < 24; ++i) positions.push_back(i);
  for (size_t k = 0; k < 48; ++k) positions.push_back(24 + k * (good.size() - 25) / 47);
  ASSERT_GE(positions.size(), 64u);
  for (size_t pos : positions) {
    SCOPED_TRACE("byte " + std::to_string(pos));
    std::string bad = good;
    bad[pos] = char(bad[pos] ^ 0x10);
    write_bytes(ckpt_, bad);
    expect_refused({ckpt_, "checksum mismatch"});
  }
  write_bytes(ckpt_, good);
  EXPECT_EQ(run_sst2(args("3", true)), 0);  // the intact checkpoint still resumes
}

TEST_F(ResumeCheck, TruncatedAndOtherVersionCheckpointsAreRefused) {
  const std::string good = read_bytes(ckpt_);
  for (size_t len : {size_t(0), size_t(5), size_t(30), good.size() / 2, good.size() - 1}) {
    SCOPED_TRACE("truncated to " + std::to_string(len));
    write_bytes(ckpt_, good.substr(0, len));
    expect_refused({ckpt_, "truncated"});
  }
  std::string v1 = good;
  v1[8] = 1;  // the version field, the rest of the file unchanged: not even a valid version 1
  write_bytes(ckpt_, v1);
  expect_refused({ckpt_, "checksum mismatch"});
}

TEST_F(ResumeCheck, ACheckpointThatDoesNotFitTheModelIsRefused) {
  // A well-formed checkpoint (valid checksum) whose embedding has the wrong shape.
  ag::nn::Checkpoint ck = ag::nn::load_checkpoint(ckpt_);
  for (auto& [name, t] : ck.tensors) {
    if (name == "token_embedding.weight") t = ag::Tensor::zeros({t.shape()[0], 15});
  }
  ag::nn::save_checkpoint(ckpt_, ck);
  expect_refused({ckpt_, "does not fit the model", "'token_embedding.weight'", "[20, 15]"});
}

TEST_F(ResumeCheck, ACheckpointOfAnotherRunOrConfigurationIsRefused) {
  // The swiglu run's checkpoint in place of relu's.
  const std::string other_out = dir_ / "other";
  ASSERT_EQ(run_sst2(tiny_args(dir_, other_out) +
                     std::vector<std::string>{"--ffn", "swiglu", "--epochs", "2"}),
            0);
  fs::copy_file(sst2::checkpoint_path(other_out, "swiglu", 0), ckpt_,
                fs::copy_options::overwrite_existing);
  expect_refused({ckpt_, "holds run \"swiglu\" seed 0, expected relu seed 0"});

  // The relu checkpoint of a run with another learning rate: it disagrees with the metrics.
  const std::string lr_out = dir_ / "lr";
  ASSERT_EQ(run_sst2(tiny_args(dir_, lr_out) +
                     std::vector<std::string>{"--ffn", "relu", "--epochs", "2", "--lr", "0.003"}),
            0);
  fs::copy_file(sst2::checkpoint_path(lr_out, "relu", 0), ckpt_,
                fs::copy_options::overwrite_existing);
  expect_refused({metrics_, ckpt_, "disagree about epoch 1"});
}

TEST_F(ResumeCheck, AMalformedMetricsFileIsRefusedNamingIt) {
  const std::string good = read_bytes(metrics_);
  const Json doc = Json::parse(good);
  auto with = [&](const std::function<void(Json&)>& edit) {
    Json j = doc;
    edit(j);
    write_bytes(metrics_, j.dump());
  };
  write_bytes(metrics_, good.substr(0, good.size() / 2));
  expect_refused({metrics_, "not valid JSON"});
  write_bytes(metrics_, "[1, 2]");
  expect_refused({metrics_, "not a run's metrics"});
  with([](Json& j) { j["schema_version"] = 2; });
  expect_refused({metrics_, "schema_version is 2"});
  with([](Json& j) { j["status"] = "paused"; });
  expect_refused({metrics_, "unknown status 'paused'"});
  with([](Json& j) { j["status"] = 7; });
  expect_refused({metrics_, "'status' is not a string"});
  with([](Json& j) { j["seed"] = 3; });
  expect_refused({metrics_, "holds run \"relu\" seed 3"});
  with([](Json& j) { j["epochs"] = Json::object(); });
  expect_refused({metrics_, "'epochs' is not a list"});
  with([](Json& j) { j["epochs"][1]["epoch"] = 5; });
  expect_refused({metrics_, "epochs[1] is epoch 5, expected 2"});
  with([](Json& j) { j["config"] = "relu"; });
  expect_refused({metrics_, "'config' is not an object"});
  // A finished-looking run with a failure record that is not one.
  with([](Json& j) {
    j["status"] = "diverged";
    j["failure"] = 1;
  });
  expect_refused({metrics_, "'failure' is not an object"});
}

TEST_F(ResumeCheck, EpochCountsMustAgreeWithTheCheckpoint) {
  const Json doc = read_json(metrics_);
  // One epoch more than the checkpoint holds.
  Json more = doc;
  more["epochs"].push_back(more["epochs"][1]);
  more["epochs"][2]["epoch"] = 3;
  write_bytes(metrics_, more.dump());
  expect_refused({metrics_, ckpt_, "records 3 finished epochs", "at epoch 2"});
  // Epochs recorded but no checkpoint to continue from.
  write_bytes(metrics_, doc.dump());
  const std::string ckpt_bytes = read_bytes(ckpt_);
  fs::remove(ckpt_);
  expect_refused({metrics_, ckpt_, "is missing"});
  write_bytes(ckpt_, ckpt_bytes);
  // One epoch fewer: the process died between the checkpoint and the metrics. Accepted.
  Json fewer = doc;
  fewer["epochs"].erase(1);
  fewer["status"] = "running";
  write_bytes(metrics_, fewer.dump());
  ASSERT_EQ(run_sst2(args("3", true)), 0);
  EXPECT_EQ(read_json(metrics_)["epochs"].size(), 3u);
}

TEST_F(ResumeCheck, RunsOfBuildsWithoutUtf8ReplaceAreStillResumed) {
  // As an older build wrote them: no utf8_replace key in the metrics or the checkpoint.
  Json doc = read_json(metrics_);
  doc["config"].erase("utf8_replace");
  write_bytes(metrics_, doc.dump());
  ag::nn::Checkpoint ck = ag::nn::load_checkpoint(ckpt_);
  Json meta = Json::parse(ck.metadata_json);
  meta["metrics"]["config"].erase("utf8_replace");
  ck.metadata_json = meta.dump();
  ag::nn::save_checkpoint(ckpt_, ck);
  std::string err;
  EXPECT_EQ(run_sst2(args("3", true), &err), 0) << err;
  EXPECT_EQ(read_json(metrics_)["epochs"].size(), 3u);
  // A run made with --utf8-replace is not resumed without it (it read other text): a usage
  // error naming the setting, as for every other setting.
  const std::string other = dir_ / "replaced";
  ASSERT_EQ(run_sst2(tiny_args(dir_, other) +
                     std::vector<std::string>{"--ffn", "relu", "--epochs", "1", "--utf8-replace"}),
            0);
  EXPECT_EQ(run_sst2(tiny_args(dir_, other) +
                         std::vector<std::string>{"--ffn", "relu", "--epochs", "2", "--resume"},
                     &err),
            2);
  EXPECT_NE(err.find("utf8_replace"), std::string::npos) << err;
}

}  // namespace
