// What every .cu file of the backend shares: error checking with file:line, the one stream,
// launch geometry, the device-side error report, and scratch buffers from the caching allocator.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <utility>

#include "core/error.h"

namespace ag::cuda {

// Every runtime call goes through this: a failure names the call, the file and line, and
// CUDA's own message ("out of memory", "an illegal memory access was encountered", ...).
#define AG_CUDA_CHECK(call)                                                                    \
  do {                                                                                         \
    const cudaError_t ag_err_ = (call);                                                        \
    if (ag_err_ != cudaSuccess) {                                                              \
      (void)cudaGetLastError(); /* a caller that catches must not see it again at the next */  \
                                /* launch, blamed on a healthy kernel */                       \
      ::ag::fail(__FILE__, ":", __LINE__, ": ", #call, " failed: ", cudaGetErrorName(ag_err_), \
                 " (", cudaGetErrorString(ag_err_), ")");                                      \
    }                                                                                          \
  } while (0)

#define AG_CUBLAS_CHECK(call)                                                                    \
  do {                                                                                           \
    const cublasStatus_t ag_st_ = (call);                                                        \
    if (ag_st_ != CUBLAS_STATUS_SUCCESS)                                                         \
      ::ag::fail(__FILE__, ":", __LINE__, ": ", #call, " failed: ", cublasGetStatusName(ag_st_), \
                 " (", cublasGetStatusString(ag_st_), ")");                                      \
  } while (0)

// After a kernel launch: catches bad launch configurations at once (no synchronisation; faults
// inside the kernel surface at the next synchronising call, also checked).
#define AG_CUDA_LAUNCHED() AG_CUDA_CHECK(cudaGetLastError())

cudaStream_t stream();    // the backend's one stream (created on first use)
cublasHandle_t cublas();  // created once, bound to stream()
int sm_count();           // multiprocessors of the current device

// The device-side error report: kernels that find a bad index record it here, in device memory;
// check_errors() copies it back at the next synchronisation (reading a loss, copying to the host)
// and raises it there, so no op synchronises to check its inputs. The first error code wins;
// among reports of that code the lowest position wins, so the message names the same index the
// CPU's in-order check would.
enum ErrorCode : int { kNoError = 0, kIndexOutOfRange = 1, kTargetOutOfRange = 2 };
struct DeviceErrorReport {
  int code;
  int limit;                 // the valid range was [0, limit)
  unsigned long long first;  // (position << 32) | uint32(value); ~0 when nothing was reported
};
DeviceErrorReport* device_error_report();  // device pointer for kernels

__device__ inline void report_error(DeviceErrorReport* r, int code, int value, int64_t position,
                                    int64_t limit) {
  const int previous = atomicCAS(&r->code, kNoError, code);
  if (previous == kNoError) r->limit = int(limit);
  if (previous == kNoError || previous == code)
    atomicMin(&r->first, (static_cast<unsigned long long>(position) << 32) | unsigned(value));
}

// The device scalar every dropout kernel adds to its random positions (0 but in a replayed
// graph): CudaBackend::set_random_shift moves it (cuda/runtime.cu).
const uint64_t* random_shift();

// The caching allocator's graph pool (cuda/memory.cu), driven by the capture (cuda/runtime.cu).
// While a graph is captured, every block allocated or freed goes to the graph's pool: its
// kernels keep using those addresses at every replay, so nothing else may get them until the
// graph is released. One graph at a time.
void begin_graph_pool();
void end_graph_pool_capture();  // capture over: blocks freed later still return to the pool
void release_graph_pool();      // the graph is gone: its blocks are ordinary cached blocks again

// Every item of work the backend queues on the stream is counted here, by kind, for
// Backend::launch_counts(): launch() counts kernels; library calls (cuBLAS, CUB),
// memsets and copies count themselves where they are made.
enum class Queued { Kernel, Library, Memset, Copy, Graph };
void count_queued(Queued kind);

// Every kernel launch of the backend goes through launch(): the launch syntax is written here
// once, so the same kernel source builds with nvcc for a GPU and with the host compiler for the
// emulated device (cuda/emulation). As with <<<grid, block>>>, the arguments are converted to the
// kernel's parameter types and copied; a bad configuration fails at once.
template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, Args&&... args) {
  count_queued(Queued::Kernel);
#if defined(AG_CUDA_EMULATED)
  (void)cuda_emu::launch_kernel(kernel, grid, block, stream(), std::forward<Args>(args)...);
#else
  // clang-format off
  kernel<<<grid, block, 0, stream()>>>(std::forward<Args>(args)...);
  // clang-format on
#endif
  AG_CUDA_LAUNCHED();
}

// A 16-byte access through a pointer that is not 16-byte aligned faults on the GPU ("misaligned
// address"); the emulated device checks each one and reports the same fault. No code on the GPU.
#if defined(AG_CUDA_EMULATED)
#define AG_VECTOR_ACCESS_OK(p) ::cuda_emu::check_vector_access((p), 16)
#else
#define AG_VECTOR_ACCESS_OK(p) true
#endif

// Which bytes of a cached block its current owner may touch, marked in stream order: on the
// emulated device AddressSanitizer then reports a kernel that reads past a tensor's end (inside
// the allocator's rounding) or touches a block sitting in the cache. No code on a GPU.
inline void mark_usable(void* block, size_t usable, size_t capacity) {
#if defined(AG_CUDA_EMULATED)
  cuda_emu::mark_usable_async(stream(), block, usable, capacity);
#else
  (void)block, (void)usable, (void)capacity;
#endif
}

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n items: enough to fill the device several times over,
// never more than the work needs.
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  const int64_t needed = (n + threads - 1) / threads;
  const int64_t cap = int64_t(sm_count()) * 32;
  return unsigned(needed < 1 ? 1 : (needed < cap ? needed : cap));
}

// A temporary device buffer from the caching allocator, returned when it goes out of scope.
// Returning it before the kernels that use it have run is safe: every kernel is on the one
// stream, so whoever gets the block next is queued after them.
class Scratch {
 public:
  explicit Scratch(size_t bytes);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_;
  size_t bytes_;
};

}  // namespace ag::cuda
