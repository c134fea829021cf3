// The cuBLAS stand-in (see include/cublas_v2.h for the contract it follows).
#include <cmath>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cublas_v2.h"
#include "cuda_runtime.h"

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace {

struct Handles {
  std::mutex mutex;
  std::set<cublasHandle_t> live;
};

Handles& handles() {
  static Handles* h = new Handles;
  return *h;
}

bool live(cublasHandle_t h) {
  Handles& hs = handles();
  std::lock_guard<std::mutex> lock(hs.mutex);
  return hs.live.count(h) != 0;
}

bool valid_op(cublasOperation_t op) {
  return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}

// Rounds to TF32 (1 sign, 8 exponent, 10 mantissa bits), to nearest even.
float to_tf32(float x) {
  if (!std::isfinite(x)) return x;
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u += 0xfffu + ((u >> 13) & 1u);
  u &= ~0x1fffu;
  std::memcpy(&x, &u, 4);
  return x;
}

struct Gemm {
  bool trans_a, trans_b, tf32;
  int m, n, k;
  float alpha, beta;
  const float* A;
  int lda;
  long long stride_a;
  const float* B;
  int ldb;
  long long stride_b;
  float* C;
  int ldc;
  long long stride_c;
  int batch;

  float a(const float* base, int i, int l) const {  // op(A)(i, l)
    const float v = trans_a ? base[l + size_t(i) * lda] : base[i + size_t(l) * lda];
    return tf32 ? to_tf32(v) : v;
  }
  float b(const float* base, int l, int j) const {  // op(B)(l, j)
    const float v = trans_b ? base[j + size_t(l) * ldb] : base[l + size_t(j) * ldb];
    return tf32 ? to_tf32(v) : v;
  }

  static void run(void* ctx) {
    const Gemm& g = *static_cast<Gemm*>(ctx);
    std::vector<float> column(size_t(g.m));
    for (int p = 0; p < g.batch; ++p) {
      const float* A = g.A + p * g.stride_a;
      const float* B = g.B + p * g.stride_b;
      float* C = g.C + p * g.stride_c;
      for (int j = 0; j < g.n; ++j) {
        std::fill(column.begin(), column.end(), 0.0f);
        if (g.alpha != 0.0f)
          for (int l = 0; l < g.k; ++l) {
            const float blj = g.b(B, l, j);
            for (int i = 0; i < g.m; ++i)
              column[size_t(i)] = std::fma(g.a(A, i, l), blj, column[size_t(i)]);
          }
        float* c = C + size_t(j) * g.ldc;
        for (int i = 0; i < g.m; ++i)
          c[i] = g.beta == 0.0f ? g.alpha * column[size_t(i)]
                                : std::fma(g.alpha, column[size_t(i)], g.beta * c[i]);
      }
    }
  }
};

// Bytes from a matrix's first element to one past its last: cols columns of ld, the last one
// `rows` long; batches `stride` apart.
bool matrix_in_device_memory(const float* p, int rows, int cols, int ld, long long stride,
                             int batch) {
  if (rows == 0 || cols == 0) return true;
  const long long span = (long long)(cols - 1) * ld + rows;
  const long long first = stride < 0 ? (long long)(batch - 1) * stride : 0;
  const long long last = stride < 0 ? span : (long long)(batch - 1) * stride + span;
  return cuda_emu::is_device_range(p + first, size_t(last - first) * sizeof(float));
}

cublasStatus_t gemm(const char* name, cublasHandle_t handle, cublasOperation_t transa,
                    cublasOperation_t transb, int m, int n, int k, const float* alpha,
                    const float* A, int lda, long long stride_a, const float* B, int ldb,
                    long long stride_b, const float* beta, float* C, int ldc, long long stride_c,
                    int batch) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || k < 0 || batch < 0 || !valid_op(transa) || !valid_op(transb) ||
      lda < std::max(1, transa == CUBLAS_OP_N ? m : k) ||
      ldb < std::max(1, transb == CUBLAS_OP_N ? k : n) || ldc < std::max(1, m) || !alpha || !beta)
    return CUBLAS_STATUS_INVALID_VALUE;
  if (cuda_emu::sticky_error() != cudaSuccess) return CUBLAS_STATUS_EXECUTION_FAILED;
  if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
  const bool ta = transa != CUBLAS_OP_N, tb = transb != CUBLAS_OP_N;
  const bool reads_ab = k > 0 && *alpha != 0.0f;
  std::string misuse;
  if (reads_ab && !matrix_in_device_memory(A, ta ? k : m, ta ? m : k, lda, stride_a, batch))
    misuse = "A (with lda, strideA) is not inside one device allocation";
  else if (reads_ab && !matrix_in_device_memory(B, tb ? n : k, tb ? k : n, ldb, stride_b, batch))
    misuse = "B (with ldb, strideB) is not inside one device allocation";
  else if (!matrix_in_device_memory(C, m, n, ldc, stride_c, batch))
    misuse = "C (with ldc, strideC) is not inside one device allocation";
  else if (batch > 1 && std::llabs(stride_c) < (long long)(n - 1) * ldc + m)
    misuse = "the batches' C matrices overlap (|strideC| too small): they would race";
  if (!misuse.empty()) {
    cuda_emu::library_misuse(name, misuse.c_str());
    cuda_emu::device_fault(cudaErrorIllegalAddress, (std::string(name) + ": " + misuse).c_str());
    return CUBLAS_STATUS_EXECUTION_FAILED;
  }
  auto* g = new Gemm{ta,     tb,       handle->math == CUBLAS_TF32_TENSOR_OP_MATH,
                     m,      n,        k,
                     *alpha, *beta,    A,
                     lda,    stride_a, B,
                     ldb,    stride_b, C,
                     ldc,    stride_c, batch};
  cuda_emu::enqueue_host_work(handle->stream, &Gemm::run, g,
                              [](void* ctx) { delete static_cast<Gemm*>(ctx); });
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    (void)cudaGetLastError();
    return CUBLAS_STATUS_NOT_INITIALIZED;
  }
  *handle = new cublasContext;
  Handles& hs = handles();
  std::lock_guard<std::mutex> lock(hs.mutex);
  hs.live.insert(*handle);
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  Handles& hs = handles();
  std::lock_guard<std::mutex> lock(hs.mutex);
  if (!hs.live.erase(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream(cublasHandle_t handle, cudaStream_t* stream) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!stream) return CUBLAS_STATUS_INVALID_VALUE;
  *stream = handle->stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode < CUBLAS_DEFAULT_MATH || mode > CUBLAS_TF32_TENSOR_OP_MATH)
    return CUBLAS_STATUS_INVALID_VALUE;
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t* mode) {
  if (!live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
  *mode = handle->math;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa,
                           cublasOperation_t transb, int m, int n, int k, const float* alpha,
                           const float* A, int lda, const float* B, int ldb, const float* beta,
                           float* C, int ldc) {
  return gemm("cublasSgemm", handle, transa, transb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C,
              ldc, 0, 1);
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
                                         cublasOperation_t transb, int m, int n, int k,
                                         const float* alpha, const float* A, int lda,
                                         long long int strideA, const float* B, int ldb,
                                         long long int strideB, const float* beta, float* C,
                                         int ldc, long long int strideC, int batchCount) {
  return gemm("cublasSgemmStridedBatched", handle, transa, transb, m, n, k, alpha, A, lda, strideA,
              B, ldb, strideB, beta, C, ldc, strideC, batchCount);
}

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "an absent device architectural feature is required";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "an access to GPU memory space failed";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "the GPU program failed to execute";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "an internal operation failed";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "the functionality requested is not supported";
  }
  return "unknown error";
}
