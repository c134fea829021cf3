// A Transformer encoder classifier: token embedding + positions -> N encoder layers ->
// pooling -> linear head. Knows nothing about any data set: it reads token ids and a mask.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/attention.h"
#include "nn/ffn.h"
#include "nn/layers.h"

namespace ag::nn {

class EncoderLayer : public Module {
 public:
  // norm_first (pre-LN, default): x + attn(ln1(x)), then x + ffn(ln2(x)).
  // post-LN (the original Transformer): ln1(x + attn(x)), then ln2(x + ffn(x)).
  EncoderLayer(int64_t d_model, int64_t n_heads, int64_t ffn_hidden, FfnKind ffn_kind,
               Generator& gen, float dropout, bool norm_first, bool fused_ffn);
  Tensor forward(const Tensor& x, const Tensor& key_padding_mask, Generator& dropout_gen) const;

  bool norm_first;
  float dropout;
  MultiHeadSelfAttention attn;
  FeedForward ffn;
  LayerNorm norm1, norm2;
};

enum class Pooling { Mean, Cls };
enum class PositionKind { Sinusoidal, Learned };

// The names every interface spells them with (the runner's flags and metrics, the Python API):
// "mean" / "cls", "learned" / "sinusoidal". parse_* throw ag::Error naming the choices.
const char* pooling_name(Pooling pooling);
Pooling parse_pooling(const std::string& name);
const char* position_kind_name(PositionKind kind);
PositionKind parse_position_kind(const std::string& name);

struct ClassifierConfig {
  int64_t vocab_size = 30522;
  int64_t max_len = 32;
  int64_t d_model = 64;
  int64_t n_heads = 4;
  int64_t n_layers = 1;
  int64_t ffn_hidden = 128;
  FfnKind ffn_kind = FfnKind::Relu;
  bool fused_ffn = true;
  bool norm_first = true;
  float dropout = 0.1f;
  Pooling pooling = Pooling::Mean;
  PositionKind positions = PositionKind::Learned;
  int64_t num_classes = 2;
  float embedding_std = 1.0f;  // token embedding init (PyTorch's nn.Embedding default)
};

// Parameter names: token_embedding.weight, positions.table (learned positions only),
// encoder.<i>.attn.{qkv,out}.{weight,bias}, encoder.<i>.ffn.{w1,w2}.{weight,bias} or
// encoder.<i>.ffn.{w_gate,w_up,w_down}.weight, encoder.<i>.norm{1,2}.{weight,bias},
// final_norm.{weight,bias} (pre-LN only), head.{weight,bias}. config.ffn_hidden goes to every
// FeedForward as is: pass matched_gated_hidden(h) yourself for a parameter-matched gated FFN.
class TransformerClassifier : public Module {
 public:
  TransformerClassifier(const ClassifierConfig& config, Generator& init_gen);

  // ids: int32 [B, T]; mask: float [B, T] (1 real, 0 padding) or undefined (no padding mask:
  // every position attends and is pooled). Returns logits [B, num_classes].
  Tensor forward(const Tensor& ids, const Tensor& mask, Generator& dropout_gen) const;

  ClassifierConfig config;
  Embedding token_embedding;
  std::unique_ptr<PositionalEncoding> positions;
  std::vector<std::unique_ptr<EncoderLayer>> layers;
  LayerNorm final_norm;  // applied after the last layer when norm_first (pre-LN needs it)
  Linear head;

  int64_t ffn_parameter_count();  // all FFN parameters across layers
};

}  // namespace ag::nn
