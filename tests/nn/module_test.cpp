// Module bookkeeping (names, counts, train/eval, zero_grad) and the basic layers against
// hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "nn/ffn.h"
#include "nn/layers.h"
#include "nn/transformer.h"

namespace {

using ag::Generator;
using ag::Tensor;
using namespace ag::nn;

std::vector<std::string> names_of(Module& m) {
  std::vector<std::string> out;
  for (const auto& named : m.named_parameters()) out.push_back(named.first);
  return out;
}

void set_values(Tensor& t, const std::vector<float>& v) {
  ag::copy_(t, Tensor::from_vector(v, t.shape()));
}

// --- Linear --------------------------------------------------------------------------------

TEST(Linear, ParametersAndCount) {
  Generator gen(1);
  Linear with_bias(4, 3, gen);
  EXPECT_EQ(with_bias.parameter_count(), 15);  // 4 * 3 weights + 3 biases
  EXPECT_EQ(names_of(with_bias), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(with_bias.weight.shape(), (ag::Shape{4, 3}));
  EXPECT_TRUE(with_bias.weight.requires_grad());
  Linear no_bias(4, 3, gen, false);
  EXPECT_EQ(no_bias.parameter_count(), 12);
  EXPECT_EQ(names_of(no_bias), (std::vector<std::string>{"weight"}));
}

TEST(Linear, ForwardIsXTimesWPlusB) {
  Generator gen(1);
  Linear lin(3, 2, gen);
  set_values(lin.weight, {1, 2, 3, 4, 5, 6});  // [[1, 2], [3, 4], [5, 6]]
  set_values(lin.bias, {0.5f, -1});
  const Tensor x = Tensor::from_vector({1, 0, -1, 2, 1, 0}, {2, 3});
  // row 0: [1 - 5, 2 - 6] + b = [-3.5, -5];  row 1: [2 + 3, 4 + 4] + b = [5.5, 7]
  EXPECT_EQ(lin.forward(x).to_vector(), (std::vector<float>{-3.5f, -5, 5.5f, 7}));
  // [B, T, in] folds into rows; a 1-D input is one row.
  EXPECT_EQ(lin.forward(ag::reshape(x, {2, 1, 3})).shape(), (ag::Shape{2, 1, 2}));
  EXPECT_EQ(lin.forward(Tensor::from_vector({1, 0, -1}, {3})).to_vector(),
            (std::vector<float>{-3.5f, -5}));
  try {
    lin.forward(Tensor::zeros({2, 4}));
    ADD_FAILURE() << "no error for a wrong input size";
  } catch (const ag::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos) << e.what();
  }
}

// Uniform(-a, a) has variance a^2 / 3; 64K draws pin the bound to about 1%.
void expect_uniform(const Tensor& t, double bound, const char* what) {
  const std::vector<float> v = t.to_vector();
  double sq = 0.0, mx = 0.0;
  for (float x : v) {
    sq += double(x) * x;
    mx = std::max(mx, double(std::abs(x)));
  }
  EXPECT_LE(mx, bound) << what;
  EXPECT_GT(mx, 0.98 * bound) << what;
  EXPECT_NEAR(sq / double(v.size()), bound * bound / 3.0, 0.03 * bound * bound / 3.0) << what;
}

TEST(Linear, InitialisationsFollowTheirFormulas) {
  Generator gen(7);
  Linear def(256, 128, gen);  // 1/sqrt(256) = 0.0625 for weight and bias
  expect_uniform(def.weight, 0.0625, "default weight");
  for (float b : def.bias.to_vector()) EXPECT_LE(std::abs(b), 0.0625f);
  EXPECT_GT(ag::sum_squares(def.bias).item(), 0.0f);
  Linear xavier(256, 128, gen, true, Init::XavierUniform);  // sqrt(6 / 384) = 0.125
  expect_uniform(xavier.weight, 0.125, "xavier weight");
  EXPECT_EQ(ag::sum_squares(xavier.bias).item(), 0.0f);
  Linear kaiming(384, 128, gen, true, Init::KaimingUniform);  // sqrt(6 / 384) = 0.125
  expect_uniform(kaiming.weight, 0.125, "kaiming weight");
  EXPECT_EQ(ag::sum_squares(kaiming.bias).item(), 0.0f);
}

// --- Embedding, positions, LayerNorm -------------------------------------------------------

TEST(Embedding, NormalInitAndRowLookup) {
  Generator gen(3);
  Embedding emb(1000, 64, gen);  // N(0, 1)
  const std::vector<float> w = emb.weight.to_vector();
  double sum = 0, sq = 0;
  for (float x : w) {
    sum += x;
    sq += double(x) * x;
  }
  EXPECT_NEAR(sum / double(w.size()), 0.0, 0.02);
  EXPECT_NEAR(sq / double(w.size()), 1.0, 0.03);
  Embedding small(10, 2, gen, 0.5f);
  set_values(small.weight,
             {0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51, 60, 61, 70, 71, 80, 81, 90, 91});
  const Tensor ids = Tensor::from_indices({3, 0, 9, 3}, {2, 2});
  EXPECT_EQ(small.forward(ids).shape(), (ag::Shape{2, 2, 2}));
  EXPECT_EQ(small.forward(ids).to_vector(), (std::vector<float>{30, 31, 0, 1, 90, 91, 30, 31}));
  EXPECT_THROW(small.forward(Tensor::from_indices({10}, {1})), ag::Error);
}

TEST(Positions, SinusoidalTableAndForward) {
  SinusoidalPositionalEncoding pe(8, 4);
  EXPECT_EQ(pe.parameter_count(), 0);  // a buffer, not trained
  // PE[pos, 2i] = sin(pos / 10000^(2i/4)), PE[pos, 2i+1] = cos(the same)
  EXPECT_NEAR(pe.table.at({3, 0}), std::sin(3.0), 1e-6);
  EXPECT_NEAR(pe.table.at({3, 1}), std::cos(3.0), 1e-6);
  EXPECT_NEAR(pe.table.at({5, 2}), std::sin(5.0 / 100.0), 1e-6);
  EXPECT_NEAR(pe.table.at({5, 3}), std::cos(5.0 / 100.0), 1e-6);
  const Tensor x = Tensor::zeros({2, 3, 4});  // T = 3 < max_len: the first three rows
  const Tensor y = pe.forward(x);
  EXPECT_NEAR(y.at({1, 2, 0}), std::sin(2.0), 1e-6);
  EXPECT_NEAR(y.at({0, 1, 1}), std::cos(1.0), 1e-6);
  EXPECT_THROW(pe.forward(Tensor::zeros({1, 9, 4})), ag::Error);  // longer than max_len
  EXPECT_THROW(pe.forward(Tensor::zeros({1, 3, 5})), ag::Error);  // wrong feature size
}

TEST(Positions, LearnedTableIsAParameterAndGetsGradients) {
  Generator gen(5);
  LearnedPositionalEncoding pe(4, 3, gen);
  EXPECT_EQ(names_of(pe), (std::vector<std::string>{"table"}));
  for (float v : pe.table.to_vector()) EXPECT_LT(std::abs(v), 0.02f * 6);  // N(0, 0.02^2)
  const Tensor y = pe.forward(Tensor::ones({2, 2, 3}));                    // T = 2 of 4
  ag::backward(ag::sum(y));
  // d sum / d table: rows 0, 1 are added to both batch entries; rows 2, 3 unused.
  EXPECT_EQ(pe.table.grad().to_vector(), (std::vector<float>{2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0}));
}

TEST(LayerNormLayer, StartsAsPlainNormalisation) {
  LayerNorm ln(4);
  EXPECT_EQ(names_of(ln), (std::vector<std::string>{"weight", "bias"}));
  const std::vector<float> y = ln.forward(Tensor::from_vector({1, 2, 3, 4}, {1, 4})).to_vector();
  // mean 2.5, var 1.25: (x - 2.5) / sqrt(1.25 + 1e-5)
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(y[size_t(i)], (i + 1 - 2.5) / std::sqrt(1.25 + 1e-5), 1e-6);
}

// --- FFN -----------------------------------------------------------------------------------

TEST(FeedForwardConfig, KindsParseAndName) {
  EXPECT_EQ(parse_ffn_kind("relu"), FfnKind::Relu);
  EXPECT_EQ(parse_ffn_kind("swish"), FfnKind::Swish);
  EXPECT_EQ(parse_ffn_kind("SiLU"), FfnKind::Swish);
  EXPECT_EQ(parse_ffn_kind("gelu"), FfnKind::Gelu);
  EXPECT_EQ(parse_ffn_kind("swiglu"), FfnKind::SwiGLU);
  EXPECT_EQ(parse_ffn_kind("geglu"), FfnKind::GeGLU);
  for (FfnKind k : {FfnKind::Relu, FfnKind::Swish, FfnKind::Gelu, FfnKind::SwiGLU, FfnKind::GeGLU})
    EXPECT_EQ(parse_ffn_kind(ffn_kind_name(k)), k);
  EXPECT_TRUE(is_gated(FfnKind::SwiGLU));
  EXPECT_FALSE(is_gated(FfnKind::Swish));
  try {
    parse_ffn_kind("tanh");
    ADD_FAILURE() << "no error";
  } catch (const ag::Error& e) {
    EXPECT_NE(std::string(e.what()).find("tanh"), std::string::npos) << e.what();
  }
}

TEST(FeedForwardConfig, MatchedGatedHiddenAndParameterCounts) {
  // 2h/3 to the nearest multiple of 8: 128 -> 85.3 -> 88; 64 -> 42.7 -> 40; 1024 -> 682.7 -> 680.
  EXPECT_EQ(matched_gated_hidden(128), 88);
  EXPECT_EQ(matched_gated_hidden(64), 40);
  EXPECT_EQ(matched_gated_hidden(1024), 680);
  EXPECT_EQ(matched_gated_hidden(3), 8);  // never below one block of 8
  Generator gen(1);
  // d = 64, h = 128: w1 64*128 + 128, w2 128*64 + 64 = 16576
  FeedForward relu(64, 128, FfnKind::Relu, gen);
  EXPECT_EQ(relu.parameter_count(), 16576);
  EXPECT_EQ(names_of(relu),
            (std::vector<std::string>{"w1.weight", "w1.bias", "w2.weight", "w2.bias"}));
  // gated, h = 128: 3 * 64 * 128 = 24576; matched h = 88: 3 * 64 * 88 = 16896 (~16576)
  FeedForward swiglu(64, 128, FfnKind::SwiGLU, gen);
  EXPECT_EQ(swiglu.parameter_count(), 24576);
  EXPECT_EQ(names_of(swiglu),
            (std::vector<std::string>{"w_gate.weight", "w_up.weight", "w_down.weight"}));
  FeedForward matched(64, matched_gated_hidden(128), FfnKind::GeGLU, gen);
  EXPECT_EQ(matched.parameter_count(), 16896);
}

// The FFN formulas evaluated with plain loops from the layers' weights.
std::vector<float> ffn_reference(FeedForward& f, const std::vector<float>& x, int64_t rows,
                                 int64_t d) {
  const int64_t h = f.hidden;
  auto act = [&](double a) {
    switch (f.kind) {
      case FfnKind::Relu:
        return a > 0 ? a : 0.0;
      case FfnKind::Swish:
      case FfnKind::SwiGLU:
        return a / (1.0 + std::exp(-a));
      default:
        return 0.5 * a * (1.0 + std::erf(a / std::sqrt(2.0)));  // exact GELU
    }
  };
  const bool gated = is_gated(f.kind);
  const std::vector<float> wa = (gated ? f.w_gate : f.w1).weight.to_vector();
  const std::vector<float> wb = gated ? f.w_up.weight.to_vector() : std::vector<float>();
  const std::vector<float> wo = (gated ? f.w_down : f.w2).weight.to_vector();
  const std::vector<float> ba = gated ? std::vector<float>() : f.w1.bias.to_vector();
  const std::vector<float> bo = gated ? std::vector<float>() : f.w2.bias.to_vector();
  std::vector<float> y(size_t(rows * d));
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> hid(static_cast<size_t>(h));
    for (int64_t j = 0; j < h; ++j) {
      double a = gated ? 0.0 : ba[size_t(j)], b = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        a += double(x[size_t(r * d + k)]) * wa[size_t(k * h + j)];
        if (gated) b += double(x[size_t(r * d + k)]) * wb[size_t(k * h + j)];
      }
      hid[size_t(j)] = gated ? act(a) * b : act(a);
    }
    for (int64_t o = 0; o < d; ++o) {
      double s = gated ? 0.0 : bo[size_t(o)];
      for (int64_t j = 0; j < h; ++j) s += hid[size_t(j)] * wo[size_t(j * d + o)];
      y[size_t(r * d + o)] = float(s);
    }
  }
  return y;
}

