// The real binary, as a script would use it: exit status, stdout, and one line on stderr.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "tests/tools/cli_helpers.h"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kBinary = std::string(AG_BINARY_DIR) + "/tools/explain";

struct BinaryRun {
  int status = -1;
  std::string out, err;
};

// Runs `explain ARGS < stdin_file`, capturing stdout and stderr.
BinaryRun run_binary(const std::string& args, const std::filesystem::path& dir,
                     const std::string& input) {
  const auto in = dir / "stdin", err = dir / "stderr";
  std::ofstream(in) << input;
  const std::string cmd =
      "'" + kBinary + "' " + args + " < '" + in.string() + "' 2> '" + err.string() + "'";
  BinaryRun r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

TEST(ExplainBinary, runs_specs_from_stdin_and_reports_errors_as_one_line) {
  if (!std::filesystem::exists(kBinary)) GTEST_SKIP() << kBinary << " not built";
  const auto dir = explain_test::scratch_dir("binary");
  const BinaryRun ok = run_binary(
      "--json", dir, R"({"op": "relu", "inputs": {"x": {"shape": [3], "data": [-1, 0, 2]}}})");
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.err, "");
  EXPECT_EQ(ok.out, R"({"op": "relu", "output": {"shape": [3], "data": [0.0, 0.0, 2.0]}, )"
                    R"("grads": {"x": {"shape": [3], "data": [0.0, 0.0, 1.0]}}})"
                    "\n");

  const BinaryRun bad =
      run_binary("--json", dir, R"({"op": "relu", "inputs": {"x": {"shape": [3], "data": [1]}}})");
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_THAT(bad.err, StartsWith("explain: input 'x' of relu: shape [3] holds 3 values"));
  EXPECT_EQ(explain_test::line_count(bad.err), 1u);

  // An oversized shape: status 2 and the limit it exceeds (2^28 per size, tools/README.md).
  const BinaryRun huge = run_binary(
      "--json", dir, R"({"op": "silu", "inputs": {"x": {"shape": [1000000000000], "data": [1]}}})");
  EXPECT_EQ(huge.status, 2);
  EXPECT_EQ(huge.out, "");
  EXPECT_EQ(huge.err,
            "explain: input 'x' of silu: \"shape\" has the size 1000000000000 at dim 0, more than "
            "the limit of 268435456 per dimension (and 268435456 elements per tensor)\n");

  const BinaryRun missing = run_binary((dir / "nope.json").string(), dir, "");
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot open spec file"));

  const BinaryRun act = run_binary("--act silu --x -2,0,2", dir, "");
  EXPECT_EQ(act.status, 0);
  EXPECT_THAT(act.out, HasSubstr("-0.238406"));
  std::filesystem::remove_all(dir);
}

}  // namespace
