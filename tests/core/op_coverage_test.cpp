// The op-case registry covers core/ops.h: every op the header declares (read from the source
// tree at test time) has a case in the registry, a gradcheck case and a parity case, or the
// registry says why not (argmax has no gradient; set_num_threads is not an op). Adding an op to
// core/ops.h without a registry entry fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/ops/coverage.h"
#include "tests/ops/registry.h"

namespace {

using opcases::Declaration;

bool has(const std::vector<Declaration>& ds, const std::string& key) {
  return std::any_of(ds.begin(), ds.end(), [&](const Declaration& d) { return d.key() == key; });
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += "\n  " + l;
  return s;
}

TEST(OpCoverage, the_header_parser_reads_every_kind_of_declaration) {
  const std::vector<Declaration> ds = opcases::read_ops_header(AG_SOURCE_DIR);
  EXPECT_GE(ds.size(), 60u);
  for (const char* key :
       {"add(Tensor, Tensor)", "add(Tensor, float)", "rsub(float, Tensor)",
        "unary(Tensor, UnaryOp, UnaryParams, char*)", "split(Tensor, vector<int64_t>, int64_t)",
        "split(Tensor, int64_t, int64_t)", "concat(vector<Tensor>, int64_t)", "sum(Tensor)",
        "dropout(Tensor, float, Generator, bool)",
        "adamw_step_many(vector<Tensor*>, vector<Tensor>, vector<Tensor*>, "
        "vector<Tensor*>, AdamWStep, Tensor)",
        "operator-(Tensor)", "operator*(float, Tensor)", "num_threads()"}) {
    EXPECT_TRUE(has(ds, key)) << key;
  }
}

TEST(OpCoverage, every_op_of_core_ops_h_has_cases_or_a_reason) {
  const std::vector<std::string> problems =
      opcases::coverage_problems(opcases::read_ops_header(AG_SOURCE_DIR), opcases::registry());
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

// The check itself: a header with an op the registry lacks, an overload named ambiguously, and a
// case naming an op that does not exist.
TEST(OpCoverage, reports_an_op_without_cases) {
  const std::string header = R"(
namespace ag {
// A comment mentioning Tensor fake(const Tensor& x); is no declaration.
Tensor relu(const Tensor& x);
Tensor frobnicate(const Tensor& x, const std::vector<int64_t>& dims = {}, float s = 1.0f);
inline Tensor operator-(const Tensor& x) {
  return relu(x);
}
}  // namespace ag
)";
  const std::vector<Declaration> ds = opcases::parse_declarations(header, "fake.h");
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds[1].key(), "frobnicate(Tensor, vector<int64_t>, float)");
  EXPECT_EQ(ds[1].where, "fake.h:5");
  opcases::Registry r;
  r.add({.ops = {"relu", "operator-", "frobnicate(Tensor)"},
         .name = "relu",
         .forward = [](const std::vector<ag::Tensor>& in) { return in; },
         .gradcheck = agtest::GradCheckOptions{},
         .parity = parity::ParityOptions{}});
  const std::string problems = joined(opcases::coverage_problems(ds, r));
  EXPECT_NE(problems.find("frobnicate(Tensor, vector<int64_t>, float) has no case in the op "
                          "registry (tests/ops/cases_*.cpp) (fake.h:5)"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("names 'frobnicate(Tensor)', which core/ops.h does not declare"),
            std::string::npos)
      << problems;
  EXPECT_EQ(problems.find("relu("), std::string::npos) << problems;
  EXPECT_EQ(problems.find("operator-"), std::string::npos) << problems;
}

TEST(OpCoverage, case_names_are_unique_and_every_case_runs_in_a_mode) {
  std::vector<std::string> names;
  for (const opcases::OpCase& c : opcases::registry().cases()) {
    names.push_back(c.name);
    EXPECT_TRUE(c.gradcheck || c.parity) << c.name;
    for (const opcases::Variant& v : c.variants) {
      EXPECT_TRUE(v.vars.empty() || v.vars.size() == c.inputs.size()) << c.name << v.label;
    }
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

}  // namespace
