// The backend's runtime state: one device, one stream, one cuBLAS handle, the error report; the
// CudaBackend methods that drive it (synchronisation, graphs, timing, launch counts), and the
// backend's registration with the engine (core/backend.h).
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "cuda/common.cuh"
#include "cuda/cuda_backend.h"

namespace ag::cuda {

namespace {

int g_device_ordinal = 0;  // set by select_device before the runtime starts

struct Runtime {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  int sm_count = 1;
  DeviceErrorReport* device_report = nullptr;  // written by kernels
  DeviceErrorReport* host_report = nullptr;    // pinned: where check_errors() copies it
  // Added on the device to every counter-based random position (dropout): a replayed graph,
  // whose positions were fixed at capture, draws fresh masks when the host moves this.
  uint64_t* random_shift = nullptr;
  uint64_t random_shift_host = 0;  // the value last uploaded

  Runtime() {
    AG_CUDA_CHECK(cudaSetDevice(g_device_ordinal));
    int device = 0;
    AG_CUDA_CHECK(cudaGetDevice(&device));
    AG_CUDA_CHECK(cudaDeviceGetAttribute(&sm_count, cudaDevAttrMultiProcessorCount, device));
    AG_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    AG_CUBLAS_CHECK(cublasCreate(&cublas));
    AG_CUBLAS_CHECK(cublasSetStream(cublas, stream));
    // Plain fp32 products: no TF32 tensor-core shortcut (which rounds inputs to 10 mantissa
    // bits), so results match the CPU to fp32 rounding (the parity tests ask for 1e-5).
    AG_CUBLAS_CHECK(cublasSetMathMode(cublas, CUBLAS_DEFAULT_MATH));
    // In device memory, not host-mapped: atomics on mapped host memory depend on what the
    // host link supports, and a 16-byte copy at each synchronisation costs nothing.
    AG_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&device_report), sizeof(DeviceErrorReport)));
    AG_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&host_report), sizeof(DeviceErrorReport),
                                cudaHostAllocDefault));
    AG_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&random_shift), sizeof(uint64_t)));
    AG_CUDA_CHECK(cudaMemsetAsync(random_shift, 0, sizeof(uint64_t), stream));
    clear_report();  // synchronises: the shift is 0 before any kernel reads it
  }
  void clear_report() const {
    *host_report = DeviceErrorReport{kNoError, 0, ~0ull};
    count_queued(Queued::Copy);
    AG_CUDA_CHECK(cudaMemcpyAsync(device_report, host_report, sizeof(DeviceErrorReport),
                                  cudaMemcpyHostToDevice, stream));
    AG_CUDA_CHECK(cudaStreamSynchronize(stream));  // host_report is reused at once
  }
  // Never destroyed: tensors freed during static teardown still return memory through us, and
  // the driver reclaims everything at exit.
};

// Relaxed atomics: the counts are read between steps, never used to order memory.
std::atomic<int64_t> queued_counts[5];

Runtime& runtime() {
  static Runtime* r = new Runtime;
  return *r;
}

}  // namespace

void count_queued(Queued kind) {
  queued_counts[int(kind)].fetch_add(1, std::memory_order_relaxed);
}

LaunchCounts CudaBackend::launch_counts() const {
  auto read = [](Queued kind) { return queued_counts[int(kind)].load(std::memory_order_relaxed); };
  LaunchCounts c;
  c.kernels = read(Queued::Kernel);
  c.library = read(Queued::Library);
  c.memsets = read(Queued::Memset);
  c.copies = read(Queued::Copy);
  c.graphs = read(Queued::Graph);
  return c;
}

const uint64_t* random_shift() {
  return runtime().random_shift;
}

void CudaBackend::set_random_shift(uint64_t shift) {
  Runtime& r = runtime();
  if (shift == r.random_shift_host) return;  // eager runs never upload
  r.random_shift_host = shift;
  copy_from_host(r.random_shift, &r.random_shift_host, sizeof(uint64_t));
}

// --- graphs ----------------------------------------------------------------------------------

void CudaBackend::begin_capture() {
  begin_graph_pool();
  // Relaxed: the caching allocator may call cudaMalloc for a block the graph will own.
  const cudaError_t err = cudaStreamBeginCapture(stream(), cudaStreamCaptureModeRelaxed);
  if (err != cudaSuccess) {
    release_graph_pool();
    cudaGetLastError();
    fail("cudaStreamBeginCapture failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err),
         ")");
  }
}

namespace {

void destroy_graph(cudaGraphExec_t exec) {
  // The graph's work may still be queued: it must finish before its memory is handed out again.
  AG_CUDA_CHECK(cudaStreamSynchronize(stream()));
  AG_CUDA_CHECK(cudaGraphExecDestroy(exec));
  release_graph_pool();
}

}  // namespace

