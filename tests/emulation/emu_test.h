// Helpers of the emulated device's own tests: device buffers that free themselves, and a death
// test that runs a faulting kernel in a child process (a device fault is sticky, as on a GPU, so
// it must not poison the other tests of the binary).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda_runtime.h"

namespace emutest {

template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) {
    if (cudaMalloc(reinterpret_cast<void**>(&p_), n * sizeof(T)) != cudaSuccess) std::abort();
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) {
    if (cudaMemcpy(p_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice) != cudaSuccess)
      std::abort();
  }
  ~DeviceBuffer() { cudaFree(p_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return p_; }
  std::vector<T> host() const {
    std::vector<T> out(n_);
    if (cudaMemcpy(out.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost) != cudaSuccess)
      std::abort();
    return out;
  }

 private:
  T* p_ = nullptr;
  size_t n_;
};

// Ends the child of a death test: prints the device's verdict, then exits 1.
[[noreturn]] inline void exit_with_device_status() {
  std::fprintf(stderr, "status: %s\n", cudaGetErrorName(cudaDeviceSynchronize()));
  std::exit(1);
}

}  // namespace emutest

// In a re-executed child (threadsafe style): the parent has the emulator's host threads running.
#define EXPECT_DEVICE_FAULT(regex, ...)             \
  do {                                              \
    GTEST_FLAG_SET(death_test_style, "threadsafe"); \
    auto emu_body_ = [&] { __VA_ARGS__; };          \
    EXPECT_EXIT(                                    \
        {                                           \
          emu_body_();                              \
          ::emutest::exit_with_device_status();     \
        },                                          \
        ::testing::ExitedWithCode(1), regex);       \
  } while (0)
