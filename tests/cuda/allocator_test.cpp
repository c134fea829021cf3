// The CUDA caching allocator: tensors of sizes already freed reuse the cached blocks, so the
// peak the allocator reports (Backend::peak_allocated_bytes) does not grow over many
// allocate/free cycles of the same sizes, nor over repeated training-like steps.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::Shape;
using ag::Tensor;
using parity::kGpu;

TEST(CudaParityAllocator, peak_does_not_grow_when_sizes_repeat) {
  SKIP_WITHOUT_CUDA();
  ag::Backend& be = ag::backend(kGpu);
  const Shape big = {(int64_t(1) << 20) + 3}, small = {4099};
  auto cycle = [&] {
    const Tensor a = Tensor::full(big, 1.0f, kGpu);
    const Tensor b = ag::exp(a);  // a second block of the same size, while a is alive
    const Tensor c = Tensor::full(small, 2.0f, kGpu);
    const Tensor d = ag::add(c, 1.0f);
    be.synchronize();
  };
  cycle();  // every size the loop uses has been allocated (and freed) once
  const size_t peak = be.peak_allocated_bytes();
  EXPECT_GE(peak, 2 * size_t(big[0]) * sizeof(float)) << "a and b were alive at once";
  for (int i = 0; i < 200; ++i) cycle();
  EXPECT_EQ(be.peak_allocated_bytes(), peak);
}

TEST(CudaParityAllocator, peak_does_not_grow_over_training_steps) {
  SKIP_WITHOUT_CUDA();
  ag::Backend& be = ag::backend(kGpu);
  Tensor x = parity::to_gpu(parity::randn({64, 129}, 1));
  Tensor w = parity::to_gpu(parity::randn({129, 65}, 2));
  const Tensor up = parity::to_gpu(parity::randn({64, 65}, 3));
  x.requires_grad_(true);
  w.requires_grad_(true);
  auto step = [&] {
    x.zero_grad();
    w.zero_grad();
    const Tensor y = ag::softmax(ag::gelu(ag::matmul(x, w)), -1);
    ag::backward(y, up);
    be.synchronize();
  };
  for (int i = 0; i < 3; ++i) step();
  const size_t peak = be.peak_allocated_bytes();
  for (int i = 0; i < 50; ++i) step();
  EXPECT_EQ(be.peak_allocated_bytes(), peak);
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().device(), kGpu);
}

}  // namespace
