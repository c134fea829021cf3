// embedding (gather forward, scatter-add backward with colliding indices), dropout (the same
// counter-based mask on both devices for the same generator seed) and the fused attention.
#include <algorithm>
#include <string>
#include <vector>

#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

using parity::seed_of;

// The forward is a gather (bitwise equal); the backward sums colliding rows in whatever order the
// GPU's atomics or sort produce, so it is compared to 1e-5 of the norm.
parity::ParityOptions gather_exact() {
  parity::ParityOptions o;
  o.forward.exact = true;
  return o;
}

const Forward kEmbedding =
    binary([](const Tensor& w, const Tensor& idx) { return ag::embedding(w, idx); });

void embedding_cases(Registry& r) {
  // Gradcheck: repeated indices, so the weight gradient of a row used k times is the sum of k
  // upstream rows. Linear in the weight: exact differences.
  r.add({.ops = {"embedding"},
         .name = "embedding [7, 5] repeated indices [2, 6]",
         .inputs = {var({7, 5}, normal()),
                    constant({2, 6}, fixed_indices({0, 3, 3, 6, 1, 3, 0, 3, 2, 6, 6, 3}))},
         .forward = kEmbedding,
         .gradcheck = kLinear,
         .parity = gather_exact(),
         .seed = 800});
  r.add({.ops = {"embedding"},
         .name = "embedding [7, 5] one index",
         .inputs = {var({7, 5}, normal()), constant({1}, fixed_indices({4}))},
         .forward = kEmbedding,
         .gradcheck = kLinear,
         .parity = gather_exact(),
         .seed = 801});
  r.add({.ops = {"embedding"},
         .name = "embedding [33, 3] random indices [4, 9]",
         .inputs = {var({33, 3}, normal()), constant({4, 9}, indices(33))},
         .forward = kEmbedding,
         .gradcheck = kLinear,
         .parity = gather_exact(),
         .seed = 802});

  // Parity: random indices with many repeats (1028 lookups into 50 rows), every lookup colliding
  // (V = 1), a wide vocabulary, odd row widths (1, 33, 129, 1025), a scalar index.
  struct Case {
    int64_t V, D;
    Shape idx;
  };
  for (const Case& c : std::vector<Case>{{50, 33, {4, 257}},
                                         {1, 129, {1000}},
                                         {1000, 64, {2, 3, 7}},
                                         {7, 1, {300}},
                                         {33, 1025, {2, 17}},
                                         {5, 7, {}}}) {
    const std::string name = "embedding [" + std::to_string(c.V) + ", " + std::to_string(c.D) +
                             "] indices " + shape_str(c.idx);
    r.add({.ops = {"embedding"},
           .name = name,
           .inputs = {var({c.V, c.D}, normal(), seed_of(name)),
                      constant(c.idx, indices(int32_t(c.V)), seed_of(name + "i"))},
           .forward = kEmbedding,
           .parity = gather_exact()});
  }
  // Hand-picked collisions: row 3 four times, rows 0 and 9 twice, the first and last rows.
  const std::vector<int32_t> repeats = {3, 3, 3, 0, 9, 3, 9, 0};
  r.add({.ops = {"embedding"},
         .name = "embedding explicit repeats",
         .inputs = {var({10, 7}, normal(), 5), constant({8}, fixed_indices(repeats))},
         .forward = kEmbedding,
         .parity = gather_exact()});
  // The same indices twice in one graph: two scatter-adds into one .grad.
  r.add({.ops = {"embedding", "add(Tensor, Tensor)"},
         .name = "embedding used twice",
         .inputs = {var({10, 7}, normal(), 6), constant({8}, fixed_indices(repeats))},
         .forward = binary([](const Tensor& w, const Tensor& idx) {
           return ag::add(ag::embedding(w, idx), ag::embedding(w, idx));
         }),
         .parity = kClose});
}

