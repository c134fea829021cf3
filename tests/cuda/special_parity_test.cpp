// CUDA vs CPU checks that are no op case of the registry (the cases themselves run in
// op_parity_test.cpp): fused against unfused gated units across devices, the dropout masks
// themselves, argmax's ties and NaN, the single-column layer_norm gradient (rounding noise on
// both devices), the misaligned views the registry's misaligned cases use, and the extreme
// inputs its extreme cases draw.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tests/ops/parity.h"

namespace {

using ag::Generator;
using ag::Shape;
using ag::Tensor;
using parity::extreme;
using parity::seed_of;
using parity::shape_str;
using parity::var;

using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// Inputs ~ Normal(0, std), except a single element: it alone makes the norm, so it is drawn from
// [0.5, 3) (opcases::activation_input).
Tensor activation_input(const Shape& s, uint64_t seed, float stddev) {
  return ag::numel_of(s) <= 1 ? parity::uniform(s, seed, 0.5f, 3.0f)
                              : parity::randn(s, seed, stddev);
}

// Fused against unfused, forward and both gradients: on CUDA (fused vs unfused), and across
// devices (CUDA fused vs CPU unfused, CUDA unfused vs CPU fused). Both compute the same float
// formula; only the order of a multiplication or two may differ.
void check_fused_against_unfused(const std::string& name, const BinaryFn& fused,
                                 const BinaryFn& unfused) {
  const parity::MultiFn f = [fused](const std::vector<Tensor>& xs) {
    return std::vector<Tensor>{fused(xs[0], xs[1])};
  };
  const parity::MultiFn u = [unfused](const std::vector<Tensor>& xs) {
    return std::vector<Tensor>{unfused(xs[0], xs[1])};
  };
  for (const Shape& s : std::vector<Shape>{{1}, {7}, {257}, {4099}, {4, 32, 129}, {65539}}) {
    const std::string what = name + " " + shape_str(s);
    SCOPED_TRACE(what);
    const std::vector<parity::Input> in = {var(activation_input(s, seed_of(what + "a"), 2.0f)),
                                           var(parity::randn(s, seed_of(what + "b")))};
    const parity::Outcome gpu_fused = parity::run_on(parity::kGpu, false, f, in);
    const parity::Outcome gpu_unfused = parity::run_on(parity::kGpu, false, u, in);
    const parity::Outcome cpu_fused = parity::run_on(ag::Device::CPU, true, f, in);
    const parity::Outcome cpu_unfused = parity::run_on(ag::Device::CPU, true, u, in);
    for (const parity::Outcome* o : {&gpu_fused, &gpu_unfused}) {
      ASSERT_EQ(o->outputs.size(), 1u);
      ASSERT_EQ(o->grads.size(), 2u);
      EXPECT_EQ(o->outputs[0].device(), parity::kGpu);
      for (const Tensor& g : o->grads) {
        ASSERT_TRUE(g.defined());
        EXPECT_EQ(g.device(), parity::kGpu);
      }
    }
    const std::vector<
        std::pair<std::string, std::pair<const parity::Outcome*, const parity::Outcome*>>>
        pairs = {{"cuda fused vs cuda unfused", {&gpu_fused, &gpu_unfused}},
                 {"cuda fused vs cpu unfused", {&gpu_fused, &cpu_unfused}},
                 {"cuda unfused vs cpu fused", {&gpu_unfused, &cpu_fused}}};
    for (const auto& [label, pr] : pairs) {
      const parity::Outcome& x = *pr.first;
      const parity::Outcome& y = *pr.second;
      EXPECT_TRUE(parity::match(x.outputs[0], y.outputs[0])) << label << ": h";
      EXPECT_TRUE(parity::match(x.grads[0], y.grads[0])) << label << ": grad a";
      EXPECT_TRUE(parity::match(x.grads[1], y.grads[1])) << label << ": grad b";
    }
  }
}

TEST(CudaParityGated, swiglu_fused_matches_unfused) {
  SKIP_WITHOUT_CUDA();
  check_fused_against_unfused(
      "swiglu", [](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); },
      [](const Tensor& a, const Tensor& b) { return ag::swiglu_unfused(a, b); });
}

