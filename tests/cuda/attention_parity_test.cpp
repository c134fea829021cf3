// CUDA vs CPU: the fused attention (ag::attention), forward and the gradient of qkv, with and
// without a padding mask and dropout, at the runner's size and at row lengths that are not a
// multiple of a warp (the block per row then has idle threads) or exceed one block.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::Tensor;
using parity::check;
using parity::constant;
using parity::seed_of;
using parity::var;

Tensor padding(int64_t B, int64_t T) {
  std::vector<float> m(size_t(B * T), 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = std::max<int64_t>(1, T - 5 * b);
    for (int64_t t = 0; t < len; ++t) m[size_t(b * T + t)] = 1.0f;
  }
  return Tensor::from_vector(m, {B, T});
}

struct Case {
  int64_t B, T, H, Dh;
  bool mask;
  float p;
};

TEST(CudaParityAttention, attention) {
  SKIP_WITHOUT_CUDA();
  const std::vector<Case> cases = {{16, 32, 4, 16, true, 0.1f}, {16, 32, 4, 16, false, 0.0f},
                                   {2, 7, 2, 3, true, 0.0f},    {3, 33, 1, 8, true, 0.3f},
                                   {1, 257, 2, 4, true, 0.1f},  {1, 1, 1, 1, false, 0.0f}};
  for (const Case& c : cases) {
    const std::string what = "attention B " + std::to_string(c.B) + " T " + std::to_string(c.T) +
                             " H " + std::to_string(c.H) + " Dh " + std::to_string(c.Dh) +
                             (c.mask ? " masked" : "") + " p " + std::to_string(c.p);
    const int64_t H = c.H;
    const float p = c.p;
    std::vector<parity::Input> inputs = {
        var(parity::randn({c.B, c.T, 3 * c.H * c.Dh}, seed_of(what)))};
    if (c.mask) inputs.push_back(constant(padding(c.B, c.T)));
    check(
        what,
        [H, p](const std::vector<Tensor>& in) {
          ag::Generator gen(21);  // the same dropout stream on both devices
          return ag::attention(in[0], in.size() > 1 ? in[1] : Tensor(), H, p, gen, p > 0.0f);
        },
        inputs);
  }
}

}  // namespace
