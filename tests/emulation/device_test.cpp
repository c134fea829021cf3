// The emulated device's execution model, against what CUDA documents: launch geometry and its
// limits, __syncthreads() as a real barrier, per-block shared memory, real atomics, and device
// faults that are sticky and reported at the next synchronisation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "tests/emulation/emu_test.h"

#if defined(__SANITIZE_THREAD__)
// A reported race ends the process, so that the tests that plant one can expect it.
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1";
}
#endif

namespace {

using emutest::DeviceBuffer;

__global__ void record_indices(uint32_t* out) {
  const uint32_t block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const uint32_t threads = blockDim.x * blockDim.y * blockDim.z;
  const uint32_t thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  uint32_t* slot = out + 8 * (block * threads + thread);
  slot[0] = threadIdx.x, slot[1] = threadIdx.y, slot[2] = threadIdx.z;
  slot[3] = blockIdx.x, slot[4] = blockIdx.y, slot[5] = blockIdx.z;
  slot[6] = blockDim.x * 1000 + blockDim.y * 100 + blockDim.z;
  slot[7] = gridDim.x * 1000 + gridDim.y * 100 + gridDim.z;
}

TEST(EmulatedDevice, every_thread_of_a_3d_grid_sees_its_own_indices) {
  const dim3 grid(3, 2, 2), block(4, 3, 2);
  const size_t n = 12 * 24;
  DeviceBuffer<uint32_t> out(8 * n);
  ASSERT_EQ(cuda_emu::launch_kernel(record_indices, grid, block, nullptr, out.get()), cudaSuccess);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  const std::vector<uint32_t> h = out.host();
  size_t i = 0;
  for (unsigned bz = 0; bz < 2; ++bz)
    for (unsigned by = 0; by < 2; ++by)
      for (unsigned bx = 0; bx < 3; ++bx)
        for (unsigned tz = 0; tz < 2; ++tz)
          for (unsigned ty = 0; ty < 3; ++ty)
            for (unsigned tx = 0; tx < 4; ++tx, ++i) {
              const uint32_t* s = &h[8 * i];
              const std::vector<uint32_t> got(s, s + 8);
              const std::vector<uint32_t> want = {tx, ty, tz, bx, by, bz, 4302, 3202};
              ASSERT_EQ(got, want) << "thread " << i;
            }
}

__global__ void nothing(int*) {}

TEST(EmulatedDevice, bad_launch_configurations_fail_as_on_a_gpu) {
  DeviceBuffer<int> dummy(1);
  const struct {
    dim3 grid, block;
  } bad[] = {{dim3(1), dim3(1025)},      {dim3(1), dim3(32, 33)},       {dim3(1), dim3(1, 1, 65)},
             {dim3(1, 65536), dim3(32)}, {dim3(1, 1, 65536), dim3(32)}, {dim3(0), dim3(32)},
             {dim3(1), dim3(0)},         {dim3(2147483648u), dim3(1)}};
  for (const auto& c : bad) {
    (void)cuda_emu::launch_kernel(nothing, c.grid, c.block, nullptr, dummy.get());
    EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration)
        << c.grid.x << "x" << c.grid.y << "x" << c.grid.z << " blocks of " << c.block.x << "x"
        << c.block.y << "x" << c.block.z;
    EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "a configuration error is not sticky";
  }
  const struct {
    dim3 grid, block;
  } good[] = {{dim3(1), dim3(1024)},
              {dim3(1), dim3(32, 32)},
              {dim3(1), dim3(16, 1, 64)},
              {dim3(2, 2, 2), dim3(1)}};
  for (const auto& c : good) {
    (void)cuda_emu::launch_kernel(nothing, c.grid, c.block, nullptr, dummy.get());
    EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "at the limits, still valid";
  }
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

// Thread t writes slot t, then reads slot t + 1: right only when the barrier holds every thread
// until all have written.
template <bool kBarrier>
__global__ void rotate_through_shared(const int* in, int* out) {
  __shared__ int slots[256];
  const unsigned t = threadIdx.x;
  slots[t] = in[blockIdx.x * blockDim.x + t];
  if (kBarrier) __syncthreads();
  out[blockIdx.x * blockDim.x + t] = slots[(t + 1) % blockDim.x];
}

TEST(EmulatedDevice, syncthreads_is_a_barrier_and_its_absence_shows) {
  std::vector<int> in(4 * 256);
  std::iota(in.begin(), in.end(), 7);
  std::vector<int> want(in.size());
  for (int b = 0; b < 4; ++b)
    for (int t = 0; t < 256; ++t) want[size_t(b * 256 + t)] = in[size_t(b * 256 + (t + 1) % 256)];
  DeviceBuffer<int> d_in(in), d_out(in.size());
  ASSERT_EQ(cuda_emu::launch_kernel(rotate_through_shared<true>, 4, 256, nullptr, d_in.get(),
                                    d_out.get()),
            cudaSuccess);
  EXPECT_EQ(d_out.host(), want);
#if defined(__SANITIZE_THREAD__)
  // Under ThreadSanitizer the missing barrier is a reported data race (which halts the process).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        (void)cuda_emu::launch_kernel(rotate_through_shared<false>, 4, 256, nullptr, d_in.get(),
                                      d_out.get());
        (void)cudaDeviceSynchronize();
      },
      "ThreadSanitizer: data race");
