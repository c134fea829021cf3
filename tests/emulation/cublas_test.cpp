// The cuBLAS stand-in against cuBLAS's documented contract: column-major storage, op flags,
// leading dimensions, alpha/beta, strided batches, argument checks. Expected values are worked out
// by hand from small matrices.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "cublas_v2.h"
#include "tests/emulation/emu_test.h"

namespace {

using emutest::DeviceBuffer;

class EmulatedCublas : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(cublasCreate(&handle_), CUBLAS_STATUS_SUCCESS); }
  void TearDown() override { EXPECT_EQ(cublasDestroy(handle_), CUBLAS_STATUS_SUCCESS); }
  cublasHandle_t handle_ = nullptr;
};

// A is 2x3 column-major with lda = 3 (a padding row): columns (1 2 *), (3 4 *), (5 6 *), i.e.
//   A = [1 3 5; 2 4 6].  B is 3x2, ldb = 3: B = [1 4; 2 5; 3 6].
// A B = [1+6+15  4+15+30; 2+8+18  8+20+36] = [22 49; 28 64].
TEST_F(EmulatedCublas, sgemm_is_column_major_with_leading_dimensions) {
  DeviceBuffer<float> A(std::vector<float>{1, 2, -99, 3, 4, -99, 5, 6, -99});
  DeviceBuffer<float> B(std::vector<float>{1, 2, 3, 4, 5, 6});
  DeviceBuffer<float> C(std::vector<float>{0, 0, 0, 0});
  const float one = 1.0f, zero = 0.0f;
  ASSERT_EQ(cublasSgemm(handle_, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, &one, A.get(), 3, B.get(), 3,
                        &zero, C.get(), 2),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host(), (std::vector<float>{22, 28, 49, 64}));
}

// op flags: with A stored as its transpose At (3x2, lda 3) = [1 2; 3 4; 5 6] and OP_T, op(At) = A;
// with B stored as Bt (2x3, ldb 2) = [1 2 3; 4 5 6] and OP_T, op(Bt) = B.
TEST_F(EmulatedCublas, sgemm_transposes_each_operand_by_its_own_flag) {
  DeviceBuffer<float> At(std::vector<float>{1, 3, 5, 2, 4, 6});  // columns (1 3 5), (2 4 6)
  DeviceBuffer<float> A(std::vector<float>{1, 2, 3, 4, 5, 6});   // [1 3 5; 2 4 6], lda 2
  DeviceBuffer<float> Bt(std::vector<float>{1, 4, 2, 5, 3, 6});  // [1 2 3; 4 5 6], ldb 2
  DeviceBuffer<float> B(std::vector<float>{1, 2, 3, 4, 5, 6});   // [1 4; 2 5; 3 6], ldb 3
  DeviceBuffer<float> C(4);
  const float one = 1.0f, zero = 0.0f;
  const std::vector<float> want = {22, 28, 49, 64};
  ASSERT_EQ(cublasSgemm(handle_, CUBLAS_OP_T, CUBLAS_OP_N, 2, 2, 3, &one, At.get(), 3, B.get(), 3,
                        &zero, C.get(), 2),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host(), want) << "T, N";
  ASSERT_EQ(cublasSgemm(handle_, CUBLAS_OP_N, CUBLAS_OP_T, 2, 2, 3, &one, A.get(), 2, Bt.get(), 2,
                        &zero, C.get(), 2),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host(), want) << "N, T";
  ASSERT_EQ(cublasSgemm(handle_, CUBLAS_OP_T, CUBLAS_OP_T, 2, 2, 3, &one, At.get(), 3, Bt.get(), 2,
                        &zero, C.get(), 2),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host(), want) << "T, T";
}

TEST_F(EmulatedCublas, sgemm_scales_by_alpha_and_beta_and_never_reads_c_when_beta_is_zero) {
  DeviceBuffer<float> A(std::vector<float>{1, 2});  // 2x1
  DeviceBuffer<float> B(std::vector<float>{3});     // 1x1
  const float nan = std::numeric_limits<float>::quiet_NaN();
  DeviceBuffer<float> C(std::vector<float>{nan, nan});
  const float two = 2.0f, zero = 0.0f, half = 0.5f;
  ASSERT_EQ(cublasSgemm(handle_, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 1, &two, A.get(), 2, B.get(), 1,
                        &zero, C.get(), 2),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host(), (std::vector<float>{6, 12}));
  ASSERT_EQ(cublasSgemm(handle_, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 1, &two, A.get(), 2, B.get(), 1,
                        &half, C.get(), 2),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host(), (std::vector<float>{6 + 3, 12 + 6}));
}