TEST(CudaParityGated, geglu_fused_matches_unfused) {
  SKIP_WITHOUT_CUDA();
  check_fused_against_unfused(
      "geglu", [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); },
      [](const Tensor& a, const Tensor& b) { return ag::mul(ag::gelu(a), b); });
}

TEST(CudaParityMisc, argmax_ties_and_nan) {
  SKIP_WITHOUT_CUDA();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // Like torch.argmax: the first of equal maxima; NaN counts as the largest (the first NaN).
  const std::vector<std::vector<float>> rows = {
      {1, 3, 3, 2},     {nan, 5, 6, 7},        {1, nan, 9, nan}, {-inf, -inf, -inf, -inf},
      {2, 2, 2, 2},     {-1, inf, inf, 0},     {0, -0.0f, 0, 0}, {-5, -4, -3, -3},
      {inf, nan, 1, 2}, {-inf, -inf, -7, -inf}};
  const std::vector<int32_t> expected = {1, 0, 1, 0, 0, 1, 0, 2, 1, 2};
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  const Tensor x = Tensor::from_vector(flat, {int64_t(rows.size()), 4});
  const Tensor got = ag::argmax(parity::to_gpu(x));
  ASSERT_EQ(got.device(), parity::kGpu);
  EXPECT_EQ(got.to_int_vector(), expected);
  EXPECT_EQ(ag::argmax(x).to_int_vector(), expected);  // the CPU reference agrees

  // Long rows, across any block boundary: a tie between positions 300 and 4098, and a lone NaN.
  const int64_t cols = 4099;
  std::vector<float> v(static_cast<size_t>(3 * cols));
  Generator gen(3);
  for (float& f : v) f = gen.uniform();  // in [0, 1)
  v[300] = 7.0f;
  v[4098] = 7.0f;
  v[size_t(cols + 3000)] = nan;
  v[size_t(cols + 3001)] = 9.0f;
  v[size_t(2 * cols + cols - 1)] = 1.5f;
  const Tensor long_rows = Tensor::from_vector(v, {3, cols});
  const Tensor got_long = ag::argmax(parity::to_gpu(long_rows));
  ASSERT_EQ(got_long.device(), parity::kGpu);
  EXPECT_EQ(got_long.to_int_vector(), (std::vector<int32_t>{300, 3000, int32_t(cols - 1)}));
  EXPECT_TRUE(parity::match(got_long, ag::argmax(long_rows)));
}

// The same positions are dropped on both devices for the same generator seed (inputs are never
// 0, so y == 0 exactly where an element was dropped), at about the rate p; the generators end at
// the same position. (The registry's dropout cases compare outputs and gradients.)
TEST(CudaParityMisc, dropout_masks_agree) {
  SKIP_WITHOUT_CUDA();
  const std::vector<Shape> shapes = {{1}, {257}, {4099}, {3, 5, 7}, {(int64_t(1) << 20) + 3}};
  for (float p : {0.0f, 0.1f, 0.5f, 1.0f}) {
    for (const Shape& s : shapes) {
      const std::string what = "dropout p " + std::to_string(p) + " " + shape_str(s);
      const uint64_t seed = seed_of(what + "gen");
      const Tensor x = parity::uniform(s, seed_of(what + "x"), 0.5f, 2.0f);
      Generator gen_cpu(seed), gen_gpu(seed);
      const Tensor y_cpu = ag::dropout(x, p, gen_cpu);
      const Tensor y_gpu = ag::dropout(parity::to_gpu(x), p, gen_gpu);
      ASSERT_EQ(y_gpu.device(), parity::kGpu);
      EXPECT_EQ(gen_cpu.offset(), gen_gpu.offset()) << what;
      const std::vector<float> a = y_cpu.to_vector(), b = y_gpu.to_vector();
      ASSERT_EQ(a.size(), b.size());
      ASSERT_FALSE(a.empty());
      size_t dropped = 0, differ = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        dropped += a[i] == 0.0f;
        differ += (a[i] == 0.0f) != (b[i] == 0.0f);
      }
      EXPECT_EQ(differ, 0u) << what << ": masks differ at " << differ << " positions";
      if (a.size() >= 4099) {
        const double rate = double(dropped) / double(a.size());
        EXPECT_NEAR(rate, p, 0.03) << what;
      }
      EXPECT_TRUE(parity::match(y_gpu, y_cpu)) << what;
    }
  }
}

