// Tensor basics: creation, random draws, views and copies, element access, devices, and the
// non-differentiable helpers of core/ops.h (argmax, sum_squares, fill_, scale_, copy_).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/ops.h"

namespace {

using ag::Generator;
using ag::Tensor;

// --- creation ------------------------------------------------------------------------------------

TEST(Tensor, zeros_ones_full) {
  const Tensor z = Tensor::zeros({2, 3}), o = Tensor::ones({4}), f = Tensor::full({2, 2}, -2.5f);
  EXPECT_EQ(z.shape(), (ag::Shape{2, 3}));
  EXPECT_EQ(z.numel(), 6);
  EXPECT_EQ(z.ndim(), 2);
  EXPECT_EQ(z.dtype(), ag::DType::F32);
  EXPECT_EQ(z.device(), ag::Device::CPU);
  EXPECT_EQ(z.to_vector(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(o.to_vector(), std::vector<float>(4, 1.0f));
  EXPECT_EQ(f.to_vector(), std::vector<float>(4, -2.5f));
  EXPECT_FALSE(z.requires_grad());
  EXPECT_TRUE(z.is_leaf());
  EXPECT_FALSE(z.grad().defined());
}

TEST(Tensor, scalar_and_empty_shapes) {
  const Tensor s = Tensor::scalar(3.5f);
  EXPECT_EQ(s.shape(), ag::Shape{});
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.item(), 3.5f);
  const Tensor e = Tensor::zeros({3, 0});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_TRUE(e.to_vector().empty());
}

// Tensors with no elements are legal (an empty batch, a split part of size 0) and every basic
// operation on them must be a no-op. Under UBSan this fails: the 0-byte Storage has a null
// pointer, and CpuBackend::copy_from_host (cpu/memory.cpp) passes it to memcpy, which is
// undefined behaviour even for a length of 0.
TEST(Tensor, empty_tensors_round_trip) {
  const Tensor e = Tensor::from_vector({}, {0});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_TRUE(e.to_vector().empty());
  EXPECT_EQ(e.clone().shape(), ag::Shape{0});
  EXPECT_EQ(ag::reshape(e, {2, 0}).shape(), (ag::Shape{2, 0}));
  const Tensor i = Tensor::from_indices({}, {2, 0});
  EXPECT_TRUE(i.to_int_vector().empty());
  EXPECT_EQ(ag::relu(e).numel(), 0);
}

TEST(Tensor, from_vector_and_from_indices_round_trip) {
  const std::vector<float> v = {1.0f, -2.0f, 3.5f, 0.0f, 1e-30f, -7.0f};
  const Tensor t = Tensor::from_vector(v, {2, 3});
  EXPECT_EQ(t.to_vector(), v);
  EXPECT_EQ(t.shape(), (ag::Shape{2, 3}));
  const Tensor i = Tensor::from_indices({4, 0, -1, 7}, {2, 2});
  EXPECT_EQ(i.dtype(), ag::DType::I32);
  EXPECT_EQ(i.to_int_vector(), (std::vector<int32_t>{4, 0, -1, 7}));
}

TEST(Tensor, randn_and_uniform_are_reproducible_from_the_seed) {
  Generator g1(42), g2(42), g3(43);
  const std::vector<float> a = Tensor::randn({100}, g1).to_vector();
  const std::vector<float> b = Tensor::randn({100}, g2).to_vector();
  const std::vector<float> c = Tensor::randn({100}, g3).to_vector();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // The generator moves on: the next draw differs from the first.
  EXPECT_NE(Tensor::randn({100}, g1).to_vector(), a);
  Generator u1(7), u2(7), u3(8);
  EXPECT_EQ(Tensor::uniform({50}, u1).to_vector(), Tensor::uniform({50}, u2).to_vector());
  EXPECT_NE(Tensor::uniform({50}, u1).to_vector(), Tensor::uniform({50}, u3).to_vector());
}

TEST(Tensor, generator_state_replays_the_stream) {
  Generator g(5);
  const float first = g.uniform();
  EXPECT_EQ(g.offset(), 1u);
  const uint64_t start = g.reserve(10);
  EXPECT_EQ(start, 1u);
  EXPECT_EQ(g.offset(), 11u);
  g.set_state(5, 0);
  EXPECT_EQ(g.uniform(), first);
  EXPECT_EQ(g.seed(), 5u);
}

// 100000 draws: the sample mean has sd 1/sqrt(n) = 0.0032 and the sample sd has sd
// 1/sqrt(2n) = 0.0022; the bounds are 5 of those.
TEST(Tensor, randn_moments_are_plausible) {
  Generator gen(2024);
  const std::vector<float> v = Tensor::randn({100000}, gen).to_vector();
  double sum = 0, sq = 0;
  int beyond_3sd = 0;
  for (float x : v) {
    sum += x;
    sq += double(x) * x;
    beyond_3sd += std::fabs(x) > 3.0f;
    ASSERT_TRUE(std::isfinite(x));
  }
  const double mean = sum / double(v.size());
  const double sd = std::sqrt(sq / double(v.size()) - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.016);
  EXPECT_NEAR(sd, 1.0, 0.011);
  // P(|x| > 3) = 0.0027: 270 expected, sd 16.
  EXPECT_NEAR(beyond_3sd, 270, 80);

  Generator gen2(2025);
  const std::vector<float> w = Tensor::randn({100000}, gen2, 3.0f, 0.5f).to_vector();
  double wsum = 0;
  for (float x : w) wsum += x;
  EXPECT_NEAR(wsum / double(w.size()), 3.0, 0.008);
}

TEST(Tensor, uniform_range_and_mean) {
  Generator gen(9);
  const std::vector<float> v = Tensor::uniform({100000}, gen, -2.0f, 6.0f).to_vector();
  double sum = 0;
  for (float x : v) {
    ASSERT_GE(x, -2.0f);
    ASSERT_LT(x, 6.0f);
    sum += x;
  }
  // Uniform(-2, 6): mean 2, sd 2.31, so the sample mean has sd 0.0073.
  EXPECT_NEAR(sum / double(v.size()), 2.0, 0.037);
}

// --- views and copies ----------------------------------------------------------------------------

TEST(Tensor, reshape_is_a_view_sharing_storage) {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = ag::reshape(x, {3, -1});
  EXPECT_EQ(y.shape(), (ag::Shape{3, 2}));
  EXPECT_EQ(y.impl()->storage, x.impl()->storage);
  x.data()[4] = 50.0f;  // a write through x shows in y
  EXPECT_EQ(y.at({2, 0}), 50.0f);
  EXPECT_EQ(ag::reshape(x, {-1}).shape(), (ag::Shape{6}));
  EXPECT_EQ(ag::reshape(x, {1, -1, 1}).shape(), (ag::Shape{1, 6, 1}));
  EXPECT_EQ(ag::reshape(ag::reshape(x, {6}), {3, 2}).to_vector(), x.to_vector());
  EXPECT_EQ(ag::reshape(Tensor::scalar(2.0f), {1, 1}).shape(), (ag::Shape{1, 1}));
}

TEST(Tensor, clone_copies_and_detaches) {
  Tensor x = Tensor::from_vector({1, 2, 3}, {3});
  x.requires_grad_(true);
  Tensor c = x.clone();
  EXPECT_NE(c.impl()->storage, x.impl()->storage);
  EXPECT_EQ(c.to_vector(), x.to_vector());
  EXPECT_FALSE(c.requires_grad());
  EXPECT_TRUE(c.is_leaf());
  c.data()[0] = 100.0f;
  EXPECT_EQ(x.at({0}), 1.0f);
  // A clone of a view copies the view's elements.
  Tensor v = ag::reshape(x.detach(), {1, 3});
  EXPECT_EQ(v.clone().to_vector(), (std::vector<float>{1, 2, 3}));
}

TEST(Tensor, detach_shares_storage_without_autograd) {
  Tensor x = Tensor::from_vector({1, 2, 3}, {3});
  x.requires_grad_(true);
  const Tensor y = x * 2.0f;
  Tensor d = y.detach();
  EXPECT_EQ(d.impl()->storage, y.impl()->storage);
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_FALSE(d.grad().defined());
  d.data()[1] = -1.0f;
  EXPECT_EQ(y.at({1}), -1.0f);
  ag::clear_tape();
}

TEST(Tensor, at_and_item) {
  const Tensor t = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.at({0, 0}), 1.0f);
  EXPECT_EQ(t.at({1, 2}), 6.0f);
  EXPECT_EQ(t.at({1, 0}), 4.0f);
  EXPECT_EQ(Tensor::from_vector({7}, {1, 1}).item(), 7.0f);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_EQ(t.size(0), 2);
}

TEST(Tensor, to_cpu_returns_the_same_tensor) {
  const Tensor t = Tensor::from_vector({1, 2}, {2});
  const Tensor u = t.to(ag::Device::CPU);
  EXPECT_EQ(u.impl(), t.impl());
}

TEST(Tensor, describe) {
  EXPECT_EQ(Tensor::zeros({2, 3}).describe(), "float32[2, 3] on cpu");
  EXPECT_EQ(Tensor::from_indices({1, 2, 3, 4}, {4}).describe(), "int32[4] on cpu");
  EXPECT_EQ(Tensor::scalar(1.0f).describe(), "float32[] on cpu");
  EXPECT_EQ(Tensor().describe(), "undefined tensor");
  EXPECT_EQ(ag::to_string(ag::Shape{}), "[]");
}

TEST(Tensor, names) {
  Tensor t = Tensor::zeros({1});
  EXPECT_EQ(t.name(), "");
  t.set_name("embedding.weight");
  EXPECT_EQ(t.name(), "embedding.weight");
}

TEST(Tensor, parse_device) {
  EXPECT_EQ(ag::parse_device("cpu"), ag::Device::CPU);
  EXPECT_EQ(ag::parse_device("cuda"), ag::Device::CUDA);
}

// --- non-differentiable helpers ------------------------------------------------------------------

TEST(TensorUtils, argmax_rows) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::from_vector({1, 5, 5, 2,      // a tie: the first maximum
                                        -3, -2, -9, -1,  // all negative
                                        0, nan, 9, 1},   // NaN wins, like torch.argmax
                                       {3, 4});
  const Tensor i = ag::argmax(x);
  EXPECT_EQ(i.dtype(), ag::DType::I32);
  EXPECT_EQ(i.shape(), ag::Shape{3});
  EXPECT_EQ(i.to_int_vector(), (std::vector<int32_t>{1, 3, 1}));
  EXPECT_EQ(ag::argmax(Tensor::from_vector({2, 7, 1}, {3})).shape(), ag::Shape{});
}