// Two 1x1 x 1x2 products; A's stride 0 makes both batches use the same A.
TEST_F(EmulatedCublas, strided_batched_walks_each_operand_by_its_stride) {
  DeviceBuffer<float> A(std::vector<float>{10});
  DeviceBuffer<float> B(std::vector<float>{1, 2, 3, 4});  // batch 0: [1 2], batch 1: [3 4]
  DeviceBuffer<float> C(std::vector<float>{0, 0, -1, 0, 0});
  const float one = 1.0f, zero = 0.0f;
  ASSERT_EQ(cublasSgemmStridedBatched(handle_, CUBLAS_OP_N, CUBLAS_OP_N, 1, 2, 1, &one, A.get(), 1,
                                      0, B.get(), 1, 2, &zero, C.get(), 1, 3, 2),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host(), (std::vector<float>{10, 20, -1, 30, 40})) << "C batches 3 apart";
}

TEST_F(EmulatedCublas, arguments_are_checked_as_documented) {
  DeviceBuffer<float> A(16), B(16), C(16);
  const float one = 1.0f;
  auto gemm = [&](cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, int lda, int ldb,
                  int ldc) {
    return cublasSgemm(handle_, ta, tb, m, n, k, &one, A.get(), lda, B.get(), ldb, &one, C.get(),
                       ldc);
  };
  EXPECT_EQ(gemm(CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, 1, 2, 2), CUBLAS_STATUS_INVALID_VALUE)
      << "lda < m with OP_N";
  EXPECT_EQ(gemm(CUBLAS_OP_T, CUBLAS_OP_N, 3, 2, 2, 1, 2, 3), CUBLAS_STATUS_INVALID_VALUE)
      << "lda < k with OP_T";
  EXPECT_EQ(gemm(CUBLAS_OP_N, CUBLAS_OP_T, 2, 3, 2, 2, 2, 2), CUBLAS_STATUS_INVALID_VALUE)
      << "ldb < n with OP_T";
  EXPECT_EQ(gemm(CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, 2, 2, 2), CUBLAS_STATUS_INVALID_VALUE)
      << "ldb < k with OP_N";
  EXPECT_EQ(gemm(CUBLAS_OP_N, CUBLAS_OP_N, 3, 1, 1, 3, 1, 2), CUBLAS_STATUS_INVALID_VALUE)
      << "ldc < m";
  EXPECT_EQ(gemm(CUBLAS_OP_N, CUBLAS_OP_N, -1, 1, 1, 1, 1, 1), CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(gemm(cublasOperation_t(7), CUBLAS_OP_N, 1, 1, 1, 1, 1, 1), CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(gemm(CUBLAS_OP_N, CUBLAS_OP_N, 0, 4, 4, 1, 4, 1), CUBLAS_STATUS_SUCCESS)
      << "m = 0 is a valid no-op";
  EXPECT_EQ(cublasSgemm(nullptr, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, A.get(), 1, B.get(), 1,
                        &one, C.get(), 1),
            CUBLAS_STATUS_NOT_INITIALIZED);
  EXPECT_STREQ(cublasGetStatusName(CUBLAS_STATUS_INVALID_VALUE), "CUBLAS_STATUS_INVALID_VALUE");
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

// TF32 keeps 10 mantissa bits: 1 + 2^-12 rounds to 1, so the product differs from fp32's.
TEST_F(EmulatedCublas, tf32_math_mode_rounds_the_inputs) {
  const float x = 1.0f + std::ldexp(1.0f, -12);
  DeviceBuffer<float> A(std::vector<float>{x}), B(std::vector<float>{1.0f}), C(1);
  const float one = 1.0f, zero = 0.0f;
  ASSERT_EQ(cublasSgemm(handle_, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, A.get(), 1, B.get(), 1,
                        &zero, C.get(), 1),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host()[0], x) << "the default math mode is fp32";
  ASSERT_EQ(cublasSetMathMode(handle_, CUBLAS_TF32_TENSOR_OP_MATH), CUBLAS_STATUS_SUCCESS);
  ASSERT_EQ(cublasSgemm(handle_, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, A.get(), 1, B.get(), 1,
                        &zero, C.get(), 1),
            CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(C.host()[0], 1.0f);
}

}  // namespace
