// Errors that involve the CUDA device: an op given a CPU and a CUDA tensor throws ag::Error naming
// the op and both devices; an embedding index (or a cross-entropy target) out of range on CUDA is
// reported as an ag::Error instead of reading outside the table.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "tests/core/error_message.h"
#include "tests/ops/parity.h"

namespace {

using ag::Device;
using ag::Tensor;
using parity::kGpu;
using parity::to_gpu;

using agtest::error_message;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(CudaParityErrors, mixing_devices_names_the_op) {
  SKIP_WITHOUT_TWO_DEVICES();
  const Tensor c23 = Tensor::ones({2, 3}), g23 = Tensor::ones({2, 3}, Device::CUDA);
  const Tensor g34 = Tensor::ones({3, 4}, Device::CUDA);
  const Tensor c3 = Tensor::ones({3}), g3 = Tensor::ones({3}, Device::CUDA);
  const Tensor c_idx = Tensor::from_indices({0, 1}, {2});
  const Tensor g_idx = Tensor::from_indices({0, 1}, {2}, Device::CUDA);
  const Tensor c_weight = Tensor::ones({5, 3}), g_weight = Tensor::ones({5, 3}, Device::CUDA);
  const ag::math::AdamWStep adamw = ag::math::make_adamw_step(1e-3, 0.9, 0.999, 1e-8, 0.0, 1);
  const ag::math::SgdStep sgd{0.1f, 0.9f, 0.0f, true};
  struct Case {
    std::string op;
    std::function<void()> f;
  };
  const std::vector<Case> cases = {
      {"add", [&] { (void)ag::add(c23, g23); }},
      {"add", [&] { (void)ag::add(g23, c3); }},  // broadcasting: the device check comes first
      {"sub", [&] { (void)ag::sub(g23, c23); }},
      {"mul", [&] { (void)ag::mul(c23, g23); }},
      {"div", [&] { (void)ag::div(g23, c23); }},
      {"masked_fill", [&] { (void)ag::masked_fill(g23, c23, 0.0f); }},
      {"matmul", [&] { (void)ag::matmul(c23, g34); }},
      {"concat",
       [&] {
         (void)ag::concat({g23, c23}, 0);
       }},
      {"swiglu", [&] { (void)ag::swiglu(g23, c23); }},
      {"geglu", [&] { (void)ag::geglu(c23, g23); }},
      {"gated", [&] { (void)ag::gated(g23, c23, ag::math::UnaryOp::Relu); }},
      {"embedding", [&] { (void)ag::embedding(g_weight, c_idx); }},
      {"embedding", [&] { (void)ag::embedding(c_weight, g_idx); }},
      {"cross_entropy", [&] { (void)ag::cross_entropy(g23, c_idx); }},
      {"layer_norm", [&] { (void)ag::layer_norm(g23, c3, Tensor()); }},
      {"layer_norm", [&] { (void)ag::layer_norm(g23, g3, c3); }},
      {"adamw",
       [&] {
         Tensor p = Tensor::ones({3}, Device::CUDA), m = Tensor::zeros({3}, Device::CUDA),
                v = Tensor::zeros({3}, Device::CUDA);
         ag::adamw_step(p, c3, m, v, adamw);
       }},
      {"sgd",
       [&] {
         Tensor p = Tensor::ones({3}, Device::CUDA), buf = Tensor::zeros({3}, Device::CUDA);
         ag::sgd_step(p, c3, buf, sgd);
       }},
  };
  for (const Case& c : cases) {
    const std::string msg = error_message(c.f);
    EXPECT_TRUE(contains(msg, c.op + ":")) << c.op << ": " << msg;
    EXPECT_TRUE(contains(msg, "cpu") && contains(msg, "cuda")) << c.op << ": " << msg;
  }
  // The unfused SwiGLU is silu then mul: the error comes from mul.
  EXPECT_TRUE(
      contains(error_message([&] { (void)ag::swiglu_unfused(g23, c23); }), "different devices"));
  // A backward seeded with an upstream gradient on the other device.
  Tensor x = Tensor::ones({2, 3}, Device::CUDA);
  x.requires_grad_(true);
  const Tensor y = ag::exp(x);
  EXPECT_TRUE(contains(error_message([&] { ag::backward(y, c23); }), "backward"));
  ag::clear_tape();
}

// Expected behaviour: the core validates indices on the host only for CPU tensors (reading a
// CUDA index tensor would cost a device-to-host copy per lookup); for CUDA tensors the kernel
// must not read outside the table, raise a device-side flag instead, and Backend::check_errors()
// (which synchronises) throws an ag::Error that names the op. The flag is cleared by the report:
// the next check_errors() does not throw, and the backend keeps working. Either the op or the
// check may throw; the test accepts both, and requires that one of them does. The message is the
// CPU's: `what` (e.g. "embedding: index"), the bad value, its position and the valid range. The
// bad value sits at positions 1 and 2: the lowest is the one named, as by the CPU's in-order
// check, whichever GPU thread reports first.
void check_out_of_range_reported(const std::string& op, const std::string& what, int64_t limit,
                                 const std::function<void(int32_t bad)>& run_with_bad_index,
                                 const std::vector<int32_t>& bad_values) {
  ag::Backend& be = ag::backend(kGpu);
  EXPECT_NO_THROW(be.check_errors()) << "an error was pending before the test";
  for (int32_t bad : bad_values) {
    SCOPED_TRACE(op + " index " + std::to_string(bad));
    const std::string msg = error_message([&] {
      run_with_bad_index(bad);
      be.check_errors();
    });
    EXPECT_TRUE(contains(msg, op)) << msg;
    EXPECT_TRUE(contains(msg, what + " " + std::to_string(bad) +
                                  " at position 1 is out of range [0, " + std::to_string(limit) +
                                  ")"))
        << msg;
    EXPECT_NO_THROW(be.check_errors()) << "the same error was reported twice";
  }
}

TEST(CudaParityErrors, embedding_index_out_of_range_on_cuda) {
  SKIP_WITHOUT_CUDA();
  const Tensor w_cpu = parity::randn({10, 4}, 1);
  const Tensor w = to_gpu(w_cpu);
  ASSERT_EQ(w.device(), kGpu);
  check_out_of_range_reported("embedding", "embedding: index", 10,
                              [&](int32_t bad) {
                                const Tensor idx = to_gpu(Tensor::from_indices({1, bad, bad}, {3}));
                                const Tensor y = ag::embedding(w, idx);
                                (void)y.to_vector();
                              },
                              {10, -1, 1000000, -2147483647 - 1});
  // The backend still works: a valid lookup afterwards matches the CPU.
  const Tensor idx = Tensor::from_indices({9, 0, 3, 3}, {4});
  const Tensor y = ag::embedding(w, to_gpu(idx));
  EXPECT_EQ(y.device(), kGpu);
  parity::MatchOptions exact;
  exact.exact = true;
  EXPECT_TRUE(parity::match(y, ag::embedding(w_cpu, idx), exact));
  EXPECT_NO_THROW(ag::backend(kGpu).check_errors());
}

TEST(CudaParityErrors, cross_entropy_target_out_of_range_on_cuda) {
  SKIP_WITHOUT_CUDA();
  const Tensor logits = to_gpu(parity::randn({3, 5}, 2));
  check_out_of_range_reported("cross_entropy", "cross_entropy: target", 5,
                              [&](int32_t bad) {
                                const Tensor t = to_gpu(Tensor::from_indices({0, bad, bad}, {3}));
                                (void)ag::cross_entropy(logits, t).item();
                              },
                              {5, -1, 1000000});
  const Tensor t = Tensor::from_indices({0, 4, 2}, {3});
  EXPECT_TRUE(parity::match(ag::cross_entropy(logits, to_gpu(t)),
                            ag::cross_entropy(logits.to(Device::CPU), t)));
  EXPECT_NO_THROW(ag::backend(kGpu).check_errors());
}

}  // namespace
