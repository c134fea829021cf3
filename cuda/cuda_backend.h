// The CUDA backend: core's Backend (core/backend.h, where every entry point's contract is written)
// implemented with CUDA kernels, all queued on one stream, cuBLAS for matrix products and CUB
// block primitives for reductions. It knows nothing of tensors, autograd or models. The
// per-element math comes from core/math, the same functors the CPU kernels use.
//
// This header is plain C++ (no CUDA types), so the C++ compiler can include it. Every entry point
// is asynchronous unless its comment (here or in core/backend.h) says it synchronises; every CUDA
// and cuBLAS call inside is checked and fails with an ag::Error that names the file, the line and
// the library's message. Each method is defined in the .cu file that holds its kernels (named
// below); cuda/runtime.cu also registers the backend with the engine (core/backend.h). With
// AG_CUDA=EMULATE the same files are built by the host compiler against the emulated device
// (cuda/emulation) and register the same way, marked emulated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/backend.h"

namespace ag::cuda {

// A CUDA device is visible (never throws).
bool device_present();
// Uses device `index % device count` from now on (several processes on a node, one GPU each);
// returns the ordinal. Only before the first kernel, allocation or copy.
int select_device(int index);

class CudaBackend final : public Backend {
 public:
  // cuda/runtime.cu: the device, its stream and error report, graphs, timing, launch counts
  Device device() const override { return Device::CUDA; }
  std::string device_name() const override;  // "NVIDIA H100 80GB HBM3"
  void synchronize() override;               // waits for the stream, then check_errors()
  // Kernels that find bad input (an index out of range) cannot throw: they record the first such
  // event in device memory. This synchronises and throws ag::Error describing it, if any.
  void check_errors() override;
  LaunchCounts launch_counts() const override;
  bool supports_graphs() const override { return true; }
  void begin_capture() override;
  std::shared_ptr<void> end_capture() override;  // a cudaGraphExec_t
  void abort_capture() override;
  void launch_graph(const std::shared_ptr<void>& graph) override;
  // Updates the device scalar that every dropout kernel adds to its random positions (a copy
  // queued only when the value changes).
  void set_random_shift(uint64_t shift) override;
  // Marks are CUDA events recorded on the stream; elapsed_ms waits for the later one.
  std::shared_ptr<void> timing_mark() override;
  double timing_elapsed_ms(const std::shared_ptr<void>& start,
                           const std::shared_ptr<void>& end) override;

  // cuda/memory.cu: a caching allocator (freed blocks reused by size, in stream order; while a
  // graph is captured its blocks are kept for it) and host<->device copies
  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  size_t peak_allocated_bytes() const override;
  void copy_from_host(void* dst, const void* host_src, size_t bytes) override;
  void copy_to_host(void* host_dst, const void* src, size_t bytes) override;  // synchronises
  void copy(void* dst, const void* src, size_t bytes) override;

  // cuda/elementwise.cu
  void fill(float* y, int64_t n, float value) override;
  void unary(math::UnaryOp op, const math::UnaryParams& prm, const float* x, float* y,
             int64_t n) override;
  void unary_backward(math::UnaryOp op, const math::UnaryParams& prm, const float* x,
                      const float* gy, float* gx, int64_t n) override;
  void binary(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan, const float* a,
              const float* b, float* y) override;
  void binary_backward(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan,
                       const float* a, const float* b, const float* gy, float* ga,
                       float* gb) override;
  void add_inplace(float* y, const float* x, int64_t n) override;
  void scale_inplace(float* y, float s, int64_t n) override;
  void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed,
               uint64_t offset) override;

  // cuda/gated.cu: fused gated units
  void gated(math::UnaryOp act, const math::UnaryParams& prm, const float* a, const float* b,
             float* h, int64_t n) override;
  void gated_backward(math::UnaryOp act, const math::UnaryParams& prm, const float* a,
                      const float* b, const float* gh, float* ga, float* gb, int64_t n) override;

  // cuda/layout.cu
  void gather_strided(const math::StridedView& view, const float* x, float* y) override;
  void copy_2d(const float* src, int64_t src_pitch, float* dst, int64_t dst_pitch, int64_t rows,
               int64_t cols, bool accumulate) override;
  // cuda/reduce.cu
  void reduce_sum(const math::ReducePlan& plan, const float* x, float* y) override;
  void sum_squares(const float* x, int64_t n, float* y) override;

  // cuda/gemm.cu: the row-major contract of Backend::gemm, through cuBLAS
  void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
            const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
            int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c,
            int64_t batch) override;

  // cuda/rows.cu: row-wise ops, cross-entropy, argmax
  void softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
               bool log) override;
  void softmax_backward(const float* y, const float* gy, float* gx, int64_t outer, int64_t n,
                        int64_t inner, bool log) override;
  void layer_norm(const float* x, const float* w, const float* b, float* y, float* mean,
                  float* rstd, int64_t rows, int64_t cols, float eps) override;
  void layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd,
                           const float* gy, float* gx, float* gw, float* gb, int64_t rows,
                           int64_t cols) override;
  void cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse,
                     int64_t N, int64_t C) override;
  void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse,
                              const float* gloss, float* gx, int64_t N, int64_t C) override;
  void append_step_outputs(const float* loss, const float* logits, int64_t rows, int64_t classes,
                           float* losses, int32_t* predictions, int64_t max_rows, int32_t* counter,
                           int64_t capacity) override;
  void argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols) override;

  // cuda/attention.cu: the fused attention softmax and its backward
  void attention_softmax(const float* x, const float* key_mask, float* y, float* y_drop,
                         int64_t rows, int64_t n, int64_t rows_per_batch, float scale, float p,
                         uint64_t seed, uint64_t offset) override;
  void attention_softmax_backward(const float* y, const float* gy_drop, float* gx, int64_t rows,
                                  int64_t n, float scale, float p, uint64_t seed,
                                  uint64_t offset) override;

  // cuda/embedding.cu
  void embedding(const float* weight, const int32_t* idx, float* y, int64_t n_idx, int64_t dim,
                 int64_t vocab) override;
  void embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx,
                          int64_t dim, int64_t vocab) override;

  // cuda/optim.cu
  void adamw(float* p, const float* g, float* m, float* v, int64_t n,
             const math::AdamWStep& step) override;
  void adamw_many(const math::AdamWSpan* spans, int64_t count, const math::AdamWStep& step,
                  const math::AdamWStep* device_step) override;
  void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& step) override;
};

}  // namespace ag::cuda
