// Row-wise ops: softmax, log_softmax, layer_norm, cross_entropy, and masked_fill with attention's
// padding and causal masks (alone and under a softmax).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

using parity::seed_of;

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

// The target of a lone sample: its least likely class. A single confident, correct sample would
// have a loss log(1 + e^-d) ~ e^-d computed as lse - x_t, a difference of two nearly equal
// numbers; one aimed at its least likely class has a loss >= log C, well conditioned.
Tensor least_likely_class(const Tensor& logits) {
  const std::vector<float> row = logits.to_vector();
  int32_t argmin = 0;
  for (int32_t k = 1; k < int32_t(row.size()); ++k)
    if (row[size_t(k)] < row[size_t(argmin)]) argmin = k;
  return Tensor::from_indices({argmin}, {1});
}

// layer_norm with the optional weight and bias taken from the inputs after x.
Forward layer_norm_fn(bool with_w, bool with_b, float eps = 1e-5f) {
  return multi([with_w, with_b, eps](const std::vector<Tensor>& xs) {
    const Tensor w = with_w ? xs[1] : Tensor();
    const Tensor b = with_b ? xs[with_w ? 2 : 1] : Tensor();
    return ag::layer_norm(xs[0], w, b, eps);
  });
}

void softmax_family(Registry& r, bool log) {
  const std::string op = log ? "log_softmax" : "softmax";
  const auto fn = [log](int64_t dim) {
    return unary([log, dim](const Tensor& t) {
      return log ? ag::log_softmax(t, dim) : ag::softmax(t, dim);
    });
  };
  // Gradcheck over the last dim (5 x 17 and 1 x 1031), a middle dim and the first dim (strided
  // rows). Inputs of std 2 make rows with a dominant entry as well as flat ones. The 1031-wide
  // row takes a large step: moving one x_j shifts every log_softmax output (~ -9, ulp 1e-6) by a
  // tiny amount, and their independent roundings add up to ~1e-5 in L, which a step of 0.05
  // would turn into 1e-3 of noise. With std-1 inputs each x_j has a weight p_j < 0.02 in that
  // row, so the truncation error of the large step stays small.
  struct Small {
    Shape shape;
    int64_t dim;
    double step;
  };
  uint64_t seed = log ? 710 : 700;
  for (const Small& c : std::vector<Small>{{{5, 17}, -1, 0.05},
                                           {{1, 1031}, -1, 0.5},
                                           {{7}, 0, 0.05},
                                           {{4, 1}, 1, 0.05},
                                           {{3, 7, 5}, 1, 0.05},
                                           {{3, 7, 5}, 0, 0.05},
                                           {{2, 3, 4, 5}, 2, 0.05}}) {
    const Values x = normal(c.shape.back() > 1000 ? 1.0f : 2.0f);
    r.add({.ops = {op},
           .name = op + " " + shape_str(c.shape) + " dim " + std::to_string(c.dim) + " " + x.text,
           .inputs = {var(c.shape, x)},
           .forward = fn(c.dim),
           .gradcheck = rows_with_step(c.step),
           .parity = kClose,
           .seed = seed++});
  }
  // Parity: row lengths 1, 2, 7, 33, 129, 255, 1025, 4099 (no multiple of a warp or a block),
  // over the last dim and over a middle (strided) dim.
  struct Large {
    Shape shape;
    int64_t dim;
  };
  for (const Large& c : std::vector<Large>{{{1, 1}, -1},
                                           {{6, 7}, -1},
                                           {{7, 33}, -1},
                                           {{5, 129}, -1},
                                           {{4, 3, 255}, -1},
                                           {{3, 1025}, -1},
                                           {{2, 4099}, -1},
                                           {{1000, 2}, -1},
                                           {{2, 3, 4, 5}, 3},
                                           {{3, 33, 5}, 1},
                                           {{2, 129, 7}, 1},
                                           {{4, 1025, 3}, 1},
                                           {{33, 7}, 0},
                                           {{2, 3, 4, 5}, 2},
                                           {{7, 33, 65}, -2}}) {
    const std::string name = op + " " + shape_str(c.shape) + " dim " + std::to_string(c.dim);
    r.add({.ops = {op},
           .name = name,
           .inputs = {var(c.shape, normal(3.0f), seed_of(name))},
           .forward = fn(c.dim),
           .parity = kClose});
  }
}

