// The whole classifier: finite-difference gradients, padding invariance, overfitting a small
// batch, and fused vs unfused SwiGLU training curves.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/optim.h"
#include "nn/transformer.h"

namespace {

using ag::Generator;
using ag::Tensor;
using namespace ag::nn;

ClassifierConfig small_config() {
  return {.vocab_size = 13,
          .max_len = 6,
          .d_model = 8,
          .n_heads = 2,
          .ffn_hidden = 12,
          .dropout = 0.0f};
}

struct Batch {
  Tensor ids, mask, labels;
};

// Random tokens in [1, vocab) with lengths in [min_len, T] (padding id 0 after them); the first
// sequence has full length. Labels uniform in {0, 1}.
Batch random_batch(Generator& gen, int64_t B, int64_t T, int64_t vocab, int64_t min_len) {
  std::vector<int32_t> ids(static_cast<size_t>(B * T), 0), labels(static_cast<size_t>(B));
  std::vector<float> mask(size_t(B * T), 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = b == 0 ? T : min_len + int64_t(gen.uniform() * float(T - min_len + 1));
    for (int64_t t = 0; t < std::min(len, T); ++t) {
      ids[size_t(b * T + t)] = 1 + int32_t(gen.uniform() * float(vocab - 1));
      mask[size_t(b * T + t)] = 1.0f;
    }
    labels[size_t(b)] = gen.uniform() < 0.5f ? 0 : 1;
  }
  return {Tensor::from_indices(ids, {B, T}), Tensor::from_vector(mask, {B, T}),
          Tensor::from_indices(labels, {B})};
}

std::string describe(const ClassifierConfig& c) {
  return std::string(c.norm_first ? "pre-LN" : "post-LN") +
         (c.pooling == Pooling::Mean ? " mean" : " cls") + " " + ffn_kind_name(c.ffn_kind) +
         (c.positions == PositionKind::Learned ? " learned" : " sinusoidal") + " layers " +
         std::to_string(c.n_layers);
}

// --- finite differences --------------------------------------------------------------------

// L = sum_{b,c} coef[b, c] logits[b, c], accumulated in double on the host.
double weighted_logits(TransformerClassifier& model, const Batch& batch,
                       const std::vector<float>& coef) {
  Generator drop(0);
  ag::NoGradGuard no_grad;
  const std::vector<float> logits = model.forward(batch.ids, batch.mask, drop).to_vector();
  double s = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) s += double(coef[i]) * logits[i];
  return s;
}

