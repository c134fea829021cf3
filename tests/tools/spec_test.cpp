// The spec interface of tools/explain: what it accepts, and that every kind of bad input is one
// line "explain: ..." on stderr with exit status 2, saying what is wrong.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/backend.h"
#include "core/device.h"
#include "tests/tools/cli_helpers.h"
#include "tools/explain_cli/input_error.h"
#include "tools/explain_cli/spec.h"

namespace {

using explain_test::CliResult;
using explain_test::Json;
using explain_test::run_cli;
using explain_test::tensor;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const char* const kSwiglu =
    R"({"op": "swiglu", "inputs": {"a": {"shape": [2], "data": [1, -2]},
                                   "b": {"shape": [2], "data": [0.5, 3]}}})";

// A failed run: status 2, nothing on stdout, exactly one line on stderr that starts with
// "explain: " and contains every one of `fragments`.
void expect_one_line_error(const CliResult& r, const std::vector<std::string>& fragments) {
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("explain: "));
  EXPECT_EQ(explain_test::line_count(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.back(), '\n');
  for (const std::string& f : fragments) EXPECT_THAT(r.err, HasSubstr(f));
}

struct BadSpec {
  const char* what;
  std::string spec;
  std::vector<std::string> fragments;
};

TEST(ExplainSpec, bad_specs_are_one_line_errors_that_say_what_is_wrong) {
  const std::vector<BadSpec> cases = {
      {"unknown op",
       R"({"op": "swiglo", "inputs": {}})",
       {"unknown op 'swiglo'", "did you mean 'swiglu'", "known ops: add"}},
      {"unknown op far from any",
       R"({"op": "frobnicate", "inputs": {}})",
       {"unknown op 'frobnicate'"}},
      {"wrong input name",
       R"({"op": "relu", "inputs": {"a": {"shape": [1], "data": [1]}}})",
       {"op 'relu' has no input 'a'", "its inputs: x"}},
      {"missing input",
       R"({"op": "swiglu", "inputs": {"a": {"shape": [1], "data": [1]}}})",
       {"op 'swiglu' needs the input 'b'", "a (gate), b (up)"}},
      {"data shorter than shape",
       R"({"op": "relu", "inputs": {"x": {"shape": [2, 3], "data": [1, 2, 3, 4, 5]}}})",
       {"input 'x' of relu", "shape [2, 3] holds 6 values", "has 5"}},
      {"nested data against shape",
       R"({"op": "relu", "inputs": {"x": {"shape": [2, 2], "data": [[1, 2, 3], [4]]}}})",
       {"input 'x' of relu", "does not match shape [2, 2]"}},
      {"non-number data",
       R"({"op": "relu", "inputs": {"x": {"shape": [2], "data": [1, "two"]}}})",
       {"element 1 is the string \"two\", not a number"}},
      {"negative size",
       R"({"op": "relu", "inputs": {"x": {"shape": [-1], "data": []}}})",
       {"\"shape\" must hold sizes >= 0", "the size at dim 0 is -1"}},
      {"fractional size",
       R"({"op": "relu", "inputs": {"x": {"shape": [2, 1.5], "data": [1, 2]}}})",
       {"whole numbers", "the size at dim 1 is the number 1.5"}},
      {"too many dims",
       R"({"op": "relu", "inputs": {"x": {"shape": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                                          "data": [1]}}})",
       {"\"shape\" has 17 dims, more than the limit of 16"}},
      // The limits of the spec reference (tools/README.md): 2^28 = 268435456 per size and per
      // tensor. A size above them is too large, not negative.
      {"size above the per-dimension limit",
       R"({"op": "silu", "inputs": {"x": {"shape": [1000000000000], "data": [1]}}})",
       {"input 'x' of silu", "the size 1000000000000 at dim 0",
        "more than the limit of 268435456 per dimension"}},
      {"size just above the per-dimension limit",
       R"({"op": "silu", "inputs": {"x": {"shape": [3, 268435457], "data": [1]}}})",
       {"the size 268435457 at dim 1", "limit of 268435456 per dimension"}},
      {"sizes whose product is above the per-tensor limit",
       R"({"op": "silu", "inputs": {"x": {"shape": [100000, 100000], "data": [1]}}})",
       {"shape [100000, 100000] has 10000000000 elements",
        "more than the limit of 268435456 elements per tensor"}},
      {"product just above the per-tensor limit",
       R"({"op": "silu", "inputs": {"x": {"shape": [16384, 16385], "data": [1]}}})",
       {"has 268451840 elements", "limit of 268435456 elements per tensor"}},
      {"product at the per-tensor limit is accepted (data then does not match)",
       R"({"op": "silu", "inputs": {"x": {"shape": [16384, 16384], "data": [1]}}})",
       {"shape [16384, 16384] holds 268435456 values but \"data\" has 1"}},
      {"a size of 0 does not hide the others",
       R"({"op": "silu", "inputs": {"x": {"shape": [0, 100000, 100000], "data": []}}})",
       {"would span 10000000000 elements with its sizes of 0 counted as 1",
        "limit of 268435456 elements per tensor"}},
      {"product beyond 64 bits",
       R"({"op": "silu", "inputs": {"x": {"shape": [268435456, 268435456, 268435456],
                                          "data": [1]}}})",
       {"has more than 9223372036854775807 elements", "limit of 268435456 elements per tensor"}},
      {"index beyond int32",
       R"({"op": "embedding", "inputs": {"weight": {"shape": [2, 2], "data": [1, 2, 3, 4]},
                                        "indices": {"shape": [1], "data": [3000000000]}}})",
       {"input 'indices' of embedding", "element 0 (3000000000)",
        "outside their range [-2147483648, 2147483647]"}},
      {"integer param beyond what a JSON number holds exactly",
       R"({"op": "softmax", "inputs": {"x": {"shape": [2], "data": [1, 2]}},
           "params": {"dim": 1e17}})",
       {"param 'dim' of softmax is 1e+17", "beyond the limit of 9007199254740992"}},
      {"missing shape",
       R"({"op": "relu", "inputs": {"x": {"data": [1]}}})",
       {"input 'x' of relu has no \"shape\""}},
      {"non-integer index",
       R"({"op": "embedding", "inputs": {"weight": {"shape": [2, 2], "data": [1, 2, 3, 4]},
                                        "indices": {"shape": [2], "data": [1, 0.5]}}})",
       {"input 'indices' of embedding must hold integers", "element 1 is 0.5"}},
      {"index out of range (engine)",
       R"({"op": "embedding", "inputs": {"weight": {"shape": [2, 2], "data": [1, 2, 3, 4]},
                                        "indices": {"shape": [2], "data": [1, 7]}}})",
       {"embedding: index 7 at position 1 is out of range [0, 2)"}},
      {"non-integer target",
       R"({"op": "cross_entropy", "inputs": {"logits": {"shape": [1, 2], "data": [1, 2]},
                                            "targets": {"shape": [1], "data": [true]}}})",
       {"input 'targets' of cross_entropy", "true, not a number"}},
      {"mask not 0/1",
       R"({"op": "masked_fill", "inputs": {"x": {"shape": [2], "data": [1, 2]},
           "mask": {"shape": [2], "data": [0, 0.5]}}, "params": {"value": 0}})",
       {"input 'mask' of masked_fill must hold 0/1"}},
      {"engine shape mismatch",
       R"({"op": "matmul", "inputs": {"a": {"shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]},
                                     "b": {"shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}}})",
       {"matmul", "[2, 3] x [2, 3]"}},
      {"engine broadcast mismatch",
       R"({"op": "add", "inputs": {"a": {"shape": [2], "data": [1, 2]},
                                  "b": {"shape": [3], "data": [1, 2, 3]}}})",
       {"add", "[2]", "[3]"}},
      {"grad_output of the wrong shape",
       R"({"op": "relu", "inputs": {"x": {"shape": [2], "data": [1, 2]}},
           "grad_output": {"shape": [3], "data": [1, 1, 1]}})",
       {"grad_output has shape [3] but the output of relu is [2]"}},
      {"misspelt top-level key",
       R"({"op": "relu", "inputs": {"x": {"shape": [1], "data": [1]}}, "grad_ouput": {}})",
       {"unknown key \"grad_ouput\""}},
      {"unknown param",
       R"({"op": "relu", "inputs": {"x": {"shape": [1], "data": [1]}},
                            "params": {"alpha": 0.1}})",
       {"op 'relu' has no param 'alpha'"}},
      {"param of the wrong type",
       R"({"op": "leaky_relu", "inputs": {"x": {"shape": [1], "data": [1]}},
                                     "params": {"alpha": "big"}})",
       {"param 'alpha' of leaky_relu must be a number"}},
      {"missing required param",
       R"({"op": "pow", "inputs": {"x": {"shape": [1], "data": [2]}}})",
       {"pow needs the param 'exponent'"}},
      {"bad gelu approximation",
       R"({"op": "gelu", "inputs": {"x": {"shape": [1], "data": [1]}},
                                    "params": {"approximate": "sigmoid"}})",
       {"param 'approximate' of gelu must be \"none\" or \"tanh\""}},
      {"split without sizes",
       R"({"op": "split", "inputs": {"x": {"shape": [2], "data": [1, 2]}}})",
       {"split needs exactly one of the params 'sizes'"}},
      {"no op", R"({"inputs": {}})", {"the spec has no \"op\""}},
      {"op not a string", R"({"op": 3, "inputs": {}})", {"\"op\" must be a string"}},
      {"inputs not an object",
       R"({"op": "relu", "inputs": [1]})",
       {"\"inputs\" must be an object"}},
      {"not an object", "[1, 2]", {"the spec must be a JSON object"}},
      {"malformed JSON", R"({"op": "relu", )", {"malformed JSON in stdin", "line 1"}},
      {"trailing garbage", R"({"op": "relu", "inputs": {}} x)", {"malformed JSON in stdin"}},
      {"empty input", "  \n", {"the spec from stdin is empty"}},
  };
  for (const BadSpec& c : cases) {
    SCOPED_TRACE(c.what);
    expect_one_line_error(run_cli({"--json"}, c.spec), c.fragments);
    expect_one_line_error(run_cli({}, c.spec), c.fragments);  // the human mode says the same
  }
}

