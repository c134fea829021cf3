// Tape mode (--tape): the nodes recorded for each tiny FFN, its gradients against a backward
// pass written out by hand in double, and the Graphviz file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/backend.h"
#include "core/tape.h"
#include "tests/tools/cli_helpers.h"
#include "tools/explain_cli/format.h"
#include "tools/explain_cli/tape.h"

namespace {

using ag::explain::run_tiny_ffn;
using ag::explain::TapeRun;
using explain_test::run_cli;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Mat = std::vector<double>;  // row-major

std::vector<std::string> ops_of(const TapeRun& run) {
  std::vector<std::string> ops;
  for (const auto& n : run.nodes) ops.push_back(n.op);
  return ops;
}

TEST(ExplainTape, nodes_are_recorded_in_execution_order) {
  using V = std::vector<std::string>;
  EXPECT_EQ(ops_of(run_tiny_ffn("swiglu", ag::Device::CPU)),
            (V{"matmul", "matmul", "swiglu", "matmul", "mul", "mean"}));
  EXPECT_EQ(ops_of(run_tiny_ffn("geglu", ag::Device::CPU)),
            (V{"matmul", "matmul", "geglu", "matmul", "mul", "mean"}));
  EXPECT_EQ(ops_of(run_tiny_ffn("swiglu_unfused", ag::Device::CPU)),
            (V{"matmul", "matmul", "silu", "mul", "matmul", "mul", "mean"}));
  EXPECT_EQ(ops_of(run_tiny_ffn("relu", ag::Device::CPU)),
            (V{"matmul", "add", "relu", "matmul", "add", "mul", "mean"}));
  EXPECT_EQ(ops_of(run_tiny_ffn("swish", ag::Device::CPU))[2], "swish");
  EXPECT_EQ(ops_of(run_tiny_ffn("gelu", ag::Device::CPU))[2], "gelu");
  // the swiglu node reads gate and up and writes h
  const TapeRun run = run_tiny_ffn("swiglu", ag::Device::CPU);
  const auto& node = run.nodes[2];
  ASSERT_EQ(node.inputs.size(), 2u);
  EXPECT_EQ(run.tensors[size_t(node.inputs[0])].name, "gate");
  EXPECT_EQ(run.tensors[size_t(node.inputs[1])].name, "up");
  EXPECT_EQ(run.tensors[size_t(node.output)].name, "h");
  EXPECT_EQ(run.tensors[size_t(node.output)].shape, (ag::Shape{2, 6}));
  // backward freed the tape: nothing is left behind for the next forward pass
  EXPECT_TRUE(ag::tape_nodes().empty());
}

Mat as_double(const std::vector<float>& v) {
  return Mat(v.begin(), v.end());
}

// [n, k] x [k, m]; with transpose flags for the backward products.
Mat matmul(const Mat& a, const Mat& b, int n, int k, int m, bool ta = false, bool tb = false) {
  Mat c(size_t(n * m), 0.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < m; ++j) {
      for (int q = 0; q < k; ++q) {
        const double av = ta ? a[size_t(q * n + i)] : a[size_t(i * k + q)];
        const double bv = tb ? b[size_t(j * k + q)] : b[size_t(q * m + j)];
        c[size_t(i * m + j)] += av * bv;
      }
    }
  }
  return c;
}

void expect_grad(const TapeRun& run, const std::string& name, const Mat& expected) {
  const auto& t = run.tensor(name);
  ASSERT_TRUE(t.has_grad) << name;
  explain_test::expect_close(as_double(t.grad), expected, 1e-5, 1e-7, "dL/d" + name);
}

// The swiglu block's backward, by hand: loss = mean(y^2), y = h W_down, h = silu(gate) * up,
// gate = x W_gate, up = x W_up.
TEST(ExplainTape, swiglu_gradients_match_a_hand_written_backward) {
  const TapeRun run = run_tiny_ffn("swiglu", ag::Device::CPU);
  const int T = 2, D = 4, H = 6;
  const Mat x = as_double(run.tensor("x").values);
  const Mat wg = as_double(run.tensor("W_gate").values);
  const Mat wu = as_double(run.tensor("W_up").values);
  const Mat wd = as_double(run.tensor("W_down").values);
  const Mat gate = matmul(x, wg, T, D, H), up = matmul(x, wu, T, D, H);
  Mat h(size_t(T * H)), silu(h.size()), dsilu(h.size());
  for (size_t i = 0; i < h.size(); ++i) {
    const double s = 1 / (1 + std::exp(-gate[i]));
    silu[i] = gate[i] * s;
    dsilu[i] = s * (1 + gate[i] * (1 - s));
    h[i] = silu[i] * up[i];
  }
  const Mat y = matmul(h, wd, T, H, D);
  double loss = 0;
  Mat dy(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    loss += y[i] * y[i] / double(y.size());
    dy[i] = 2 * y[i] / double(y.size());  // d mean(y^2) / dy
  }
  const Mat dwd = matmul(h, dy, H, T, D, true, false);  // h^T dy
  const Mat dh = matmul(dy, wd, T, D, H, false, true);  // dy W_down^T
  Mat dgate(dh.size()), dup(dh.size());
  for (size_t i = 0; i < dh.size(); ++i) {
    dgate[i] = dh[i] * up[i] * dsilu[i];
    dup[i] = dh[i] * silu[i];
  }
  const Mat dwg = matmul(x, dgate, D, T, H, true, false);
  const Mat dwu = matmul(x, dup, D, T, H, true, false);
  Mat dx = matmul(dgate, wg, T, H, D, false, true);
  const Mat dx_up = matmul(dup, wu, T, H, D, false, true);
  for (size_t i = 0; i < dx.size(); ++i) dx[i] += dx_up[i];

  EXPECT_NEAR(run.loss, loss, 1e-6 * loss);
  explain_test::expect_close(as_double(run.tensor("y").values), y, 1e-5, 1e-7, "y");
  expect_grad(run, "loss", {1.0});
  expect_grad(run, "y", dy);
  expect_grad(run, "h", dh);
  expect_grad(run, "gate", dgate);
  expect_grad(run, "up", dup);
  expect_grad(run, "W_down", dwd);
  expect_grad(run, "W_gate", dwg);
  expect_grad(run, "W_up", dwu);
  expect_grad(run, "x", dx);
}