TEST(FeedForwardForward, EveryKindMatchesItsFormula) {
  const int64_t d = 6, h = 10, rows = 5;
  Generator data(11);
  const Tensor x = Tensor::randn({1, rows, d}, data);
  for (FfnKind kind :
       {FfnKind::Relu, FfnKind::Swish, FfnKind::Gelu, FfnKind::SwiGLU, FfnKind::GeGLU}) {
    for (bool fused : {true, false}) {
      Generator gen(2), drop(3);
      FeedForward f(d, h, kind, gen, 0.0f, fused);
      const std::vector<float> y = f.forward(x, drop).to_vector();
      const std::vector<float> ref = ffn_reference(f, x.to_vector(), rows, d);
      for (size_t i = 0; i < y.size(); ++i)
        EXPECT_NEAR(y[i], ref[i], 1e-5)
            << ffn_kind_name(kind) << " fused " << fused << " [" << i << "]";
    }
  }
}

TEST(FeedForwardForward, CaptureKeepsDetachedIntermediates) {
  Generator gen(2), drop(3), data(4);
  FeedForward f(4, 8, FfnKind::SwiGLU, gen);
  const Tensor x = Tensor::randn({2, 3, 4}, data);
  f.forward(x, drop);
  EXPECT_FALSE(f.last_probe.pre_activation.defined());  // capture off: nothing kept
  f.capture = true;
  const Tensor y = f.forward(x, drop);
  const FfnProbe& p = f.last_probe;
  ASSERT_TRUE(p.pre_activation.defined() && p.up.defined() && p.activation.defined());
  EXPECT_EQ(p.pre_activation.shape(), (ag::Shape{2, 3, 8}));
  EXPECT_FALSE(p.activation.requires_grad());
  EXPECT_EQ(p.output.to_vector(), y.to_vector());
  EXPECT_EQ(p.pre_activation.to_vector(), f.w_gate.forward(x).to_vector());
  EXPECT_EQ(p.up.to_vector(), f.w_up.forward(x).to_vector());
  EXPECT_EQ(p.activation.to_vector(), ag::swiglu(p.pre_activation, p.up).to_vector());
  FeedForward relu(4, 8, FfnKind::Relu, gen);
  relu.capture = true;
  relu.forward(x, drop);
  EXPECT_FALSE(relu.last_probe.up.defined());  // only gated FFNs have an up projection
  for (float v : relu.last_probe.activation.to_vector()) EXPECT_GE(v, 0.0f);
}

