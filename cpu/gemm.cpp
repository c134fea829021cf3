// Single-precision matrix multiply, C = alpha op(A) op(B) + beta C (row-major), GotoBLAS-style.
//
// The loops, outermost first (as in BLIS):
//   jc over N in blocks of NC    B block (KC x NC) packed into NR-wide column panels, shared
//   pc over K in blocks of KC
//   ic over M in blocks of MC    A block (MC x KC) packed into MR-tall row panels, per thread
//   jr over the NC block by NR, ir over the MC block by MR: the micro-kernel
// Packing puts the operands in exactly the order the micro-kernel reads them (and absorbs the
// transposes: trans_a/trans_b only change how packing walks memory). The micro-kernel keeps an
// MR x NR tile of C in registers (MR rows x two vectors) and does one rank-1 update per k: a
// broadcast of A times a row of B, as fused multiply-adds. It is written with GCC vector
// extensions so the same code compiles to AVX-512, AVX2 or SSE; this file is built with
// -ffp-contract=fast so that a * b + c becomes one FMA instruction.
//
// Threads: one large product splits its (ic, jr) tiles across the OpenMP team; a batch of
// small products (attention heads) runs one product per thread; small products stay serial,
// since waking the team costs more than they take.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#include "cpu/cpu_backend.h"

namespace ag::cpu {

namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr int MR = 8;
#elif defined(__AVX2__)
constexpr int kLanes = 8;
constexpr int MR = 6;
#else
constexpr int kLanes = 4;
constexpr int MR = 4;
#endif
constexpr int NR = 2 * kLanes;  // two vectors of C per row of the tile
constexpr int64_t KC = 256;     // a KC x NR panel of B stays in L1
constexpr int64_t MC = 128;     // an MC x KC block of A stays in L2
constexpr int64_t NC = 1024;    // a KC x NC block of B stays in L2/L3
// Packed blocks are whole panels: MC rows round up to a multiple of MR (MR = 6 on AVX2).
constexpr int64_t kPackedA = (MC + MR - 1) / MR * MR * KC;
constexpr int64_t kPackedB = (NC + NR - 1) / NR * NR * KC;

typedef float vec __attribute__((vector_size(kLanes * sizeof(float))));

// Work below this many flops runs on one thread (a parallel region costs a few microseconds).
constexpr double kParallelFlops = 4.0e6;

struct Operand {
  const float* p;
  int64_t ld;
  bool trans;
  // Element (row, col) of the logical (untransposed-view) matrix.
  float at(int64_t row, int64_t col) const { return trans ? p[col * ld + row] : p[row * ld + col]; }
};

// Pack rows [i0, i0+mc) x cols [k0, k0+kc) of op(A) into MR-row panels: panel p holds, for each
// k, the MR values A[i0 + p*MR + r, k0 + k]; rows past M are zero.
void pack_a(const Operand& a, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t p = 0; p < mc; p += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - p);
    if (!a.trans && rows == MR) {
      for (int r = 0; r < MR; ++r) {
        const float* src = a.p + (i0 + p + r) * a.ld + k0;
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k];
      }
    } else if (a.trans && rows == MR) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = a.p + (k0 + k) * a.ld + i0 + p;  // MR consecutive values
        for (int r = 0; r < MR; ++r) dst[k * MR + r] = src[r];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int r = 0; r < MR; ++r) dst[k * MR + r] = r < rows ? a.at(i0 + p + r, k0 + k) : 0.0f;
    }
    dst += kc * MR;
  }
}

// Pack rows [k0, k0+kc) x cols [j0, j0+nc) of op(B) into NR-column panels: panel q holds, for
// each k, the NR values B[k0 + k, j0 + q*NR + c]; columns past N are zero.
void pack_b_panel(const Operand& b, int64_t k0, int64_t kc, int64_t j0, int64_t cols, float* dst) {
  if (!b.trans && cols == NR) {
    for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * NR, b.p + (k0 + k) * b.ld + j0, NR * 4);
  } else if (b.trans && cols == NR) {
    for (int c = 0; c < NR; ++c) {
      const float* src = b.p + (j0 + c) * b.ld + k0;  // column c of op(B) is row j0+c of B
      for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = src[k];
    }
  } else {
    for (int64_t k = 0; k < kc; ++k)
      for (int c = 0; c < NR; ++c) dst[k * NR + c] = c < cols ? b.at(k0 + k, j0 + c) : 0.0f;
  }
}

// C[0:mr, 0:nr] = alpha * (packed A panel x packed B panel) + beta * C (beta == 0: C not read).
void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                  int64_t ldc, float alpha, float beta, int mr, int nr) {
  vec acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = vec{};
  for (int64_t k = 0; k < kc; ++k) {
    const vec b0 = *reinterpret_cast<const vec*>(b + k * NR);
    const vec b1 = *reinterpret_cast<const vec*>(b + k * NR + kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const float av = a[k * MR + r];
      acc[r][0] += av * b0;
      acc[r][1] += av * b1;
    }
  }
  if (mr == MR && nr == NR) {
    for (int r = 0; r < MR; ++r) {
      float* row = c + r * ldc;
      vec lo, hi;
      std::memcpy(&lo, row, sizeof lo);
      std::memcpy(&hi, row + kLanes, sizeof hi);
      const vec out_lo = beta == 0.0f ? alpha * acc[r][0] : alpha * acc[r][0] + beta * lo;
      const vec out_hi = beta == 0.0f ? alpha * acc[r][1] : alpha * acc[r][1] + beta * hi;
      std::memcpy(row, &out_lo, sizeof out_lo);
      std::memcpy(row + kLanes, &out_hi, sizeof out_hi);
    }
    return;
  }
  // Edge tile: write only the valid part.
  alignas(64) float tile[MR][NR];
  for (int r = 0; r < MR; ++r) {
    std::memcpy(&tile[r][0], &acc[r][0], sizeof(vec));
    std::memcpy(&tile[r][kLanes], &acc[r][1], sizeof(vec));
  }
  for (int r = 0; r < mr; ++r)
    for (int j = 0; j < nr; ++j) {
      float& out = c[r * ldc + j];
      out = beta == 0.0f ? alpha * tile[r][j] : alpha * tile[r][j] + beta * out;
    }
}

