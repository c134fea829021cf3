// validate(): the values of a resolved configuration and their combinations.
#include <set>

#include "experiments/runner/config.h"
#include "experiments/runner/size_limits.h"

namespace sst2 {

void validate(const RunConfig& c) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw UsageError(message);
  };
  require(!c.ffn.empty(), "--ffn: no variant given");
  require(std::set<ag::nn::FfnKind>(c.ffn.begin(), c.ffn.end()).size() == c.ffn.size(),
          "--ffn: a variant is listed twice");
  require(!c.seeds.empty(), "--seeds: no seed given");
  for (int64_t s : c.seeds)
    require(s >= 0, "--seeds: seeds must be >= 0, got " + std::to_string(s));
  require(std::set<int64_t>(c.seeds.begin(), c.seeds.end()).size() == c.seeds.size(),
          "--seeds: a seed is listed twice");
  require(c.epochs >= 1, "--epochs: must be >= 1");
  require(c.limit == -1 || c.limit >= 1, "--limit: must be >= 1 (or -1 for all)");
  require(c.dev_limit == -1 || c.dev_limit >= 1, "--dev-limit: must be >= 1 (or -1 for all)");
  require(c.max_len >= 2, "--max-len: must be >= 2 ([CLS] and [SEP])");
  require(c.d_model >= 1, "--d-model: must be >= 1");
  require(c.heads >= 1, "--heads: must be >= 1");
  require(c.d_model % c.heads == 0, "--heads: d_model " + std::to_string(c.d_model) +
                                        " is not divisible by " + std::to_string(c.heads) +
                                        " heads");
  require(c.layers >= 1, "--layers: must be >= 1");
  require(c.ffn_dim >= 1, "--ffn-dim: must be >= 1");
  require(c.dropout >= 0.0 && c.dropout < 1.0, "--dropout: must be in [0, 1)");
  require(c.batch >= 1, "--batch: must be >= 1");
  require(c.lr > 0.0, "--lr: must be > 0");
  require(c.weight_decay >= 0.0, "--weight-decay: must be >= 0");
  require(c.beta1 >= 0.0 && c.beta1 < 1.0, "--beta1: must be in [0, 1)");
  require(c.beta2 >= 0.0 && c.beta2 < 1.0, "--beta2: must be in [0, 1)");
  require(c.eps >= 0.0, "--eps: must be >= 0");
  require(c.momentum >= 0.0, "--momentum: must be >= 0");
  require(c.clip_grad_norm >= 0.0, "--clip-grad-norm: must be >= 0 (0 = off)");
  require(c.threads >= 0, "--threads: must be >= 0 (0 = all hardware threads)");
  require(!c.out.empty(), "--out: empty directory name");
  require(c.log_every >= 1, "--log-every: must be >= 1");
  require(c.eval_batch >= 1, "--eval-batch: must be >= 1");
  require(c.weight_noise_draws >= 0 && c.weight_noise_draws <= 1000,
          "--weight-noise-draws: must be from 0 to 1000");
  require(!c.cuda_graph || c.device == ag::Device::CUDA,
          "--cuda-graph: needs --device cuda (the CPU runs each op as it is called; there is no "
          "launch to save)");
  require(!c.cuda_graph || c.optimizer == OptimizerKind::AdamW,
          "--cuda-graph: supports --optimizer adamw only");
  require(!c.cuda_graph || !c.data_parallel,
          "--cuda-graph: not with --data-parallel yet (the gradient all-reduce runs between the "
          "backward and the update, outside what a graph holds)");
  require(!c.cuda_graph || c.clip_grad_norm == 0.0,
          "--cuda-graph: --clip-grad-norm reads the gradient norm back every step, which a "
          "captured step cannot do; leave clipping off");
  require(c.debug_nan_at_step >= 0, "--debug-nan-at-step: must be >= 0");
  for (const auto& f : c.eval_files) require(!f.empty(), "--eval-file: empty file name");
  check_tensor_sizes(c);
}
}  // namespace sst2
