// The kernel interface between the engine (core/ops) and a device (cpu/, cuda/).
//
// Ops are written once against this interface: they check shapes, allocate outputs, call these
// entry points with raw device pointers, and record their backward on the tape. A backend only
// moves numbers; the math of each element comes from core/math, shared by every backend.
//
// The engine knows no backend. Each one is a class in its own folder that derives from Backend
// (cpu/cpu_backend.h, cuda/cuda_backend.h), defines its methods next to its kernels, and registers
// itself with the engine (see "Registration" at the end of this file). Adding a device means
// writing such a class (and naming the device in core/device.h), nothing in core/ops; adding a
// kernel means a virtual function here and its override in each backend's folder.
//
// Conventions: all pointers are device pointers of the backend's device; buffers are contiguous;
// no entry point synchronises with the host unless its comment says so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/device.h"
#include "core/math/binary.h"
#include "core/math/optimizer_updates.h"
#include "core/math/plans.h"
#include "core/math/unary.h"

namespace ag {

// Work items a backend has queued on its device, by kind, counted since the process started.
// A step's count is the difference of two readings. On a GPU each item costs a launch overhead
// of a few microseconds whatever its size, so for a small model the count, not the arithmetic,
// sets the step time.
struct LaunchCounts {
  int64_t kernels = 0;  // kernel launches of the backend's own kernels
  int64_t library = 0;  // cuBLAS and CUB device-wide calls (each queues kernels of its own)
  int64_t memsets = 0;  // cudaMemsetAsync
  int64_t copies = 0;   // cudaMemcpyAsync, in any direction
  int64_t graphs = 0;   // launches of a captured graph (its own work is not counted again)
  int64_t total() const { return kernels + library + memsets + copies + graphs; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  // A human-readable name of the hardware, e.g. "AMD EPYC 9B45 (2 threads)" or "NVIDIA H100".
  virtual std::string device_name() const { return ag::device_name(device()); }

  // --- memory ----------------------------------------------------------------------------------
  virtual void* allocate(size_t bytes) = 0;  // cached; throws ag::Error naming the size on OOM
  virtual void deallocate(void* ptr, size_t bytes) = 0;
  // host_src is ordinary (pageable) memory; the caller may free it as soon as this returns.
  virtual void copy_from_host(void* dst, const void* host_src, size_t bytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, size_t bytes) = 0;  // synchronises
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  virtual void synchronize() = 0;
  // Peak bytes held by the allocator since start (for the metrics' peak memory).
  virtual size_t peak_allocated_bytes() const = 0;

  // --- elementwise -----------------------------------------------------------------------------
  virtual void fill(float* y, int64_t n, float value) = 0;
  // y = op(x)
  virtual void unary(math::UnaryOp op, const math::UnaryParams& prm, const float* x, float* y,
                     int64_t n) = 0;
  // gx = gy * op'(x)
  virtual void unary_backward(math::UnaryOp op, const math::UnaryParams& prm, const float* x,
                              const float* gy, float* gx, int64_t n) = 0;
  // y[i] = op(a[off_a(i)], b[off_b(i)])
  virtual void binary(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan,
                      const float* a, const float* b, float* y) = 0;
  // ga[i] = gy[i] * d op/da, gb[i] = gy[i] * d op/db, both at the output's shape; either may be
  // null. The caller reduces them to the inputs' shapes.
  virtual void binary_backward(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan,
                               const float* a, const float* b, const float* gy, float* ga,
                               float* gb) = 0;
  // y += x (gradient accumulation)
  virtual void add_inplace(float* y, const float* x, int64_t n) = 0;
  // y *= s (gradient clipping)
  virtual void scale_inplace(float* y, float s, int64_t n) = 0;

  // --- gated units: h = act(a) * b, fused ------------------------------------------------------
  virtual void gated(math::UnaryOp act, const math::UnaryParams& prm, const float* a,
                     const float* b, float* h, int64_t n) = 0;
  // ga, gb may be null (only inputs that need a gradient get one)
  virtual void gated_backward(math::UnaryOp act, const math::UnaryParams& prm, const float* a,
                              const float* b, const float* gh, float* ga, float* gb, int64_t n) = 0;

  // --- layout ----------------------------------------------------------------------------------
  // y[i] = x[offset(view, i)] for i < view.numel (expand, permute).
  virtual void gather_strided(const math::StridedView& view, const float* x, float* y) = 0;
  // y[j] = sum_r x[offset(keep, j) + offset(reduce, r)], both offsets counted, in a fixed order
  virtual void reduce_sum(const math::ReducePlan& plan, const float* x, float* y) = 0;
  // 2-D block copy: rows x cols floats from src (row pitch src_pitch) to dst (pitch dst_pitch).
  // With accumulate, dst += src. Used by slice, split, concat and their backwards.
  virtual void copy_2d(const float* src, int64_t src_pitch, float* dst, int64_t dst_pitch,
                       int64_t rows, int64_t cols, bool accumulate) = 0;
  // y = sum of squares of x, written to a one-element device buffer (no host sync).
  virtual void sum_squares(const float* x, int64_t n, float* y) = 0;

  // --- matrix products -------------------------------------------------------------------------
  // For each b < batch: C_b = alpha * op(A_b) op(B_b) + beta * C_b, row-major, where op(A) is
  // M x K (A^T when trans_a), op(B) is K x N. lda/ldb/ldc are row pitches of A, B, C as stored;
  // stride_* the element distance between batches (0 = shared; not for C when batch > 1: a
  // product accumulated into one C is called once per batch, with beta = 1 after the first).
  virtual void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                    const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
                    int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c,
                    int64_t batch) = 0;

