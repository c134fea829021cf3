// CUDA vs CPU: the row-wise ops. softmax and log_softmax over the last dim and over a middle dim
// (row lengths 1, 2, 7, 33, 129, 255, 1025, 4099: no multiple of a warp or a block), masked_fill
// with padding masks (-1e9 and -inf) alone and under a softmax, layer_norm with and without its
// affine parameters, and cross_entropy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::Shape;
using ag::Tensor;
using parity::check;
using parity::constant;
using parity::seed_of;
using parity::shape_str;
using parity::var;

struct RowCase {
  Shape shape;
  int64_t dim;
};

const std::vector<RowCase> kSoftmaxCases = {
    // over the last dim
    {{1, 1}, -1},
    {{6, 7}, -1},
    {{7, 33}, -1},
    {{5, 129}, -1},
    {{4, 3, 255}, -1},
    {{3, 1025}, -1},
    {{2, 4099}, -1},
    {{1000, 2}, -1},
    {{2, 3, 4, 5}, 3},
    // over a middle (strided) dim
    {{3, 33, 5}, 1},
    {{2, 129, 7}, 1},
    {{4, 1025, 3}, 1},
    {{33, 7}, 0},
    {{2, 3, 4, 5}, 2},
    {{7, 33, 65}, -2},
};

TEST(CudaParityRows, softmax) {
  SKIP_WITHOUT_CUDA();
  for (const RowCase& c : kSoftmaxCases) {
    const std::string what = "softmax " + shape_str(c.shape) + " dim " + std::to_string(c.dim);
    const int64_t dim = c.dim;
    check(what, [dim](const std::vector<Tensor>& xs) { return ag::softmax(xs[0], dim); },
          {var(parity::randn(c.shape, seed_of(what), 3.0f))});
  }
}

TEST(CudaParityRows, log_softmax) {
  SKIP_WITHOUT_CUDA();
  for (const RowCase& c : kSoftmaxCases) {
    const std::string what = "log_softmax " + shape_str(c.shape) + " dim " + std::to_string(c.dim);
    const int64_t dim = c.dim;
    check(what, [dim](const std::vector<Tensor>& xs) { return ag::log_softmax(xs[0], dim); },
          {var(parity::randn(c.shape, seed_of(what), 3.0f))});
  }
}

// A padding mask [B, 1, 1, T]: 1 at the padded positions t >= len_b (len_b >= 1, so no row is
// fully masked), 0 elsewhere.
Tensor padding_mask(int64_t B, int64_t T) {
  std::vector<float> m(static_cast<size_t>(B * T), 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = std::max<int64_t>(1, T - 3 * b);
    for (int64_t t = len; t < T; ++t) m[size_t(b * T + t)] = 1.0f;
  }
  return Tensor::from_vector(m, {B, 1, 1, T});
}

// A causal mask [T, T]: 1 above the diagonal.
Tensor causal_mask(int64_t T) {
  std::vector<float> m(static_cast<size_t>(T * T), 0.0f);
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = i + 1; j < T; ++j) m[size_t(i * T + j)] = 1.0f;
  return Tensor::from_vector(m, {T, T});
}

TEST(CudaParityRows, masked_fill) {
  SKIP_WITHOUT_CUDA();
  const float inf = std::numeric_limits<float>::infinity();
  const int64_t B = 3, H = 4;
  for (int64_t T : {7, 33}) {
    const Shape xs_shape = {B, H, T, T};
    const std::vector<std::pair<std::string, Tensor>> masks = {
        {"padding [B, 1, 1, T]", padding_mask(B, T)},
        {"causal [T, T]", causal_mask(T)},
        {"full shape", ag::expand(padding_mask(B, T), xs_shape)}};
    for (const auto& [mask_name, mask] : masks) {
      for (float value : {-1e9f, -inf}) {
        const std::string what = "masked_fill " + shape_str(xs_shape) + " " + mask_name +
                                 " value " + std::to_string(value);
        const Tensor x = parity::randn(xs_shape, seed_of(what), 2.0f);
        // The mask is a constant (it gets no gradient). With -inf the output holds -inf at the
        // masked positions: compared by position, like NaN/inf everywhere else.
        parity::ParityOptions opts;
        opts.forward.nonfinite = value == -inf;
        check(
            what,
            [value](const std::vector<Tensor>& in) { return ag::masked_fill(in[0], in[1], value); },
            {var(x), constant(mask)}, opts);
        // Attention's use: the masked scores go through a softmax (finite again: no row is
        // fully masked).
        check(what + " then softmax",
              [value](const std::vector<Tensor>& in) {
                return ag::softmax(ag::masked_fill(in[0], in[1], value), -1);
              },
              {var(x), constant(mask)});
      }
    }
  }
}