TEST(TrainEval, DropoutOnlyWhileTraining) {
  Generator gen(2), data(4);
  FeedForward f(8, 16, FfnKind::Relu, gen, 0.5f);
  const Tensor x = Tensor::randn({4, 8}, data);
  Generator drop(9);
  ASSERT_TRUE(f.is_training());
  const std::vector<float> train_y = f.forward(x, drop).to_vector();
  EXPECT_GT(drop.offset(), 0u);  // a mask was drawn
  f.train(false);
  const uint64_t before = drop.offset();
  const std::vector<float> eval_y = f.forward(x, drop).to_vector();
  EXPECT_EQ(drop.offset(), before);  // no draws in eval mode
  EXPECT_NE(train_y, eval_y);
  Generator same_init(2);
  FeedForward no_drop(8, 16, FfnKind::Relu, same_init, 0.0f);
  EXPECT_EQ(eval_y, no_drop.forward(x, drop).to_vector());  // same weights, same seed
}

// --- the classifier's tree -----------------------------------------------------------------

TEST(Classifier, NamesOrderAndCountsOfTheDefaultModel) {
  Generator gen(0);
  ClassifierConfig cfg;  // vocab 30522, T 32, d 64, 4 heads, 1 layer, ffn 128, relu, pre-LN
  TransformerClassifier model(cfg, gen);
  const std::vector<std::string> expected = {"token_embedding.weight",
                                             "positions.table",
                                             "encoder.0.attn.qkv.weight",
                                             "encoder.0.attn.qkv.bias",
                                             "encoder.0.attn.out.weight",
                                             "encoder.0.attn.out.bias",
                                             "encoder.0.ffn.w1.weight",
                                             "encoder.0.ffn.w1.bias",
                                             "encoder.0.ffn.w2.weight",
                                             "encoder.0.ffn.w2.bias",
                                             "encoder.0.norm1.weight",
                                             "encoder.0.norm1.bias",
                                             "encoder.0.norm2.weight",
                                             "encoder.0.norm2.bias",
                                             "final_norm.weight",
                                             "final_norm.bias",
                                             "head.weight",
                                             "head.bias"};
  EXPECT_EQ(names_of(model), expected);
  // embedding 30522*64 = 1953408, positions 32*64 = 2048, qkv 64*192 + 192 = 12480,
  // out 64*64 + 64 = 4160, ffn 16576, norm1 + norm2 256, final norm 128, head 64*2 + 2 = 130
  EXPECT_EQ(model.parameter_count(), 1953408 + 2048 + 12480 + 4160 + 16576 + 256 + 128 + 130);
  EXPECT_EQ(model.ffn_parameter_count(), 16576);
  EXPECT_EQ(model.children().size(), 5u);

  cfg.ffn_kind = FfnKind::SwiGLU;
  cfg.ffn_hidden = matched_gated_hidden(128);
  cfg.n_layers = 2;
  cfg.norm_first = false;                    // post-LN: no final norm
  cfg.positions = PositionKind::Sinusoidal;  // a buffer: no positions parameter
  TransformerClassifier post(cfg, gen);
  const std::vector<std::string> names = names_of(post);
  EXPECT_EQ(names.front(), "token_embedding.weight");
  EXPECT_EQ(names[1], "encoder.0.attn.qkv.weight");
  EXPECT_EQ(std::count(names.begin(), names.end(), "encoder.1.ffn.w_gate.weight"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "final_norm.weight"), 0);
  EXPECT_EQ(post.ffn_parameter_count(), 2 * 16896);
  EXPECT_EQ(post.parameter_count(), 1953408 + 2 * (12480 + 4160 + 16896 + 256) + 130);
}