std::shared_ptr<void> CudaBackend::end_capture() {
  cudaGraph_t graph = nullptr;
  const cudaError_t err = cudaStreamEndCapture(stream(), &graph);
  end_graph_pool_capture();
  if (err != cudaSuccess || graph == nullptr) {
    cudaGetLastError();
    release_graph_pool();
    fail("capturing the step as a CUDA graph failed: ", cudaGetErrorName(err), " (",
         cudaGetErrorString(err),
         "); something in the captured step synchronised or copied from pageable memory");
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t inst = cudaGraphInstantiate(&exec, graph, 0);
  AG_CUDA_CHECK(cudaGraphDestroy(graph));
  if (inst != cudaSuccess) {
    cudaGetLastError();
    release_graph_pool();
    fail("cudaGraphInstantiate failed: ", cudaGetErrorName(inst), " (", cudaGetErrorString(inst),
         ")");
  }
  return std::shared_ptr<void>(exec,
                               [](void* e) { destroy_graph(static_cast<cudaGraphExec_t>(e)); });
}

void CudaBackend::abort_capture() {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream(), &status) == cudaSuccess &&
      status != cudaStreamCaptureStatusNone) {
    cudaGraph_t graph = nullptr;
    if (cudaStreamEndCapture(stream(), &graph) == cudaSuccess && graph) cudaGraphDestroy(graph);
  }
  cudaGetLastError();  // the capture's failure is what the caller reports
  end_graph_pool_capture();
  release_graph_pool();
}

void CudaBackend::launch_graph(const std::shared_ptr<void>& graph) {
  count_queued(Queued::Graph);
  AG_CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph.get()), stream()));
}

cudaStream_t stream() {
  return runtime().stream;
}
cublasHandle_t cublas() {
  return runtime().cublas;
}
int sm_count() {
  return runtime().sm_count;
}
DeviceErrorReport* device_error_report() {
  return runtime().device_report;
}

int select_device(int index) {
  int count = 0;
  AG_CUDA_CHECK(cudaGetDeviceCount(&count));
  AG_CHECK(count > 0, "select_device: no CUDA device");
  g_device_ordinal = index % count;
  return g_device_ordinal;
}

bool device_present() {
  static const bool present = [] {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "no device" / "no driver" error
      return false;
    }
    return count > 0;
  }();
  return present;
}

std::string CudaBackend::device_name() const {
  cudaDeviceProp prop{};
  AG_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  return prop.name;
}

void CudaBackend::check_errors() {
  Runtime& r = runtime();
  // Queued behind every kernel so far: one synchronisation covers the caller's work and this.
  count_queued(Queued::Copy);
  AG_CUDA_CHECK(cudaMemcpyAsync(r.host_report, r.device_report, sizeof(DeviceErrorReport),
                                cudaMemcpyDeviceToHost, r.stream));
  AG_CUDA_CHECK(cudaStreamSynchronize(r.stream));
  const DeviceErrorReport report = *r.host_report;
  if (report.code == kNoError) return;
  r.clear_report();
  const char* what = report.code == kIndexOutOfRange ? "embedding: index" : "cross_entropy: target";
  const auto value = int32_t(uint32_t(report.first & 0xffffffffu));
  const auto position = int64_t(report.first >> 32);
  fail(what, " ", value, " at position ", position, " is out of range [0, ", report.limit,
       ") (found by the CUDA kernel)");
}

void CudaBackend::synchronize() {
  check_errors();
}

// --- timing ----------------------------------------------------------------------------------
// CUDA events: marks go on the stream, so timing does not stall the device between them.

namespace {

void event_destroy(void* event) {
  if (event && cudaEventDestroy(static_cast<cudaEvent_t>(event)) != cudaSuccess)
    (void)cudaGetLastError();  // teardown: nothing to report, and nothing left for the next check
}

}  // namespace

std::shared_ptr<void> CudaBackend::timing_mark() {
  cudaEvent_t e = nullptr;
  AG_CUDA_CHECK(cudaEventCreate(&e));
  std::shared_ptr<void> mark(e, event_destroy);
  AG_CUDA_CHECK(cudaEventRecord(e, stream()));
  return mark;
}

double CudaBackend::timing_elapsed_ms(const std::shared_ptr<void>& start,
                                      const std::shared_ptr<void>& end) {
  float ms = 0.0f;
  AG_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(end.get())));
  AG_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start.get()),
                                     static_cast<cudaEvent_t>(end.get())));
  return ms;
}

// --- registration ----------------------------------------------------------------------------

namespace {

Backend& instance() {
  if (!device_present()) {
    fail(
        "no CUDA device is available (the CUDA backend is built, but the driver reports no "
        "GPU); use --device cpu");
  }
  static CudaBackend* backend = new CudaBackend;  // never destroyed: tensors freed during static
  return *backend;                                // teardown still call it
}

#if defined(AG_CUDA_EMULATED)
constexpr bool kEmulated = true;  // AG_CUDA=EMULATE: cuda/emulation runs the kernels
#else
constexpr bool kEmulated = false;
#endif

// Runs before main(); the build links this library whole so that the linker keeps it.
const BackendRegistrar registrar(Device::CUDA, {&instance, &device_present, kEmulated});

}  // namespace

}  // namespace ag::cuda
