// CUDA vs CPU: embedding (gather forward, scatter-add backward with colliding indices), dropout
// (the same counter-based mask on both devices for the same generator seed), argmax (ties and NaN
// included) and sum_squares.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::Generator;
using ag::Shape;
using ag::Tensor;
using parity::check;
using parity::check_multi;
using parity::constant;
using parity::seed_of;
using parity::shape_str;
using parity::var;

// --- embedding -----------------------------------------------------------------------------------

const parity::Fn kEmbedding = [](const std::vector<Tensor>& xs) {
  return ag::embedding(xs[0], xs[1]);
};

// The forward is a gather (bitwise equal); the backward sums colliding rows in whatever order
// the GPU's atomics or sort produce, so it is compared to 1e-5 of the norm.
parity::ParityOptions gather_exact() {
  parity::ParityOptions o;
  o.forward.exact = true;
  return o;
}

TEST(CudaParityMisc, embedding) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    int64_t V, D;
    Shape idx;
  };
  // Random indices with many repeats (1028 lookups into 50 rows), every lookup colliding (V = 1),
  // a wide vocabulary, odd row widths (1, 33, 129, 1025), a scalar index.
  const std::vector<Case> cases = {{50, 33, {4, 257}}, {1, 129, {1000}},    {1000, 64, {2, 3, 7}},
                                   {7, 1, {300}},      {33, 1025, {2, 17}}, {5, 7, {}}};
  for (const Case& c : cases) {
    const std::string what = "embedding [" + std::to_string(c.V) + ", " + std::to_string(c.D) +
                             "] indices " + shape_str(c.idx);
    check(what, kEmbedding,
          {var(parity::randn({c.V, c.D}, seed_of(what))),
           constant(parity::indices(c.idx, seed_of(what + "i"), int32_t(c.V)))},
          gather_exact());
  }
  // Hand-picked collisions: row 3 four times, rows 0 and 9 twice, the first and last rows.
  const Tensor idx = Tensor::from_indices({3, 3, 3, 0, 9, 3, 9, 0}, {8});
  check("embedding explicit repeats", kEmbedding, {var(parity::randn({10, 7}, 5)), constant(idx)},
        gather_exact());
  // The same indices twice in one graph: two scatter-adds into one .grad.
  check("embedding used twice",
        [](const std::vector<Tensor>& xs) {
          return ag::add(ag::embedding(xs[0], xs[1]), ag::embedding(xs[0], xs[1]));
        },
        {var(parity::randn({10, 7}, 6)), constant(idx)});
}

// --- dropout -------------------------------------------------------------------------------------

TEST(CudaParityMisc, dropout) {
  SKIP_WITHOUT_CUDA();
  const std::vector<Shape> shapes = {{1}, {257}, {4099}, {3, 5, 7}, {(int64_t(1) << 20) + 3}};
  for (float p : {0.0f, 0.1f, 0.5f, 1.0f}) {
    for (const Shape& s : shapes) {
      const std::string what = "dropout p " + std::to_string(p) + " " + shape_str(s);
      // Two draws from one generator: the second starts where the first's positions end.
      const uint64_t seed = seed_of(what + "gen");
      check_multi(what,
                  [p, seed](const std::vector<Tensor>& xs) {
                    Generator gen(seed);
                    const Tensor y1 = ag::dropout(xs[0], p, gen);
                    const Tensor y2 = ag::dropout(y1, p, gen);
                    return std::vector<Tensor>{y1, y2};
                  },
                  {var(parity::uniform(s, seed_of(what), 0.5f, 2.0f))});

      // The masks themselves: the same positions are dropped on both devices (inputs are never
      // 0, so y == 0 exactly where an element was dropped), at about the rate p.
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
  // Evaluation mode is the identity on both devices.
  check(
      "dropout eval",
      [](const std::vector<Tensor>& xs) {
        Generator gen(1);
        return ag::dropout(xs[0], 0.5f, gen, false);
      },
      {var(parity::randn({257}, 8))}, parity::exact_copies());
}

// --- argmax --------------------------------------------------------------------------------------

const parity::Fn kArgmax = [](const std::vector<Tensor>& xs) { return ag::argmax(xs[0]); };

TEST(CudaParityMisc, argmax) {
  SKIP_WITHOUT_CUDA();
  for (const Shape& s : std::vector<Shape>{
           {1, 1}, {7}, {7, 33}, {3, 5, 1025}, {1000, 2}, {4, 4099}, {2, 1}, {129, 255}}) {
    const std::string what = "argmax " + shape_str(s);
    check(what, kArgmax, {constant(parity::randn(s, seed_of(what)))});
  }
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

// --- sum_squares ---------------------------------------------------------------------------------

TEST(CudaParityMisc, sum_squares) {
  SKIP_WITHOUT_CUDA();
  for (const Shape& s : parity::elementwise_shapes(true)) {
    const std::string what = "sum_squares " + shape_str(s);
    check(what, [](const std::vector<Tensor>& xs) { return ag::sum_squares(xs[0]); },
          {constant(parity::randn(s, seed_of(what)))});
  }
}

}  // namespace