TEST(TensorUtils, sum_squares) {
  EXPECT_FLOAT_EQ(ag::sum_squares(Tensor::from_vector({3, -4, 0.5f}, {3})).item(), 25.25f);
  // 100000 values of 0.1: accumulated in double, so no float drift (float would lose ~1e-3).
  EXPECT_NEAR(ag::sum_squares(Tensor::full({100000}, 0.1f)).item(), 1000.0, 1e-3);
}

TEST(TensorUtils, fill_scale_copy_in_place) {
  Tensor t = Tensor::zeros({5});
  ag::fill_(t, 2.0f);
  EXPECT_EQ(t.to_vector(), std::vector<float>(5, 2.0f));
  ag::scale_(t, -1.5f);
  EXPECT_EQ(t.to_vector(), std::vector<float>(5, -3.0f));
  ag::copy_(t, Tensor::from_vector({1, 2, 3, 4, 5}, {5}));
  EXPECT_EQ(t.to_vector(), (std::vector<float>{1, 2, 3, 4, 5}));
  Tensor idx = Tensor::from_indices({0, 0}, {2});
  ag::copy_(idx, Tensor::from_indices({3, 9}, {2}));
  EXPECT_EQ(idx.to_int_vector(), (std::vector<int32_t>{3, 9}));
}

