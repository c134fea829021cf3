// Inputs the fuzzer found (tests/fuzz/regressions/explain_spec/), each with what explain must do.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tests/tools/cli_helpers.h"

namespace {

using explain_test::run_cli;

std::string regression(const std::string& name) {
  const std::string path =
      std::string(AG_SOURCE_DIR) + "/tests/fuzz/regressions/explain_spec/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A number too large for a double made nlohmann throw out_of_range, not parse_error, which
// came out as "explain: internal error".
TEST(ExplainFuzzRegression, ANumberTooLargeForADoubleIsMalformedJson) {
  for (const std::string& spec :
       {regression("number_overflow"),
        std::string(R"({"op": "relu", "inputs": {"x": {"shape": [1], "data": [1e400]}}})")}) {
    const auto r = run_cli({"--json"}, spec);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("explain: malformed JSON in stdin: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("number overflow"), std::string::npos) << r.err;
    EXPECT_EQ(explain_test::line_count(r.err), 1u);
  }
}

}  // namespace