void layer_norm_cases(Registry& r) {
  // Gradcheck: x, weight and bias together and each alone; without the affine part, and with
  // only one of it. Rows of 1 column are left out (the normalised value is identically 0 there).
  uint64_t seed = 720;
  for (const Shape& s : std::vector<Shape>{{5, 17}, {2, 3, 33}, {1, 4}, {129}}) {
    const Shape vec{s.back()};
    r.add({.ops = {"layer_norm"},
           .name = "layer_norm " + shape_str(s) + " x N(0, 1.5) weight U[0.5, 1.5) bias N(0, 1)",
           .inputs = {var(s, normal(1.5f)), var(vec, uniform(0.5f, 1.5f)), var(vec, normal())},
           .forward = layer_norm_fn(true, true),
           .gradcheck = kRows,
           .parity = kClose,
           .variants = {Variant{}, Variant{" (x only)", {true, false, false}},
                        Variant{" (weight only)", {false, true, false}},
                        Variant{" (bias only)", {false, false, true}}},
           .seed = seed++});
  }
  // A row of 2 normalises to -1 and 1 whatever its values: dx is ~0 (O(1e-3) here), the sum of
  // terms that cancel, which another summation order changes by far more than 1e-5 of it (the
  // conditioning audit of parity.h shows 3e-4): no parity there.
  seed = 730;
  for (const Shape& s : std::vector<Shape>{{5, 17}, {2, 3, 33}, {2}}) {
    r.add({.ops = {"layer_norm"},
           .name = "layer_norm " + shape_str(s) + " no affine N(0, 1)",
           .inputs = {var(s, normal())},
           .forward = layer_norm_fn(false, false),
           .gradcheck = kRows,
           .parity = s.back() > 2 ? std::optional<parity::ParityOptions>(kClose) : std::nullopt,
           .seed = seed++});
  }
  r.add({.ops = {"layer_norm"},
         .name = "layer_norm [5, 17] weight only N(0, 1)",
         .inputs = {var({5, 17}, normal()), var({17}, uniform(0.5f, 1.5f))},
         .forward = layer_norm_fn(true, false),
         .gradcheck = kRows,
         .parity = kClose,
         .seed = seed++});
  r.add({.ops = {"layer_norm"},
         .name = "layer_norm [5, 17] bias only N(0, 1)",
         .inputs = {var({5, 17}, normal()), var({17}, normal())},
         .forward = layer_norm_fn(false, true),
         .gradcheck = kRows,
         .parity = kClose,
         .seed = seed++});

  // Parity, with and without weight and bias. cols = 1: xhat = 0, y = bias, and dx is 0 in exact
  // arithmetic; in float it is rounding noise (rstd = 1/sqrt(eps) ~ 316 times the last bit of
  // dxhat - mean(dxhat), which FMA contraction leaves non-zero on the CPU), not a value two
  // backends can agree on. There x is a constant (tests/cuda/special_parity_test.cpp checks that
  // its gradient is ~0).
  for (const Shape& s : std::vector<Shape>{
           {7, 1}, {1, 33}, {7, 33}, {65, 64}, {5, 1025}, {2, 4099}, {2, 5, 64}, {3, 1, 129}}) {
    const int64_t cols = s.back();
    for (int affine = 0; affine < 4; ++affine) {
      const bool with_w = affine & 1, with_b = affine & 2;
      if (cols == 1 && !with_w && !with_b) continue;  // nothing left to compare
      const std::string name =
          "layer_norm " + shape_str(s) + (with_w ? " weight" : "") + (with_b ? " bias" : "");
      std::vector<Input> in = {Input{s, normal(2.0f, 0.5f), cols > 1, 0, seed_of(name)}};
      if (with_w) in.push_back(var({cols}, normal(), seed_of(name + "w")));
      if (with_b) in.push_back(var({cols}, normal(), seed_of(name + "b")));
      r.add({.ops = {"layer_norm"},
             .name = name,
             .inputs = std::move(in),
             .forward = layer_norm_fn(with_w, with_b),
             .parity = kClose});
    }
  }
  // A larger eps, and weight and bias that are constants (only x gets a gradient).
  r.add({.ops = {"layer_norm"},
         .name = "layer_norm eps 1e-2, constant affine",
         .inputs = {var({9, 129}, normal(0.01f), 77), constant({129}, normal(), 78),
                    constant({129}, normal(), 79)},
         .forward = layer_norm_fn(true, true, 1e-2f),
         .parity = kClose});
}

