// Position-wise feed-forward blocks: the variants the experiment compares.
//   relu / swish / gelu:  y = W2 act(W1 x + b1) + b2
//   swiglu / geglu:       y = W_down (act(W_gate x) * (W_up x))       (no biases, as in LLaMA)
// SwiGLU uses the fused swiglu op by default and the unfused silu-then-mul path on request.
#pragma once

#include <string>

#include "nn/layers.h"

namespace ag::nn {

enum class FfnKind { Relu, Swish, Gelu, SwiGLU, GeGLU };

FfnKind parse_ffn_kind(const std::string& name);  // "relu", "swish" (or "silu"), ...
const char* ffn_kind_name(FfnKind kind);
bool is_gated(FfnKind kind);

// What the FFN computed on its last forward, kept (detached) when capture is on, for the
// runner's histograms and dead-unit statistics.
struct FfnProbe {
  Tensor pre_activation;  // non-gated: W1 x + b1; gated: the gate W_gate x
  Tensor up;              // gated only: W_up x
  Tensor activation;      // act(pre) (non-gated) or act(gate) * up (gated): what W2/W_down reads
                          // (taken before the FFN's dropout, so equal to it in eval mode)
  Tensor output;          // the block's output
};

class FeedForward : public Module {
 public:
  // hidden: the width of act(...) (for gated variants, of the gate and the up projections).
  FeedForward(int64_t d_model, int64_t hidden, FfnKind kind, Generator& gen, float dropout = 0.0f,
              bool fused = true);
  Tensor forward(const Tensor& x, Generator& dropout_gen) const;

  FfnKind kind;
  int64_t hidden;
  float dropout;
  bool fused;            // swiglu/geglu: one fused op (true) or act then mul (false)
  bool capture = false;  // record last_probe on each forward
  mutable FfnProbe last_probe;

  // non-gated
  Linear w1, w2;
  // gated (w_gate, w_up: [d, hidden] without bias; w_down: [hidden, d] without bias)
  Linear w_gate, w_up, w_down;
};

// Hidden width that gives a gated FFN the parameter count of a non-gated one of width `hidden`
// (3 d h' = 2 d h -> h' = 2h/3, rounded to a multiple of 8 for the kernels' sake).
int64_t matched_gated_hidden(int64_t hidden);

}  // namespace ag::nn
