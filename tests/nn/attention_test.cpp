// Multi-head self-attention and the encoder layer against loop implementations of their
// formulas, computed in double from the modules' own weights.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "nn/attention.h"
#include "nn/transformer.h"

namespace {

using ag::Generator;
using ag::Tensor;
using namespace ag::nn;

using Mat = std::vector<double>;  // row-major

// y[r, o] = sum_k x[r, k] w[k, o] + b[o]
Mat linear_ref(const Mat& x, int64_t rows, const Linear& lin) {
  const int64_t in = lin.weight.shape()[0], out = lin.weight.shape()[1];
  const std::vector<float> w = lin.weight.to_vector();
  const std::vector<float> b = lin.bias.defined() ? lin.bias.to_vector() : std::vector<float>();
  Mat y(size_t(rows * out));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = b.empty() ? 0.0 : b[size_t(o)];
      for (int64_t k = 0; k < in; ++k) s += x[size_t(r * in + k)] * w[size_t(k * out + o)];
      y[size_t(r * out + o)] = s;
    }
  return y;
}

// softmax_j(q_i . k_j / sqrt(Dh)) over the real keys j, times v_j, per head; then the output
// projection. mask: 1 real, 0 padding (empty: no mask).
Mat attention_ref(const MultiHeadSelfAttention& a, const Mat& x, int64_t B, int64_t T,
                  const std::vector<float>& mask) {
  const int64_t D = a.d_model, H = a.n_heads, Dh = a.head_dim;
  const Mat qkv = linear_ref(x, B * T, a.qkv);  // [B*T, 3D]: q | k | v
  Mat ctx(size_t(B * T * D), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < T; ++i) {
        std::vector<double> s(static_cast<size_t>(T));
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < T; ++j) {
          double dot = 0.0;
          for (int64_t e = 0; e < Dh; ++e)
            dot += qkv[size_t((b * T + i) * 3 * D + h * Dh + e)] *
                   qkv[size_t((b * T + j) * 3 * D + D + h * Dh + e)];
          const bool pad = !mask.empty() && mask[size_t(b * T + j)] == 0.0f;
          s[size_t(j)] =
              pad ? -std::numeric_limits<double>::infinity() : dot / std::sqrt(double(Dh));
          mx = std::max(mx, s[size_t(j)]);
        }
        double z = 0.0;
        for (double& v : s) z += (v = std::exp(v - mx));
        for (int64_t j = 0; j < T; ++j)
          for (int64_t e = 0; e < Dh; ++e)
            ctx[size_t((b * T + i) * D + h * Dh + e)] +=
                s[size_t(j)] / z * qkv[size_t((b * T + j) * 3 * D + 2 * D + h * Dh + e)];
      }
  return linear_ref(ctx, B * T, a.out);
}

Mat to_mat(const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  return Mat(v.begin(), v.end());
}

