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

#include "core/backend.h"
#include "core/math/binary.h"
#include "core/math/optim.h"
#include "core/math/plans.h"
#include "core/math/unary.h"

namespace ag::cuda {

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
// Work queued on the stream since the process started (Backend::launch_counts).
LaunchCounts launch_counts();
// The device scalar every dropout kernel adds to its random positions, and its update (a copy
// queued only when the value changes). Backend::set_random_shift.
const uint64_t* random_shift();
void set_random_shift(uint64_t shift);
// Graphs (Backend::begin_capture and the rest): end_capture returns a cudaGraphExec_t.
void begin_capture();
void* end_capture();
void abort_capture();
void launch_graph(void* exec);
void destroy_graph(void* exec);

// --- memory (cuda/memory.cu) -----------------------------------------------------------------
void* allocate(size_t bytes);  // caching: freed blocks are reused by size, in stream order
// While a graph is captured, every block allocated or freed goes to the graph's pool: its
// kernels keep using those addresses at every replay, so nothing else may get them until the
// graph is released. One graph at a time.
void begin_graph_pool();
void end_graph_pool_capture();  // capture over: blocks freed later still return to the pool
void release_graph_pool();      // the graph is gone: its blocks are ordinary cached blocks again
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
// attention (cuda/attention.cu): Backend::attention_softmax and its backward
void attention_softmax(const float* x, const float* key_mask, float* y, float* y_drop, int64_t rows,
                       int64_t n, int64_t rows_per_batch, float scale, float p, uint64_t seed,
                       uint64_t offset);
void attention_softmax_backward(const float* y, const float* gy_drop, float* gx, int64_t rows,
                                int64_t n, float scale, float p, uint64_t seed, uint64_t offset);
void layer_norm(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd,
                int64_t rows, int64_t cols, float eps);
void layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd,
                         const float* gy, float* gx, float* gw, float* gb, int64_t rows,
                         int64_t cols);
void cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse, int64_t N,
                   int64_t C);
void cross_entropy_backward(const float* logits, const int32_t* targets, const float* lse,
                            const float* gloss, float* gx, int64_t N, int64_t C);
void append_step_outputs(const float* loss, const float* logits, int64_t rows, int64_t classes,
                         float* losses, int32_t* predictions, int64_t max_rows, int32_t* counter,
                         int64_t capacity);
void argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols);

// --- embedding (cuda/embedding.cu) -----------------------------------------------------------
void embedding(const float* weight, const int32_t* idx, float* y, int64_t n_idx, int64_t dim,
               int64_t vocab);
void embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx, int64_t dim,
                        int64_t vocab);

// --- optimizers (cuda/optim.cu) --------------------------------------------------------------
void adamw(float* p, const float* g, float* m, float* v, int64_t n, const math::AdamWStep& s);
void adamw_many(const math::AdamWSpan* spans, int64_t count, const math::AdamWStep& s,
                const math::AdamWStep* device_step);
void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& s);

}  // namespace ag::cuda
