// CUDA graphs on the emulated device: a capture records the stream's work (kernels with their
// arguments, copies, memsets, library calls) as the queue would have run it; an instantiated
// graph replays the recorded work, in the same order, each time it is launched.
#include <memory>
#include <vector>

#include "cuda/emulation/queue.h"
#include "cuda_runtime.h"

namespace cuda_emu {

using Recorded = std::shared_ptr<std::vector<Task>>;

struct Graph {
  Recorded tasks;
};
struct GraphExec {
  Recorded tasks;
};

namespace {

Recorded own(std::vector<Task>&& tasks) {
  return Recorded(new std::vector<Task>(std::move(tasks)), [](std::vector<Task>* v) {
    for (const Task& t : *v)
      if (t.destroy) t.destroy(t.ctx);
    delete v;
  });
}

cudaStream_t g_capturing_stream = nullptr;

}  // namespace

}  // namespace cuda_emu

using cuda_emu::set_last_error;

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  // The legacy default stream cannot be captured; one capture at a time (the backend's one stream).
  if (!stream || mode < cudaStreamCaptureModeGlobal || mode > cudaStreamCaptureModeRelaxed)
    return set_last_error(cudaErrorInvalidValue);
  if (cuda_emu::capture_active()) return set_last_error(cudaErrorIllegalState);
  // Work queued before the capture is not part of it; it still runs, before any replay.
  cuda_emu::begin_capture(mode);
  cuda_emu::g_capturing_stream = stream;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  if (!graph) return set_last_error(cudaErrorInvalidValue);
  if (!cuda_emu::capture_active()) return set_last_error(cudaErrorIllegalState);
  if (stream != cuda_emu::g_capturing_stream)
    return set_last_error(cudaErrorStreamCaptureUnmatched);
  std::vector<cuda_emu::Task> recorded;
  const bool valid = cuda_emu::end_capture(recorded);
  cuda_emu::g_capturing_stream = nullptr;
  *graph = nullptr;
  if (!valid) return set_last_error(cudaErrorStreamCaptureInvalidated);
  *graph = new cuda_emu::Graph{cuda_emu::own(std::move(recorded))};
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status) {
  if (!status) return set_last_error(cudaErrorInvalidValue);
  *status = cuda_emu::capture_active() && stream == cuda_emu::g_capturing_stream
                ? cudaStreamCaptureStatusActive
                : cudaStreamCaptureStatusNone;
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  if (!exec || !graph) return set_last_error(cudaErrorInvalidValue);
  *exec = new cuda_emu::GraphExec{graph->tasks};  // shares the recorded work
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t) {
  if (!exec) return set_last_error(cudaErrorInvalidResourceHandle);
  if (cuda_emu::sticky_error() != cudaSuccess) return cuda_emu::sticky_error();
  if (cuda_emu::capture_active()) return cuda_emu::refuse_during_capture();
  for (const cuda_emu::Task& t : *exec->tasks)
    cuda_emu::enqueue(cuda_emu::Task{t.run, t.ctx, nullptr});  // the graph keeps owning them
  // The recorded work stays alive until the queue has run past this launch, even if the graph
  // and its executable are destroyed first (as CUDA allows).
  cuda_emu::enqueue(cuda_emu::Task{[](void*) {}, new cuda_emu::Recorded(exec->tasks),
                                   [](void* p) { delete static_cast<cuda_emu::Recorded*>(p); }});
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  if (!exec) return set_last_error(cudaErrorInvalidResourceHandle);
  delete exec;
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  if (!graph) return set_last_error(cudaErrorInvalidResourceHandle);
  delete graph;
  return cudaSuccess;
}