TEST(ExplainSpec, spec_files_are_read_and_missing_ones_reported) {
  const auto dir = explain_test::scratch_dir("spec_files");
  const std::string path = (dir / "swiglu.json").string();
  std::ofstream(path) << kSwiglu;
  const CliResult ok = run_cli({"--json", path});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_THAT(ok.out, StartsWith(R"({"op": "swiglu", "output": )"));

  expect_one_line_error(run_cli({(dir / "missing.json").string()}),
                        {"cannot open spec file", "missing.json", "No such file"});
  expect_one_line_error(run_cli({dir.string()}), {"is a directory"});
  expect_one_line_error(run_cli({path, path}), {"more than one spec file"});
  std::filesystem::remove_all(dir);
}

TEST(ExplainSpec, bad_command_lines_are_one_line_errors) {
  expect_one_line_error(run_cli({"--frobnicate"}), {"unknown option '--frobnicate'"});
  expect_one_line_error(run_cli({"--device", "tpu"}, kSwiglu), {"--device takes cpu or cuda"});
  expect_one_line_error(run_cli({"--device"}), {"--device needs a value"});
  expect_one_line_error(run_cli({"--act", "silu", "--tape"}), {"separate modes"});
  expect_one_line_error(run_cli({"--x", "1,2"}), {"--x only applies to --act"});
  expect_one_line_error(run_cli({"--dot", "g.dot"}), {"--dot only applies to --tape"});
}

