// Scaled dot-product self-attention over H heads:
//   [q k v] = x W_qkv + b_qkv,  A = softmax(q k^T / sqrt(Dh) + mask),  y = (A v) W_out + b_out
// with the key-padding mask adding -inf to the scores of padded keys.
#include "nn/attention.h"

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
  const int64_t B = x.shape()[0], T = x.shape()[1], H = n_heads;

  Tensor mask;
  if (key_padding_mask.defined()) {
    check_float(key_padding_mask, "MultiHeadSelfAttention", "key_padding_mask");
    check_same_device(x, key_padding_mask, "MultiHeadSelfAttention");
    AG_CHECK(key_padding_mask.shape() == Shape({B, T}), "MultiHeadSelfAttention: key_padding_mask ",
             to_string(key_padding_mask.shape()), " must be [B, T] = [", B, ", ", T, "] for x ",
             to_string(x.shape()));
    // 1 for a real key, 0 for padding. A query whose keys are all padding gets a NaN softmax
    // (as in PyTorch); inputs with a real first token never do.
    mask = key_padding_mask.detach();
  }
  // One projection, then the fused core (ag::attention): heads split, scores scaled by
  // 1/sqrt(Dh), padded keys masked, softmax, dropout of the weights, weights times v, heads
  // merged back to [B, T, D].
  const Tensor context =
      ag::attention(qkv.forward(x), mask, H, dropout, dropout_gen, is_training());
  return out.forward(context);
}

}  // namespace ag::nn
