// A training step on the CUDA backend makes no synchronising call: the host queues the step's
// whole work (zero_grad, forward, loss, backward, AdamW) and goes on while the device runs it.
// The emulated runtime counts every call that waits for the device (stream and device
// synchronisation, event waits, copies to pageable host memory), so a hidden .item() or
// to_vector() inside the step, which would stall a GPU each step, fails here.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/backend.h"
#include "cuda_runtime.h"
#include "nn/optim.h"
#include "nn/transformer.h"

namespace {

using ag::Device;
using ag::Tensor;
using namespace ag::nn;

// The runner's default model (dropout on) on the device, AdamW, and a batch of 4 with padding.
class StepSync : public ::testing::TestWithParam<FfnKind> {
 protected:
  void SetUp() override {
    if (!ag::cuda_available()) GTEST_SKIP() << "the emulated device is switched off";
    ClassifierConfig cfg;
    cfg.ffn_kind = GetParam();
    ag::Generator init(0);
    model = std::make_unique<TransformerClassifier>(cfg, init);
    model->to(Device::CUDA);
    opt = std::make_unique<AdamW>(model->named_parameters(), 1e-4);
    const int64_t B = 4, T = cfg.max_len;
    std::vector<int32_t> ids(size_t(B * T)), labels{0, 1, 1, 0};
    std::vector<float> mask(size_t(B * T), 0.0f);
    for (int64_t i = 0; i < B * T; ++i) {
      ids[size_t(i)] = int32_t(100 + i % 97);
      mask[size_t(i)] = i % T < 5 + 7 * (i / T) ? 1.0f : 0.0f;
    }
    x = Tensor::from_indices(ids, {B, T}, Device::CUDA);
    m = Tensor::from_vector(mask, {B, T}, Device::CUDA);
    y = Tensor::from_indices(labels, {B}, Device::CUDA);
  }
  // zero_grad, forward, loss, backward (the optimizer's half is the test's)
  Tensor queue_forward_backward() {
    opt->zero_grad();
    Tensor loss = ag::cross_entropy(model->forward(x, m, dropout), y);
    ag::backward(loss);
    return loss;
  }

  std::unique_ptr<TransformerClassifier> model;
  std::unique_ptr<AdamW> opt;
  ag::Generator dropout{1};
  Tensor x, m, y;
};

TEST_P(StepSync, a_training_step_never_waits_for_the_device) {
  for (int step = 0; step < 3; ++step) {
    const uint64_t before = cuda_emu::synchronizations();
    const Tensor loss = queue_forward_backward();
    opt->step();
    EXPECT_EQ(cuda_emu::synchronizations() - before, 0u) << "step " << step;
    if (step == 2) {  // reading the loss is the one wait, and it is counted
      (void)loss.item();
      EXPECT_GT(cuda_emu::synchronizations() - before, 0u);
    }
  }
}

// The same for a step captured as a graph: a replay (AdamW's scalars uploaded, the random shift
// moved, the graph launched) does not wait for the device either.
TEST_P(StepSync, a_replayed_graph_step_never_waits_for_the_device) {
  (void)queue_forward_backward();
  opt->step();  // creates the moments
  ag::Backend& be = ag::backend(Device::CUDA);
  opt->prepare_step(Device::CUDA);
  const uint64_t offset_at_capture = dropout.offset();
  be.begin_capture();
  (void)queue_forward_backward();
  opt->apply_prepared();
  std::shared_ptr<void> graph = be.end_capture();
  const uint64_t per_step = dropout.offset() - offset_at_capture;
  be.launch_graph(graph);
  for (int replay = 0; replay < 3; ++replay) {
    const uint64_t before = cuda_emu::synchronizations();
    opt->prepare_step(Device::CUDA);
    be.set_random_shift(dropout.offset() - offset_at_capture);
    (void)dropout.reserve(per_step);
    be.launch_graph(graph);
    EXPECT_EQ(cuda_emu::synchronizations() - before, 0u) << "replay " << replay;
  }
  be.synchronize();
  be.set_random_shift(0);
}

INSTANTIATE_TEST_SUITE_P(Variants, StepSync,
                         ::testing::Values(FfnKind::Relu, FfnKind::Swish, FfnKind::SwiGLU),
                         [](const auto& info) { return std::string(ffn_kind_name(info.param)); });

}  // namespace
