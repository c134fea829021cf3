// Optimizers and gradient utilities over a module's named parameters.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/ops.h"

namespace ag::nn {

using NamedParams = std::vector<std::pair<std::string, Tensor*>>;

// The state an optimizer saves in a checkpoint: named tensors and a step counter.
struct OptimizerState {
  int64_t step = 0;
  std::vector<std::pair<std::string, Tensor>> tensors;  // e.g. "exp_avg/encoder.ffn.w1.weight"
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual void step() = 0;  // parameters without a gradient are skipped (like PyTorch)
  virtual OptimizerState state() const = 0;
  virtual void load_state(const OptimizerState& state) = 0;  // throws naming what mismatches
  void zero_grad();
  double lr = 0.0;  // double, like PyTorch's hyper-parameters (see make_adamw_step)

 protected:
  NamedParams params_;
};

// torch.optim.AdamW semantics: decoupled weight decay, bias correction, eps outside the sqrt.
class AdamW : public Optimizer {
 public:
  AdamW(NamedParams params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0.01);
  void step() override;
  OptimizerState state() const override;
  void load_state(const OptimizerState& state) override;
  double beta1, beta2, eps, weight_decay;

  // A step in two halves, for a step captured once and replayed as a graph: prepare_step()
  // counts the step and uploads its scalars (bias corrections, lr) to a buffer on `device`;
  // apply_prepared() queues the update reading them from there, so a replay of it takes each
  // step with that step's scalars. The two give exactly what step() gives. The moments must
  // exist before a capture: run one step() first.
  void prepare_step(Device device);
  void apply_prepared();

 private:
  void apply(const math::AdamWStep& s, const Tensor& device_step);
  int64_t t_ = 0;
  std::vector<Tensor> m_, v_;
  Tensor device_step_;  // F32 [7]: one math::AdamWStep
};

// torch.optim.SGD semantics (momentum buffer = gradient on the first step, dampening 0).
class Sgd : public Optimizer {
 public:
  Sgd(NamedParams params, double lr, double momentum = 0.9, double weight_decay = 0.0);
  void step() override;
  OptimizerState state() const override;
  void load_state(const OptimizerState& state) override;
  double momentum, weight_decay;

 private:
  int64_t t_ = 0;
  std::vector<Tensor> buf_;
};

// Global L2 norm of all gradients (synchronises once).
float global_grad_norm(const NamedParams& params);
// L2 norm per group, where a parameter's group is its name cut after `depth` dots
// ("encoder.0.ffn.w1.weight" with depth 3 -> "encoder.0.ffn").
std::map<std::string, float> grad_norms_by_prefix(const NamedParams& params, int depth);
// Scales gradients so their global norm is at most max_norm; returns the norm before clipping.
float clip_grad_norm(const NamedParams& params, float max_norm);

}  // namespace ag::nn