TEST(ExplainSpec, help_goes_to_stdout_with_status_0) {
  const CliResult r = run_cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, HasSubstr("usage:"));
  EXPECT_THAT(r.out, HasSubstr("swiglu"));
  EXPECT_THAT(r.out, HasSubstr("--act"));
}

TEST(ExplainSpec, cuda_device_works_or_is_one_line_error) {
  const CliResult r = run_cli({"--json", "--device", "cuda"}, kSwiglu);
  if (ag::cuda_available()) {
    ASSERT_EQ(r.code, 0) << r.err;
    // the same numbers as the CPU, up to rounding (nvcc may contract a*b+c into an FMA)
    const Json gpu = ag::explain::parse_json_text(r.out, "cuda");
    const Json cpu = ag::explain::parse_json_text(run_cli({"--json"}, kSwiglu).out, "cpu");
    explain_test::expect_close(explain_test::values_of(gpu["output"]),
                               explain_test::values_of(cpu["output"]), 1e-6, 1e-7, "output");
    for (const char* name : {"a", "b"}) {
      explain_test::expect_close(explain_test::values_of(gpu["grads"][name]),
                                 explain_test::values_of(cpu["grads"][name]), 1e-6, 1e-7, name);
    }
  } else {
    expect_one_line_error(r, {"CUDA"});
  }
}