void dropout_cases(Registry& r) {
  // Gradcheck: the gradient of dropout is the mask of its own forward, scaled; every evaluation
  // restarts the mask's generator at the same state, so each sees the same mask. Linear in x.
  for (const Shape& s : std::vector<Shape>{{1}, {7}, {129}, {1031}, {3, 5, 7}}) {
    r.add({.ops = {"dropout"},
           .name = "dropout p 0.3 " + shape_str(s) + " N(0, 1)",
           .inputs = {var(s, normal())},
           .forward = unary([](const Tensor& t) {
             Generator mask(911);
             return ag::dropout(t, 0.3f, mask);
           }),
           .gradcheck = kLinear,
           .parity = kClose,
           .seed = 910});
  }
  r.add({.ops = {"dropout"},
         .name = "dropout p 0 [33]",
         .inputs = {var({33}, normal())},
         .forward = unary([](const Tensor& t) {
           Generator mask(921);
           return ag::dropout(t, 0.0f, mask);
         }),
         .gradcheck = kLinear,
         .parity = kExact,
         .seed = 920});
  r.add({.ops = {"dropout"},
         .name = "dropout eval p 0.5 [33]",
         .inputs = {var({33}, normal())},
         .forward = unary([](const Tensor& t) {
           Generator mask(921);
           return ag::dropout(t, 0.5f, mask, false);
         }),
         .gradcheck = kLinear,
         .parity = kExact,
         .seed = 920});

  // Parity: two draws from one generator (the second starts where the first's positions end),
  // inputs never 0; tests/cuda/special_parity_test.cpp checks the masks themselves.
  for (float p : {0.0f, 0.1f, 0.5f, 1.0f}) {
    for (const Shape& s :
         std::vector<Shape>{{1}, {257}, {4099}, {3, 5, 7}, {(int64_t(1) << 20) + 3}}) {
      const std::string name = "dropout p " + std::to_string(p) + " " + shape_str(s);
      const uint64_t seed = seed_of(name + "gen");
      r.add({.ops = {"dropout"},
             .name = name,
             .inputs = {var(s, uniform(0.5f, 2.0f), seed_of(name))},
             .forward =
                 [p, seed](const std::vector<Tensor>& xs) {
                   Generator gen(seed);
                   const Tensor y1 = ag::dropout(xs[0], p, gen);
                   const Tensor y2 = ag::dropout(y1, p, gen);
                   return std::vector<Tensor>{y1, y2};
                 },
             .parity = kClose});
    }
  }
  // Evaluation mode is the identity on both devices.
  r.add({.ops = {"dropout"},
         .name = "dropout eval",
         .inputs = {var({257}, normal(), 8)},
         .forward = unary([](const Tensor& t) {
           Generator gen(1);
           return ag::dropout(t, 0.5f, gen, false);
         }),
         .parity = kExact});
}

// Key masks [B, T]: 1 for the first len_b = max(1, T - step * b) positions (every row keeps a
// real first key), 0 after.
Tensor key_padding(int64_t B, int64_t T, int64_t step) {
  std::vector<float> m(size_t(B * T), 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = std::max<int64_t>(1, T - step * b);
    for (int64_t t = 0; t < len; ++t) m[size_t(b * T + t)] = 1.0f;
  }
  return Tensor::from_vector(m, {B, T});
}

void attention_cases(Registry& r) {
  struct Case {
    int64_t B, T, H, Dh;
    bool mask;
    float p;
  };
  const auto describe = [](const Case& c) {
    return "attention B " + std::to_string(c.B) + " T " + std::to_string(c.T) + " H " +
           std::to_string(c.H) + " Dh " + std::to_string(c.Dh) + (c.mask ? " masked" : "") + " p " +
           std::to_string(c.p);
  };
  // The same dropout mask on every evaluation: a fresh generator each call.
  const auto fn = [](int64_t H, float p, uint64_t dropout_seed) {
    return multi([H, p, dropout_seed](const std::vector<Tensor>& in) {
      Generator gen(dropout_seed);
      return ag::attention(in[0], in.size() > 1 ? in[1] : Tensor(), H, p, gen, p > 0.0f);
    });
  };
  // Gradcheck: a row-wise op (every score of a row moves with each input): kRows. Seeds 40 + T.
  for (const Case& c : std::vector<Case>{
           {2, 4, 2, 2, true, 0.0f}, {1, 5, 1, 3, false, 0.0f}, {2, 3, 2, 2, true, 0.3f}}) {
    std::vector<Input> in = {var({c.B, c.T, 3 * c.H * c.Dh}, normal())};
    const int64_t B = c.B, T = c.T;
    if (c.mask)
      in.push_back(constant({B, T}, fixed("padding", [=] { return key_padding(B, T, 3); })));
    r.add({.ops = {"attention"},
           .name = describe(c) + " N(0, 1)",
           .inputs = std::move(in),
           .forward = fn(c.H, c.p, 11),
           .gradcheck = kRows,
           .parity = kClose,
           .seed = uint64_t(40 + c.T)});
  }
  // Parity at the runner's size, and at row lengths that are not a multiple of a warp (the block
  // per row then has idle threads) or exceed one block.
  for (const Case& c : std::vector<Case>{{16, 32, 4, 16, true, 0.1f},
                                         {16, 32, 4, 16, false, 0.0f},
                                         {2, 7, 2, 3, true, 0.0f},
                                         {3, 33, 1, 8, true, 0.3f},
                                         {1, 257, 2, 4, true, 0.1f},
                                         {1, 1, 1, 1, false, 0.0f}}) {
    const std::string name = describe(c);
    std::vector<Input> in = {var({c.B, c.T, 3 * c.H * c.Dh}, normal(), seed_of(name))};
    const int64_t B = c.B, T = c.T;
    if (c.mask)
      in.push_back(constant({B, T}, fixed("padding", [=] { return key_padding(B, T, 5); })));
    r.add({.ops = {"attention"},
           .name = name,
           .inputs = std::move(in),
           .forward = fn(c.H, c.p, 21),
           .parity = kClose});
  }
}

}  // namespace

void embedding_dropout_attention_cases(Registry& r) {
  embedding_cases(r);
  dropout_cases(r);
  attention_cases(r);
}

}  // namespace opcases
