// The CPU backend: forwards each Backend entry point to the kernels in cpu/.
#include <cstring>
#include <fstream>
#include <new>
#include <string>

#include "core/backend.h"
#include "core/error.h"
#include "cpu/kernels.h"

namespace ag {

namespace {

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::CPU; }
  std::string device_name() const override {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
      if (line.rfind("model name", 0) == 0) {
        const size_t colon = line.find(':');
        if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
      }
    }
    return "cpu";
  }

  void* allocate(size_t bytes) override {
    try {
      return cpu::allocate(bytes);
    } catch (const std::bad_alloc&) {
      fail("out of host memory allocating ", bytes, " bytes (", bytes >> 20, " MiB)");
    }
  }
  void deallocate(void* p, size_t bytes) override { cpu::deallocate(p, bytes); }
  // An empty tensor has no storage (a null pointer), and memcpy with a null pointer is
  // undefined even for 0 bytes: every copy checks the size first.
  void copy_from_host(void* dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void copy(void* dst, const void* src, size_t bytes) override { cpu::copy_bytes(dst, src, bytes); }
  void synchronize() override {}
  size_t peak_allocated_bytes() const override { return cpu::peak_allocated_bytes(); }

  void fill(float* y, int64_t n, float v) override { cpu::fill(y, n, v); }
  void unary(math::UnaryOp op, const math::UnaryParams& p, const float* x, float* y,
             int64_t n) override {
    cpu::unary(op, p, x, y, n);
  }
  void unary_backward(math::UnaryOp op, const math::UnaryParams& p, const float* x, const float* gy,
                      float* gx, int64_t n) override {
    cpu::unary_backward(op, p, x, gy, gx, n);
  }
  void binary(math::BinaryOp op, float s, const math::BroadcastPlan& plan, const float* a,
              const float* b, float* y) override {
    cpu::binary(op, s, plan, a, b, y);
  }
  void binary_backward(math::BinaryOp op, float s, const math::BroadcastPlan& plan, const float* a,
                       const float* b, const float* gy, float* ga, float* gb) override {
    cpu::binary_backward(op, s, plan, a, b, gy, ga, gb);
  }
  void add_inplace(float* y, const float* x, int64_t n) override { cpu::add_inplace(y, x, n); }
  void scale_inplace(float* y, float s, int64_t n) override { cpu::scale_inplace(y, s, n); }

  void gated(math::UnaryOp act, const math::UnaryParams& p, const float* a, const float* b,
             float* h, int64_t n) override {
    cpu::gated(act, p, a, b, h, n);
  }
  void gated_backward(math::UnaryOp act, const math::UnaryParams& p, const float* a, const float* b,
                      const float* gh, float* ga, float* gb, int64_t n) override {
    cpu::gated_backward(act, p, a, b, gh, ga, gb, n);
  }

  void gather_strided(const math::StridedView& v, const float* x, float* y) override {
    cpu::gather_strided(v, x, y);
  }
  void reduce_sum(const math::ReducePlan& plan, const float* x, float* y) override {
    cpu::reduce_sum(plan, x, y);
  }
  void copy_2d(const float* src, int64_t sp, float* dst, int64_t dp, int64_t rows, int64_t cols,
               bool acc) override {
    cpu::copy_2d(src, sp, dst, dp, rows, cols, acc);
  }
  void sum_squares(const float* x, int64_t n, float* y) override { *y = cpu::sum_squares(x, n); }

  void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
            int64_t lda, int64_t sa, const float* B, int64_t ldb, int64_t sb, float beta, float* C,
            int64_t ldc, int64_t sc, int64_t batch) override {
    cpu::gemm(ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
  }

  void softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
               bool log) override {
    cpu::softmax(x, y, outer, n, inner, log);
  }
  void softmax_backward(const float* y, const float* gy, float* gx, int64_t outer, int64_t n,
                        int64_t inner, bool log) override {
    cpu::softmax_backward(y, gy, gx, outer, n, inner, log);
  }
  void attention_softmax(const float* x, const float* key_mask, float* y, float* y_drop,
                         int64_t rows, int64_t n, int64_t rows_per_batch, float scale, float p,
                         uint64_t seed, uint64_t offset) override {
    cpu::attention_softmax(x, key_mask, y, y_drop, rows, n, rows_per_batch, scale, p, seed, offset);
  }
  void attention_softmax_backward(const float* y, const float* gy_drop, float* gx, int64_t rows,
                                  int64_t n, float scale, float p, uint64_t seed,
                                  uint64_t offset) override {
    cpu::attention_softmax_backward(y, gy_drop, gx, rows, n, scale, p, seed, offset);
  }
  void layer_norm(const float* x, const float* w, const float* b, float* y, float* mean,
                  float* rstd, int64_t rows, int64_t cols, float eps) override {
    cpu::layer_norm(x, w, b, y, mean, rstd, rows, cols, eps);
  }
  void layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd,
                           const float* gy, float* gx, float* gw, float* gb, int64_t rows,
                           int64_t cols) override {
    cpu::layer_norm_backward(x, w, mean, rstd, gy, gx, gw, gb, rows, cols);
  }

  void embedding(const float* w, const int32_t* idx, float* y, int64_t n_idx, int64_t dim,
                 int64_t) override {
    cpu::embedding(w, idx, y, n_idx, dim);
  }
  void embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx,
                          int64_t dim, int64_t vocab) override {
    cpu::embedding_backward(gy, idx, gw, n_idx, dim, vocab);
  }

  void cross_entropy(const float* logits, const int32_t* t, float* loss, float* lse, int64_t N,
                     int64_t C) override {
    cpu::cross_entropy(logits, t, loss, lse, N, C);
  }
  void cross_entropy_backward(const float* logits, const int32_t* t, const float* lse,
                              const float* gloss, float* gx, int64_t N, int64_t C) override {
    cpu::cross_entropy_backward(logits, t, lse, gloss, gx, N, C);
  }

  void append_step_outputs(const float* loss, const float* logits, int64_t rows, int64_t classes,
                           float* losses, int32_t* predictions, int64_t max_rows, int32_t* counter,
                           int64_t capacity) override {
    cpu::append_step_outputs(loss, logits, rows, classes, losses, predictions, max_rows, counter,
                             capacity);
  }
  void argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols) override {
    cpu::argmax_rows(x, out, rows, cols);
  }

  void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed,
               uint64_t offset) override {
    cpu::dropout(x, y, n, p, seed, offset);
  }

  void adamw(float* p, const float* g, float* m, float* v, int64_t n,
             const math::AdamWStep& s) override {
    cpu::adamw(p, g, m, v, n, s);
  }
  void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& s) override {
    cpu::sgd(p, g, buf, n, s);
  }

  // CPU ops validate their indices on the host before calling a kernel: nothing is pending.
  void check_errors() override {}
};

}  // namespace

Backend& cpu_backend() {
  static CpuBackend* instance = new CpuBackend;  // never destroyed: tensors freed during
  return *instance;                              // static teardown still call it
}

}  // namespace ag
