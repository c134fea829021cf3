// --cuda-graph: the runner captures one training step as a CUDA graph and replays it for every
// full batch. The replayed run must be the eager run, bit for bit (same kernels in the same order
// on the same numbers): every step's logged loss and gradient norms, every epoch's figures, the
// predictions. On the emulated device of an AG_CUDA=EMULATE build this runs in CI. The CPU, and
// settings a captured step cannot honour, are refused with a message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/backend.h"
#include "core/device.h"
#include "experiments/runner/trainer.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using namespace sst2_test;

// The metrics without what legitimately differs: timings, memory, the launch counts and the
// flag itself.
Json comparable(Json run) {
  for (const char* key : {"timing", "peak_memory", "gpu", "config"}) run.erase(key);
  for (Json& e : run["epochs"]) e = without_timings(e);
  return run;
}

TEST(CudaGraph, replayed_steps_equal_the_eager_run_bit_for_bit) {
  if (!ag::cuda_available()) GTEST_SKIP() << "no CUDA device (or CUDA backend not built)";
  ScratchDir dir("cuda_graph");
  write_tiny_data(dir, 100, 24);  // batch 8: 12 full batches and a partial one of 4 per epoch
  const std::vector<std::string> common = {"--device", "cuda", "--ffn",    "relu,swish,swiglu",
                                           "--seeds",  "0",    "--epochs", "2"};
  ASSERT_EQ(run_sst2(tiny_args(dir, dir / "eager") + common), 0);
  ASSERT_EQ(
      run_sst2(tiny_args(dir, dir / "graph") + common + std::vector<std::string>{"--cuda-graph"}),
      0);
  for (const char* ffn : {"relu", "swish", "swiglu"}) {
    SCOPED_TRACE(ffn);
    const Json eager = read_json(sst2::metrics_path(dir / "eager", ffn, 0));
    const Json graph = read_json(sst2::metrics_path(dir / "graph", ffn, 0));
    EXPECT_EQ(graph["config"]["cuda_graph"], true);
    EXPECT_EQ(eager["config"]["cuda_graph"], false);
    ASSERT_GE(eager["steps"].size(), 12u);  // --log-every 2: 13 logged steps
    EXPECT_EQ(comparable(graph), comparable(eager));
    // One graph launch per replayed step, beside the two small uploads (AdamW's scalars and the
    // random shift); the graph holds what the eager step queues.
    const Json& g = graph["gpu"];
    EXPECT_EQ(g["cuda_graph"], true);
    EXPECT_EQ(g["graph_launches"], 1);
    EXPECT_EQ(g["kernels"], 0);
    EXPECT_EQ(g["library_calls"], 0);
    EXPECT_LE(g["launches_per_step"].get<int64_t>(), 3);
    EXPECT_EQ(g["captured_step"]["launches"], eager["gpu"]["launches_per_step"]);
    EXPECT_EQ(eager["gpu"]["cuda_graph"], false);
    EXPECT_EQ(eager["gpu"]["graph_launches"], 0);
  }
}

TEST(CudaGraph, settings_it_cannot_honour_are_refused) {
  ScratchDir dir("cuda_graph_refused");
  write_tiny_data(dir);
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--cuda-graph"}, "--cuda-graph: needs --device cuda"},
      {{"--cuda-graph", "--device", "cuda", "--optimizer", "sgd"}, "adamw only"},
      {{"--cuda-graph", "--device", "cuda", "--clip-grad-norm", "1"}, "--clip-grad-norm"}};
  for (const Case& c : cases) {
    std::string err;
    EXPECT_EQ(run_sst2(tiny_args(dir, dir / "out") + c.args, &err), 2) << c.says;
    EXPECT_NE(err.find(c.says), std::string::npos) << err;
  }
}

}  // namespace
