// The emulated device's work queue, streams, events and error state.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <mutex>

#include "cuda/emulation/grid.h"
#include "cuda/emulation/queue.h"
#include "cuda_runtime.h"

namespace cuda_emu {

struct Stream {
  unsigned flags = 0;
};

struct Event {
  bool recorded = false;
  bool completed = false;
  std::chrono::steady_clock::time_point when{};
};

namespace {

thread_local cudaError_t tls_last_error = cudaSuccess;
std::atomic<int> g_sticky{cudaSuccess};
std::atomic<uint64_t> g_synchronizations{0};

struct Queue {
  std::mutex mutex;  // guards tasks and the capture
  std::deque<Task> tasks;
  bool capturing = false, capture_invalidated = false;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::vector<Task> captured;
  std::mutex run_mutex;  // one drain at a time: the device runs one piece of work at once
};

Queue& queue() {
  static Queue* q = new Queue;  // never destroyed: tensors freed at exit still queue work
  return *q;
}

void destroy(const Task& t) {
  if (t.destroy) t.destroy(t.ctx);
}

struct GridTask {
  KernelLaunch launch;
  void* owned_args;
  void (*destroy_args)(void*);
};

cudaError_t check_stream(cudaStream_t) {
  return sticky_error();  // streams are never freed while in use by the backend
}

}  // namespace

cudaError_t sticky_error() {
  return cudaError_t(g_sticky.load());
}

cudaError_t set_last_error(cudaError_t error) {
  if (error != cudaSuccess) tls_last_error = error;
  return error;
}

void device_fault(int error, const char* what) {
  int expected = cudaSuccess;
  if (g_sticky.compare_exchange_strong(expected, error))
    std::fprintf(stderr, "cuda emulation: device fault (%s): %s\n",
                 cudaGetErrorName(cudaError_t(error)), what);
}

void library_misuse(const char* function, const char* what) {
  std::fprintf(stderr, "cuda emulation: %s called against its contract: %s\n", function, what);
}

bool check_vector_access(const void* p, size_t alignment) {
  if (reinterpret_cast<uintptr_t>(p) % alignment == 0) return true;
  char what[128];
  std::snprintf(what, sizeof what, "%zu-byte vector access at %p, which is not %zu-byte aligned",
                alignment, p, alignment);
  device_fault(cudaErrorMisalignedAddress, what);
  return false;
}

void enqueue(const Task& task) {
  Queue& q = queue();
  std::lock_guard<std::mutex> lock(q.mutex);
  if (q.capturing)
    q.captured.push_back(task);
  else
    q.tasks.push_back(task);
}

void begin_capture(cudaStreamCaptureMode mode) {
  Queue& q = queue();
  std::lock_guard<std::mutex> lock(q.mutex);
  q.capturing = true;
  q.capture_invalidated = false;
  q.mode = mode;
  q.captured.clear();
}

bool capture_active() {
  Queue& q = queue();
  std::lock_guard<std::mutex> lock(q.mutex);
  return q.capturing;
}

cudaStreamCaptureMode capture_mode() {
  Queue& q = queue();
  std::lock_guard<std::mutex> lock(q.mutex);
  return q.mode;
}

cudaError_t refuse_during_capture() {
  Queue& q = queue();
  {
    std::lock_guard<std::mutex> lock(q.mutex);
    q.capture_invalidated = true;
  }
  std::fprintf(stderr,
               "cuda emulation: a call that waits for the device (or allocates) during stream "
               "capture invalidates it\n");
  return set_last_error(cudaErrorStreamCaptureUnsupported);
}

bool end_capture(std::vector<Task>& recorded) {
  Queue& q = queue();
  std::vector<Task> tasks;
  bool valid;
  {
    std::lock_guard<std::mutex> lock(q.mutex);
    tasks.swap(q.captured);
    valid = !q.capture_invalidated;
    q.capturing = false;
    q.capture_invalidated = false;
  }
  if (!valid) {
    for (const Task& t : tasks) destroy(t);
    return false;
  }
  recorded = std::move(tasks);
  return true;
}

cudaError_t drain() {
  g_synchronizations.fetch_add(1);
  if (capture_active()) return refuse_during_capture();
  Queue& q = queue();
  std::lock_guard<std::mutex> running(q.run_mutex);
  for (;;) {
    Task t;
    {
      std::lock_guard<std::mutex> lock(q.mutex);
      if (q.tasks.empty()) break;
      t = q.tasks.front();
      q.tasks.pop_front();
    }
    // A faulted context runs nothing more, as on a GPU; the work is dropped.
    if (sticky_error() == cudaSuccess) t.run(t.ctx);
    destroy(t);
  }
  return sticky_error();
}

uint64_t synchronizations() {
  return g_synchronizations.load();
}

cudaError_t enqueue_kernel(cudaStream_t stream, const KernelLaunch& launch, void* owned_args,
                           void (*destroy_args)(void*)) {
  const dim3 g = launch.grid, b = launch.block;
  const uint64_t threads = uint64_t(b.x) * b.y * b.z;
  cudaError_t err = check_stream(stream);
  if (err == cudaSuccess &&
      (g.x == 0 || g.y == 0 || g.z == 0 || b.x == 0 || b.y == 0 || b.z == 0 || threads > 1024 ||
       b.x > 1024 || b.y > 1024 || b.z > 64 || g.x > 2147483647u || g.y > 65535 || g.z > 65535))
    err = cudaErrorInvalidConfiguration;
  if (err != cudaSuccess) {
    destroy_args(owned_args);
    return set_last_error(err);
  }
  auto* task = new GridTask{launch, owned_args, destroy_args};
  enqueue(Task{[](void* ctx) { run_grid(static_cast<GridTask*>(ctx)->launch); }, task,
               [](void* ctx) {
                 auto* t = static_cast<GridTask*>(ctx);
                 t->destroy_args(t->owned_args);
                 delete t;
               }});
  return cudaSuccess;
}

void enqueue_host_work(cudaStream_t, void (*work)(void*), void* ctx, void (*destroy_ctx)(void*)) {
  enqueue(Task{work, ctx, destroy_ctx});
}

}  // namespace cuda_emu

