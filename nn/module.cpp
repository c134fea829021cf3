#include "nn/module.h"

#include "core/error.h"

namespace ag::nn {

namespace {

std::string child_prefix(const std::string& prefix, const std::string& name) {
  return prefix + name + ".";
}

}  // namespace

std::vector<std::pair<std::string, Tensor*>> Module::named_parameters() {
  std::vector<std::pair<std::string, Tensor*>> out;
  // Depth-first, a module's own parameters before its children's. Every module registers
  // either tensors (Linear, LayerNorm ...) or children (blocks), so this is the registration
  // order in practice.
  struct Frame {
    Module* module;
    std::string prefix;
  };
  std::vector<Frame> stack{{this, ""}};
  while (!stack.empty()) {
    Frame f = std::move(stack.back());
    stack.pop_back();
    for (const auto& [name, tensor] : f.module->params_) out.emplace_back(f.prefix + name, tensor);
    const auto& kids = f.module->children_;
    for (auto it = kids.rbegin(); it != kids.rend(); ++it)  // reversed: first child pops first
      stack.push_back({it->second, child_prefix(f.prefix, it->first)});
  }
  return out;
}

std::vector<Tensor*> Module::parameters() {
  std::vector<Tensor*> out;
  for (const auto& named : named_parameters()) out.push_back(named.second);
  return out;
}

int64_t Module::parameter_count() {
  int64_t n = 0;
  for (const Tensor* p : parameters()) n += p->numel();
  return n;
}

void Module::zero_grad() {
  for (Tensor* p : parameters()) p->zero_grad();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& child : children_) child.second->train(on);
}

void Module::to(Device device) {
  for (auto& [name, p] : params_) {
    if (p->device() == device) continue;
    *p = p->to(device);  // a fresh leaf on `device`; the old gradient stays behind
    p->requires_grad_(true);
    p->set_name(name);
  }
  for (auto& [name, b] : buffers_) {
    if (b->defined() && b->device() != device) *b = b->to(device);
  }
  for (auto& child : children_) child.second->to(device);
  device_ = device;
}

void Module::register_parameter(std::string name, Tensor& member) {
  AG_CHECK(member.defined(), "register_parameter: '", name, "' is an undefined tensor");
  AG_CHECK(member.dtype() == DType::F32, "register_parameter: '", name, "' is ", member.describe(),
           "; parameters must be float32");
  for (const auto& existing : params_)
    AG_CHECK(existing.first != name, "register_parameter: '", name, "' registered twice");
  member.requires_grad_(true);
  member.set_name(name);
  params_.emplace_back(std::move(name), &member);
}

void Module::register_buffer(std::string name, Tensor& member) {
  for (const auto& existing : buffers_)
    AG_CHECK(existing.first != name, "register_buffer: '", name, "' registered twice");
  buffers_.emplace_back(std::move(name), &member);
}

void Module::register_module(std::string name, Module& child) {
  AG_CHECK(&child != this, "register_module: a module cannot be its own child ('", name, "')");
  for (const auto& existing : children_)
    AG_CHECK(existing.first != name, "register_module: '", name, "' registered twice");
  children_.emplace_back(std::move(name), &child);
}

}  // namespace ag::nn
