// Work queued on the CUDA device by one default training step (zero_grad, forward with dropout
// and the padding mask, cross entropy, backward, AdamW) of the runner's default model (d 64,
// 4 heads, 1 layer, FFN 128, batch 16 x 32 tokens), per FFN variant. On a GPU each queued item
// costs a launch overhead of microseconds however small it is, and for this model the overheads
// are most of the step: the ceiling below keeps new code from adding launches unnoticed.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "core/backend.h"
#include "nn/optim.h"
#include "nn/transformer.h"

namespace {

using ag::Device;
using ag::Tensor;
using namespace ag::nn;

// The most launches (kernels + library calls + memsets + copies) a default step may queue: the
// count reached so far (137 for relu and swish and 134 for swiglu before gradients shared their
// buffers and AdamW went multi-tensor). The target is 80, which needs fused kernels (attention
// scale, mask and softmax; bias and activation; layer norm's backward) not written yet.
constexpr int64_t kLaunchCeiling = 80;

ag::LaunchCounts count_one_step(FfnKind kind) {
  ClassifierConfig cfg;
  cfg.ffn_kind = kind;
  ag::Generator init(0), dropout(1);
  TransformerClassifier model(cfg, init);
  model.to(Device::CUDA);
  AdamW opt(model.named_parameters(), 1e-4);
  const int64_t B = 16, T = cfg.max_len;
  std::vector<int32_t> ids(size_t(B * T), 0);
  std::vector<int32_t> labels(static_cast<size_t>(B));
  std::vector<float> mask(size_t(B * T), 0.0f);
  for (int64_t i = 0; i < B; ++i) {
    const int64_t len = 6 + (i * 5) % (T - 6);  // lengths 6..31: padding in most rows
    for (int64_t t = 0; t < len; ++t) {
      ids[size_t(i * T + t)] = int32_t(1000 + 37 * i + t);
      mask[size_t(i * T + t)] = 1.0f;
    }
    labels[size_t(i)] = int32_t(i % 2);
  }
  const Tensor x = Tensor::from_indices(ids, {B, T}, Device::CUDA);
  const Tensor m = Tensor::from_vector(mask, {B, T}, Device::CUDA);
  const Tensor y = Tensor::from_indices(labels, {B}, Device::CUDA);
  ag::Backend& be = ag::backend(Device::CUDA);
  ag::LaunchCounts step;
  for (int s = 0; s < 3; ++s) {  // the first step creates the optimizer state: count the third
    const ag::LaunchCounts before = be.launch_counts();
    opt.zero_grad();
    Tensor loss = ag::cross_entropy(model.forward(x, m, dropout), y);
    ag::backward(loss);
    opt.step();
    const ag::LaunchCounts after = be.launch_counts();
    step.kernels = after.kernels - before.kernels;
    step.library = after.library - before.library;
    step.memsets = after.memsets - before.memsets;
    step.copies = after.copies - before.copies;
  }
  be.synchronize();
  return step;
}

class LaunchBudget : public ::testing::TestWithParam<FfnKind> {};

TEST_P(LaunchBudget, default_training_step_stays_under_the_ceiling) {
  if (!ag::cuda_available()) GTEST_SKIP() << "no CUDA device (or CUDA backend not built)";
  const ag::LaunchCounts c = count_one_step(GetParam());
  std::printf(
      "%s: %lld launches per step (kernels %lld, library %lld, memsets %lld, copies %lld)\n",
      ffn_kind_name(GetParam()), static_cast<long long>(c.total()),
      static_cast<long long>(c.kernels), static_cast<long long>(c.library),
      static_cast<long long>(c.memsets), static_cast<long long>(c.copies));
  EXPECT_LE(c.total(), kLaunchCeiling) << ffn_kind_name(GetParam());
  EXPECT_EQ(c.copies, 0) << "a training step copies nothing once its batch is on the device";
}

INSTANTIATE_TEST_SUITE_P(Variants, LaunchBudget,
                         ::testing::Values(FfnKind::Relu, FfnKind::Swish, FfnKind::SwiGLU),
                         [](const auto& info) { return std::string(ffn_kind_name(info.param)); });

}  // namespace
