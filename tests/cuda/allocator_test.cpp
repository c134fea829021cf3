// The CUDA caching allocator: tensors of sizes already freed reuse the cached blocks, so the
// peak the allocator reports (Backend::peak_allocated_bytes) does not grow over many
// allocate/free cycles of the same sizes, nor over repeated training-like steps.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/ops/parity.h"

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

namespace {

// A captured graph keeps using the addresses of its capture: a block the captured work used and
// freed must not be handed out again while the graph lives (the next replay would write into
// someone else's tensor), and must be once the graph is gone.
TEST(CudaAllocatorGraphPool, blocks_of_a_live_graph_are_not_reused) {
  SKIP_WITHOUT_CUDA();
  if (parity::kSelfTest) GTEST_SKIP() << "the CPU backend has no graphs";
  ag::Backend& be = ag::backend(kGpu);
  const Shape shape = {12345};  // a size no other test here uses
  Tensor x = Tensor::full(shape, 2.0f, kGpu);
  Tensor out = Tensor::zeros(shape, kGpu);
  const float* temporary = nullptr;
  be.begin_capture();
  {
    const Tensor t = ag::exp(x);  // a temporary of the captured work, freed inside the capture
    temporary = t.data();
    be.add_inplace(out.data(), t.data(), out.numel());
  }
  std::shared_ptr<void> graph = be.end_capture();
  {
    const Tensor other = Tensor::full(shape, 7.0f, kGpu);  // same size, after the capture
    EXPECT_NE(other.data(), temporary) << "the graph's temporary was handed out again";
    be.launch_graph(graph);
    be.launch_graph(graph);  // out = 2 e^2: the graph's exp wrote its own block, not `other`
    const std::vector<float> o = out.to_vector(), v = other.to_vector();
    EXPECT_FLOAT_EQ(o[0], 2.0f * std::exp(2.0f));
    EXPECT_EQ(v[0], 7.0f);
  }
  graph.reset();  // the graph is released: its blocks are ordinary cached blocks again
  bool reused = false;
  std::vector<Tensor> keep;
  for (int i = 0; i < 4 && !reused; ++i) {
    keep.push_back(Tensor::empty(shape, kGpu));
    reused = keep.back().data() == temporary;
  }
  EXPECT_TRUE(reused);
}

TEST(CudaAllocatorGraphPool, the_cpu_refuses_graphs) {
  ag::Backend& cpu = ag::backend(ag::Device::CPU);
  EXPECT_FALSE(cpu.supports_graphs());
  EXPECT_THROW(cpu.begin_capture(), ag::Error);
  EXPECT_THROW(cpu.set_random_shift(3), ag::Error);
}

}  // namespace