void gradient_check(const ClassifierConfig& cfg) {
  SCOPED_TRACE(describe(cfg));
  Generator init(21), data(22), pick(23);
  TransformerClassifier model(cfg, init);
  // Three sequences with 6, 4 and 2 real tokens: padded positions in two of them.
  Batch batch = random_batch(data, 3, cfg.max_len, cfg.vocab_size, 2);
  batch.mask =
      Tensor::from_vector({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0}, {3, cfg.max_len});
  std::vector<float> coef(size_t(3 * cfg.num_classes));
  for (float& c : coef) c = data.uniform() * 2.0f - 1.0f;

  Generator drop(0);
  ag::backward(model.forward(batch.ids, batch.mask, drop),
               Tensor::from_vector(coef, {3, cfg.num_classes}));

  const std::vector<int32_t> ids = batch.ids.to_int_vector();
  int checked = 0;
  for (auto& [name, p] : model.named_parameters()) {
    ASSERT_TRUE(p->grad().defined()) << name;
    const std::vector<float> grad = p->grad().to_vector();
    for (int k = 0; k < 5; ++k) {
      int64_t i = int64_t(pick.uniform() * float(p->numel())) % p->numel();
      if (name == "token_embedding.weight") {  // an entry of a row the batch uses
        const int64_t row = ids[size_t(pick.uniform() * float(ids.size())) % ids.size()];
        i = row * cfg.d_model + int64_t(pick.uniform() * float(cfg.d_model)) % cfg.d_model;
      }
      float* v = p->data() + i;
      const float orig = *v;
      const float h = 5e-3f * std::max(1.0f, std::abs(orig));
      *v = orig + h;
      const float up = *v;
      const double l_up = weighted_logits(model, batch, coef);
      *v = orig - h;
      const float down = *v;
      const double l_down = weighted_logits(model, batch, coef);
      *v = orig;
      const double fd = (l_up - l_down) / (double(up) - double(down));
      const double an = grad[size_t(i)];
      EXPECT_NEAR(an, fd, 2e-4 + 2e-3 * std::abs(fd)) << name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GE(checked, 5 * 14);
}

TEST(ClassifierGradients, PreLnMeanPoolingSwiGLU) {
  ClassifierConfig c = small_config();
  c.ffn_kind = FfnKind::SwiGLU;
  gradient_check(c);
}

TEST(ClassifierGradients, PreLnClsPoolingGeluSinusoidalTwoLayers) {
  ClassifierConfig c = small_config();
  c.pooling = Pooling::Cls;
  c.ffn_kind = FfnKind::Gelu;
  c.positions = PositionKind::Sinusoidal;
  c.n_layers = 2;
  gradient_check(c);
}

TEST(ClassifierGradients, PostLnMeanPoolingSwish) {
  ClassifierConfig c = small_config();
  c.norm_first = false;
  c.ffn_kind = FfnKind::Swish;
  gradient_check(c);
}

TEST(ClassifierGradients, PostLnClsPoolingGeGLUUnfused) {
  ClassifierConfig c = small_config();
  c.norm_first = false;
  c.pooling = Pooling::Cls;
  c.ffn_kind = FfnKind::GeGLU;
  c.fused_ffn = false;
  gradient_check(c);
}

// --- padding -------------------------------------------------------------------------------

TEST(ClassifierMask, PaddedTokensDoNotChangeTheLogits) {
  for (bool norm_first : {true, false}) {
    for (Pooling pooling : {Pooling::Mean, Pooling::Cls}) {
      ClassifierConfig cfg = small_config();
      cfg.norm_first = norm_first;
      cfg.pooling = pooling;
      cfg.n_layers = 2;
      cfg.dropout = 0.3f;
      SCOPED_TRACE(describe(cfg));
      Generator init(1), data(2);
      TransformerClassifier model(cfg, init);
      model.train(false);
      const Batch batch = random_batch(data, 4, cfg.max_len, cfg.vocab_size, 2);
      std::vector<int32_t> other = batch.ids.to_int_vector();
      const std::vector<float> mask = batch.mask.to_vector();
      int padded = 0;
      for (size_t i = 0; i < other.size(); ++i) {
        if (mask[i] == 0.0f) {
          other[i] = int32_t(1 + (other[i] + 5 + int32_t(i)) % (cfg.vocab_size - 1));
          ++padded;
        }
      }
      ASSERT_GT(padded, 0);
      const Tensor other_ids = Tensor::from_indices(other, batch.ids.shape());
      Generator drop(3);
      const std::vector<float> a = model.forward(batch.ids, batch.mask, drop).to_vector();
      const std::vector<float> b = model.forward(other_ids, batch.mask, drop).to_vector();
      for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << i;
      // Without the mask the padded tokens are read: the same change moves the logits.
      const std::vector<float> c = model.forward(batch.ids, Tensor(), drop).to_vector();
      const std::vector<float> d = model.forward(other_ids, Tensor(), drop).to_vector();
      double diff = 0.0;
      for (size_t i = 0; i < c.size(); ++i) diff += std::abs(c[i] - d[i]);
      EXPECT_GT(diff, 1e-4);
    }
  }
}

TEST(ClassifierMask, MeanPoolingAveragesOnlyRealTokens) {
  // With no layers, mean pooling of pre-LN is final_norm(embedding + position) averaged over
  // the real tokens; a sequence of length 2 padded to 6 must equal the same 2 tokens alone.
  ClassifierConfig cfg = small_config();
  cfg.n_layers = 0;
  Generator init(1), drop(3);
  TransformerClassifier model(cfg, init);
  const Tensor padded = Tensor::from_indices({4, 7, 0, 0, 0, 0}, {1, 6});
  const Tensor mask = Tensor::from_vector({1, 1, 0, 0, 0, 0}, {1, 6});
  const Tensor alone = Tensor::from_indices({4, 7}, {1, 2});
  const std::vector<float> a = model.forward(padded, mask, drop).to_vector();
  const std::vector<float> b = model.forward(alone, Tensor(), drop).to_vector();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << i;
}

// --- training ------------------------------------------------------------------------------

float accuracy(TransformerClassifier& model, const Batch& batch) {
  ag::NoGradGuard no_grad;
  Generator drop(0);
  model.train(false);
  const std::vector<int32_t> pred =
      ag::argmax(model.forward(batch.ids, batch.mask, drop)).to_int_vector();
  model.train(true);
  const std::vector<int32_t> labels = batch.labels.to_int_vector();
  int right = 0;
  for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == labels[i];
  return float(right) / float(pred.size());
}

void expect_overfits(FfnKind kind) {
  const ClassifierConfig cfg = {.vocab_size = 50,
                                .max_len = 8,
                                .d_model = 16,
                                .n_heads = 2,
                                .ffn_hidden = 32,
                                .ffn_kind = kind,
                                .dropout = 0.0f};
  SCOPED_TRACE(ffn_kind_name(kind));
  Generator init(100), data(101), drop(102);
  TransformerClassifier model(cfg, init);
  const Batch batch = random_batch(data, 32, cfg.max_len, cfg.vocab_size, 3);
  AdamW opt(model.named_parameters(), 1e-2f);
  const float start = accuracy(model, batch);
  constexpr int kMaxSteps = 300;
  int steps = 0;
  float acc = start;
  while (steps < kMaxSteps && acc < 0.95f) {
    for (int s = 0; s < 10; ++s, ++steps) {
      opt.zero_grad();
      ag::backward(ag::cross_entropy(model.forward(batch.ids, batch.mask, drop), batch.labels));
      opt.step();
    }
    acc = accuracy(model, batch);
  }
  std::printf("  %s: train accuracy %.3f -> %.3f after %d steps\n", ffn_kind_name(kind), start, acc,
              steps);
  EXPECT_GE(acc, 0.95f) << "after " << steps << " steps";
}

TEST(ClassifierTraining, OverfitsRandomLabelsRelu) {
  expect_overfits(FfnKind::Relu);
}
TEST(ClassifierTraining, OverfitsRandomLabelsSwish) {
  expect_overfits(FfnKind::Swish);
}
TEST(ClassifierTraining, OverfitsRandomLabelsSwiGLU) {
  expect_overfits(FfnKind::SwiGLU);
}

TEST(ClassifierTraining, FusedAndUnfusedSwiGLUGiveTheSameLossCurve) {
  std::vector<float> losses[2];
  for (int fused = 0; fused < 2; ++fused) {
    ClassifierConfig cfg = small_config();
    cfg.ffn_kind = FfnKind::SwiGLU;
    cfg.fused_ffn = fused == 1;
    cfg.dropout = 0.1f;  // the dropout streams must line up too
    cfg.max_len = 8;
    cfg.d_model = 16;
    Generator init(7), data(8), drop(9);
    TransformerClassifier model(cfg, init);
    const Batch batch = random_batch(data, 16, cfg.max_len, cfg.vocab_size, 3);
    AdamW opt(model.named_parameters(), 3e-3f);
    for (int s = 0; s < 20; ++s) {
      opt.zero_grad();
      const Tensor loss =
          ag::cross_entropy(model.forward(batch.ids, batch.mask, drop), batch.labels);
      losses[fused].push_back(loss.item());
      ag::backward(loss);
      opt.step();
    }
  }
  EXPECT_LT(losses[0].back(), losses[0].front());  // it trains
  for (size_t s = 0; s < losses[0].size(); ++s)
    EXPECT_NEAR(losses[1][s], losses[0][s], 1e-5 * std::abs(losses[0][s])) << "step " << s;
}

}  // namespace

// The names of pooling and position encodings: one spelling for the runner and the Python API.
TEST(ClassifierSettingNames, RoundTripAndUnknownNamesAreErrors) {
  for (Pooling p : {Pooling::Mean, Pooling::Cls}) EXPECT_EQ(parse_pooling(pooling_name(p)), p);
  for (PositionKind k : {PositionKind::Learned, PositionKind::Sinusoidal})
    EXPECT_EQ(parse_position_kind(position_kind_name(k)), k);
  EXPECT_STREQ(pooling_name(Pooling::Cls), "cls");
  EXPECT_STREQ(position_kind_name(PositionKind::Sinusoidal), "sinusoidal");
  try {
    parse_pooling("max");
    FAIL() << "parse_pooling accepted 'max'";
  } catch (const ag::Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected mean or cls"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_position_kind("rotary"), ag::Error);
}