// layer_norm over rows of 1 column: xhat = 0, y = bias, and dx is 0 in exact arithmetic; in
// float it is rounding noise (rstd = 1/sqrt(eps) ~ 316 times the last bit of dxhat -
// mean(dxhat), which FMA contraction leaves non-zero on the CPU), not a value two backends can
// agree on (the registry's cases hold x constant there). On the device it must stay noise: ~316 x
// the last bit of |dxhat| <= ~10 is < 1e-2; a wrong formula gives O(rstd) = O(316).
TEST(CudaParityRows, layer_norm_single_column_gradient_is_rounding_noise) {
  SKIP_WITHOUT_CUDA();
  const Shape s = {7, 1};
  for (int affine = 0; affine < 4; ++affine) {
    const bool with_w = affine & 1, with_b = affine & 2;
    const std::string what =
        "layer_norm " + shape_str(s) + (with_w ? " weight" : "") + (with_b ? " bias" : "");
    const Tensor x = ag::add(parity::randn(s, seed_of(what), 2.0f), 0.5f);
    std::vector<parity::Input> in = {var(x)};
    if (with_w) in.push_back(var(parity::randn({1}, seed_of(what + "w"))));
    if (with_b) in.push_back(var(parity::randn({1}, seed_of(what + "b"))));
    const parity::Fn fn = [with_w, with_b](const std::vector<Tensor>& xs) {
      const Tensor w = with_w ? xs[1] : Tensor();
      const Tensor b = with_b ? xs[with_w ? 2 : 1] : Tensor();
      return ag::layer_norm(xs[0], w, b);
    };
    const parity::Outcome gpu = parity::run_on(parity::kGpu, false, fn, in);
    ASSERT_TRUE(gpu.grads[0].defined()) << what;
    EXPECT_EQ(gpu.grads[0].device(), parity::kGpu);
    for (float g : gpu.grads[0].to_vector()) EXPECT_LE(std::fabs(g), 1e-2f) << what;
  }
}

// The views of the registry's misaligned cases (Input::misalign) really start off a 16-byte
// boundary and read back the values they were made from (parity::run_on builds the device-side
// leaves with parity::misaligned_view).
TEST(CudaParityElementwise, misaligned_views_start_off_a_16_byte_boundary) {
  SKIP_WITHOUT_CUDA();
  for (int64_t off : {1, 2, 3}) {
    const Tensor values = parity::randn({33}, seed_of("view"));
    const Tensor view = parity::misaligned_view(values, off, parity::kGpu);
    ASSERT_EQ(view.device(), parity::kGpu);
    EXPECT_NE(reinterpret_cast<uintptr_t>(view.data()) % 16, 0u) << "offset " << off;
    EXPECT_EQ(view.to_vector(), values.to_vector()) << "offset " << off;
  }
}

TEST(CudaParityExtreme, extreme_inputs_hold_every_kind) {
  SKIP_WITHOUT_CUDA();
  const std::vector<float> v = extreme({4099}, 1).to_vector();
  int nan = 0, pinf = 0, ninf = 0, big = 0;
  for (float x : v) {
    nan += std::isnan(x);
    pinf += std::isinf(x) && x > 0;
    ninf += std::isinf(x) && x < 0;
    big += std::isfinite(x) && std::fabs(x) > 89.5f;
    if (std::isfinite(x)) {
      EXPECT_LE(std::fabs(x), 100.0f);
      EXPECT_FALSE(std::fabs(x) > 87.5f && std::fabs(x) < 89.5f) << x;
    }
  }
  EXPECT_GT(nan, 50);
  EXPECT_GT(pinf, 50);
  EXPECT_GT(ninf, 50);
  EXPECT_GT(big, 50);  // finite values past exp's overflow threshold
}

}  // namespace
