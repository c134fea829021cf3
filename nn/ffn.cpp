#include "nn/ffn.h"

#include <algorithm>
#include <cctype>

namespace ag::nn {

FfnKind parse_ffn_kind(const std::string& name) {
  std::string s = name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "relu") return FfnKind::Relu;
  if (s == "swish" || s == "silu") return FfnKind::Swish;
  if (s == "gelu") return FfnKind::Gelu;
  if (s == "swiglu") return FfnKind::SwiGLU;
  if (s == "geglu") return FfnKind::GeGLU;
  fail("unknown FFN kind '", name, "' (expected relu, swish, silu, gelu, swiglu or geglu)");
}

const char* ffn_kind_name(FfnKind kind) {
  switch (kind) {
    case FfnKind::Relu:
      return "relu";
    case FfnKind::Swish:
      return "swish";
    case FfnKind::Gelu:
      return "gelu";
    case FfnKind::SwiGLU:
      return "swiglu";
    case FfnKind::GeGLU:
      return "geglu";
  }
  return "unknown";
}

bool is_gated(FfnKind kind) {
  return kind == FfnKind::SwiGLU || kind == FfnKind::GeGLU;
}

int64_t matched_gated_hidden(int64_t hidden) {
  AG_CHECK(hidden > 0, "matched_gated_hidden: hidden must be positive, got ", hidden);
  // 2h/3 to the nearest multiple of 8 (at least 8): round(2h / 24) * 8 in integers.
  const int64_t eighths = (2 * hidden + 12) / 24;
  return std::max<int64_t>(1, eighths) * 8;
}

namespace {

// Sizes of the three projections of each variant; the other variant's slots stay 0 x 0 (empty,
// unregistered), so they own no memory and never reach an optimizer or a checkpoint.
int64_t if_plain(FfnKind kind, int64_t n) {
  return is_gated(kind) ? 0 : n;
}
int64_t if_gated(FfnKind kind, int64_t n) {
  return is_gated(kind) ? n : 0;
}

}  // namespace

FeedForward::FeedForward(int64_t d_model, int64_t hidden_, FfnKind kind_, Generator& gen,
                         float dropout_, bool fused_)
    : kind(kind_),
      hidden(hidden_),
      dropout(dropout_),
      fused(fused_),
      w1(if_plain(kind_, d_model), if_plain(kind_, hidden_), gen, true),
      w2(if_plain(kind_, hidden_), if_plain(kind_, d_model), gen, true),
      w_gate(if_gated(kind_, d_model), if_gated(kind_, hidden_), gen, false),
      w_up(if_gated(kind_, d_model), if_gated(kind_, hidden_), gen, false),
      w_down(if_gated(kind_, hidden_), if_gated(kind_, d_model), gen, false) {
  AG_CHECK(d_model > 0 && hidden > 0, "FeedForward: d_model and hidden must be positive, got ",
           d_model, ", ", hidden);
  AG_CHECK(dropout >= 0.0f && dropout < 1.0f, "FeedForward: dropout must be in [0, 1), got ",
           dropout);
  if (is_gated(kind)) {
    register_module("w_gate", w_gate);
    register_module("w_up", w_up);
    register_module("w_down", w_down);
  } else {
    register_module("w1", w1);
    register_module("w2", w2);
  }
}

Tensor FeedForward::forward(const Tensor& x, Generator& dropout_gen) const {
  Tensor pre, up, act;
  if (is_gated(kind)) {
    pre = w_gate.forward(x);
    up = w_up.forward(x);
    if (kind == FfnKind::SwiGLU) {
      act = fused ? swiglu(pre, up) : swiglu_unfused(pre, up);
    } else {
      act = fused ? geglu(pre, up) : mul(gelu(pre), up);
    }
  } else {
    pre = w1.forward(x);
    switch (kind) {
      case FfnKind::Relu:
        act = relu(pre);
        break;
      case FfnKind::Swish:
        act = silu(pre);
        break;
      case FfnKind::Gelu:
        act = gelu(pre);
        break;  // exact (erf) GELU, PyTorch's default
      default:
        fail("FeedForward: unhandled kind ", ffn_kind_name(kind));
    }
  }
  const Tensor dropped = ag::dropout(act, dropout, dropout_gen, is_training());
  Tensor y = is_gated(kind) ? w_down.forward(dropped) : w2.forward(dropped);
  if (capture) {
    // Fresh op outputs: detach() shares their memory, nothing is copied, and no later op
    // writes into them. `activation` is before dropout (what W2 reads in eval mode).
    last_probe.pre_activation = pre.detach();
    last_probe.up = up.defined() ? up.detach() : Tensor();
    last_probe.activation = act.detach();
    last_probe.output = y.detach();
  }
  return y;
}

}  // namespace ag::nn
