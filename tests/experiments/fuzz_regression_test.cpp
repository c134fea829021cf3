// Inputs the fuzzer found (tests/fuzz/regressions/config/), and the same faults through sst2's
// other readers: each is a one-line error naming what is wrong, with the documented exit status.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "experiments/runner/trainer.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using namespace sst2_test;

std::string regression(const std::string& name) {
  const std::string path = std::string(AG_SOURCE_DIR) + "/tests/fuzz/regressions/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

size_t lines(const std::string& s) {
  return size_t(std::count(s.begin(), s.end(), '\n'));
}

// An argument holding a line break was echoed as is: the error took two lines.
TEST(RunnerFuzzRegression, ErrorsQuotingWhatWasTypedStayOneLine) {
  // The fuzz input: a first byte, then arguments separated by NUL bytes.
  const std::string input = regression("config/newline_in_flag").substr(1);
  std::vector<std::string> args;
  for (size_t start = 0; start <= input.size();) {
    size_t end = input.find('\0', start);
    if (end == std::string::npos) end = input.size();
    args.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  std::string err;
  EXPECT_EQ(run_sst2(args, &err), 2);
  EXPECT_EQ(err.rfind("sst2: unknown flag '--cems are allowed\\x0a{\"", 0), 0u) << err;
  EXPECT_EQ(lines(err), 1u) << err;

  ScratchDir dir("one_line");
  EXPECT_EQ(run_sst2({"--norm", "pre\npost", "--quiet", "--out", dir / "out"}, &err), 2);
  EXPECT_EQ(err, "sst2: --norm: 'pre\\x0apost' is not one of pre, post\n");
}

// The JSON readers caught parse_error only: a number too large for a double throws
// out_of_range, which escaped without the file's name (the same fault the explain fuzzer found).
TEST(RunnerFuzzRegression, ANumberTooLargeForADoubleIsInvalidJsonNamingTheFile) {
  ScratchDir dir("huge_number");
  write_text(dir / "c.json", R"({"lr": 1e400})");
  std::string err;
  EXPECT_EQ(run_sst2({"--config", dir / "c.json", "--quiet"}, &err), 2);
  EXPECT_NE(err.find("--config: '" + dir / "c.json" + "' is not valid JSON"), std::string::npos)
      << err;
  EXPECT_EQ(lines(err), 1u) << err;

  // A metrics file read back for the summary.
  write_tiny_data(dir);
  const std::string out = dir / "out";
  ASSERT_EQ(
      run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu", "--epochs", "1"}),
      0);
  write_text(sst2::metrics_path(out, "swish", 0), R"({"status": "finished", "x": 1e999})");
  EXPECT_EQ(run_sst2(tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu,swish",
                                                                    "--epochs", "1", "--resume"},
                     &err),
            1);
  EXPECT_NE(err.find(sst2::metrics_path(out, "swish", 0) + ": "), std::string::npos) << err;
  EXPECT_EQ(lines(err), 1u) << err;
}

}  // namespace
