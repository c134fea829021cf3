// The emulated CUDA runtime's memory, copies, streams and events, against the runtime's
// documented semantics.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tests/emulation/emu_test.h"

namespace {

using emutest::DeviceBuffer;

TEST(EmulatedRuntime, copies_check_which_side_is_device_memory) {
  DeviceBuffer<float> dev(4);
  std::vector<float> host(4, 1.0f);
  EXPECT_EQ(cudaMemcpy(dev.get(), host.data(), 16, cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(host.data(), dev.get(), 16, cudaMemcpyHostToDevice), cudaErrorInvalidValue)
      << "destination is host memory";
  EXPECT_EQ(cudaMemcpy(dev.get(), host.data(), 20, cudaMemcpyHostToDevice), cudaErrorInvalidValue)
      << "20 bytes do not fit the 16-byte allocation";
  EXPECT_EQ(cudaMemcpy(dev.get() + 1, dev.get(), 16, cudaMemcpyDeviceToDevice),
            cudaErrorInvalidValue)
      << "the destination range runs past the allocation";
  EXPECT_EQ(cudaMemsetAsync(host.data(), 0, 16, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue) << "failed calls set the last error";
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "and reading it clears it";
  EXPECT_EQ(cudaFree(host.data()), cudaErrorInvalidValue);
  (void)cudaGetLastError();
}

TEST(EmulatedRuntime, work_runs_in_stream_order_when_the_host_waits) {
  cudaStream_t s = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  DeviceBuffer<int> dev(1);
  int* pinned = nullptr;
  ASSERT_EQ(cudaHostAlloc(reinterpret_cast<void**>(&pinned), sizeof(int), cudaHostAllocDefault),
            cudaSuccess);
  int pageable = 41;
  // From pageable memory the runtime stages the source before returning: changing it afterwards
  // does not change what arrives.
  ASSERT_EQ(cudaMemcpyAsync(dev.get(), &pageable, sizeof(int), cudaMemcpyHostToDevice, s),
            cudaSuccess);
  pageable = 0;
  *pinned = -1;
  ASSERT_EQ(cudaMemcpyAsync(pinned, dev.get(), sizeof(int), cudaMemcpyDeviceToHost, s),
            cudaSuccess);
  EXPECT_EQ(cudaStreamQuery(s), cudaErrorNotReady);
  EXPECT_EQ(*pinned, -1) << "a copy to pinned memory is asynchronous: not done before a wait";
  ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  EXPECT_EQ(*pinned, 41);
  EXPECT_EQ(cudaStreamQuery(s), cudaSuccess);
  // To pageable memory the copy has completed when the call returns.
  ASSERT_EQ(cudaMemsetAsync(dev.get(), 0, sizeof(int), s), cudaSuccess);
  pageable = 5;
  ASSERT_EQ(cudaMemcpyAsync(&pageable, dev.get(), sizeof(int), cudaMemcpyDeviceToHost, s),
            cudaSuccess);
  EXPECT_EQ(pageable, 0);
  EXPECT_EQ(cudaFreeHost(pinned), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
}

TEST(EmulatedRuntime, synchronising_calls_are_counted) {
  const uint64_t before = cuda_emu::synchronizations();
  DeviceBuffer<int> dev(1);  // cudaMemcpy inside? no: only cudaMalloc
  ASSERT_EQ(cudaMemsetAsync(dev.get(), 0, 4, nullptr), cudaSuccess);
  EXPECT_EQ(cuda_emu::synchronizations(), before) << "queuing work does not wait";
  ASSERT_EQ(cudaStreamSynchronize(nullptr), cudaSuccess);
  EXPECT_EQ(cuda_emu::synchronizations(), before + 1);
}

TEST(EmulatedRuntime, events_time_the_work_between_them) {
  cudaEvent_t a = nullptr, b = nullptr;
  ASSERT_EQ(cudaEventCreate(&a), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&b), cudaSuccess);
  float ms = -1.0f;
  EXPECT_EQ(cudaEventElapsedTime(&ms, a, b), cudaErrorInvalidResourceHandle) << "never recorded";
  (void)cudaGetLastError();
  ASSERT_EQ(cudaEventRecord(a, nullptr), cudaSuccess);
  DeviceBuffer<char> big(size_t(1) << 24);
  ASSERT_EQ(cudaMemsetAsync(big.get(), 1, size_t(1) << 24, nullptr), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(b, nullptr), cudaSuccess);
  EXPECT_EQ(cudaEventQuery(b), cudaErrorNotReady);
  EXPECT_EQ(cudaEventElapsedTime(&ms, a, b), cudaErrorNotReady);
  (void)cudaGetLastError();
  ASSERT_EQ(cudaEventSynchronize(b), cudaSuccess);
  ASSERT_EQ(cudaEventElapsedTime(&ms, a, b), cudaSuccess);
  EXPECT_GT(ms, 0.0f);
  EXPECT_EQ(cudaEventDestroy(a), cudaSuccess);
  EXPECT_EQ(cudaEventDestroy(b), cudaSuccess);
}

TEST(EmulatedRuntime, allocation_beyond_the_device_memory_fails_cleanly) {
  size_t free_bytes = 0, total = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total), cudaSuccess);
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, total + 1), cudaErrorMemoryAllocation);
  EXPECT_EQ(p, nullptr);
  EXPECT_EQ(cudaGetLastError(), cudaErrorMemoryAllocation);
  ASSERT_EQ(cudaMalloc(&p, 1000), cudaSuccess);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u) << "cudaMalloc aligns to 256 bytes";
  size_t after = 0;
  ASSERT_EQ(cudaMemGetInfo(&after, &total), cudaSuccess);
  EXPECT_EQ(free_bytes - after, 1000u);
  EXPECT_EQ(cudaFree(p), cudaSuccess);
}

TEST(EmulatedRuntime, device_queries) {
  int count = 0, device = -1, sms = 0, threads = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  EXPECT_EQ(count, 1);
  ASSERT_EQ(cudaGetDevice(&device), cudaSuccess);
  EXPECT_EQ(device, 0);
  EXPECT_EQ(cudaSetDevice(1), cudaErrorInvalidDevice);
  (void)cudaGetLastError();
  ASSERT_EQ(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), cudaSuccess);
  EXPECT_GE(sms, 1);
  ASSERT_EQ(cudaDeviceGetAttribute(&threads, cudaDevAttrMaxThreadsPerBlock, 0), cudaSuccess);
  EXPECT_EQ(threads, 1024);
  cudaDeviceProp prop{};
  ASSERT_EQ(cudaGetDeviceProperties(&prop, 0), cudaSuccess);
  EXPECT_NE(std::strstr(prop.name, "emulated"), nullptr) << prop.name;
  EXPECT_STREQ(cudaGetErrorName(cudaErrorMisalignedAddress), "cudaErrorMisalignedAddress");
  EXPECT_STREQ(cudaGetErrorString(cudaErrorMemoryAllocation), "out of memory");
}

}  // namespace
