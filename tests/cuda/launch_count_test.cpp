// The CUDA backend's launch counter (Backend::launch_counts) against cases counted by hand from
// the kernels: what each op queues is read off cuda/*.cu, so a change that adds or drops a
// launch shows up here as a changed number.
#include <gtest/gtest.h>

#include <vector>

#include "tests/ops/parity.h"

namespace {

using ag::LaunchCounts;
using ag::Tensor;
using parity::kGpu;

LaunchCounts since(const LaunchCounts& before) {
  const LaunchCounts now = ag::backend(kGpu).launch_counts();
  LaunchCounts d;
  d.kernels = now.kernels - before.kernels;
  d.library = now.library - before.library;
  d.memsets = now.memsets - before.memsets;
  d.copies = now.copies - before.copies;
  return d;
}

#define SKIP_WITHOUT_COUNTER() \
  SKIP_WITHOUT_CUDA();         \
  if (parity::kSelfTest) GTEST_SKIP() << "the CPU backend queues nothing to count"

TEST(CudaLaunchCount, one_add_is_one_kernel) {
  SKIP_WITHOUT_COUNTER();
  const Tensor a = Tensor::from_vector({1, 2, 3, 4}, {4}, kGpu);
  const Tensor b = Tensor::from_vector({5, 6, 7, 8}, {4}, kGpu);
  const LaunchCounts before = ag::backend(kGpu).launch_counts();
  const Tensor c = ag::add(a, b);  // same shapes: one elementwise map kernel
  const LaunchCounts d = since(before);
  EXPECT_EQ(d.kernels, 1);
  EXPECT_EQ(d.library, 0);
  EXPECT_EQ(d.memsets, 0);
  EXPECT_EQ(d.copies, 0);
  EXPECT_EQ(d.total(), 1);
}

// sum(relu(a @ w)) with a [4, 8] and w [8, 3], both requiring gradients.
// Forward: matmul = 1 cuBLAS call, relu = 1 map kernel, sum to a scalar = 1 reduce kernel.
// Backward: the seed ones = 1 fill kernel; sum's backward expands gy = 1 gather kernel; relu's
// backward = 1 map kernel; matmul's backward = 2 cuBLAS calls (dA = dC W^T, dW = A^T dC).
// Every gradient is adopted, not copied (each has one owner), so nothing else is queued.
TEST(CudaLaunchCount, matmul_relu_sum_forward_and_backward) {
  SKIP_WITHOUT_COUNTER();
  std::vector<float> av(32), wv(24);
  for (size_t i = 0; i < av.size(); ++i) av[i] = float(int(i % 7) - 3) * 0.25f;
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = float(int(i % 5) - 2) * 0.5f;
  Tensor a = Tensor::from_vector(av, {4, 8}, kGpu);
  Tensor w = Tensor::from_vector(wv, {8, 3}, kGpu);
  a.requires_grad_();
  w.requires_grad_();
  ag::Backend& be = ag::backend(kGpu);

  const LaunchCounts start = be.launch_counts();
  const Tensor loss = ag::sum(ag::relu(ag::matmul(a, w)));
  const LaunchCounts forward = since(start);
  EXPECT_EQ(forward.kernels, 2);
  EXPECT_EQ(forward.library, 1);
  EXPECT_EQ(forward.total(), 3);

  const LaunchCounts mid = be.launch_counts();
  ag::backward(loss);
  const LaunchCounts backward = since(mid);
  EXPECT_EQ(backward.kernels, 3);
  EXPECT_EQ(backward.library, 2);
  EXPECT_EQ(backward.memsets, 0);
  EXPECT_EQ(backward.copies, 0);
  EXPECT_EQ(be.launch_count() - start.total(), 8);
}

// Copies count in both directions; reading back also fetches the device's error report.
TEST(CudaLaunchCount, copies_and_memsets_are_counted) {
  SKIP_WITHOUT_COUNTER();
  ag::backend(kGpu).synchronize();  // starts the runtime, whose setup copies the error report
  const LaunchCounts start = ag::backend(kGpu).launch_counts();
  const Tensor x = Tensor::from_vector({1, 2, 3}, {3}, kGpu);  // 1 copy to the device
  EXPECT_EQ(since(start).copies, 1);
  const LaunchCounts mid = ag::backend(kGpu).launch_counts();
  (void)x.to_vector();  // the values + the error report: 2 copies back
  EXPECT_EQ(since(mid).copies, 2);

  // Embedding's backward zeroes the table's gradient with one memset before scattering into it.
  Tensor table = Tensor::zeros({5, 2}, kGpu);
  table.requires_grad_();
  const Tensor ids = Tensor::from_indices({0, 3, 3}, {3}, kGpu);
  const Tensor loss = ag::sum(ag::embedding(table, ids));
  const LaunchCounts before_backward = ag::backend(kGpu).launch_counts();
  ag::backward(loss);
  EXPECT_EQ(since(before_backward).memsets, 1);
}

TEST(CudaLaunchCount, cpu_counts_nothing) {
  const Tensor a = Tensor::ones({16}, ag::Device::CPU);
  const Tensor b = ag::add(a, a);
  EXPECT_EQ(ag::backend(ag::Device::CPU).launch_count(), 0);
}

}  // namespace
