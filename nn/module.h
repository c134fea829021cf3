// Module: a named tree of parameters. Modules own their parameters as Tensor members and
// register them (and their child modules) by name, so optimizers, checkpoints and per-layer
// gradient norms can walk "encoder.ffn.w_gate.weight" and friends in a fixed order.
//
// Modules are neither copyable nor movable (registrations hold pointers to members): build
// them in place, e.g. std::make_unique<TransformerClassifier>(...).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ag::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every parameter with its dotted path, depth-first in registration order.
  std::vector<std::pair<std::string, Tensor*>> named_parameters();
  std::vector<Tensor*> parameters();
  // Direct children with their names (for per-layer statistics).
  const std::vector<std::pair<std::string, Module*>>& children() const { return children_; }

  int64_t parameter_count();
  void zero_grad();            // drops every parameter's gradient
  void train(bool on = true);  // recursive
  bool is_training() const { return training_; }
  // Moves every parameter (and registered buffer) to `device`; parameters stay leaves that
  // require a gradient.
  void to(Device device);
  Device device() const { return device_; }

 protected:
  // Registers a member tensor as a trainable parameter (sets requires_grad).
  void register_parameter(std::string name, Tensor& member);
  // Registers a member tensor that moves with the module but is not trained (e.g. a fixed
  // sinusoidal table).
  void register_buffer(std::string name, Tensor& member);
  void register_module(std::string name, Module& child);

 private:
  std::vector<std::pair<std::string, Tensor*>> params_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
  Device device_ = Device::CPU;
};

}  // namespace ag::nn
