// CPU kernels: plain functions over contiguous float buffers. They know nothing of tensors,
// autograd or models; core/backend_cpu.cpp adapts them to the Backend interface. The per-element
// math comes from core/math (shared with the CUDA kernels). Loops are written to vectorise
// (-O3 -march=native) and split across OpenMP threads when the work is large enough to pay.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/math/binary.h"
#include "core/math/optim.h"
#include "core/math/plans.h"
#include "core/math/unary.h"

namespace ag::cpu {

// memory (64-byte aligned, cached by size class)
void* allocate(size_t bytes);
void deallocate(void* ptr, size_t bytes);
size_t peak_allocated_bytes();

// elementwise (cpu/elementwise.cpp)
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
void gated(math::UnaryOp act, const math::UnaryParams& prm, const float* a, const float* b,
           float* h, int64_t n);
void gated_backward(math::UnaryOp act, const math::UnaryParams& prm, const float* a, const float* b,
                    const float* gh, float* ga, float* gb, int64_t n);
void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed, uint64_t offset);

// layout and reductions (cpu/layout.cpp)
void copy_bytes(void* dst, const void* src, size_t bytes);  // memcpy, split across threads
void gather_strided(const math::StridedView& view, const float* x, float* y);
void reduce_sum(const math::ReducePlan& plan, const float* x, float* y);
void copy_2d(const float* src, int64_t src_pitch, float* dst, int64_t dst_pitch, int64_t rows,
             int64_t cols, bool accumulate);
float sum_squares(const float* x, int64_t n);

// matrix products (cpu/gemm.cpp): C_b = alpha op(A_b) op(B_b) + beta C_b, row-major.
// op(A) is M x K (stored K x M when trans_a), op(B) is K x N (stored N x K when trans_b).
// beta == 0 means C is not read (it may hold garbage or NaN).
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, int64_t stride_a, const float* B, int64_t ldb, int64_t stride_b, float beta,
          float* C, int64_t ldc, int64_t stride_c, int64_t batch);

// row-wise (cpu/rows.cpp)
void softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log);
void softmax_backward(const float* y, const float* gy, float* gx, int64_t outer, int64_t n,
                      int64_t inner, bool log);
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

// embedding (cpu/embedding.cpp); indices must already be validated by the caller
void embedding(const float* weight, const int32_t* idx, float* y, int64_t n_idx, int64_t dim);
void embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx, int64_t dim,
                        int64_t vocab);

// optimizers (cpu/optim.cpp)
void adamw(float* p, const float* g, float* m, float* v, int64_t n, const math::AdamWStep& s);
void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& s);

// threading
int num_threads();
void set_num_threads(int n);

}  // namespace ag::cpu
