// The CUDA runtime API of the emulated device: the subset the backend (cuda/*.cu) calls, with the
// signatures and documented semantics of the real <cuda_runtime.h>. Device memory is host memory
// (so AddressSanitizer sees every out-of-bounds access a kernel makes), the device's work runs in
// stream order when the host waits for it, and errors are reported as the real runtime reports
// them: a bad launch configuration at once through cudaGetLastError, a fault inside a kernel at
// the next synchronising call, sticky from then on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

#include "cuda_emu/device.h"

enum cudaError_t : int {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorIllegalState = 401,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchOutOfResources = 701,
  cudaErrorMisalignedAddress = 716,
  cudaErrorLaunchFailure = 719,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorStreamCaptureInvalidated = 901,
  cudaErrorStreamCaptureUnmatched = 903,
  cudaErrorStreamCaptureImplicit = 906,
  cudaErrorUnknown = 999,
};

enum cudaMemcpyKind : int {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

enum cudaDeviceAttr : int {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxBlockDimX = 2,
  cudaDevAttrMaxBlockDimY = 3,
  cudaDevAttrMaxBlockDimZ = 4,
  cudaDevAttrMaxGridDimX = 5,
  cudaDevAttrMaxGridDimY = 6,
  cudaDevAttrMaxGridDimZ = 7,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
};

constexpr unsigned cudaStreamDefault = 0x0;
constexpr unsigned cudaStreamNonBlocking = 0x1;
constexpr unsigned cudaHostAllocDefault = 0x0;
constexpr unsigned cudaEventDefault = 0x0;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  int major;
  int minor;
  int multiProcessorCount;
};

namespace cuda_emu {
struct Stream;
struct Event;
struct Graph;
struct GraphExec;
}  // namespace cuda_emu
using cudaStream_t = cuda_emu::Stream*;
using cudaEvent_t = cuda_emu::Event*;
using cudaGraph_t = cuda_emu::Graph*;
using cudaGraphExec_t = cuda_emu::GraphExec*;

enum cudaStreamCaptureMode : int {
  cudaStreamCaptureModeGlobal = 0,
  cudaStreamCaptureModeThreadLocal = 1,
  cudaStreamCaptureModeRelaxed = 2,
};
enum cudaStreamCaptureStatus : int {
  cudaStreamCaptureStatusNone = 0,
  cudaStreamCaptureStatusActive = 1,
  cudaStreamCaptureStatusInvalidated = 2,
};

// --- errors --------------------------------------------------------------------------------------
cudaError_t cudaGetLastError();  // returns the last error and clears it (unless it is sticky)
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t error);
const char* cudaGetErrorString(cudaError_t error);

// --- device --------------------------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);

// --- memory --------------------------------------------------------------------------------------
cudaError_t cudaMalloc(void** ptr, size_t bytes);
cudaError_t cudaFree(void* ptr);  // synchronises the device first, as the real one does
cudaError_t cudaHostAlloc(void** ptr, size_t bytes, unsigned flags);
cudaError_t cudaMallocHost(void** ptr, size_t bytes);
cudaError_t cudaFreeHost(void* ptr);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* dst, int value, size_t bytes);

// --- streams and events --------------------------------------------------------------------------
cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaStreamQuery(cudaStream_t stream);
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventQuery(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);
cudaError_t cudaEventDestroy(cudaEvent_t event);

// --- graphs: stream capture records the work instead of queuing it; a launch replays it ----------
// While a stream captures, calls that would wait for the device (every synchronising call above)
// fail with cudaErrorStreamCaptureUnsupported and invalidate the capture; so do cudaMalloc in the
// global and thread-local modes, and copies from pageable host memory (the replay could not
// stage them). Kernel arguments, copy sizes and memset values are fixed at capture.
cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph);
cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph,
                                 unsigned long long flags = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);

// --- what the emulation adds ---------------------------------------------------------------------
namespace cuda_emu {

// One kernel launch: the grid, the block and a type-erased call that runs one thread of it.
struct KernelLaunch {
  dim3 grid, block;
  void (*run_thread)(const void* args);  // calls the kernel with a copy of the arguments
  const void* args;
};

// Validates the configuration as the GPU does (at most 1024 threads a block, block dims within
// 1024 x 1024 x 64, grid dims within 2^31-1 x 65535 x 65535, no zero dimension); on success
// queues the grid on the stream; copies `args` (owned by the queued work from then on).
cudaError_t enqueue_kernel(cudaStream_t stream, const KernelLaunch& launch, void* owned_args,
                           void (*destroy_args)(void*));

// Queues host work that touches device memory, in stream order (library stand-ins use it).
void enqueue_host_work(cudaStream_t stream, void (*work)(void*), void* ctx, void (*destroy)(void*));

// The fault that ended the context (see device_fault), or cudaSuccess.
cudaError_t sticky_error();

// A library stand-in called against its documented contract: prints which call and why (the
// call then returns its library's error code).
void library_misuse(const char* function, const char* what);

// Whether [p, p + bytes) lies inside one live device allocation.
bool is_device_range(const void* p, size_t bytes);

// The caching allocator marks which bytes of a cached block the current tensor may touch, in
// stream order, so AddressSanitizer reports a kernel reading past a tensor's end even inside the
// block's rounding, and any access to a block sitting in the cache.
void mark_usable_async(cudaStream_t stream, void* block, size_t usable, size_t capacity);

// The runtime calls that made the host wait for the device, since the start (see stream.cpp).
uint64_t synchronizations();

template <class... Params>
void run_thread_of(const void* args) {
  using Call = std::tuple<void (*)(Params...), std::tuple<Params...>>;
  const Call& call = *static_cast<const Call*>(args);
  // By value, as CUDA passes kernel arguments: each thread gets its own copy.
  std::apply([&](const Params&... p) { std::get<0>(call)(p...); }, std::get<1>(call));
}

template <class... Params>
void destroy_call(void* args) {
  delete static_cast<std::tuple<void (*)(Params...), std::tuple<Params...>>*>(args);
}

// The host compiler's spelling of kernel<<<grid, block, 0, stream>>>(args...): the arguments are
// converted to the kernel's parameter types and copied at launch, as CUDA does.
template <class... Params, class... Args>
cudaError_t launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, cudaStream_t stream,
                          Args&&... args) {
  using Call = std::tuple<void (*)(Params...), std::tuple<Params...>>;
  auto* call = new Call(kernel, std::tuple<Params...>(std::forward<Args>(args)...));
  return enqueue_kernel(stream, KernelLaunch{grid, block, &run_thread_of<Params...>, call}, call,
                        &destroy_call<Params...>);
}

}  // namespace cuda_emu
