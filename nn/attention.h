// Multi-head self-attention with a key-padding mask.
#pragma once

#include "nn/layers.h"

namespace ag::nn {

class MultiHeadSelfAttention : public Module {
 public:
  // Q, K, V come from one fused [d_model, 3 d_model] projection (Xavier uniform, zero bias, as
  // torch.nn.MultiheadAttention), then an output projection.
  MultiHeadSelfAttention(int64_t d_model, int64_t n_heads, float dropout, Generator& gen);

  // x [B, T, D]; key_padding_mask: float [B, T] with 1 for real tokens and 0 for padding, or
  // undefined for no mask. Padded keys get -inf scores (so zero attention weight). A sequence
  // whose keys are all padding has every score -inf: its softmax, and so its output rows, are
  // NaN (as in PyTorch). Inputs whose first token ([CLS]) is real never hit this.
  // `dropout_gen` drives attention-weight dropout when training.
  Tensor forward(const Tensor& x, const Tensor& key_padding_mask, Generator& dropout_gen) const;

  int64_t d_model, n_heads, head_dim;
  float dropout;
  Linear qkv;
  Linear out;
};

}  // namespace ag::nn
