// Matrix products through cuBLAS, keeping Backend::gemm's row-major contract.
//
// cuBLAS is column-major. A row-major matrix with row pitch ld is, read column-major, its own
// transpose with leading dimension ld. So the row-major C = op(A) op(B) is computed as the
// column-major C^T = op(B)^T op(A)^T: swap the operands, swap M and N, keep each trans flag.
#include <climits>

#include "cuda/common.cuh"
#include "cuda/cuda_backend.h"

namespace ag::cuda {

namespace {

int checked_int(int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX)
    fail("gemm: ", what, " = ", v, " does not fit cuBLAS's 32-bit arguments");
  return int(v);
}

// C = beta * C for an empty inner dimension (K = 0): the product contributes nothing.
__global__ void scale_matrix_kernel(float* __restrict__ C, int64_t ldc, int64_t stride_c, int64_t M,
                                    int64_t N, int64_t batch, float beta) {
  const int64_t total = batch * M * N;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t b = i / (M * N), r = (i / N) % M, c = i % N;
    float& v = C[b * stride_c + r * ldc + c];
    v = beta == 0.0f ? 0.0f : beta * v;  // beta == 0: C is not read (it may hold NaN)
  }
}

}  // namespace

void CudaBackend::gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                       const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
                       int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c,
                       int64_t batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  if (stride_c == 0 && batch > 1)  // all batches would write the one C at once
    fail("gemm: stride_c = 0 with batch = ", batch, ": each batch needs its own C");
  if (K <= 0) {
    launch(scale_matrix_kernel, grid_for(batch * M * N), kThreads, C, ldc, stride_c, M, N, batch,
           beta);
    return;
  }
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = checked_int(N, "N"), n = checked_int(M, "M"), k = checked_int(K, "K");
  const int ld_b = checked_int(ldb, "ldb"), ld_a = checked_int(lda, "lda");
  const int ld_c = checked_int(ldc, "ldc");
  count_queued(Queued::Library);
  if (batch == 1) {
    AG_CUBLAS_CHECK(
        cublasSgemm(cublas(), op_b, op_a, m, n, k, &alpha, B, ld_b, A, ld_a, &beta, C, ld_c));
  } else {
    AG_CUBLAS_CHECK(cublasSgemmStridedBatched(cublas(), op_b, op_a, m, n, k, &alpha, B, ld_b,
                                              stride_b, A, ld_a, stride_a, &beta, C, ld_c, stride_c,
                                              checked_int(batch, "batch")));
  }
}

}  // namespace ag::cuda