#else
  ASSERT_EQ(cuda_emu::launch_kernel(rotate_through_shared<false>, 4, 256, nullptr, d_in.get(),
                                    d_out.get()),
            cudaSuccess);
  EXPECT_NE(d_out.host(), want) << "without the barrier some thread must read a stale slot";
#endif
}

// Each block sums its own values in shared memory; blocks run on several host threads at once.
__global__ void block_sums(const int* in, int* out) {
  __shared__ int total;
  if (threadIdx.x == 0) total = 0;
  __syncthreads();
  atomicAdd(&total, in[blockIdx.x * blockDim.x + threadIdx.x]);
  __syncthreads();
  if (threadIdx.x == 0) out[blockIdx.x] = total;
}

TEST(EmulatedDevice, shared_memory_is_per_block) {
  const int blocks = 64, threads = 128;
  std::vector<int> in(size_t(blocks * threads));
  for (size_t i = 0; i < in.size(); ++i) in[i] = int(i % 7) + int(i / threads) * 1000;
  DeviceBuffer<int> d_in(in), d_out{size_t(blocks)};
  ASSERT_EQ(cuda_emu::launch_kernel(block_sums, blocks, threads, nullptr, d_in.get(), d_out.get()),
            cudaSuccess);
  const std::vector<int> got = d_out.host();
  for (int b = 0; b < blocks; ++b) {
    int want = 0;
    for (int t = 0; t < threads; ++t) want += in[size_t(b * threads + t)];
    EXPECT_EQ(got[size_t(b)], want) << "block " << b;
  }
}

__global__ void contend(int* counter, unsigned long long* lowest, int* first_claim) {
  const int id = int(blockIdx.x * blockDim.x + threadIdx.x);
  atomicAdd(counter, 1);
  atomicMin(lowest, (unsigned long long)(1000000 - id));
  atomicCAS(first_claim, -1, 5);  // only the first CAS finds -1
}

TEST(EmulatedDevice, atomics_are_atomic_across_blocks) {
  DeviceBuffer<int> counter(std::vector<int>{0}), claim(std::vector<int>{-1});
  DeviceBuffer<unsigned long long> lowest(std::vector<unsigned long long>{~0ull});
  ASSERT_EQ(
      cuda_emu::launch_kernel(contend, 200, 256, nullptr, counter.get(), lowest.get(), claim.get()),
      cudaSuccess);
  EXPECT_EQ(counter.host()[0], 200 * 256);
  EXPECT_EQ(lowest.host()[0], 1000000ull - (200 * 256 - 1));
  EXPECT_EQ(claim.host()[0], 5);
}

__global__ void load_float4(const float* p, float* out) {
  if (::cuda_emu::check_vector_access(p, 16)) *out = reinterpret_cast<const float4*>(p)->x;
}

__global__ void half_the_block_waits(int* out) {
  if (threadIdx.x < 16) __syncthreads();
  out[threadIdx.x] = 1;
}

TEST(EmulatedDeviceDeathTest, a_misaligned_vector_access_is_a_sticky_fault) {
  EXPECT_DEVICE_FAULT("not 16-byte aligned(.|\n)*status: cudaErrorMisalignedAddress", {
    DeviceBuffer<float> buf(8);
    (void)cuda_emu::launch_kernel(load_float4, 1, 1, nullptr, buf.get() + 1, buf.get());
    if (cudaGetLastError() != cudaSuccess) std::exit(3);  // the launch itself is fine
    if (cudaDeviceSynchronize() != cudaErrorMisalignedAddress) std::exit(4);
    if (cudaMemset(buf.get(), 0, 4) != cudaErrorMisalignedAddress) std::exit(5);  // sticky
  });
}

TEST(EmulatedDeviceDeathTest, a_barrier_not_every_thread_reaches_is_a_fault) {
  EXPECT_DEVICE_FAULT(
      "__syncthreads\\(\\) reached by 16 of the 32 threads(.|\n)*status: cudaErrorLaunchFailure", {
        DeviceBuffer<int> out(32);
        (void)cuda_emu::launch_kernel(half_the_block_waits, 1, 32, nullptr, out.get());
      });
}

}  // namespace
