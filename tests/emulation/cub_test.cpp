// The CUB stand-ins against CUB's documented contract, with expected values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cub/block/block_reduce.cuh>
#include <cub/device/device_radix_sort.cuh>
#include <vector>

#include "tests/emulation/emu_test.h"

namespace {

using emutest::DeviceBuffer;

struct Max {
  float operator()(float a, float b) const { return a < b ? b : a; }
};

// Every thread stores what BlockReduce returned to it: the total in thread 0, undefined elsewhere.
template <int kBlock>
__global__ void block_sum(const float* in, float* sums, float* maxima, int num_valid) {
  using Reduce = cub::BlockReduce<float, kBlock>;
  __shared__ typename Reduce::TempStorage temp;
  const float v = in[threadIdx.x];
  sums[threadIdx.x] = num_valid < 0 ? Reduce(temp).Sum(v) : Reduce(temp).Sum(v, num_valid);
  __syncthreads();  // CUB: temp may be reused only after a barrier
  maxima[threadIdx.x] = Reduce(temp).Reduce(v, Max{});
}

TEST(EmulatedCub, block_reduce_returns_the_aggregate_in_thread_zero_only) {
  std::vector<float> in(128);
  for (int i = 0; i < 128; ++i) in[size_t(i)] = float(i + 1);  // 1 .. 128
  in[77] = 500.0f;
  DeviceBuffer<float> d_in(in), sums(128), maxima(128);
  ASSERT_EQ(cuda_emu::launch_kernel(block_sum<128>, 1, 128, nullptr, d_in.get(), sums.get(),
                                    maxima.get(), -1),
            cudaSuccess);
  const std::vector<float> s = sums.host(), m = maxima.host();
  EXPECT_EQ(s[0], 128.0f * 129.0f / 2.0f - 78.0f + 500.0f);
  EXPECT_EQ(m[0], 500.0f);
  for (int t = 1; t < 128; ++t) {
    EXPECT_TRUE(std::isnan(s[size_t(t)])) << "thread " << t << " got a defined sum";
    EXPECT_TRUE(std::isnan(m[size_t(t)])) << "thread " << t << " got a defined max";
  }
  // num_valid: only the first 10 threads' values count (1 + ... + 10).
  ASSERT_EQ(cuda_emu::launch_kernel(block_sum<128>, 1, 128, nullptr, d_in.get(), sums.get(),
                                    maxima.get(), 10),
            cudaSuccess);
  EXPECT_EQ(sums.host()[0], 55.0f);
}

TEST(EmulatedCubDeathTest, block_reduce_in_a_block_of_another_size_is_a_fault) {
  EXPECT_DEVICE_FAULT(
      "BlockReduce for a 256x1x1 block used in a block of 128x1x1(.|\n)*cudaErrorLaunchFailure", {
        DeviceBuffer<float> in(256), a(256), b(256);
        (void)cuda_emu::launch_kernel(block_sum<256>, 1, 128, nullptr, in.get(), a.get(), b.get(),
                                      -1);
      });
}

struct Sorted {
  std::vector<int32_t> keys, values;
};

Sorted sort_pairs(const std::vector<int32_t>& keys, int begin_bit = 0, int end_bit = 32) {
  const int n = int(keys.size());
  std::vector<int32_t> values(keys.size());
  for (int i = 0; i < n; ++i) values[size_t(i)] = i;
  DeviceBuffer<int32_t> k_in(keys), k_out(keys.size()), v_in(values), v_out(keys.size());
  size_t bytes = 0;
  EXPECT_EQ(cub::DeviceRadixSort::SortPairs(nullptr, bytes, k_in.get(), k_out.get(), v_in.get(),
                                            v_out.get(), n, begin_bit, end_bit, nullptr),
            cudaSuccess);
  EXPECT_GT(bytes, 0u);
  DeviceBuffer<char> temp(bytes);
  EXPECT_EQ(cub::DeviceRadixSort::SortPairs(temp.get(), bytes, k_in.get(), k_out.get(), v_in.get(),
                                            v_out.get(), n, begin_bit, end_bit, nullptr),
            cudaSuccess);
  return {k_out.host(), v_out.host()};
}

TEST(EmulatedCub, radix_sort_is_stable_and_orders_signed_keys) {
  const Sorted s = sort_pairs({3, -1, 3, 0, -7, 3, 2147483647, -2147483647 - 1});
  EXPECT_EQ(s.keys, (std::vector<int32_t>{-2147483647 - 1, -7, -1, 0, 3, 3, 3, 2147483647}));
  EXPECT_EQ(s.values, (std::vector<int32_t>{7, 4, 1, 3, 0, 2, 5, 6})) << "equal keys keep order";
}

TEST(EmulatedCub, radix_sort_looks_only_at_the_bits_asked_for) {
  // Bits [0, 4): 0x13 -> 3, 0x21 -> 1, 0x02 -> 2, 0x31 -> 1.
  const Sorted s = sort_pairs({0x13, 0x21, 0x02, 0x31}, 0, 4);
  EXPECT_EQ(s.keys, (std::vector<int32_t>{0x21, 0x31, 0x02, 0x13}));
  EXPECT_EQ(s.values, (std::vector<int32_t>{1, 3, 2, 0}));
}

TEST(EmulatedCub, radix_sort_refuses_a_temp_buffer_smaller_than_it_asked_for) {
  DeviceBuffer<int32_t> k_in(std::vector<int32_t>{2, 1}), k_out(2), v_in(2), v_out(2);
  size_t bytes = 0;
  ASSERT_EQ(cub::DeviceRadixSort::SortPairs(nullptr, bytes, k_in.get(), k_out.get(), v_in.get(),
                                            v_out.get(), 2, 0, 32, nullptr),
            cudaSuccess);
  DeviceBuffer<char> temp(bytes - 1);
  size_t less = bytes - 1;
  EXPECT_EQ(cub::DeviceRadixSort::SortPairs(temp.get(), less, k_in.get(), k_out.get(), v_in.get(),
                                            v_out.get(), 2, 0, 32, nullptr),
            cudaErrorInvalidValue);
  std::vector<int32_t> host(2);
  DeviceBuffer<char> enough(bytes);
  EXPECT_EQ(cub::DeviceRadixSort::SortPairs(enough.get(), bytes, host.data(), k_out.get(),
                                            v_in.get(), v_out.get(), 2, 0, 32, nullptr),
            cudaErrorInvalidValue);
}

}  // namespace