void expect_close(const std::vector<float>& got, const Mat& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

TEST(Attention, InitLikeTorchMultiheadAttention) {
  Generator gen(1);
  MultiHeadSelfAttention a(32, 4, 0.0f, gen);
  EXPECT_EQ(a.head_dim, 8);
  const float xavier = std::sqrt(6.0f / (32 + 96));
  float mx = 0.0f;
  for (float w : a.qkv.weight.to_vector()) mx = std::max(mx, std::abs(w));
  EXPECT_LE(mx, xavier);
  EXPECT_GT(mx, 0.9f * xavier);
  EXPECT_EQ(ag::sum_squares(a.qkv.bias).item(), 0.0f);
  EXPECT_EQ(ag::sum_squares(a.out.bias).item(), 0.0f);
  for (float w : a.out.weight.to_vector()) EXPECT_LE(std::abs(w), 1.0f / std::sqrt(32.0f));
  EXPECT_EQ(a.parameter_count(), 32 * 96 + 96 + 32 * 32 + 32);
}

TEST(Attention, MatchesLoopReferenceWithAndWithoutMask) {
  const int64_t B = 2, T = 5, D = 12;
  Generator gen(3), data(4), drop(5);
  MultiHeadSelfAttention a(D, 3, 0.0f, gen);
  // Non-zero biases so that their paths are checked too.
  ag::copy_(a.qkv.bias, Tensor::randn({3 * D}, data, 0.0f, 0.3f));
  ag::copy_(a.out.bias, Tensor::randn({D}, data, 0.0f, 0.3f));
  const Tensor x = Tensor::randn({B, T, D}, data);
  expect_close(a.forward(x, Tensor(), drop).to_vector(), attention_ref(a, to_mat(x), B, T, {}),
               1e-5);
  const std::vector<float> mask = {1, 1, 1, 0, 0, 1, 1, 1, 1, 0};
  const Tensor m = Tensor::from_vector(mask, {B, T});
  expect_close(a.forward(x, m, drop).to_vector(), attention_ref(a, to_mat(x), B, T, mask), 1e-5);
  EXPECT_EQ(drop.offset(), 0u);  // dropout 0: no draws
}

TEST(Attention, FullyMaskedSequenceIsNaNAsDocumented) {
  Generator gen(3), data(4), drop(5);
  MultiHeadSelfAttention a(4, 2, 0.0f, gen);
  const Tensor x = Tensor::randn({2, 3, 4}, data);
  const std::vector<float> y =
      a.forward(x, Tensor::from_vector({1, 1, 0, 0, 0, 0}, {2, 3}), drop).to_vector();
  for (size_t i = 0; i < 12; ++i) EXPECT_TRUE(std::isfinite(y[i])) << i;  // sequence 0 is fine
  for (size_t i = 12; i < 24; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;    // sequence 1: no keys
}

TEST(Attention, RejectsBadShapes) {
  Generator gen(3), drop(5);
  MultiHeadSelfAttention a(4, 2, 0.0f, gen);
  EXPECT_THROW(a.forward(Tensor::zeros({2, 3, 5}), Tensor(), drop), ag::Error);
  EXPECT_THROW(a.forward(Tensor::zeros({2, 3, 4}), Tensor::ones({3, 2}), drop), ag::Error);
  EXPECT_THROW(MultiHeadSelfAttention(6, 4, 0.0f, gen), ag::Error);
}

TEST(Attention, DropoutOnWeightsOnlyWhenTraining) {
  Generator gen(3), data(4);
  MultiHeadSelfAttention a(8, 2, 0.5f, gen);
  const Tensor x = Tensor::randn({2, 4, 8}, data);
  Generator d1(7), d2(7);
  const std::vector<float> y_train = a.forward(x, Tensor(), d1).to_vector();
  EXPECT_EQ(d1.offset(), uint64_t(2 * 2 * 4 * 4));  // one draw per attention weight [B, H, T, T]
  a.train(false);
  const std::vector<float> y_eval = a.forward(x, Tensor(), d2).to_vector();
  EXPECT_EQ(d2.offset(), 0u);
  EXPECT_NE(y_train, y_eval);
  expect_close(y_eval, attention_ref(a, to_mat(x), 2, 4, {}), 1e-5);
}

// Layer norm over the last dim with the initial affine (ones, zeros).
Mat layer_norm_ref(const Mat& x, int64_t rows, int64_t d) {
  Mat y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t k = 0; k < d; ++k) mean += x[size_t(r * d + k)] / double(d);
    for (int64_t k = 0; k < d; ++k) var += std::pow(x[size_t(r * d + k)] - mean, 2) / double(d);
    for (int64_t k = 0; k < d; ++k)
      y[size_t(r * d + k)] = (x[size_t(r * d + k)] - mean) / std::sqrt(var + 1e-5);
  }
  return y;
}

Mat relu_ffn_ref(const FeedForward& f, const Mat& x, int64_t rows) {
  Mat h = linear_ref(x, rows, f.w1);
  for (double& v : h) v = std::max(v, 0.0);
  return linear_ref(h, rows, f.w2);
}

Mat add(const Mat& a, const Mat& b) {
  Mat y(a.size());
  for (size_t i = 0; i < a.size(); ++i) y[i] = a[i] + b[i];
  return y;
}

TEST(EncoderLayerTest, PreAndPostLayerNormMatchTheirFormulas) {
  const int64_t B = 2, T = 4, D = 8;
  Generator data(4), drop(5);
  const Tensor x = Tensor::randn({B, T, D}, data);
  const std::vector<float> mask = {1, 1, 1, 1, 1, 1, 0, 0};
  const Tensor m = Tensor::from_vector(mask, {B, T});
  const Mat xm = to_mat(x);
  for (bool norm_first : {true, false}) {
    Generator gen(6);
    EncoderLayer layer(D, 2, 16, FfnKind::Relu, gen, 0.0f, norm_first, true);
    Mat ref;
    if (norm_first) {  // h = x + attn(ln1(x)); y = h + ffn(ln2(h))
      const Mat h = add(xm, attention_ref(layer.attn, layer_norm_ref(xm, B * T, D), B, T, mask));
      ref = add(h, relu_ffn_ref(layer.ffn, layer_norm_ref(h, B * T, D), B * T));
    } else {  // h = ln1(x + attn(x)); y = ln2(h + ffn(h))
      const Mat h = layer_norm_ref(add(xm, attention_ref(layer.attn, xm, B, T, mask)), B * T, D);
      ref = layer_norm_ref(add(h, relu_ffn_ref(layer.ffn, h, B * T)), B * T, D);
    }
    SCOPED_TRACE(norm_first ? "pre-LN" : "post-LN");
    expect_close(layer.forward(x, m, drop).to_vector(), ref, 2e-5);
  }
}

}  // namespace