  // --- row-wise ops over [outer, n, inner] (the reduced dim has length n, stride inner) -------
  virtual void softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                       bool log) = 0;
  // from the forward output y: softmax dx = y (dy - sum dy y), log_softmax dx = dy - e^y sum dy
  virtual void softmax_backward(const float* y, const float* gy, float* gx, int64_t outer,
                                int64_t n, int64_t inner, bool log) = 0;

  // Attention weights over rows of n key scores, rows = batch * rows_per_batch (row r belongs
  // to batch r / rows_per_batch): y = softmax(scale * x) with the keys whose key_mask[b, j] is 0
  // at -inf (key_mask [batch, n], 1 = real, 0 = padding; null: every key is real). With p > 0,
  // y_drop = y * dropout_scale(seed, offset + i, p) at flat index i; y_drop is null when p = 0.
  // A row whose keys are all padding is NaN, as in PyTorch. x may be y (in place).
  virtual void attention_softmax(const float* x, const float* key_mask, float* y, float* y_drop,
                                 int64_t rows, int64_t n, int64_t rows_per_batch, float scale,
                                 float p, uint64_t seed, uint64_t offset) = 0;
  // gx = scale * y (g - sum g y), g = gy_drop * dropout_scale(seed, offset + i, p) (gy_drop
  // itself when p = 0): the gradient of the scores from the gradient of y_drop. gy_drop may be
  // gx (in place).
  virtual void attention_softmax_backward(const float* y, const float* gy_drop, float* gx,
                                          int64_t rows, int64_t n, float scale, float p,
                                          uint64_t seed, uint64_t offset) = 0;

  // layer norm over the last dim (cols); saves mean and rstd per row for the backward.
  virtual void layer_norm(const float* x, const float* w, const float* b, float* y, float* mean,
                          float* rstd, int64_t rows, int64_t cols, float eps) = 0;
  // gx, gw, gb are overwritten; any may be null. gw/gb are reduced over rows without atomics.
  virtual void layer_norm_backward(const float* x, const float* w, const float* mean,
                                   const float* rstd, const float* gy, float* gx, float* gw,
                                   float* gb, int64_t rows, int64_t cols) = 0;

