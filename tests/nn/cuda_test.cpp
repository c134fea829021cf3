// The classifier, AdamW, gradient norms and checkpoints on CUDA against the same run on the CPU.
// Skipped where no GPU is present.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/backend.h"
#include "nn/checkpoint.h"
#include "nn/optim.h"
#include "nn/transformer.h"

namespace {

using ag::Device;
using ag::Generator;
using ag::Tensor;
using namespace ag::nn;

#define SKIP_WITHOUT_CUDA() \
  if (!ag::cuda_available()) GTEST_SKIP() << "no CUDA device (or CUDA backend not built)"

ClassifierConfig config_for(FfnKind kind, bool norm_first, Pooling pooling) {
  // dropout 0.1: counter-based dropout draws the same masks on both devices
  return {.vocab_size = 97,
          .max_len = 12,
          .d_model = 32,
          .n_heads = 4,
          .ffn_hidden = 48,
          .ffn_kind = kind,
          .norm_first = norm_first,
          .dropout = 0.1f,
          .pooling = pooling};
}

struct Inputs {
  Tensor ids, mask, labels;
  Inputs to(Device d) const { return {ids.to(d), mask.to(d), labels.to(d)}; }
};

Inputs make_inputs() {
  Generator gen(5);
  const int64_t B = 6, T = 12;
  std::vector<int32_t> ids(static_cast<size_t>(B * T), 0), labels(static_cast<size_t>(B));
  std::vector<float> mask(static_cast<size_t>(B * T), 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = 3 + b * 2 > T ? T : 3 + b * 2;
    for (int64_t t = 0; t < len; ++t) {
      ids[size_t(b * T + t)] = 1 + int32_t(gen.uniform() * 96.0f);
      mask[size_t(b * T + t)] = 1.0f;
    }
    labels[size_t(b)] = int32_t(b % 2);
  }
  return {Tensor::from_indices(ids, {B, T}), Tensor::from_vector(mask, {B, T}),
          Tensor::from_indices(labels, {B})};
}

// skip: elements not to compare (nonzero entries), or null.
void expect_close(const Tensor& cpu, const Tensor& gpu, double tol, const std::string& what,
                  const std::vector<float>* skip = nullptr) {
  const std::vector<float> a = cpu.to_vector(), b = gpu.to_vector();
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!skip || (*skip)[i] == 0.0f) {
      ASSERT_NEAR(a[i], b[i], tol * (1.0 + std::abs(a[i]))) << what << "[" << i << "]";
    }
  }
}