TEST(ExplainTape, printout_lists_nodes_backward_rules_and_the_gradients_it_computed) {
  const auto r = run_cli({"--tape", "--ffn", "swiglu"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("6 nodes"));
  EXPECT_THAT(r.out, HasSubstr("2  swiglu  gate[2, 6], up[2, 6]"));
  EXPECT_THAT(r.out, HasSubstr("#2 swiglu  da = g * b * swish'(a)"));
  // the gradient lines carry the run's numbers
  const TapeRun run = run_tiny_ffn("swiglu", ag::Device::CPU);
  for (const char* name : {"W_down", "W_gate", "x"}) {
    const auto& t = run.tensor(name);
    const std::string expected = "dL/d" + t.name + ag::to_string(t.shape) + " ";
    EXPECT_THAT(r.out, HasSubstr(expected)) << name;
    EXPECT_THAT(r.out, HasSubstr(ag::explain::first_values(t.grad, 4))) << name;
  }
  const auto relu = run_cli({"--tape", "--ffn", "relu"});
  ASSERT_EQ(relu.code, 0);
  EXPECT_THAT(relu.out, HasSubstr("relu (#2): "));
}

TEST(ExplainTape, json_has_nodes_and_gradients) {
  const auto r = run_cli({"--tape", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = ag::explain::parse_json_text(r.out, "output");
  EXPECT_EQ(j["ffn"], "swiglu");
  ASSERT_EQ(j["nodes"].size(), 6u);
  EXPECT_EQ(j["nodes"][2]["op"], "swiglu");
  EXPECT_EQ(j["nodes"][2]["inputs"], explain_test::Json::parse(R"(["gate", "up"])"));
  bool saw_w_down = false;
  for (const auto& t : j["tensors"]) {
    if (t["name"] != "W_down") continue;
    saw_w_down = true;
    EXPECT_EQ(t["grad"].size(), 24u);
    EXPECT_TRUE(t["leaf"].get<bool>());
  }
  EXPECT_TRUE(saw_w_down);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(ExplainTape, dot_file_is_a_digraph_written_atomically) {
  const auto dir = explain_test::scratch_dir("dot");
  const auto path = dir / "tape.dot";
  const auto r = run_cli({"--tape", "--ffn", "all", "--dot", path.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string dot = read_file(path);
  EXPECT_THAT(dot, StartsWith("digraph"));
  EXPECT_EQ(std::count(dot.begin(), dot.end(), '{'), std::count(dot.begin(), dot.end(), '}'));
  for (const char* kind : {"relu", "swish", "gelu", "swiglu", "geglu"}) {
    EXPECT_THAT(dot, HasSubstr(std::string("label=\"") + kind + ": y = "));
  }
  EXPECT_THAT(dot, HasSubstr("label=\"#2 swiglu\""));
  EXPECT_THAT(dot, HasSubstr("W_down  [6, 4]"));
  // only the file itself is left: the temporary was renamed over it
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);
  std::filesystem::remove_all(dir);
}

TEST(ExplainTape, graphviz_renders_the_dot_file) {
  if (std::system("command -v dot > /dev/null 2>&1") != 0) GTEST_SKIP() << "graphviz not installed";
  const auto dir = explain_test::scratch_dir("render");
  const auto dot = dir / "tape.dot", png = dir / "tape.png";
  ASSERT_EQ(run_cli({"--tape", "--dot", dot.string()}).code, 0);
  const std::string cmd = "dot -Tpng '" + dot.string() + "' -o '" + png.string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_GT(std::filesystem::file_size(png), 1000u);
  std::filesystem::remove_all(dir);
}

TEST(ExplainTape, unwritable_dot_path_is_a_one_line_error) {
  const auto r = run_cli({"--tape", "--dot", "/nonexistent-dir/tape.dot"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("explain: cannot write '/nonexistent-dir/tape.dot'"));
  EXPECT_EQ(explain_test::line_count(r.err), 1u);
}

TEST(ExplainTape, cuda_tape_matches_cpu_or_is_one_line_error) {
  const auto r = run_cli({"--tape", "--device", "cuda", "--json"});
  if (!ag::cuda_available()) {
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(explain_test::line_count(r.err), 1u);
    return;
  }
  ASSERT_EQ(r.code, 0) << r.err;
  const TapeRun gpu = run_tiny_ffn("swiglu", ag::Device::CUDA);
  const TapeRun cpu = run_tiny_ffn("swiglu", ag::Device::CPU);
  EXPECT_EQ(ops_of(gpu), ops_of(cpu));
  explain_test::expect_close(as_double(gpu.tensor("W_gate").grad),
                             as_double(cpu.tensor("W_gate").grad), 1e-4, 1e-6, "dW_gate");
}

}  // namespace
