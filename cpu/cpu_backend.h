// The CPU backend: core's Backend (core/backend.h, where every entry point's contract is written)
// implemented with plain loops over contiguous float buffers. It knows nothing of tensors,
// autograd or models. The per-element math comes from core/math (shared with the CUDA kernels).
// Loops are written to vectorise (-O3 -march=native) and split across OpenMP threads when the
// work is large enough to pay (cpu/parallel.h).
//
// Each method is defined in the file that holds its kernels (named below); cpu/cpu_backend.cpp
// holds the device's identity and registers the backend with the engine (core/backend.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/backend.h"

namespace ag::cpu {

class CpuBackend final : public Backend {
 public:
  // cpu/cpu_backend.cpp
  Device device() const override { return Device::CPU; }
  std::string device_name() const override;  // the "model name" of /proc/cpuinfo
  // CPU ops validate their indices on the host before calling a kernel: nothing is pending.
  void check_errors() override {}
  void synchronize() override {}

  // cpu/threads.cpp: the OpenMP team of every parallel loop
  int num_threads() const override;
  void set_num_threads(int n) override;

  // cpu/memory.cpp: 64-byte aligned blocks, cached by size class; copies are memcpy (split
  // across threads for large device-to-device copies)
  void* allocate(size_t bytes) override;
  void deallocate(void* ptr, size_t bytes) override;
  void copy_from_host(void* dst, const void* host_src, size_t bytes) override;
  void copy_to_host(void* host_dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  size_t peak_allocated_bytes() const override;

  // cpu/elementwise.cpp
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
  void gated(math::UnaryOp act, const math::UnaryParams& prm, const float* a, const float* b,
             float* h, int64_t n) override;
  void gated_backward(math::UnaryOp act, const math::UnaryParams& prm, const float* a,
                      const float* b, const float* gh, float* ga, float* gb, int64_t n) override;
  void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed,
               uint64_t offset) override;

  // cpu/layout.cpp: layout and reductions
  void gather_strided(const math::StridedView& view, const float* x, float* y) override;
  void reduce_sum(const math::ReducePlan& plan, const float* x, float* y) override;
  void copy_2d(const float* src, int64_t src_pitch, float* dst, int64_t dst_pitch, int64_t rows,
               int64_t cols, bool accumulate) override;
  void sum_squares(const float* x, int64_t n, float* y) override;  // summed in double

  // cpu/gemm.cpp: packed panels and an FMA micro-kernel. beta == 0 means C is not read (it may
  // hold garbage or NaN).
  void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
            const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
            int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c,
            int64_t batch) override;

  // cpu/rows.cpp: row-wise ops, cross-entropy, argmax
  void softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
               bool log) override;
  void softmax_backward(const float* y, const float* gy, float* gx, int64_t outer, int64_t n,
                        int64_t inner, bool log) override;
  void attention_softmax(const float* x, const float* key_mask, float* y, float* y_drop,
                         int64_t rows, int64_t n, int64_t rows_per_batch, float scale, float p,
                         uint64_t seed, uint64_t offset) override;
  void attention_softmax_backward(const float* y, const float* gy_drop, float* gx, int64_t rows,
                                  int64_t n, float scale, float p, uint64_t seed,
                                  uint64_t offset) override;
  void layer_norm(const float* x, const float* w, const float* b, float* y, float* mean,
                  float* rstd, int64_t rows, int64_t cols, float eps) override;
  void layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd,
                           const float* gy, float* gx, float* gw, float* gb, int64_t rows,
                           int64_t cols) override;
  void cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse,
                     int64_t N, int64_t C) override;
  void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse,
                              const float* gloss, float* gx, int64_t N, int64_t C) override;
  void argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols) override;
  void append_step_outputs(const float* loss, const float* logits, int64_t rows, int64_t classes,
                           float* losses, int32_t* predictions, int64_t max_rows, int32_t* counter,
                           int64_t capacity) override;

  // cpu/embedding.cpp. The ops validate the indices on the host first, so the kernels trust them.
  void embedding(const float* weight, const int32_t* idx, float* y, int64_t n_idx, int64_t dim,
                 int64_t vocab) override;
  void embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx,
                          int64_t dim, int64_t vocab) override;

  // cpu/optim.cpp (adamw_many: the Backend default, adamw per span)
  void adamw(float* p, const float* g, float* m, float* v, int64_t n,
             const math::AdamWStep& step) override;
  void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& step) override;
};

}  // namespace ag::cpu
