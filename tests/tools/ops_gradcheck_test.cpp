// Every op of tools/explain, wired end to end: the gradients it reports equal central finite
// differences of L = sum(output * grad_output) computed from its own forward outputs. This checks
// the wiring (input names to the right arguments, params applied, grad_output used), not only
// the engine. Each explain op is an op of the op-case registry (tests/ops/op_case.h), and its
// finite differences use that op's gradcheck tolerances (step, Richardson, atol, rtol).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "core/backend.h"
#include "core/ops.h"
#include "tests/ops/parity.h"
#include "tests/ops/registry.h"
#include "tests/tools/cli_helpers.h"
#include "tests/tools/op_examples.h"
#include "tools/explain_cli/ops_table.h"

namespace {

using explain_test::Json;

// The answer's outputs, one Json tensor per output (one, or several for split).
std::vector<Json> outputs_of(const Json& answer) {
  if (answer.contains("outputs"))
    return std::vector<Json>(answer["outputs"].begin(), answer["outputs"].end());
  return {answer.at("output")};
}

// A deterministic, non-uniform upstream gradient for every output.
Json upstream_for(const std::vector<Json>& outputs) {
  Json grads = Json::array();
  int k = 0;
  for (const Json& y : outputs) {
    std::vector<double> g;
    for (size_t i = 0; i < y["data"].size(); ++i, ++k)
      g.push_back(0.5 + 0.25 * ((k * 7) % 5) - 0.6 * (k % 2));
    grads.push_back(Json{{"shape", y["shape"]}, {"data", g}});
  }
  return outputs.size() == 1 ? grads[0] : grads;
}

double weighted_sum(const std::vector<Json>& outputs, const Json& upstream) {
  double total = 0.0;
  for (size_t o = 0; o < outputs.size(); ++o) {
    const Json& g = outputs.size() == 1 ? upstream : upstream[o];
    for (size_t i = 0; i < outputs[o]["data"].size(); ++i) {
      total += outputs[o]["data"][i].get<double>() * g["data"][i].get<double>();
    }
  }
  return total;
}

TEST(ExplainOps, every_op_has_an_example) {
  for (const auto& entry : ag::explain::all_ops()) {
    EXPECT_TRUE(explain_test::op_examples().count(entry.name)) << "no example for " << entry.name;
  }
}

// The op of core/ops.h (as the registry names it) that an explain op calls, where the names
// differ.
std::string registry_op(const std::string& explain_name) {
  static const std::map<std::string, std::string> renamed = {
      {"add", "add(Tensor, Tensor)"},
      {"sub", "sub(Tensor, Tensor)"},
      {"mul", "mul(Tensor, Tensor)"},
      {"div", "div(Tensor, Tensor)"},
      {"add_scalar", "add(Tensor, float)"},
      {"sub_scalar", "sub(Tensor, float)"},
      {"rsub_scalar", "rsub"},
      {"mul_scalar", "mul(Tensor, float)"},
      {"div_scalar", "div(Tensor, float)"},
      {"split", "split(Tensor, vector<int64_t>, int64_t)"},
      {"sum", "sum(Tensor, vector<int64_t>, bool)"},
      {"mean", "mean(Tensor, vector<int64_t>, bool)"},
  };
  const auto it = renamed.find(explain_name);
  return it == renamed.end() ? explain_name : it->second;
}

TEST(ExplainOps, every_op_has_gradcheck_cases_in_the_op_registry) {
  for (const auto& entry : ag::explain::all_ops()) {
    EXPECT_NE(opcases::gradcheck_tolerance(registry_op(entry.name)), nullptr)
        << "explain's op " << entry.name << " (" << registry_op(entry.name)
        << ") has no gradcheck case in tests/ops: add one, or map its name in registry_op()";
  }
}

TEST(ExplainOps, gradients_match_finite_differences_for_every_op) {
  for (const auto& [name, text] : explain_test::op_examples()) {
    SCOPED_TRACE(name);
    const agtest::GradCheckOptions* tol = opcases::gradcheck_tolerance(registry_op(name));
    ASSERT_NE(tol, nullptr);
    Json spec = Json::parse(text);
    const Json first = explain_test::run_spec_json(spec);
    ASSERT_TRUE(first.contains("grads"));
    spec["grad_output"] = upstream_for(outputs_of(first));
    const Json answer = explain_test::run_spec_json(spec);

    ASSERT_FALSE(answer["grads"].empty());
    for (const auto& [input, grad] : answer["grads"].items()) {
      const Json& given = spec["inputs"][input];
      ASSERT_EQ(grad["shape"], given["shape"]) << input;
      for (size_t i = 0; i < given["data"].size(); ++i) {
        const double v = given["data"][i].get<double>();
        // The central difference with step h, divided by the step the float inputs really took.
        const auto difference = [&](double h) {
          Json plus = spec, minus = spec;
          plus["inputs"][input]["data"][i] = v + h;
          minus["inputs"][input]["data"][i] = v - h;
          return (weighted_sum(outputs_of(explain_test::run_spec_json(plus)), spec["grad_output"]) -
                  weighted_sum(outputs_of(explain_test::run_spec_json(minus)),
                               spec["grad_output"])) /
                 (double(float(v + h)) - double(float(v - h)));
        };
        double numeric = difference(tol->step);
        if (tol->richardson) numeric = (4.0 * difference(tol->step / 2) - numeric) / 3.0;
        const double analytic = grad["data"][i].get<double>();
        EXPECT_NEAR(analytic, numeric, tol->atol + tol->rtol * std::fabs(numeric))
            << "d/d" << input << "[" << i << "]";
      }
    }
  }
}

// explain --device cuda for every op: the same outputs and gradients as the CPU, the difference's
// norm within parity::kTol (1e-5) of the CPU tensor's norm (1e-5 absolute below norm 1; nvcc may
// contract a*b+c into an FMA where GCC does not, so bit equality is not expected); NaN at the
// same places.
TEST(ExplainOps, every_op_on_cuda_matches_the_cpu) {
  if (!ag::cuda_available()) GTEST_SKIP() << "no CUDA device (or CUDA backend not built)";
  auto expect_same = [](const Json& gpu, const Json& cpu, const std::string& what) {
    ASSERT_EQ(gpu["shape"], cpu["shape"]) << what;
    const std::vector<double> g = explain_test::values_of(gpu), c = explain_test::values_of(cpu);
    double diff = 0.0, norm = 0.0;
    for (size_t i = 0; i < c.size(); ++i) {
      if (std::isnan(c[i]) || std::isnan(g[i])) {
        EXPECT_EQ(std::isnan(c[i]), std::isnan(g[i])) << what << "[" << i << "]";
        continue;
      }
      diff += (g[i] - c[i]) * (g[i] - c[i]);
      norm += c[i] * c[i];
    }
    EXPECT_LE(std::sqrt(diff), parity::kTol * std::max(1.0, std::sqrt(norm))) << what;
  };
  for (const auto& [name, text] : explain_test::op_examples()) {
    SCOPED_TRACE(name);
    const Json spec = Json::parse(text);
    const Json cpu = explain_test::run_spec_json(spec);
    const Json gpu = explain_test::run_spec_json(spec, {"--device", "cuda"});
    const std::vector<Json> cpu_out = outputs_of(cpu), gpu_out = outputs_of(gpu);
    ASSERT_EQ(gpu_out.size(), cpu_out.size());
    for (size_t o = 0; o < cpu_out.size(); ++o)
      expect_same(gpu_out[o], cpu_out[o], "output " + std::to_string(o));
    ASSERT_EQ(gpu["grads"].size(), cpu["grads"].size());
    for (const auto& [input, grad] : cpu["grads"].items())
      expect_same(gpu["grads"][input], grad, "grad " + input);
  }
}

// The JSON output is bit-for-bit what the engine computes: floats are written in a form that
// reads back to the same float, so nothing is lost on the way out.
TEST(ExplainOps, json_output_reads_back_to_the_engines_exact_floats) {
  const std::vector<float> a = {0.3f, -1.2f, 0.7f, 1.5f, -0.4f, 2.1f};
  const std::vector<float> b = {1.1f, -0.6f, 0.4f, -2.0f, 0.9f, 0.3f};
  const std::vector<float> engine =
      ag::swiglu(ag::Tensor::from_vector(a, {2, 3}), ag::Tensor::from_vector(b, {2, 3}))
          .to_vector();
  const Json fused =
      explain_test::run_spec_json(Json{{"op", "swiglu"},
                                       {"inputs",
                                        {{"a", Json{{"shape", {2, 3}}, {"data", a}}},
                                         {"b", Json{{"shape", {2, 3}}, {"data", b}}}}}});
  ASSERT_EQ(fused["output"]["data"].size(), engine.size());
  for (size_t i = 0; i < engine.size(); ++i) {
    EXPECT_EQ(float(fused["output"]["data"][i].get<double>()), engine[i]) << i;
  }
}

}  // namespace