TEST(Classifier, TrainEvalReachesEveryModuleAndZeroGradDropsAll) {
  Generator gen(0), drop(1);
  const ClassifierConfig cfg = {
      .vocab_size = 20, .max_len = 6, .d_model = 8, .n_heads = 2, .n_layers = 2, .ffn_hidden = 16};
  TransformerClassifier model(cfg, gen);
  model.train(false);
  EXPECT_FALSE(model.layers[1]->ffn.is_training());
  EXPECT_FALSE(model.layers[0]->attn.qkv.is_training());
  model.train(true);
  EXPECT_TRUE(model.layers[1]->attn.is_training());

  const Tensor ids = Tensor::from_indices({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 6});
  const Tensor logits = model.forward(ids, Tensor(), drop);
  EXPECT_EQ(logits.shape(), (ag::Shape{2, 2}));
  ag::backward(ag::cross_entropy(logits, Tensor::from_indices({0, 1}, {2})));
  for (const auto& [name, p] : model.named_parameters())
    EXPECT_TRUE(p->grad().defined()) << name << " got no gradient";
  model.zero_grad();
  for (const auto& [name, p] : model.named_parameters()) EXPECT_FALSE(p->grad().defined()) << name;
  model.to(ag::Device::CPU);  // already there: a no-op that keeps parameters trainable
  for (const auto& [name, p] : model.named_parameters()) EXPECT_TRUE(p->requires_grad()) << name;
}

TEST(Classifier, BadInputsAreReported) {
  Generator gen(0), drop(1);
  ClassifierConfig cfg = {
      .vocab_size = 20, .max_len = 4, .d_model = 8, .n_heads = 2, .ffn_hidden = 16};
  TransformerClassifier model(cfg, gen);
  EXPECT_THROW(model.forward(Tensor::from_indices({1, 2, 3, 4, 5}, {1, 5}), Tensor(), drop),
               ag::Error);  // longer than max_len
  EXPECT_THROW(model.forward(Tensor::from_indices({1, 2}, {1, 2}), Tensor::ones({2, 1}), drop),
               ag::Error);                                                        // mask shape
  EXPECT_THROW(model.forward(Tensor::zeros({1, 2}), Tensor(), drop), ag::Error);  // float ids
  cfg.n_heads = 3;  // 8 is not a multiple of 3
  EXPECT_THROW(TransformerClassifier(cfg, gen), ag::Error);
}

}  // namespace