TEST(ExplainSpec, output_has_the_documented_keys_in_order) {
  const CliResult r = run_cli({"--json"}, kSwiglu);
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = ag::explain::parse_json_text(r.out, "output");
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"op", "output", "grads"}));
  EXPECT_EQ(j["op"], "swiglu");
  EXPECT_EQ(j["output"]["shape"], Json::array({2}));
  EXPECT_EQ(j["grads"].size(), 2u);
  EXPECT_TRUE(j["grads"].contains("a"));
  EXPECT_TRUE(j["grads"].contains("b"));
  EXPECT_EQ(explain_test::line_count(r.out), 1u);
}

TEST(ExplainSpec, accepts_nested_data_scalars_and_python_non_finite_words) {
  // nested rows equal the flat row-major list
  const Json nested = explain_test::run_spec_json(Json::parse(
      R"({"op": "neg", "inputs": {"x": {"shape": [2, 2], "data": [[1, 2], [3, 4]]}}})"));
  EXPECT_EQ(explain_test::values_of(nested["output"]), (std::vector<double>{-1, -2, -3, -4}));
  // a 0-d tensor's data may be [v] or v
  const Json scalar = explain_test::run_spec_json(
      Json::parse(R"({"op": "exp", "inputs": {"x": {"shape": [], "data": 0}}})"));
  EXPECT_EQ(scalar["output"]["shape"], Json::array());
  EXPECT_EQ(explain_test::values_of(scalar["output"]), (std::vector<double>{1.0}));
  // Python's json.dumps writes -Infinity; the answer uses the same spelling
  const CliResult r = run_cli({"--json"}, R"({"op": "masked_fill",
      "inputs": {"x": {"shape": [3], "data": [1, NaN, 3]}, "mask": {"shape": [3], "data": [0, 0, 1]}},
      "params": {"value": -Infinity}})");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(R"("data": [1.0, NaN, -Infinity])"));
}

TEST(ExplainSpec, floats_are_written_in_their_shortest_form) {
  const Json j = explain_test::run_spec_json(
      Json::parse(R"({"op": "mul_scalar", "inputs": {"x": {"shape": [2], "data": [0.1, 3]}},
                      "params": {"scalar": 1}})"));
  // 0.1f is 0.100000001490116... as a double; the answer spells the float, 0.1
  EXPECT_EQ(ag::explain::dump_json(j["output"]["data"]), "[0.1, 3.0]");
}

TEST(ExplainSpec, parse_tensor_checks_shapes_directly) {
  using ag::explain::InputError;
  using ag::explain::parse_tensor;
  using ag::explain::ValueKind;
  const auto t = parse_tensor(tensor({2, 1}, {1.5, -2}), "t", ValueKind::Float);
  EXPECT_EQ(t.shape, (ag::Shape{2, 1}));
  EXPECT_EQ(t.values, (std::vector<float>{1.5f, -2.0f}));
  const auto idx = parse_tensor(tensor({2}, {3, 4.0}), "i", ValueKind::Index);
  EXPECT_EQ(idx.indices, (std::vector<int32_t>{3, 4}));
  EXPECT_THROW(parse_tensor(tensor({2}, {1}), "t", ValueKind::Float), InputError);
  EXPECT_THROW(parse_tensor(tensor({1}, {1e300}), "t", ValueKind::Float), InputError);
  EXPECT_THROW(parse_tensor(tensor({1}, {3e9}), "i", ValueKind::Index), InputError);
  EXPECT_THROW(
      parse_tensor(Json{{"shape", {1}}, {"data", {1}}, {"dtype", "f32"}}, "t", ValueKind::Float),
      InputError);
}

}  // namespace
