// The CPU matrix-multiply kernel (the CPU backend's gemm, called directly with host buffers)
// against a double-precision triple loop: every transpose combination, alpha/beta, padded pitches,
// batches with a shared operand, sizes that straddle the kernel's register tile (8 x 32), its cache
// blocks (MC 128, KC 256, NC 1024) and one thread vs two.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/backend.h"
#include "tests/core/error_message.h"

namespace {

// On the CPU a device pointer is a host pointer: the kernel runs on the vectors' storage.
ag::Backend& cpu() {
  return ag::backend(ag::Device::CPU);
}

struct Case {
  int64_t M, N, K;
  bool ta, tb;
  int64_t batch = 1;
  bool shared_b = false;  // stride_b = 0
  int64_t pad = 0;        // extra elements per row of A, B and C
  float alpha = 1.0f, beta = 0.0f;
};

// Fills A, B, C, runs the CPU gemm and returns the worst |got - ref| / (1 + |ref|).
double max_error(const Case& c, int threads) {
  std::mt19937 rng(unsigned(c.M * 131 + c.N * 17 + c.K + c.ta * 7 + c.tb * 3));
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  const int64_t lda = (c.ta ? c.M : c.K) + c.pad, ldb = (c.tb ? c.K : c.N) + c.pad,
                ldc = c.N + c.pad;
  const int64_t sa = (c.ta ? c.K : c.M) * lda, sb = c.shared_b ? 0 : (c.tb ? c.N : c.K) * ldb,
                sc = c.M * ldc;
  std::vector<float> A(size_t(sa * c.batch + 1)), B(size_t((c.tb ? c.N : c.K) * ldb * c.batch + 1)),
      C(size_t(sc * c.batch + 1));
  for (float& x : A) x = U(rng);
  for (float& x : B) x = U(rng);
  for (float& x : C) x = U(rng);
  const std::vector<float> C0 = C;
  // beta == 0 promises not to read C: fill it with NaN to prove it.
  if (c.beta == 0.0f) std::fill(C.begin(), C.end(), std::numeric_limits<float>::quiet_NaN());
  cpu().set_num_threads(threads);
  cpu().gemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, sa, B.data(), ldb, sb, c.beta,
             C.data(), ldc, sc, c.batch);
  double worst = 0.0;
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j) {
        double s = 0.0;
        for (int64_t k = 0; k < c.K; ++k) {
          const double a = c.ta ? A[size_t(b * sa + k * lda + i)] : A[size_t(b * sa + i * lda + k)];
          const double bb =
              c.tb ? B[size_t(b * sb + j * ldb + k)] : B[size_t(b * sb + k * ldb + j)];
          s += a * bb;
        }
        const double ref =
            c.alpha * s +
            (c.beta == 0.0f ? 0.0 : c.beta * double(C0[size_t(b * sc + i * ldc + j)]));
        const double got = C[size_t(b * sc + i * ldc + j)];
        const double err = std::fabs(got - ref) / (1.0 + std::fabs(ref));
        if (!(err <= worst)) worst = std::isnan(err) ? INFINITY : err;
      }
  return worst;
}

// fp32 products of K terms in [-1, 1]: the error grows like sqrt(K) * 6e-8 * |terms|; 2e-5
// covers K up to ~1100 with margin, while any indexing mistake gives errors of order 1.
constexpr double kTolerance = 2e-5;

class GemmShapes : public ::testing::TestWithParam<Case> {};

