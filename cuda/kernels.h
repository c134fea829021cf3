// CUDA kernels: plain functions over contiguous device buffers, all queued on one stream. They
// know nothing of tensors, autograd or models; core/backend_cuda.cpp adapts them to the Backend
// interface. The per-element math comes from core/math, the same functors the CPU kernels use.
//
// This header is plain C++ (no CUDA types), so the C++ compiler can include it. Every entry point
// is asynchronous unless its comment says it synchronises; every CUDA and cuBLAS call inside is
// checked and fails with an ag::Error that names the file, the line and the library's message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/math/binary.h"
#include "core/math/optim.h"
#include "core/math/plans.h"
#include "core/math/unary.h"

namespace ag::gpu {

// --- runtime (cuda/runtime.cu) ---------------------------------------------------------------
bool device_present();      // a CUDA device is visible (never throws)
std::string device_name();  // "NVIDIA H100 80GB HBM3"
// This build runs the kernels on the emulated device (AG_CUDA=EMULATE, cuda/emulation): results
// are those of the CUDA code, timings are not a GPU's.
bool emulated();
// Uses device `index % device count` from now on (several processes on a node, one GPU each);
// returns the ordinal. Only before the first kernel, allocation or copy.
int select_device(int index);
void synchronize();  // waits for the stream, then raises any kernel-reported error
// Kernels that find bad input (an index out of range) cannot throw: they record the first such
// event in host-mapped memory. This synchronises and throws ag::Error describing it, if any.
void check_errors();
// Timing marks are CUDA events recorded on the stream; elapsed_ms waits for the later one.
void* event_record();
double event_elapsed_ms(void* start, void* end);
void event_destroy(void* event);

// --- memory (cuda/memory.cu) -----------------------------------------------------------------
void* allocate(size_t bytes);  // caching: freed blocks are reused by size, in stream order
void deallocate(void* ptr, size_t bytes);
size_t peak_allocated_bytes();
void copy_from_host(void* dst, const void* host_src, size_t bytes);
void copy_to_host(void* host_dst, const void* src, size_t bytes);  // synchronises
void copy(void* dst, const void* src, size_t bytes);

// --- elementwise (cuda/elementwise.cu) -------------------------------------------------------
void fill(float* y, int64_t n, float value);
void unary(math::UnaryOp op, const math::UnaryParams& prm, const float* x, float* y, int64_t n);
void unary_backward(math::UnaryOp op, const math::UnaryParams& prm, const float* x, const float* gy,
                    float* gx, int64_t n);
void binary(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan, const float* a,
            const float* b, float* y);
void binary_backward(math::BinaryOp op, float scalar, const math::BroadcastPlan& plan,
                     const float* a, const float* b, const float* gy, float* ga, float* gb);
void add_inplace(float* y, const float* x, int64_t n);
void scale_inplace(float* y, float s, int64_t n);
void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t offset);

// --- fused gated units (cuda/gated.cu) -------------------------------------------------------
void gated(math::UnaryOp act, const math::UnaryParams& prm, const float* a, const float* b,
           float* h, int64_t n);
void gated_backward(math::UnaryOp act, const math::UnaryParams& prm, const float* a, const float* b,
                    const float* gh, float* ga, float* gb, int64_t n);

// --- layout (cuda/layout.cu) and reductions (cuda/reduce.cu) ---------------------------------
void gather_strided(const math::StridedView& view, const float* x, float* y);
void copy_2d(const float* src, int64_t src_pitch, float* dst, int64_t dst_pitch, int64_t rows,
             int64_t cols, bool accumulate);
void reduce_sum(const math::ReducePlan& plan, const float* x, float* y);
void sum_squares(const float* x, int64_t n, float* y);  // y: one float on the device

// --- matrix products (cuda/gemm.cu): the row-major contract of cpu::gemm, via cuBLAS ---------
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, int64_t stride_a, const float* B, int64_t ldb, int64_t stride_b, float beta,
          float* C, int64_t ldc, int64_t stride_c, int64_t batch);

// --- row-wise (cuda/rows.cu) -----------------------------------------------------------------
void softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log);
void softmax_backward(const float* y, const float* gy, float* gx, int64_t outer, int64_t n,
                      int64_t inner, bool log);
void layer_norm(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd,
                int64_t rows, int64_t cols, float eps);
void layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd,
                         const float* gy, float* gx, float* gw, float* gb, int64_t rows,
                         int64_t cols);
void cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse, int64_t N,
                   int64_t C);
void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse,
                            const float* gloss, float* gx, int64_t N, int64_t C);
void argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols);

// --- embedding (cuda/embedding.cu) -----------------------------------------------------------
void embedding(const float* weight, const int32_t* idx, float* y, int64_t n_idx, int64_t dim,
               int64_t vocab);
void embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx, int64_t dim,
                        int64_t vocab);

// --- optimizers (cuda/optim.cu) --------------------------------------------------------------
void adamw(float* p, const float* g, float* m, float* v, int64_t n, const math::AdamWStep& s);
void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& s);

}  // namespace ag::gpu