// Packing buffers, one set per thread, grown on demand and reused across calls.
struct PackBuffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~PackBuffer() { std::free(data); }
  float* get(size_t floats) {
    if (floats > capacity) {
      std::free(data);
      capacity = (floats + 15) / 16 * 16;
      data = static_cast<float*>(std::aligned_alloc(64, capacity * sizeof(float)));
      if (!data) throw std::bad_alloc();
    }
    return data;
  }
};
thread_local PackBuffer t_pack_a, t_pack_b;
PackBuffer g_shared_b;  // the B block shared by a team in a parallel product

// C = alpha op(A) op(B) + beta C. With `parallel`, the caller is inside an OpenMP parallel
// region and the whole team calls this together.
void gemm_blocked(const Operand& A, const Operand& B, int64_t M, int64_t N, int64_t K, float alpha,
                  float beta, float* C, int64_t ldc, bool parallel, float* shared_b) {
  const int threads = parallel ? omp_get_num_threads() : 1;
  const int tid = parallel ? omp_get_thread_num() : 0;
  const int64_t ic_blocks = (M + MC - 1) / MC;
  for (int64_t j0 = 0; j0 < N; j0 += NC) {
    const int64_t nc = std::min(NC, N - j0);
    const int64_t panels = (nc + NR - 1) / NR;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      const int64_t kc = std::min(KC, K - k0);
      const float beta_k = k0 == 0 ? beta : 1.0f;  // later K blocks accumulate
      float* bp = parallel ? shared_b : t_pack_b.get(size_t(kPackedB));
      // Pack the B block, panels split across the team.
      for (int64_t q = tid; q < panels; q += threads) {
        pack_b_panel(B, k0, kc, j0 + q * NR, std::min<int64_t>(NR, nc - q * NR), bp + q * kc * NR);
      }
      if (parallel) {
#pragma omp barrier
      }
      // Tiles: (ic block, jr group). When M has few blocks, split the columns too so every
      // thread has work (e.g. a weight gradient with M = 64).
      const int64_t jr_groups =
          std::min<int64_t>(panels, std::max<int64_t>(1, threads / ic_blocks));
      const int64_t items = ic_blocks * jr_groups;
      float* ap = t_pack_a.get(size_t(kPackedA));
      for (int64_t item = tid; item < items; item += threads) {
        const int64_t ib = item / jr_groups, g = item % jr_groups;
        const int64_t i0 = ib * MC, mc = std::min(MC, M - i0);
        const int64_t q_begin = panels * g / jr_groups, q_end = panels * (g + 1) / jr_groups;
        pack_a(A, i0, mc, k0, kc, ap);
        for (int64_t q = q_begin; q < q_end; ++q) {
          const int nr = int(std::min<int64_t>(NR, nc - q * NR));
          for (int64_t p = 0; p < mc; p += MR) {
            micro_kernel(kc, ap + p * kc, bp + q * kc * NR, C + (i0 + p) * ldc + j0 + q * NR, ldc,
                         alpha, beta_k, int(std::min<int64_t>(MR, mc - p)), nr);
          }
        }
      }
      if (parallel) {
#pragma omp barrier
      }
    }
  }
}

// K == 0: op(A) op(B) is all zeros.
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

}  // namespace

void CpuBackend::gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
                      int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c,
                      int64_t batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  if (stride_c == 0 && batch > 1)  // the batches run in parallel: they would race on the one C
    fail("gemm: stride_c = 0 with batch = ", batch, ": each batch needs its own C");
  auto one = [&](int64_t b, bool parallel, float* shared_b) {
    float* Cb = C + b * stride_c;
    if (K <= 0) {
      if (!parallel || omp_get_thread_num() == 0) scale_c(M, N, beta, Cb, ldc);
      return;
    }
    gemm_blocked(Operand{A + b * stride_a, lda, trans_a}, Operand{B + b * stride_b, ldb, trans_b},
                 M, N, K, alpha, beta, Cb, ldc, parallel, shared_b);
  };
  const double flops = 2.0 * double(M) * double(N) * double(K);
  const int threads = omp_get_max_threads();
  if (threads > 1 && batch > 1 && flops * double(batch) >= kParallelFlops) {
    // Many products (attention heads): one product per thread at a time.
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < batch; ++b) one(b, false, nullptr);
    return;
  }
  if (threads > 1 && flops >= kParallelFlops) {
    float* shared_b = g_shared_b.get(size_t(kPackedB));
    for (int64_t b = 0; b < batch; ++b) {
#pragma omp parallel
      one(b, true, shared_b);
    }
    return;
  }
  for (int64_t b = 0; b < batch; ++b) one(b, false, nullptr);
}

}  // namespace ag::cpu