TEST(CudaParityRows, layer_norm) {
  SKIP_WITHOUT_CUDA();
  const std::vector<Shape> shapes = {{7, 1},    {1, 33},   {7, 33},    {65, 64},
                                     {5, 1025}, {2, 4099}, {2, 5, 64}, {3, 1, 129}};
  for (const Shape& s : shapes) {
    const int64_t cols = s.back();
    for (int affine = 0; affine < 4; ++affine) {
      const bool with_w = affine & 1, with_b = affine & 2;
      const std::string what =
          "layer_norm " + shape_str(s) + (with_w ? " weight" : "") + (with_b ? " bias" : "");
      // cols = 1: xhat = 0, y = bias, and dx is 0 in exact arithmetic; in float it is rounding
      // noise (rstd = 1/sqrt(eps) ~ 316 times the last bit of dxhat - mean(dxhat), which FMA
      // contraction leaves non-zero on the CPU), not a value two backends can agree on. There x
      // is a constant here and its gradient is checked to be ~0 below.
      const Tensor x = ag::add(parity::randn(s, seed_of(what), 2.0f), 0.5f);
      std::vector<parity::Input> in = {cols == 1 ? constant(x) : var(x)};
      if (with_w) in.push_back(var(parity::randn({cols}, seed_of(what + "w"))));
      if (with_b) in.push_back(var(parity::randn({cols}, seed_of(what + "b"))));
      const parity::Fn fn = [with_w, with_b](const std::vector<Tensor>& xs) {
        const Tensor w = with_w ? xs[1] : Tensor();
        const Tensor b = with_b ? xs[with_w ? 2 : 1] : Tensor();
        return ag::layer_norm(xs[0], w, b);
      };
      if (cols > 1 || with_w || with_b) check(what, fn, in);
      if (cols == 1) {
        in[0] = var(x);
        const parity::Outcome gpu = parity::run_on(parity::kGpu, false, fn, in);
        ASSERT_TRUE(gpu.grads[0].defined()) << what;
        EXPECT_EQ(gpu.grads[0].device(), parity::kGpu);
        // ~316 x the last bit of |dxhat| <= ~10 is < 1e-2; a wrong formula gives O(rstd) = O(316).
        for (float g : gpu.grads[0].to_vector()) EXPECT_LE(std::fabs(g), 1e-2f) << what;
      }
    }
  }
  // A larger eps, and weight/bias that are constants (only x gets a gradient).
  const Tensor x = parity::randn({9, 129}, 77, 0.01f);
  check("layer_norm eps 1e-2, constant affine",
        [](const std::vector<Tensor>& xs) { return ag::layer_norm(xs[0], xs[1], xs[2], 1e-2f); },
        {var(x), constant(parity::randn({129}, 78)), constant(parity::randn({129}, 79))});
}

TEST(CudaParityRows, cross_entropy) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    int64_t N, C;
  };
  for (const Case& c :
       std::vector<Case>{{1, 2}, {7, 2}, {1000, 2}, {33, 1000}, {1000, 1000}, {5, 33}, {4, 4099}}) {
    const std::string what = "cross_entropy N " + std::to_string(c.N) + " C " + std::to_string(c.C);
    const Tensor logits = parity::randn({c.N, c.C}, seed_of(what), 2.0f);
    Tensor targets = parity::indices({c.N}, seed_of(what + "t"), int32_t(c.C));
    if (c.N == 1) {
      // A single confident, correct sample would have a loss log(1 + e^-d) ~ e^-d computed as
      // lse - x_t, a difference of two nearly equal numbers; a single sample aimed at its least
      // likely class has a loss >= log C, well conditioned.
      const std::vector<float> row = logits.to_vector();
      int32_t argmin = 0;
      for (int32_t k = 1; k < int32_t(row.size()); ++k)
        if (row[size_t(k)] < row[size_t(argmin)]) argmin = k;
      targets = Tensor::from_indices({argmin}, {1});
    }
    check(what, [](const std::vector<Tensor>& xs) { return ag::cross_entropy(xs[0], xs[1]); },
          {var(logits), constant(targets)});
  }
}

}  // namespace
