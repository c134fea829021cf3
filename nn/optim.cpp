#include "nn/optim.h"

#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>

#include "core/backend.h"

namespace ag::nn {

namespace {

void check_params(const NamedParams& params, const char* who) {
  std::set<std::string> seen;
  for (const auto& [name, p] : params) {
    AG_CHECK(p != nullptr && p->defined(), who, ": parameter '", name, "' is undefined");
    AG_CHECK(p->dtype() == DType::F32, who, ": parameter '", name, "' is ", p->describe(),
             "; only float32 tensors can be optimised");
    AG_CHECK(seen.insert(name).second, who, ": parameter name '", name, "' appears twice");
  }
}

// A fresh zero tensor shaped like p, on p's device.
Tensor zeros_like(const Tensor& p) {
  return Tensor::zeros(p.shape(), p.device());
}

// A copy of `src` (any device) with p's shape on p's device, so that loaded state never aliases
// the caller's tensors.
Tensor copy_for(const Tensor& p, const Tensor& src) {
  Tensor dst = Tensor::empty(p.shape(), p.device());
  copy_(dst, src);
  return dst;
}

// Validates `state` against the parameters for an optimizer whose per-parameter slots are named
// by `prefixes` ("exp_avg", ...), then fills `slots[k][i]` with the tensor "prefixes[k]/name_i"
// (undefined when absent). A parameter has all of its slots or none. Nothing is changed when
// validation fails.
void load_slots(const OptimizerState& state, const NamedParams& params,
                const std::vector<std::string>& prefixes, std::vector<std::vector<Tensor>*> slots,
                const char* who) {
  AG_CHECK(state.step >= 0, who, ": load_state: step count ", state.step, " is negative");
  std::unordered_map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : state.tensors) {
    AG_CHECK(by_name.emplace(name, &t).second, who, ": load_state: tensor '", name,
             "' appears twice");
  }
  std::vector<std::vector<Tensor>> loaded(prefixes.size(), std::vector<Tensor>(params.size()));
  size_t used = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& [pname, p] = params[i];
    size_t present = 0;
    for (size_t k = 0; k < prefixes.size(); ++k) {
      const std::string key = prefixes[k] + "/" + pname;
      const auto it = by_name.find(key);
      if (it == by_name.end()) continue;
      const Tensor& t = *it->second;
      AG_CHECK(t.defined(), who, ": load_state: '", key, "' is an undefined tensor");
      AG_CHECK(t.dtype() == DType::F32 && t.shape() == p->shape(), who, ": load_state: '", key,
               "' is ", t.describe(), " but parameter '", pname, "' is ", p->describe());
      loaded[k][i] = copy_for(*p, t);
      ++present;
    }
    AG_CHECK(present == 0 || present == prefixes.size(), who, ": load_state: parameter '", pname,
             "' has only ", present, " of its ", prefixes.size(), " state tensors");
    used += present;
  }
  if (used != by_name.size()) {
    for (const auto& [name, t] : state.tensors) {
      bool known = false;
      for (size_t k = 0; k < prefixes.size() && !known; ++k) {
        for (const auto& [pname, p] : params) known = known || name == prefixes[k] + "/" + pname;
      }
      AG_CHECK(known, who, ": load_state: tensor '", name,
               "' belongs to no parameter of this optimizer (expected names like '", prefixes[0],
               "/<parameter name>')");
    }
  }
  for (size_t k = 0; k < prefixes.size(); ++k) *slots[k] = std::move(loaded[k]);
}

}  // namespace

void Optimizer::zero_grad() {
  for (auto& named : params_) named.second->zero_grad();
}

// --- AdamW ---------------------------------------------------------------------------------

