// Inside the emulation: the device's work queue and its error state.
//
// Work is queued in stream order and runs when the host waits for it (a synchronising call), on
// the thread that waits. All streams share the one queue, so work is in order across streams too
// (stricter than a GPU, which the backend, with its one stream, never notices).
#pragma once

#include <cstdint>

#include "cuda_runtime.h"

namespace cuda_emu {

struct Task {
  void (*run)(void* ctx);
  void* ctx;
  void (*destroy)(void* ctx);  // may be null
};

void enqueue(const Task& task);

// Runs everything queued so far; counts one synchronisation. Returns the sticky error, if any.
cudaError_t drain();

// Records `error` as the calling host thread's last error (see cudaGetLastError) and returns it.
cudaError_t set_last_error(cudaError_t error);

// Whether p lies inside pinned host memory from cudaHostAlloc / cudaMallocHost.
bool is_pinned_range(const void* p, size_t bytes);

}  // namespace cuda_emu
