// Invalid UTF-8 in the runner's TSV files: an error naming file:line and the byte offset, or,
// with --utf8-replace (or "utf8_replace": true in a config file), U+FFFD in its place.
#include <gtest/gtest.h>

#include "experiments/runner/trainer.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using namespace sst2_test;

// The tiny data with one invalid byte (0xFF) in line 4 of train.tsv.
void write_data_with_invalid_byte(const ScratchDir& dir) {
  write_tiny_data(dir);
  std::string tsv = tiny_tsv(96, 1);
  size_t line_start = 0;
  for (int line = 1; line < 4; ++line) line_start = tsv.find('\n', line_start) + 1;
  // Split and joined rather than insert(): GCC 12 warns falsely (-Wrestrict) on that insert.
  tsv = tsv.substr(0, line_start + 2) + '\xFF' + tsv.substr(line_start + 2);
  write_text(dir / "SST-2/train.tsv", tsv);
}

TEST(Utf8Run, InvalidUtf8IsAnErrorNamingFileLineAndOffset) {
  ScratchDir dir("utf8_error");
  write_data_with_invalid_byte(dir);
  std::string tsv = tiny_tsv(96, 1);
  size_t offset = 0;
  for (int line = 1; line < 4; ++line) offset = tsv.find('\n', offset) + 1;
  offset += 2;
  std::string err;
  const std::string out = dir / "out";
  EXPECT_EQ(run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu"}, &err), 1);
  EXPECT_NE(err.find(dir / "SST-2/train.tsv" + ":4: invalid UTF-8 at byte offset " +
                     std::to_string(offset) + " (column 3, byte 0xFF)"),
            std::string::npos)
      << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_FALSE(fs::exists(out));  // nothing was written
}

TEST(Utf8Run, Utf8ReplaceTrainsOnTheRepairedText) {
  ScratchDir dir("utf8_replace");
  write_data_with_invalid_byte(dir);
  const std::string out = dir / "out";
  ASSERT_EQ(run_sst2(tiny_args(dir, out) +
                     std::vector<std::string>{"--ffn", "relu", "--epochs", "1", "--utf8-replace"}),
            0);
  const Json run = read_json(sst2::metrics_path(out, "relu", 0));
  EXPECT_EQ(run["config"]["utf8_replace"], true);
  EXPECT_EQ(run["data"]["train_examples"], 96);

  write_text(dir / "c.json", R"({"utf8_replace": true, "epochs": 1, "ffn": ["relu"]})");
  const std::string out2 = dir / "out2";
  ASSERT_EQ(run_sst2(tiny_args(dir, out2) + std::vector<std::string>{"--config", dir / "c.json"}),
            0);
  EXPECT_EQ(read_json(sst2::metrics_path(out2, "relu", 0))["config"]["utf8_replace"], true);
}

}  // namespace