AdamW::AdamW(NamedParams params, double lr_, double beta1_, double beta2_, double eps_,
             double weight_decay_)
    : beta1(beta1_), beta2(beta2_), eps(eps_), weight_decay(weight_decay_) {
  check_params(params, "AdamW");
  AG_CHECK(lr_ >= 0.0f, "AdamW: lr must be >= 0, got ", lr_);
  AG_CHECK(beta1 >= 0.0f && beta1 < 1.0f && beta2 >= 0.0f && beta2 < 1.0f,
           "AdamW: betas must be in [0, 1), got ", beta1, ", ", beta2);
  AG_CHECK(eps >= 0.0f && weight_decay >= 0.0f, "AdamW: eps and weight_decay must be >= 0, got ",
           eps, ", ", weight_decay);
  lr = lr_;
  params_ = std::move(params);
  m_.resize(params_.size());
  v_.resize(params_.size());
}

void AdamW::step() {
  ++t_;
  apply(math::make_adamw_step(lr, beta1, beta2, eps, weight_decay, t_), Tensor());
}

void AdamW::prepare_step(Device device) {
  ++t_;
  const math::AdamWStep s = math::make_adamw_step(lr, beta1, beta2, eps, weight_decay, t_);
  std::vector<float> packed(7);
  static_assert(sizeof(s) == 7 * sizeof(float));
  std::memcpy(packed.data(), &s, sizeof(s));
  if (!device_step_.defined() || device_step_.device() != device) {
    device_step_ = Tensor::from_vector(packed, {7}, device);
  } else {
    backend(device).copy_from_host(device_step_.data(), packed.data(), sizeof(s));
  }
}

void AdamW::apply_prepared() {
  AG_CHECK(device_step_.defined(), "AdamW::apply_prepared: prepare_step() was never called");
  // The by-value scalars are those of the same step: the kernel reads the device's copy.
  apply(math::make_adamw_step(lr, beta1, beta2, eps, weight_decay, t_), device_step_);
}

void AdamW::apply(const math::AdamWStep& s, const Tensor& device_step) {
  // Grouped by device, each group in one call: one launch for the whole model on a GPU.
  std::map<Device, std::vector<size_t>> by_device;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = *params_[i].second;
    if (!p.grad().defined()) continue;
    if (!m_[i].defined()) {
      m_[i] = zeros_like(p);
      v_[i] = zeros_like(p);
    }
    by_device[p.device()].push_back(i);
  }
  for (const auto& [device, indices] : by_device) {
    std::vector<Tensor*> ps, ms, vs;
    std::vector<Tensor> gs;
    for (size_t i : indices) {
      ps.push_back(params_[i].second);
      gs.push_back(params_[i].second->grad());
      ms.push_back(&m_[i]);
      vs.push_back(&v_[i]);
    }
    const bool on_this_device = device_step.defined() && device_step.device() == device;
    adamw_step_many(ps, gs, ms, vs, s, on_this_device ? device_step : Tensor());
  }
}

OptimizerState AdamW::state() const {
  OptimizerState st;
  st.step = t_;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!m_[i].defined()) continue;
    st.tensors.emplace_back("exp_avg/" + params_[i].first, m_[i]);
    st.tensors.emplace_back("exp_avg_sq/" + params_[i].first, v_[i]);
  }
  return st;
}

void AdamW::load_state(const OptimizerState& state) {
  load_slots(state, params_, {"exp_avg", "exp_avg_sq"}, {&m_, &v_}, "AdamW");
  t_ = state.step;
}

// --- SGD -----------------------------------------------------------------------------------

Sgd::Sgd(NamedParams params, double lr_, double momentum_, double weight_decay_)
    : momentum(momentum_), weight_decay(weight_decay_) {
  check_params(params, "Sgd");
  AG_CHECK(lr_ >= 0.0f && momentum >= 0.0f && weight_decay >= 0.0f,
           "Sgd: lr, momentum and weight_decay must be >= 0, got ", lr_, ", ", momentum, ", ",
           weight_decay);
  lr = lr_;
  params_ = std::move(params);
  buf_.resize(params_.size());
}

void Sgd::step() {
  ++t_;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = *params_[i].second;
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    // PyTorch starts a parameter's momentum buffer at its first gradient. The kernel wants a
    // buffer even without momentum (it then never touches it).
    const bool first = !buf_[i].defined();
    if (first) buf_[i] = zeros_like(p);
    const math::SgdStep s{float(lr), float(momentum), float(weight_decay), first};
    sgd_step(p, g, buf_[i], s);
  }
}

