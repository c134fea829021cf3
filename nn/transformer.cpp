#include "nn/transformer.h"

#include <string>
#include <utility>

#include "core/error.h"

namespace ag::nn {

namespace {

template <class E>
using Names = std::pair<E, const char*>[2];
constexpr Names<Pooling> kPoolingNames = {{Pooling::Mean, "mean"}, {Pooling::Cls, "cls"}};
constexpr Names<PositionKind> kPositionNames = {{PositionKind::Learned, "learned"},
                                                {PositionKind::Sinusoidal, "sinusoidal"}};

template <class E>
const char* name_in(const Names<E>& names, E value) {
  return names[0].first == value ? names[0].second : names[1].second;
}

template <class E>
E parse_in(const Names<E>& names, const std::string& name, const char* what) {
  for (const auto& [value, text] : names) {
    if (name == text) return value;
  }
  fail("unknown ", what, " '", name, "' (expected ", names[0].second, " or ", names[1].second, ")");
}

}  // namespace

const char* pooling_name(Pooling pooling) {
  return name_in(kPoolingNames, pooling);
}
Pooling parse_pooling(const std::string& name) {
  return parse_in(kPoolingNames, name, "pooling");
}
const char* position_kind_name(PositionKind kind) {
  return name_in(kPositionNames, kind);
}
PositionKind parse_position_kind(const std::string& name) {
  return parse_in(kPositionNames, name, "position encoding");
}

// --- EncoderLayer --------------------------------------------------------------------------

EncoderLayer::EncoderLayer(int64_t d_model, int64_t n_heads, int64_t ffn_hidden, FfnKind ffn_kind,
                           Generator& gen, float dropout_, bool norm_first_, bool fused_ffn)
    : norm_first(norm_first_),
      dropout(dropout_),
      attn(d_model, n_heads, dropout_, gen),
      ffn(d_model, ffn_hidden, ffn_kind, gen, dropout_, fused_ffn),
      norm1(d_model),
      norm2(d_model) {
  register_module("attn", attn);
  register_module("ffn", ffn);
  register_module("norm1", norm1);
  register_module("norm2", norm2);
}

Tensor EncoderLayer::forward(const Tensor& x, const Tensor& key_padding_mask,
                             Generator& dropout_gen) const {
  const bool training = is_training();
  // The residual branches get dropout before they are added back (as nn.TransformerEncoderLayer).
  auto branch = [&](const Tensor& t) { return ag::dropout(t, dropout, dropout_gen, training); };
  if (norm_first) {
    const Tensor h = add(x, branch(attn.forward(norm1.forward(x), key_padding_mask, dropout_gen)));
    return add(h, branch(ffn.forward(norm2.forward(h), dropout_gen)));
  }
  const Tensor h = norm1.forward(add(x, branch(attn.forward(x, key_padding_mask, dropout_gen))));
  return norm2.forward(add(h, branch(ffn.forward(h, dropout_gen))));
}

// --- TransformerClassifier -----------------------------------------------------------------

namespace {

const ClassifierConfig& checked(const ClassifierConfig& c) {
  AG_CHECK(c.vocab_size > 0 && c.max_len > 0 && c.d_model > 0 && c.n_layers >= 0 &&
               c.ffn_hidden > 0 && c.num_classes > 0,
           "TransformerClassifier: sizes must be positive (vocab ", c.vocab_size, ", max_len ",
           c.max_len, ", d_model ", c.d_model, ", n_layers ", c.n_layers, ", ffn_hidden ",
           c.ffn_hidden, ", num_classes ", c.num_classes, ")");
  AG_CHECK(c.dropout >= 0.0f && c.dropout < 1.0f,
           "TransformerClassifier: dropout must be in [0, 1), got ", c.dropout);
  return c;
}

}  // namespace

TransformerClassifier::TransformerClassifier(const ClassifierConfig& cfg, Generator& gen)
    : config(checked(cfg)),
      token_embedding(cfg.vocab_size, cfg.d_model, gen, cfg.embedding_std),
      final_norm(cfg.d_model),
      head(cfg.d_model, cfg.num_classes, gen, true, Init::PyTorchDefault) {
  if (cfg.positions == PositionKind::Learned) {
    positions = std::make_unique<LearnedPositionalEncoding>(cfg.max_len, cfg.d_model, gen);
  } else {
    positions = std::make_unique<SinusoidalPositionalEncoding>(cfg.max_len, cfg.d_model);
  }
  for (int64_t i = 0; i < cfg.n_layers; ++i) {
    layers.push_back(std::make_unique<EncoderLayer>(cfg.d_model, cfg.n_heads, cfg.ffn_hidden,
                                                    cfg.ffn_kind, gen, cfg.dropout, cfg.norm_first,
                                                    cfg.fused_ffn));
  }
  // Names: token_embedding.weight, positions.table, encoder.<i>.{attn,ffn,norm1,norm2}...,
  // final_norm.{weight,bias} (pre-LN only: post-LN never uses it), head.{weight,bias}.
  register_module("token_embedding", token_embedding);
  register_module("positions", *positions);
  for (size_t i = 0; i < layers.size(); ++i)
    register_module("encoder." + std::to_string(i), *layers[i]);
  if (cfg.norm_first) register_module("final_norm", final_norm);
  register_module("head", head);
}

Tensor TransformerClassifier::forward(const Tensor& ids, const Tensor& mask,
                                      Generator& dropout_gen) const {
  check_int(ids, "TransformerClassifier", "ids");
  AG_CHECK(ids.ndim() == 2, "TransformerClassifier: ids must be [B, T], got ",
           to_string(ids.shape()));
  const int64_t B = ids.shape()[0], T = ids.shape()[1];
  AG_CHECK(B > 0 && T > 0, "TransformerClassifier: empty batch ", to_string(ids.shape()));
  AG_CHECK(T <= config.max_len, "TransformerClassifier: sequence length ", T, " exceeds max_len ",
           config.max_len);
  Tensor m;  // the mask as data, outside the graph
  if (mask.defined()) {
    check_float(mask, "TransformerClassifier", "mask");
    check_same_device(ids, mask, "TransformerClassifier");
    AG_CHECK(mask.shape() == ids.shape(), "TransformerClassifier: mask ", to_string(mask.shape()),
             " must match ids ", to_string(ids.shape()));
    m = mask.detach();
  }

  Tensor x = positions->forward(token_embedding.forward(ids));
  x = dropout(x, config.dropout, dropout_gen, is_training());
  for (const auto& layer : layers) x = layer->forward(x, m, dropout_gen);

  const int64_t D = config.d_model;
  Tensor pooled;  // [B, D]
  if (config.pooling == Pooling::Cls) {
    pooled = reshape(slice(x, 1, 0, 1), {B, D});
    // Layer norm is per token, so normalising only the pooled token gives the same values.
    if (config.norm_first) pooled = final_norm.forward(pooled);
  } else {
    if (config.norm_first) x = final_norm.forward(x);
    if (m.defined()) {
      // Mean over real tokens as one batched matmul: [B, 1, T] weights mask / count times x.
      Tensor w;
      {
        NoGradGuard no_grad;
        w = div(m, sum(m, {1}, true));  // a row without real tokens divides by 0 -> NaN
      }
      pooled = reshape(matmul(reshape(w, {B, 1, T}), x), {B, D});
    } else {
      pooled = mean(x, {1});
    }
  }
  return head.forward(pooled);
}

int64_t TransformerClassifier::ffn_parameter_count() {
  int64_t n = 0;
  for (auto& layer : layers) n += layer->ffn.parameter_count();
  return n;
}

}  // namespace ag::nn
