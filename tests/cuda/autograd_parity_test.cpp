// CUDA vs CPU: gradient accumulation. A tensor used several times in one graph receives the sum
// of its gradients (the first adopted, the rest added into .grad on the device), and a second
// backward pass without zero_grad adds into the existing .grad.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/ops/parity.h"

namespace {

using ag::Device;
using ag::Tensor;
using parity::check;
using parity::constant;
using parity::var;

TEST(CudaParityAutograd, tensor_used_several_times) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = parity::randn({7, 33}, 1);
  const Tensor b = parity::randn({33}, 2);
  const Tensor w = parity::randn({33, 17}, 3);
  check(
      "x * x + exp(x)",
      [](const std::vector<Tensor>& xs) { return ag::add(ag::mul(xs[0], xs[0]), ag::exp(xs[0])); },
      {var(x)});
  check("add(x, x)", [](const std::vector<Tensor>& xs) { return ag::add(xs[0], xs[0]); }, {var(x)});
  check("swiglu(x, x)", [](const std::vector<Tensor>& xs) { return ag::swiglu(xs[0], xs[0]); },
        {var(x)});
  // A broadcast operand used twice: both gradients are reduced to [33], then accumulated.
  check("(x + b) * b",
        [](const std::vector<Tensor>& xs) { return ag::mul(ag::add(xs[0], xs[1]), xs[1]); },
        {var(x), var(b)});
  // A weight shared by two matmuls, and an input reused through a layout op.
  check("x w + (2 x) w + permute(permute(x))",
        [](const std::vector<Tensor>& xs) {
          const Tensor y =
              ag::add(ag::matmul(xs[0], xs[1]), ag::matmul(ag::mul(xs[0], 2.0f), xs[1]));
          const Tensor back = ag::permute(ag::permute(xs[0], {1, 0}), {1, 0});
          return ag::concat({y, back}, 1);
        },
        {var(x), var(w)});
  // An intermediate used by two consumers, one of which is a constant-input op.
  check("h = tanh(x); softmax(h) + h * c",
        [](const std::vector<Tensor>& xs) {
          const Tensor h = ag::tanh(xs[0]);
          return ag::add(ag::softmax(h, -1), ag::mul(h, xs[1]));
        },
        {var(x), constant(parity::randn({7, 33}, 4))});
}

// Two forward/backward passes into the same leaves without zero_grad: .grad holds the sum.
TEST(CudaParityAutograd, grads_accumulate_across_backward_passes) {
  SKIP_WITHOUT_CUDA();
  const Tensor x0 = parity::randn({5, 129}, 11), w0 = parity::randn({129}, 12);
  auto run = [&](Device device, bool reference) {
    Tensor x = reference ? x0.clone() : parity::to_gpu(x0);
    Tensor w = reference ? w0.clone() : parity::to_gpu(w0);
    x.requires_grad_(true);
    w.requires_grad_(true);
    for (int pass = 0; pass < 3; ++pass) {
      const Tensor y = ag::mul(ag::gelu(x), w);
      const Tensor up =
          parity::randn(y.shape(), 100 + uint64_t(pass), 1.0f, parity::kUpstreamMean).to(device);
      ag::backward(y, up);
    }
    return std::vector<Tensor>{x.grad(), w.grad()};
  };
  const std::vector<Tensor> cpu = run(Device::CPU, true);
  const std::vector<Tensor> gpu = run(parity::kGpu, false);
  for (size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_TRUE(cpu[i].defined() && gpu[i].defined()) << "input " << i;
    EXPECT_EQ(gpu[i].device(), parity::kGpu);
    EXPECT_TRUE(parity::match(gpu[i], cpu[i])) << "accumulated gradient of input " << i;
  }
}

}  // namespace