OptimizerState Sgd::state() const {
  OptimizerState st;
  st.step = t_;
  if (momentum == 0.0f) return st;  // no buffers to keep (PyTorch keeps none either)
  for (size_t i = 0; i < params_.size(); ++i) {
    if (buf_[i].defined()) st.tensors.emplace_back("momentum_buffer/" + params_[i].first, buf_[i]);
  }
  return st;
}

void Sgd::load_state(const OptimizerState& state) {
  load_slots(state, params_, {"momentum_buffer"}, {&buf_}, "Sgd");
  t_ = state.step;
}

// --- gradient norms ------------------------------------------------------------------------

namespace {

// Sum of squares of every gradient in `params` that exists, as a one-element tensor on the
// device (undefined when no parameter has a gradient). No host synchronisation.
Tensor sum_squares_of_grads(const std::vector<const Tensor*>& params) {
  Tensor total;
  for (const Tensor* p : params) {
    const Tensor g = p->grad();
    if (!g.defined()) continue;
    const Tensor sq = sum_squares(g);
    total = total.defined() ? add(total, sq.to(total.device())) : sq;
  }
  return total;
}

std::vector<const Tensor*> all_of(const NamedParams& params) {
  std::vector<const Tensor*> out;
  for (const auto& named : params) out.push_back(named.second);
  return out;
}

}  // namespace

float global_grad_norm(const NamedParams& params) {
  NoGradGuard no_grad;
  const Tensor total = sum_squares_of_grads(all_of(params));
  return total.defined() ? std::sqrt(total.item()) : 0.0f;  // one host read
}

std::map<std::string, float> grad_norms_by_prefix(const NamedParams& params, int depth) {
  AG_CHECK(depth >= 1, "grad_norms_by_prefix: depth must be >= 1, got ", depth);
  NoGradGuard no_grad;
  std::map<std::string, std::vector<const Tensor*>> groups;
  for (const auto& [name, p] : params) {
    // The prefix before the depth-th dot; a name with fewer dots is its own group.
    size_t cut = std::string::npos, from = 0;
    for (int d = 0; d < depth; ++d) {
      cut = name.find('.', from);
      if (cut == std::string::npos) break;
      from = cut + 1;
    }
    groups[cut == std::string::npos ? name : name.substr(0, cut)].push_back(p);
  }
  // One device scalar per group, gathered into one tensor so the host reads once.
  std::vector<std::string> names;
  std::vector<Tensor> sums;
  std::map<std::string, float> out;
  for (const auto& [group, members] : groups) {
    const Tensor s = sum_squares_of_grads(members);
    if (!s.defined()) {
      out[group] = 0.0f;  // no gradient in the group
      continue;
    }
    names.push_back(group);
    sums.push_back(reshape(s, {1}));
  }
  if (!sums.empty()) {
    const Device device = sums[0].device();
    for (Tensor& s : sums) s = s.to(device);
    const std::vector<float> values = concat(sums, 0).to_vector();
    for (size_t i = 0; i < names.size(); ++i) out[names[i]] = std::sqrt(values[i]);
  }
  return out;
}

float clip_grad_norm(const NamedParams& params, float max_norm) {
  AG_CHECK(max_norm > 0.0f, "clip_grad_norm: max_norm must be positive, got ", max_norm);
  const float norm = global_grad_norm(params);
  // torch.nn.utils.clip_grad_norm_: coefficient max_norm / (norm + 1e-6), applied when < 1.
  // A non-finite norm leaves the gradients as they are; the caller sees it in the result.
  if (!std::isfinite(norm)) return norm;
  const float coef = max_norm / (norm + 1e-6f);
  if (coef >= 1.0f) return norm;
  for (const auto& named : params) {
    Tensor g = named.second->grad();
    if (g.defined()) scale_(g, coef);
  }
  return norm;
}

}  // namespace ag::nn