using cuda_emu::set_last_error;

cudaError_t cudaGetLastError() {
  const cudaError_t sticky = cuda_emu::sticky_error();
  if (sticky != cudaSuccess) return sticky;
  const cudaError_t e = cuda_emu::tls_last_error;
  cuda_emu::tls_last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() {
  const cudaError_t sticky = cuda_emu::sticky_error();
  return sticky != cudaSuccess ? sticky : cuda_emu::tls_last_error;
}

cudaError_t cudaDeviceSynchronize() {
  return set_last_error(cuda_emu::drain());
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
  if (!stream || flags > cudaStreamNonBlocking) return set_last_error(cudaErrorInvalidValue);
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  *stream = new cuda_emu::Stream{flags};
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (!stream) return set_last_error(cudaErrorInvalidResourceHandle);
  // Work already queued on it still runs (the queue does not refer to the stream).
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) {
  return set_last_error(cuda_emu::drain());
}

cudaError_t cudaStreamQuery(cudaStream_t) {
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  if (cuda_emu::capture_active()) return cuda_emu::refuse_during_capture();
  cuda_emu::Queue& q = cuda_emu::queue();
  std::lock_guard<std::mutex> lock(q.mutex);
  return q.tasks.empty() ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  return cudaEventCreateWithFlags(event, cudaEventDefault);
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned) {
  if (!event) return set_last_error(cudaErrorInvalidValue);
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  *event = new cuda_emu::Event;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
  if (!event) return set_last_error(cudaErrorInvalidResourceHandle);
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  event->recorded = true;
  event->completed = false;
  cuda_emu::enqueue(cuda_emu::Task{[](void* ctx) {
                                     auto* e = static_cast<cuda_emu::Event*>(ctx);
                                     e->when = std::chrono::steady_clock::now();
                                     e->completed = true;
                                   },
                                   event, nullptr});
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (!event) return set_last_error(cudaErrorInvalidResourceHandle);
  return set_last_error(cuda_emu::drain());
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  if (!event) return set_last_error(cudaErrorInvalidResourceHandle);
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  return !event->recorded || event->completed ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!ms || !start || !end) return set_last_error(cudaErrorInvalidResourceHandle);
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  if (!start->recorded || !end->recorded) return set_last_error(cudaErrorInvalidResourceHandle);
  if (!start->completed || !end->completed) return set_last_error(cudaErrorNotReady);
  *ms = std::chrono::duration<float, std::milli>(end->when - start->when).count();
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  if (!event) return set_last_error(cudaErrorInvalidResourceHandle);
  // A recorded event may still be queued: it is freed once the queue has run past it.
  cuda_emu::enqueue(cuda_emu::Task{[](void*) {}, event,
                                   [](void* e) { delete static_cast<cuda_emu::Event*>(e); }});
  return cudaSuccess;
}
