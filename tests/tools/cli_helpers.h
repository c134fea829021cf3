// Helpers for the tools/explain tests: run the CLI in-process and read its JSON.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "tools/explain_cli/explain.h"
#include "tools/explain_cli/json_io.h"

namespace explain_test {

using ag::explain::Json;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline CliResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  CliResult r;
  r.code = ag::explain::run_explain(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// Runs `--json` on a spec and returns the parsed answer (failing the test on a non-zero exit).
inline Json run_spec_json(const Json& spec, std::vector<std::string> extra_args = {}) {
  extra_args.insert(extra_args.begin(), "--json");
  const CliResult r = run_cli(extra_args, ag::explain::dump_json(spec));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  if (r.code != 0) return Json::object();
  return ag::explain::parse_json_text(r.out, "explain's output");
}

// {"shape": shape, "data": data}
inline Json tensor(const std::vector<int64_t>& shape, const std::vector<double>& data) {
  return Json{{"shape", shape}, {"data", data}};
}

inline std::vector<double> values_of(const Json& t) {
  std::vector<double> v;
  for (const Json& x : t.at("data")) v.push_back(x.get<double>());
  return v;
}

// |actual - expected| <= rel * |expected| + abs_floor, element by element.
inline void expect_close(const std::vector<double>& actual, const std::vector<double>& expected,
                         double rel, double abs_floor, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], rel * std::fabs(expected[i]) + abs_floor)
        << what << ", element " << i;
  }
}

// A fresh, empty directory for one test's files.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("explain_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline size_t line_count(const std::string& s) {
  return size_t(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace explain_test
