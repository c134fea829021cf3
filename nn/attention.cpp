// Scaled dot-product self-attention over H heads:
//   [q k v] = x W_qkv + b_qkv,  A = softmax(q k^T / sqrt(Dh) + mask),  y = (A v) W_out + b_out
// with the key-padding mask adding -inf to the scores of padded keys.
#include "nn/attention.h"

#include <cmath>
#include <limits>

namespace ag::nn {

MultiHeadSelfAttention::MultiHeadSelfAttention(int64_t d_model_, int64_t n_heads_, float dropout_,
                                               Generator& gen)
    : d_model(d_model_),
      n_heads(n_heads_),
      head_dim(n_heads_ > 0 ? d_model_ / n_heads_ : 0),
      dropout(dropout_),
      qkv(d_model_, 3 * d_model_, gen, true, Init::XavierUniform),
      out(d_model_, d_model_, gen, true, Init::PyTorchDefault) {
  AG_CHECK(n_heads > 0 && d_model > 0 && d_model % n_heads == 0, "MultiHeadSelfAttention: d_model ",
           d_model, " must be a positive multiple of n_heads ", n_heads);
  AG_CHECK(dropout >= 0.0f && dropout < 1.0f,
           "MultiHeadSelfAttention: dropout must be in [0, 1), "
           "got ",
           dropout);
  // torch.nn.MultiheadAttention: out_proj keeps nn.Linear's weight init but a zero bias.
  fill_(out.bias, 0.0f);
  register_module("qkv", qkv);
  register_module("out", out);
}

Tensor MultiHeadSelfAttention::forward(const Tensor& x, const Tensor& key_padding_mask,
                                       Generator& dropout_gen) const {
  check_float(x, "MultiHeadSelfAttention", "x");
  AG_CHECK(x.ndim() == 3 && x.shape()[2] == d_model, "MultiHeadSelfAttention: x must be [B, T, ",
           d_model, "], got ", to_string(x.shape()));
  const int64_t B = x.shape()[0], T = x.shape()[1], H = n_heads, Dh = head_dim;

  // One projection, then each of q, k, v split out and laid out per head. k goes straight to
  // [B, H, Dh, T] so the score matmul needs no separate transpose.
  const std::vector<Tensor> parts = split(qkv.forward(x), d_model, -1);       // 3 x [B, T, D]
  const Tensor q = permute(reshape(parts[0], {B, T, H, Dh}), {0, 2, 1, 3});   // [B, H, T, Dh]
  const Tensor kt = permute(reshape(parts[1], {B, T, H, Dh}), {0, 2, 3, 1});  // [B, H, Dh, T]
  const Tensor v = permute(reshape(parts[2], {B, T, H, Dh}), {0, 2, 1, 3});   // [B, H, T, Dh]

  // 1/sqrt(Dh) is applied to q (B H T Dh values) rather than to the scores (B H T T).
  Tensor scores = matmul(mul(q, 1.0f / std::sqrt(float(Dh))), kt);  // [B, H, T, T]
  if (key_padding_mask.defined()) {
    check_float(key_padding_mask, "MultiHeadSelfAttention", "key_padding_mask");
    check_same_device(x, key_padding_mask, "MultiHeadSelfAttention");
    AG_CHECK(key_padding_mask.shape() == Shape({B, T}), "MultiHeadSelfAttention: key_padding_mask ",
             to_string(key_padding_mask.shape()), " must be [B, T] = [", B, ", ", T, "] for x ",
             to_string(x.shape()));
    // Nonzero where the key is padding. A query row whose keys are all padding gets -inf
    // everywhere and a NaN softmax (as in PyTorch); inputs with a real first token never do.
    const Tensor is_pad = reshape(rsub(1.0f, key_padding_mask.detach()), {B, 1, 1, T});
    scores = masked_fill(scores, is_pad, -std::numeric_limits<float>::infinity());
  }
  Tensor weights = softmax(scores, -1);
  weights = ag::dropout(weights, dropout, dropout_gen, is_training());
  const Tensor context = permute(matmul(weights, v), {0, 2, 1, 3});  // [B, T, H, Dh]
  return out.forward(reshape(context, {B, T, d_model}));
}

}  // namespace ag::nn
