// Inside the emulation: the device's work queue and its error state.
//
// Work is queued in stream order and runs when the host waits for it (a synchronising call), on
// the thread that waits. All streams share the one queue, so work is in order across streams too
// (stricter than a GPU, which the backend, with its one stream, never notices).
#pragma once

#include <cstdint>
#include <vector>

#include "cuda_runtime.h"

namespace cuda_emu {

struct Task {
  void (*run)(void* ctx);
  void* ctx;
  void (*destroy)(void* ctx);  // may be null
};

// Queues `task`, or records it into the active capture (then the capture owns it).
void enqueue(const Task& task);

// Stream capture (graph.cpp holds the graph API): while active, enqueue() records.
void begin_capture(cudaStreamCaptureMode mode);
bool capture_active();
cudaStreamCaptureMode capture_mode();
// A call that is not allowed during capture: the capture can no longer become a graph.
cudaError_t refuse_during_capture();
// Ends the capture; `recorded` receives its tasks. False when it had been invalidated (the tasks
// are then destroyed).
bool end_capture(std::vector<Task>& recorded);

// Runs everything queued so far; counts one synchronisation. Returns the sticky error, if any.
cudaError_t drain();

// Records `error` as the calling host thread's last error (see cudaGetLastError) and returns it.
cudaError_t set_last_error(cudaError_t error);

// Whether p lies inside pinned host memory from cudaHostAlloc / cudaMallocHost.
bool is_pinned_range(const void* p, size_t bytes);

}  // namespace cuda_emu
