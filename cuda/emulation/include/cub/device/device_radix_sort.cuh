// Stand-in for CUB's cub::DeviceRadixSort::SortPairs, written from CUB's documented contract:
//  - two phases: with d_temp_storage == nullptr the call only writes the temp_storage_bytes it
//    needs and does no work; otherwise it sorts, using that many bytes of d_temp_storage;
//  - the sort is stable and orders keys by bits [begin_bit, end_bit) of their radix
//    representation (signed integers with the sign bit flipped, so negative keys come first);
//  - inputs and outputs are device memory, the output ranges must not overlap the inputs, and the
//    work is queued on `stream`.
// Misuse (host pointers, a temp buffer smaller than asked for, overlapping ranges) is a device
// fault here, with the reason printed, where real CUB would read or write out of bounds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <type_traits>
#include <vector>

#include "cuda_runtime.h"

namespace cub {

struct DeviceRadixSort {
  template <class KeyT, class ValueT, class NumItemsT>
  static cudaError_t SortPairs(void* d_temp_storage, size_t& temp_storage_bytes,
                               const KeyT* d_keys_in, KeyT* d_keys_out, const ValueT* d_values_in,
                               ValueT* d_values_out, NumItemsT num_items, int begin_bit = 0,
                               int end_bit = sizeof(KeyT) * 8, cudaStream_t stream = nullptr) {
    static_assert(std::is_integral_v<KeyT>, "the stand-in sorts integer keys only");
    constexpr int kBits = int(sizeof(KeyT) * 8);
    if (num_items < 0 || begin_bit < 0 || end_bit > kBits || begin_bit > end_bit)
      return cudaErrorInvalidValue;
    const size_t n = size_t(num_items);
    const size_t needed = n * (sizeof(KeyT) + sizeof(ValueT)) + 256;
    if (!d_temp_storage) {
      temp_storage_bytes = needed;
      return cudaSuccess;
    }
    if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
    if (n == 0) return cudaSuccess;
    const char* misuse = nullptr;
    if (temp_storage_bytes < needed)
      misuse = "temp_storage_bytes is smaller than the size query returned";
    else if (!cuda_emu::is_device_range(d_temp_storage, temp_storage_bytes))
      misuse = "d_temp_storage does not hold temp_storage_bytes of device memory";
    else if (!cuda_emu::is_device_range(d_keys_in, n * sizeof(KeyT)) ||
             !cuda_emu::is_device_range(d_keys_out, n * sizeof(KeyT)) ||
             !cuda_emu::is_device_range(d_values_in, n * sizeof(ValueT)) ||
             !cuda_emu::is_device_range(d_values_out, n * sizeof(ValueT)))
      misuse = "a key or value range is not device memory of num_items elements";
    else if (overlap(d_keys_in, d_keys_out, n) || overlap(d_values_in, d_values_out, n))
      misuse = "an output range overlaps its input";
    if (misuse) {
      cuda_emu::library_misuse("cub::DeviceRadixSort::SortPairs", misuse);
      return cudaErrorInvalidValue;
    }
    auto* job = new Job<KeyT, ValueT>{d_temp_storage, temp_storage_bytes, d_keys_in, d_keys_out,
                                      d_values_in,    d_values_out,       n,         begin_bit,
                                      end_bit};
    cuda_emu::enqueue_host_work(stream, &Job<KeyT, ValueT>::run, job, &Job<KeyT, ValueT>::destroy);
    return cudaSuccess;
  }

 private:
  template <class T>
  static bool overlap(const T* a, const T* b, size_t n) {
    return a < b + n && b < a + n;
  }

  template <class KeyT, class ValueT>
  struct Job {
    void* temp;
    size_t temp_bytes;
    const KeyT* keys_in;
    KeyT* keys_out;
    const ValueT* values_in;
    ValueT* values_out;
    size_t n;
    int begin_bit, end_bit;

    static void run(void* ctx) {
      const auto& j = *static_cast<Job*>(ctx);
      using U = std::make_unsigned_t<KeyT>;
      constexpr int kBits = int(sizeof(KeyT) * 8);
      const U flip = std::is_signed_v<KeyT> ? U(U(1) << (kBits - 1)) : U(0);
      const int width = j.end_bit - j.begin_bit;
      const U mask = width >= kBits ? U(~U(0)) : U((U(1) << width) - 1);
      auto digit = [&](KeyT k) { return U((U(k) ^ flip) >> j.begin_bit) & mask; };
      std::memset(j.temp, 0, j.temp_bytes);  // the whole buffer is touched, as CUB's passes do
      std::vector<size_t> order(j.n);
      std::iota(order.begin(), order.end(), size_t(0));
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return digit(j.keys_in[a]) < digit(j.keys_in[b]);
      });
      for (size_t i = 0; i < j.n; ++i) {
        j.keys_out[i] = j.keys_in[order[i]];
        j.values_out[i] = j.values_in[order[i]];
      }
    }
    static void destroy(void* ctx) { delete static_cast<Job*>(ctx); }
  };
};

}  // namespace cub