  // --- embedding -------------------------------------------------------------------------------
  // y[i, :] = weight[idx[i], :]. Indices outside [0, vocab) are reported through check_errors().
  virtual void embedding(const float* weight, const int32_t* idx, float* y, int64_t n_idx,
                         int64_t dim, int64_t vocab) = 0;
  // gw (zeroed by the callee, [vocab, dim]) += scatter of gy rows by idx.
  virtual void embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx,
                                  int64_t dim, int64_t vocab) = 0;

  // --- loss ------------------------------------------------------------------------------------
  // loss[0] = mean_n (lse_n - x[n, t_n]); lse[n] saved for the backward. Targets outside
  // [0, C) are reported through check_errors().
  virtual void cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse,
                             int64_t N, int64_t C) = 0;
  // gx = gloss[0] / N * (softmax(x) - onehot(t)); gloss is a one-element device buffer.
  virtual void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse,
                                      const float* gloss, float* gx, int64_t N, int64_t C) = 0;

  // out[r] = index of the largest element of row r (first one on ties; NaN counts as largest).
  virtual void argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols) = 0;

  // --- random ----------------------------------------------------------------------------------
  // y[i] = x[i] * dropout_scale(seed, offset + i, p)   (its own backward, applied to gy)
  virtual void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed,
                       uint64_t offset) = 0;

  // --- optimizers ------------------------------------------------------------------------------
  virtual void adamw(float* p, const float* g, float* m, float* v, int64_t n,
                     const math::AdamWStep& step) = 0;
  // adamw over several tensors at once, each element updated exactly as by adamw: on a GPU one
  // launch per group of tensors instead of one per tensor (the step's launches are what a small
  // model pays for). With device_step (a buffer of this device holding one AdamWStep) the
  // scalars are read there when the update runs, not fixed when it is queued: a replayed graph
  // then takes each step with that step's scalars. This default calls adamw per span.
  virtual void adamw_many(const math::AdamWSpan* spans, int64_t count, const math::AdamWStep& step,
                          const math::AdamWStep* device_step = nullptr) {
    const math::AdamWStep& s = device_step ? *device_step : step;  // host memory on the CPU
    for (int64_t i = 0; i < count; ++i)
      adamw(spans[i].p, spans[i].g, spans[i].m, spans[i].v, spans[i].n, s);
  }
  virtual void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& step) = 0;

  // --- step bookkeeping ------------------------------------------------------------------------
  // With c = counter[0]: losses[c % capacity] = loss[0], predictions[(c % capacity) * max_rows + r]
  // = the index of the largest logit of row r (first on ties; NaN counts as largest) for
  // r < rows, then counter[0] = c + 1; all on the device, without a host wait. The slot is read
  // where the work runs, so a replayed graph writes the next slot each time.
  virtual void append_step_outputs(const float* loss, const float* logits, int64_t rows,
                                   int64_t classes, float* losses, int32_t* predictions,
                                   int64_t max_rows, int32_t* counter, int64_t capacity) = 0;

  // --- captured graphs (CUDA) ------------------------------------------------------------------
  // begin_capture() .. end_capture() records the work queued in between as one graph instead of
  // running it; launch_graph() runs all of it again as one launch, with the addresses, sizes and
  // kernel arguments of the capture. Memory allocated or freed during the capture stays reserved
  // for the graph while it lives (the last copy of the handle releases both). Nothing in between
  // may synchronise or copy from host memory (a failed capture throws ag::Error saying so;
  // abort_capture() cleans up after an error). One graph at a time. Backends without graphs (the
  // CPU) throw ag::Error.
  virtual bool supports_graphs() const { return false; }
  virtual void begin_capture();
  virtual std::shared_ptr<void> end_capture();  // the graph
  virtual void abort_capture() {}
  virtual void launch_graph(const std::shared_ptr<void>& graph);
  // Added on the device to every random position (dropout's counter, core/math/random.h): a
  // replayed graph, whose positions were fixed at capture, draws the masks of position p +
  // shift. 0 unless a graph is replayed; the CPU has no shift (only 0 is accepted).
  virtual void set_random_shift(uint64_t shift);

  // --- timing (benchmarks) -------------------------------------------------------------------
  // A mark on the device's timeline, and the milliseconds between two marks. This default
  // synchronises and reads the host clock, which is exact for the CPU; a GPU backend overrides
  // both with events so that timing does not stall the device between marks.
  virtual std::shared_ptr<void> timing_mark();
  virtual double timing_elapsed_ms(const std::shared_ptr<void>& start,
                                   const std::shared_ptr<void>& end);

  // --- host threads ----------------------------------------------------------------------------
  // The threads a backend's host loops run on (the CPU's OpenMP team; set_num_threads clamps to
  // at least 1). A backend whose kernels run on a device has none to set: 0, and ignored.
  virtual int num_threads() const { return 0; }
  virtual void set_num_threads(int) {}

  // --- launch counting -----------------------------------------------------------------------
  // Everything queued on the device so far (kernels, library calls, memsets, copies); counted
  // by the CUDA backend in real and emulated builds alike. The CPU runs its loops in place and
  // queues nothing: all zero. Reading the counts does not synchronise.
  virtual LaunchCounts launch_counts() const { return {}; }
  int64_t launch_count() const { return launch_counts().total(); }

  // Throws ag::Error if a kernel reported bad input since the last call (an index out of
  // range, say). Kernels cannot throw, so they raise a flag that this reads; it synchronises.
  virtual void check_errors() = 0;
};

// The backend of a device. Throws ag::Error when the device is not available (no backend for it
// in this build, or no GPU present).
Backend& backend(Device device);

// True when the CUDA backend is in this build and a device is present (never throws).
bool cuda_available();

// True when this build's CUDA backend runs on the emulated device (AG_CUDA=EMULATE): the CUDA
// kernels' results, on host threads, with no GPU's speed.
bool cuda_emulated();

// --- Registration --------------------------------------------------------------------------------
// A backend registers itself: one file of its library defines, at namespace scope,
//   const ag::BackendRegistrar registrar(Device::X, {&instance, &available, emulated});
// whose constructor runs during static initialisation, before main(). Nothing refers to that
// object, and a linker drops the unreferenced members of a static library, so every program
// links the backend libraries whole: the CMake target ag_core (exported as tapegrad::core) is the
// engine (ag_engine, the files of core/) plus $<LINK_LIBRARY:WHOLE_ARCHIVE,ag_cpu> and, when
// built, the same for ag_cuda. Link ag_core, never ag_cpu or ag_cuda on their own (CMake refuses a
// library linked both whole and plain). The emulated CUDA device (AG_CUDA=EMULATE) is the same
// ag_cuda, registered the same way with `emulated` set.
//
// Consequences: backend(), cuda_available() and cuda_emulated() answer from main() on, not from
// another static initialiser (whose order against the registrars is unspecified); a program that
// links ag_engine without a backend gets an ag::Error from backend() naming the missing device.
struct BackendRegistration {
  Backend& (*instance)() = nullptr;  // the backend; throws ag::Error when its device is unusable
  bool (*available)() = nullptr;     // whether instance() would succeed; never throws
  bool emulated = false;             // an emulated device: the kernels' results, not their speed
};
// Registers the backend of `device`. Registering a device twice (a backend library linked into a
// program twice) is reported by backend() for that device.
void register_backend(Device device, const BackendRegistration& registration);

struct BackendRegistrar {
  BackendRegistrar(Device device, const BackendRegistration& registration) {
    register_backend(device, registration);
  }
};

}  // namespace ag
