// ag::attention, the fused core of multi-head self-attention, against the graph of unfused ops
// it replaces (split, permutes, scale, masked_fill, softmax, dropout, matmul, merge), forward
// and gradient, with and without a padding mask and dropout; its checks; and the tape it leaves
// (one node). Its gradient against central differences is a case of the op registry
// (tests/ops/cases_embedding_dropout_attention.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/ops.h"
#include "tests/core/error_message.h"

namespace {

using ag::Generator;
using ag::Shape;
using ag::Tensor;

// The attention of nn::MultiHeadSelfAttention written with the unfused ops: the reference.
Tensor unfused_attention(const Tensor& qkv, const Tensor& key_mask, int64_t H, float p,
                         Generator& gen) {
  const int64_t B = qkv.shape()[0], T = qkv.shape()[1], D = qkv.shape()[2] / 3, Dh = D / H;
  const std::vector<Tensor> parts = ag::split(qkv, D, -1);
  const Tensor q = ag::permute(ag::reshape(parts[0], {B, T, H, Dh}), {0, 2, 1, 3});
  const Tensor kt = ag::permute(ag::reshape(parts[1], {B, T, H, Dh}), {0, 2, 3, 1});
  const Tensor v = ag::permute(ag::reshape(parts[2], {B, T, H, Dh}), {0, 2, 1, 3});
  Tensor scores = ag::mul(ag::matmul(q, kt), 1.0f / std::sqrt(float(Dh)));
  if (key_mask.defined()) {
    const Tensor is_pad = ag::reshape(ag::rsub(1.0f, key_mask), {B, 1, 1, T});
    scores = ag::masked_fill(scores, is_pad, -std::numeric_limits<float>::infinity());
  }
  const Tensor weights = ag::dropout(ag::softmax(scores, -1), p, gen, p > 0.0f);
  return ag::reshape(ag::permute(ag::matmul(weights, v), {0, 2, 1, 3}), {B, T, D});
}

// Lengths T, T-3, T-6, ... (at least 1): every row keeps a real first key.
Tensor padding(int64_t B, int64_t T) {
  std::vector<float> m(size_t(B * T), 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = std::max<int64_t>(1, T - 3 * b);
    for (int64_t t = 0; t < len; ++t) m[size_t(b * T + t)] = 1.0f;
  }
  return Tensor::from_vector(m, {B, T});
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  const std::vector<float> g = got.to_vector(), w = want.to_vector();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    // The fused op scales the scores, the reference scales q: a rounding apart.
    EXPECT_NEAR(g[i], w[i], 2e-6 + 2e-5 * std::fabs(w[i])) << what << " [" << i << "]";
  }
}

struct Case {
  int64_t B, T, H, Dh;
  bool mask;
  float p;
};

TEST(Attention, matches_the_unfused_graph) {
  const std::vector<Case> cases = {{1, 1, 1, 1, false, 0.0f},
                                   {2, 5, 2, 3, true, 0.0f},
                                   {3, 7, 4, 4, true, 0.25f},
                                   {2, 33, 1, 8, false, 0.1f},
                                   {4, 32, 4, 16, true, 0.1f}};
  for (const Case& c : cases) {
    const std::string what = "B " + std::to_string(c.B) + " T " + std::to_string(c.T) + " H " +
                             std::to_string(c.H) + " p " + std::to_string(c.p);
    SCOPED_TRACE(what);
    Generator init(uint64_t(c.B * 100 + c.T));
    const int64_t D = c.H * c.Dh;
    Tensor a = Tensor::randn({c.B, c.T, 3 * D}, init);
    Tensor b = a.detach().clone();
    a.requires_grad_();
    b.requires_grad_();
    const Tensor mask = c.mask ? padding(c.B, c.T) : Tensor();
    const Tensor upstream = Tensor::randn({c.B, c.T, D}, init);
    Generator g1(7), g2(7);
    const Tensor fused = ag::attention(a, mask, c.H, c.p, g1, c.p > 0.0f);
    ag::backward(fused, upstream);  // one backward per tape: the reference's forward comes after
    const Tensor reference = unfused_attention(b, mask, c.H, c.p, g2);
    ag::backward(reference, upstream);
    EXPECT_EQ(g1.offset(), g2.offset()) << "the same dropout positions drawn";
    expect_close(fused, reference, "forward");
    expect_close(a.grad(), b.grad(), "d qkv");
  }
}

TEST(Attention, padded_keys_get_no_weight) {
  // B 1, T 3, one head of 1: the third key is padding, so the output is a mix of v0 and v1 only.
  // q = (1, 1, 1), k = (0, ln 3, 5), v = (10, 20, 1000):  softmax of (0, ln 3) = (1/4, 3/4).
  const float l3 = std::log(3.0f);
  Tensor qkv = Tensor::from_vector({1, 0, 10, 1, l3, 20, 1, 5, 1000}, {1, 3, 3});
  const Tensor mask = Tensor::from_vector({1, 1, 0}, {1, 3});
  Generator gen(0);
  const std::vector<float> y = ag::attention(qkv, mask, 1, 0.0f, gen).to_vector();
  for (float v : y) EXPECT_NEAR(v, 0.25f * 10 + 0.75f * 20, 1e-4);
}

TEST(Attention, records_one_tape_node_and_draws_dropout_only_in_training) {
  ag::clear_tape();
  Generator init(3), gen(5);
  Tensor qkv = Tensor::randn({2, 4, 12}, init);
  qkv.requires_grad_();
  const Tensor y = ag::attention(qkv, padding(2, 4), 2, 0.5f, gen, /*training=*/false);
  EXPECT_EQ(gen.offset(), 0u);
  ASSERT_EQ(ag::tape_nodes().size(), 1u);
  EXPECT_STREQ(ag::tape_nodes()[0].op, "attention");
  (void)ag::attention(qkv, Tensor(), 2, 0.5f, gen, /*training=*/true);
  EXPECT_EQ(gen.offset(), uint64_t(2 * 2 * 4 * 4));
  ag::clear_tape();
}

TEST(Attention, bad_shapes_name_the_op_and_the_shapes) {
  using ::testing::AllOf;
  using ::testing::HasSubstr;
  Generator gen(0);
  const Tensor qkv = Tensor::zeros({2, 4, 12});
  EXPECT_THAT(agtest::error_message([&] {
                (void)ag::attention(Tensor::zeros({2, 4, 10}), {}, 2, 0.0f, gen);
              }),
              AllOf(HasSubstr("attention"), HasSubstr("[2, 4, 10]"), HasSubstr("3 D")));
  EXPECT_THAT(agtest::error_message([&] { (void)ag::attention(qkv, {}, 3, 0.0f, gen); }),
              AllOf(HasSubstr("attention"), HasSubstr("n_heads 3"), HasSubstr("D = 4")));
  EXPECT_THAT(
      agtest::error_message([&] {
        (void)ag::attention(qkv, Tensor::ones({2, 5}), 2, 0.0f, gen);
      }),
      AllOf(HasSubstr("attention"), HasSubstr("key_mask [2, 5]"), HasSubstr("[B, T] = [2, 4]")));
  EXPECT_THAT(agtest::error_message([&] { (void)ag::attention(qkv, {}, 2, 1.0f, gen); }),
              AllOf(HasSubstr("attention"), HasSubstr("dropout must be in [0, 1)")));
}

}  // namespace