TEST(NnCuda, TrainingStepsMatchTheCpu) {
  SKIP_WITHOUT_CUDA();
  const Inputs cpu_in = make_inputs(), gpu_in = cpu_in.to(Device::CUDA);
  for (FfnKind kind : {FfnKind::Relu, FfnKind::Swish, FfnKind::SwiGLU}) {
    for (bool norm_first : {true, false}) {
      const ClassifierConfig cfg =
          config_for(kind, norm_first, norm_first ? Pooling::Mean : Pooling::Cls);
      SCOPED_TRACE(std::string(ffn_kind_name(kind)) + (norm_first ? " pre-LN" : " post-LN"));
      Generator init_a(1), init_b(1), drop_a(2), drop_b(2);
      TransformerClassifier cpu(cfg, init_a), gpu(cfg, init_b);
      gpu.to(Device::CUDA);
      ASSERT_EQ(gpu.device(), Device::CUDA);
      AdamW opt_cpu(cpu.named_parameters(), 1e-2f), opt_gpu(gpu.named_parameters(), 1e-2f);
      for (int step = 0; step < 3; ++step) {
        opt_cpu.zero_grad();
        opt_gpu.zero_grad();
        // One forward and its backward at a time: backward frees the thread's tape.
        const Tensor lc =
            ag::cross_entropy(cpu.forward(cpu_in.ids, cpu_in.mask, drop_a), cpu_in.labels);
        ag::backward(lc);
        const Tensor lg =
            ag::cross_entropy(gpu.forward(gpu_in.ids, gpu_in.mask, drop_b), gpu_in.labels);
        ag::backward(lg);
        EXPECT_NEAR(lc.item(), lg.item(), 1e-4 * (1.0 + std::abs(lc.item()))) << "step " << step;
        auto pc = cpu.named_parameters(), pg = gpu.named_parameters();
        for (size_t i = 0; i < pc.size(); ++i) {
          ASSERT_EQ(pg[i].second->device(), Device::CUDA) << pg[i].first;
          expect_close(pc[i].second->grad(), pg[i].second->grad(), 1e-3, pc[i].first + ".grad");
        }
        EXPECT_NEAR(global_grad_norm(pc), global_grad_norm(pg),
                    1e-3 * (1.0 + global_grad_norm(pc)));
        // Where the exact gradient is zero (the key projection's bias: softmax ignores a shift
        // shared by a row's scores) both devices hold rounding noise of ~1e-10, and AdamW's
        // first steps move such a weight by about lr * g / eps: the noise times 10^6. Those
        // elements are compared for their gradient (above), not for the update.
        std::vector<std::vector<float>> noise_only(pc.size());
        for (size_t i = 0; i < pc.size(); ++i)
          for (float g : pc[i].second->grad().to_vector())
            noise_only[i].push_back(std::abs(g) < 1e-6f ? 1.0f : 0.0f);
        opt_cpu.step();
        opt_gpu.step();
        for (size_t i = 0; i < pc.size(); ++i)
          expect_close(*pc[i].second, *pg[i].second, 1e-4, pc[i].first, &noise_only[i]);
      }
    }
  }
}

TEST(NnCuda, CheckpointsMoveBetweenDevices) {
  SKIP_WITHOUT_CUDA();
  const ClassifierConfig cfg = config_for(FfnKind::SwiGLU, true, Pooling::Mean);
  Generator init(1), other(2);
  TransformerClassifier gpu(cfg, init), cpu(cfg, other);
  gpu.to(Device::CUDA);
  AdamW opt(gpu.named_parameters(), 1e-2f);
  const Inputs in = make_inputs().to(Device::CUDA);
  Generator drop(3);
  ag::backward(ag::cross_entropy(gpu.forward(in.ids, in.mask, drop), in.labels));
  opt.step();
  Checkpoint ck;
  for (const auto& [name, p] : gpu.named_parameters()) ck.tensors.emplace_back(name, *p);
  for (const auto& [name, t] : opt.state().tensors) ck.tensors.emplace_back(name, t);
  const std::string path = ::testing::TempDir() + "/tapegrad_cuda_ckpt_test.ckpt";
  save_checkpoint(path, ck);
  const Checkpoint back = load_checkpoint(path);
  std::remove(path.c_str());
  restore_parameters(back.tensors, cpu.named_parameters());
  auto pc = cpu.named_parameters(), pg = gpu.named_parameters();
  for (size_t i = 0; i < pc.size(); ++i) {
    EXPECT_EQ(pc[i].second->device(), Device::CPU);
    EXPECT_EQ(pc[i].second->to_vector(), pg[i].second->to_vector()) << pc[i].first;
  }
  // And back onto the GPU: optimizer state loads onto the parameters' device.
  TransformerClassifier gpu2(cfg, other);
  gpu2.to(Device::CUDA);
  restore_parameters(back.tensors, gpu2.named_parameters());
  AdamW opt2(gpu2.named_parameters(), 1e-2f);
  OptimizerState st{opt.state().step, {}};
  for (const auto& [name, t] : back.tensors)
    if (name.rfind("exp_avg", 0) == 0) st.tensors.emplace_back(name, t);
  opt2.load_state(st);
  for (const auto& [name, t] : opt2.state().tensors) EXPECT_EQ(t.device(), Device::CUDA) << name;
}

}  // namespace