TEST_P(GemmShapes, MatchesDoublePrecisionReference) {
  for (int threads : {1, 2}) {
    EXPECT_LE(max_error(GetParam(), threads), kTolerance) << "threads " << threads;
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  const int64_t sizes[] = {1, 7, 33, 65, 129, 257};
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int64_t m : sizes)
        for (int64_t n : {int64_t(1), int64_t(31), int64_t(65)})
          for (int64_t k : {int64_t(1), int64_t(17), int64_t(300)}) {
            cases.push_back({m, n, k, ta, tb});
          }
  // The model's shapes, forward and backward: X W, dY W^T (tb), X^T dY (ta).
  cases.push_back({512, 192, 64, false, false});
  cases.push_back({512, 128, 64, false, false});
  cases.push_back({512, 64, 128, false, false});
  cases.push_back({512, 64, 192, false, true});
  cases.push_back({64, 192, 512, true, false});
  cases.push_back({128, 64, 512, true, false});
  // More than one NC block of columns and several K blocks.
  cases.push_back({40, 1100, 530, false, false});
  cases.push_back({40, 1100, 530, true, true});
  // alpha / beta, padded pitches.
  cases.push_back({65, 33, 129, false, false, 1, false, 3, 0.5f, 1.0f});
  cases.push_back({65, 33, 129, true, true, 1, false, 5, -1.5f, -0.25f});
  // Batches (attention heads), with a shared right operand.
  cases.push_back({32, 32, 16, false, false, 64});
  cases.push_back({32, 16, 32, false, true, 64});
  cases.push_back({33, 9, 70, true, false, 5, true});
  cases.push_back({7, 300, 3, false, false, 3, false, 2, 2.0f, 0.5f});
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const Case& c = info.param;
  std::ostringstream name;
  name << "m" << c.M << "n" << c.N << "k" << c.K << (c.ta ? "_ta" : "") << (c.tb ? "_tb" : "");
  if (c.batch > 1) name << "_b" << c.batch;
  if (c.shared_b) name << "_sharedB";
  if (c.pad) name << "_pad" << c.pad;
  if (c.beta != 0.0f) name << "_beta";
  name << "_" << info.index;
  return name.str();
}

INSTANTIATE_TEST_SUITE_P(Cpu, GemmShapes, ::testing::ValuesIn(all_cases()), case_name);

TEST(Gemm, ZeroInnerDimensionScalesC) {
  std::vector<float> C = {1, 2, 3, 4};
  cpu().gemm(false, false, 2, 2, 0, 1.0f, nullptr, 0, 0, nullptr, 2, 0, 0.5f, C.data(), 2, 0, 1);
  EXPECT_EQ(C, (std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f}));
  std::vector<float> D(4, std::numeric_limits<float>::quiet_NaN());
  cpu().gemm(false, false, 2, 2, 0, 1.0f, nullptr, 0, 0, nullptr, 2, 0, 0.0f, D.data(), 2, 0, 1);
  EXPECT_EQ(D, (std::vector<float>(4, 0.0f)));
}

TEST(Gemm, NanInAnOperandPropagates) {
  // A kernel that skipped zero entries of A would hide the NaN in B.
  std::vector<float> A = {0, 0, 0, 0}, B = {1, std::numeric_limits<float>::quiet_NaN(), 1, 1}, C(4);
  cpu().gemm(false, false, 2, 2, 2, 1.0f, A.data(), 2, 0, B.data(), 2, 0, 0.0f, C.data(), 2, 0, 1);
  EXPECT_TRUE(std::isnan(C[1]));
  EXPECT_TRUE(std::isnan(C[3]));
  EXPECT_EQ(C[0], 0.0f);
}

TEST(Gemm, SharedOutputAcrossBatchesIsRefused) {
  // Batches may run in parallel, so one C for all of them would be a race, not a sum.
  std::vector<float> A(4, 1.0f), B(4, 1.0f), C(4, 0.0f);
  const std::string msg = agtest::error_message([&] {
    cpu().gemm(false, false, 2, 2, 2, 1.0f, A.data(), 2, 0, B.data(), 2, 0, 0.0f, C.data(), 2, 0,
               3);
  });
  EXPECT_NE(msg.find("gemm: stride_c = 0 with batch = 3"), std::string::npos) << msg;
}

}  // namespace
