#include "tools/bench/bench_train_step.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "core/backend.h"
#include "core/ops.h"
#include "core/timer.h"
#include "nn/optim.h"
#include "nn/transformer.h"

namespace {

using ag::Device;
using ag::Tensor;

struct Batch {
  Tensor ids, mask, labels;
};

// A batch shaped like SST-2 at max_len 32: token ids from the vocabulary, sentence lengths
// between 6 and 32 with padding after them, balanced labels.
Batch make_batch(ag::Generator& gen, int64_t batch, int64_t len, int64_t vocab, Device device) {
  std::vector<int32_t> ids(static_cast<size_t>(batch * len), 0), labels(static_cast<size_t>(batch));
  std::vector<float> mask(size_t(batch * len), 0.0f);
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t n = 6 + int64_t(gen.uniform() * float(len - 6));
    for (int64_t t = 0; t < n; ++t) {
      ids[size_t(i * len + t)] = 1000 + int32_t(gen.uniform() * float(vocab - 1001));
      mask[size_t(i * len + t)] = 1.0f;
    }
    labels[size_t(i)] = int32_t(i % 2);
  }
  return {Tensor::from_indices(ids, {batch, len}, device),
          Tensor::from_vector(mask, {batch, len}, device),
          Tensor::from_indices(labels, {batch}, device)};
}

struct StepResult {
  double median_ms = 0.0;
  int64_t launches = 0;  // queued on the device by the last step (0 on the CPU)
};

StepResult measure_steps(bool fused, ag::nn::FfnKind kind, Device device, int steps) {
  ag::nn::ClassifierConfig cfg;  // the runner's defaults: d 64, ffn 128, 4 heads, T 32
  cfg.ffn_kind = kind;
  cfg.fused_ffn = fused;
  ag::Generator init(0), dropout(1), data(2);
  auto model = std::make_unique<ag::nn::TransformerClassifier>(cfg, init);
  model->to(device);
  ag::nn::AdamW opt(model->named_parameters(), 1e-4f);
  const Batch batch = make_batch(data, 16, cfg.max_len, cfg.vocab_size, device);
  ag::DeviceTimer timer(device);
  std::vector<double> times;
  ag::Backend& backend = ag::backend(device);
  int64_t launches = 0;
  for (int s = 0; s < steps + 5; ++s) {  // 5 warm-up steps fill the allocator caches
    const int64_t launches_before = backend.launch_count();
    timer.start();
    opt.zero_grad();
    Tensor loss = ag::cross_entropy(model->forward(batch.ids, batch.mask, dropout), batch.labels);
    ag::backward(loss);
    opt.step();
    launches = backend.launch_count() - launches_before;  // before the timer's own event work
    const double ms = timer.stop_ms();
    if (s >= 5) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  return {times[times.size() / 2], launches};
}

}  // namespace

nlohmann::json bench_train_step(Device device, const std::string& device_name) {
  nlohmann::json out = nlohmann::json::array();
  const struct {
    ag::nn::FfnKind kind;
    bool fused;
    const char* path;
  } runs[] = {{ag::nn::FfnKind::SwiGLU, true, "fused"},
              {ag::nn::FfnKind::SwiGLU, false, "unfused"},
              {ag::nn::FfnKind::Relu, true, "-"},
              {ag::nn::FfnKind::Swish, true, "-"}};
  // On the emulated device a step's time is host threads running the CUDA code: printed to show
  // the step runs, never as a rate.
  const bool emulated = device == Device::CUDA && ag::cuda_emulated();
  const int steps = emulated ? 7 : 200;
  std::printf(
      "\nOne SST-2 training step (batch 16, 32 tokens, d 64, ffn 128, AdamW), median of "
      "%d steps\n",
      steps);
  if (emulated) std::printf("(cuda (emulated): host-thread times, not a GPU's; no steps/s)\n");
  const bool gpu = device == Device::CUDA;
  std::printf("%-8s %-8s %10s %10s%s\n", "ffn", "path", "step ms", "steps/s",
              gpu ? "   launches/step" : "");
  for (const auto& r : runs) {
    const StepResult res = measure_steps(r.fused, r.kind, device, steps);
    const double ms = res.median_ms;
    char rate[32] = "-";
    if (!emulated) std::snprintf(rate, sizeof(rate), "%.1f", 1000.0 / ms);
    std::printf("%-8s %-8s %10.3f %10s", ag::nn::ffn_kind_name(r.kind), r.path, ms, rate);
    if (gpu) std::printf(" %16lld", static_cast<long long>(res.launches));
    std::printf("\n");
    out.push_back(
        {{"device", ag::device_label(device)},
         {"device_name", device_name},
         {"ffn", ag::nn::ffn_kind_name(r.kind)},
         {"fused", r.fused},
         {"batch", 16},
         {"seq_len", 32},
         {"threads", device == Device::CPU ? ag::num_threads() : 0},
         {"emulated", emulated},
         {"step_ms", ms},
         {"steps_per_s", emulated ? nlohmann::json(nullptr) : nlohmann::json(1000.0 / ms)},
         {"launches_per_step", gpu ? nlohmann::json(res.launches) : nlohmann::json(nullptr)}});
  }
  return out;
}