TEST(TensorUtils, threads) {
  const int before = ag::num_threads();
  ag::set_num_threads(1);
  EXPECT_EQ(ag::num_threads(), 1);
  ag::set_num_threads(0);  // clamped to 1
  EXPECT_EQ(ag::num_threads(), 1);
  ag::set_num_threads(before);
  EXPECT_EQ(ag::num_threads(), before);
}

// Results do not depend on the thread count: every CPU reduction sums in a fixed order.
TEST(TensorUtils, results_independent_of_thread_count) {
  Generator gen(11);
  const Tensor x = Tensor::randn({64, 1031}, gen);
  const int before = ag::num_threads();
  std::vector<std::vector<float>> runs;
  for (int threads : {1, 2}) {
    ag::set_num_threads(threads);
    Tensor a = x.clone();
    a.requires_grad_(true);
    const Tensor y = ag::sum(ag::softmax(ag::silu(a), -1) * a, {0});
    ag::backward(y, Tensor::ones(y.shape()));
    std::vector<float> r = y.to_vector();
    const std::vector<float> g = a.grad().to_vector();
    r.insert(r.end(), g.begin(), g.end());
    runs.push_back(r);
  }
  ag::set_num_threads(before);
  EXPECT_EQ(runs[0], runs[1]);
}

}  // namespace