void cross_entropy_cases(Registry& r) {
  const Forward ce =
      binary([](const Tensor& logits, const Tensor& t) { return ag::cross_entropy(logits, t); });
  uint64_t seed = 740;
  for (const Shape& s : std::vector<Shape>{{5, 7}, {1, 3}, {33, 2}, {3, 129}}) {
    r.add({.ops = {"cross_entropy"},
           .name = "cross_entropy " + shape_str(s) + " N(0, 2)",
           .inputs = {var(s, normal(2.0f)), constant({s[0]}, indices(int32_t(s[1])))},
           .forward = ce,
           .gradcheck = kRows,
           .parity = kClose,
           .seed = seed++});
  }
  struct Nc {
    int64_t N, C;
  };
  for (const Nc& c :
       std::vector<Nc>{{1, 2}, {7, 2}, {1000, 2}, {33, 1000}, {1000, 1000}, {5, 33}, {4, 4099}}) {
    const std::string name = "cross_entropy N " + std::to_string(c.N) + " C " + std::to_string(c.C);
    const Values targets =
        c.N == 1 ? custom("the least likely class",
                          [](const Shape&, Generator&, const std::vector<Tensor>& earlier) {
                            return least_likely_class(earlier[0]);
                          })
                 : indices(int32_t(c.C));
    r.add({.ops = {"cross_entropy"},
           .name = name,
           .inputs = {var({c.N, c.C}, normal(2.0f), seed_of(name)),
                      constant({c.N}, targets, seed_of(name + "t"))},
           .forward = ce,
           .parity = kClose});
  }
}

// masked_fill of scores [B, H, T, T] with a padding mask [B, 1, 1, T], a causal mask [T, T] and
// a full-shape mask, to -1e9 and to -inf; alone, and under a softmax (attention's use: finite
// again, as no row is fully masked). With -inf the output holds -inf at the masked positions:
// compared by position, like NaN/inf everywhere else. The mask is a constant.
void masked_fill_cases(Registry& r) {
  const float inf = std::numeric_limits<float>::infinity();
  const int64_t B = 3, H = 4;
  for (int64_t T : {7, 33}) {
    const Shape xs_shape = {B, H, T, T};
    const std::vector<std::pair<std::string, std::pair<Shape, std::function<Tensor()>>>> masks = {
        {"padding [B, 1, 1, T]", {{B, 1, 1, T}, [=] { return padding_mask(B, T); }}},
        {"causal [T, T]", {{T, T}, [=] { return causal_mask(T); }}},
        {"full shape", {xs_shape, [=] { return ag::expand(padding_mask(B, T), xs_shape); }}}};
    for (const auto& [mask_name, mask] : masks) {
      for (float value : {-1e9f, -inf}) {
        const std::string name = "masked_fill " + shape_str(xs_shape) + " " + mask_name +
                                 " value " + std::to_string(value);
        const std::vector<Input> inputs = {var(xs_shape, normal(2.0f), seed_of(name)),
                                           constant(mask.first, fixed(mask_name, mask.second))};
        parity::ParityOptions opts;
        opts.forward.nonfinite = value == -inf;
        r.add({.ops = {"masked_fill"},
               .name = name,
               .inputs = inputs,
               .forward = binary([value](const Tensor& x, const Tensor& m) {
                 return ag::masked_fill(x, m, value);
               }),
               .parity = opts});
        r.add({.ops = {"masked_fill", "softmax"},
               .name = name + " then softmax",
               .inputs = inputs,
               .forward = binary([value](const Tensor& x, const Tensor& m) {
                 return ag::softmax(ag::masked_fill(x, m, value), -1);
               }),
               .parity = kClose});
      }
    }
  }
}

}  // namespace

void row_cases(Registry& r) {
  softmax_family(r, false);
  softmax_family(r, true);
  layer_norm_cases(r);
  cross_entropy_cases(r);
  masked_fill_cases(r);
}

}  // namespace opcases
