// The CUDA backend: forwards each Backend entry point to the kernels in cuda/.
#include <memory>
#include <string>

#include "core/backend.h"
#include "core/error.h"
#include "cuda/kernels.h"

namespace ag {

namespace {

class CudaBackend final : public Backend {
 public:
  Device device() const override { return Device::CUDA; }
  std::string device_name() const override { return cuda::device_name(); }

  void* allocate(size_t bytes) override { return cuda::allocate(bytes); }
  void deallocate(void* p, size_t bytes) override { cuda::deallocate(p, bytes); }
  void copy_from_host(void* dst, const void* src, size_t bytes) override {
    cuda::copy_from_host(dst, src, bytes);
  }
  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    cuda::copy_to_host(dst, src, bytes);
  }
  void copy(void* dst, const void* src, size_t bytes) override { cuda::copy(dst, src, bytes); }
  void synchronize() override { cuda::synchronize(); }
  size_t peak_allocated_bytes() const override { return cuda::peak_allocated_bytes(); }
  LaunchCounts launch_counts() const override { return cuda::launch_counts(); }

  void fill(float* y, int64_t n, float v) override { cuda::fill(y, n, v); }
  void unary(math::UnaryOp op, const math::UnaryParams& p, const float* x, float* y,
             int64_t n) override {
    cuda::unary(op, p, x, y, n);
  }
  void unary_backward(math::UnaryOp op, const math::UnaryParams& p, const float* x, const float* gy,
                      float* gx, int64_t n) override {
    cuda::unary_backward(op, p, x, gy, gx, n);
  }
  void binary(math::BinaryOp op, float s, const math::BroadcastPlan& plan, const float* a,
              const float* b, float* y) override {
    cuda::binary(op, s, plan, a, b, y);
  }
  void binary_backward(math::BinaryOp op, float s, const math::BroadcastPlan& plan, const float* a,
                       const float* b, const float* gy, float* ga, float* gb) override {
    cuda::binary_backward(op, s, plan, a, b, gy, ga, gb);
  }
  void add_inplace(float* y, const float* x, int64_t n) override { cuda::add_inplace(y, x, n); }
  void scale_inplace(float* y, float s, int64_t n) override { cuda::scale_inplace(y, s, n); }

  void gated(math::UnaryOp act, const math::UnaryParams& p, const float* a, const float* b,
             float* h, int64_t n) override {
    cuda::gated(act, p, a, b, h, n);
  }
  void gated_backward(math::UnaryOp act, const math::UnaryParams& p, const float* a, const float* b,
                      const float* gh, float* ga, float* gb, int64_t n) override {
    cuda::gated_backward(act, p, a, b, gh, ga, gb, n);
  }

  void gather_strided(const math::StridedView& v, const float* x, float* y) override {
    cuda::gather_strided(v, x, y);
  }
  void reduce_sum(const math::ReducePlan& plan, const float* x, float* y) override {
    cuda::reduce_sum(plan, x, y);
  }
  void copy_2d(const float* src, int64_t sp, float* dst, int64_t dp, int64_t rows, int64_t cols,
               bool acc) override {
    cuda::copy_2d(src, sp, dst, dp, rows, cols, acc);
  }
  void sum_squares(const float* x, int64_t n, float* y) override { cuda::sum_squares(x, n, y); }

  void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
            int64_t lda, int64_t sa, const float* B, int64_t ldb, int64_t sb, float beta, float* C,
            int64_t ldc, int64_t sc, int64_t batch) override {
    cuda::gemm(ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
  }

  void softmax(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
               bool log) override {
    cuda::softmax(x, y, outer, n, inner, log);
  }
  void softmax_backward(const float* y, const float* gy, float* gx, int64_t outer, int64_t n,
                        int64_t inner, bool log) override {
    cuda::softmax_backward(y, gy, gx, outer, n, inner, log);
  }
  void attention_softmax(const float* x, const float* key_mask, float* y, float* y_drop,
                         int64_t rows, int64_t n, int64_t rows_per_batch, float scale, float p,
                         uint64_t seed, uint64_t offset) override {
    cuda::attention_softmax(x, key_mask, y, y_drop, rows, n, rows_per_batch, scale, p, seed, offset);
  }
  void attention_softmax_backward(const float* y, const float* gy_drop, float* gx, int64_t rows,
                                  int64_t n, float scale, float p, uint64_t seed,
                                  uint64_t offset) override {
    cuda::attention_softmax_backward(y, gy_drop, gx, rows, n, scale, p, seed, offset);
  }
  void layer_norm(const float* x, const float* w, const float* b, float* y, float* mean,
                  float* rstd, int64_t rows, int64_t cols, float eps) override {
    cuda::layer_norm(x, w, b, y, mean, rstd, rows, cols, eps);
  }
  void layer_norm_backward(const float* x, const float* w, const float* mean, const float* rstd,
                           const float* gy, float* gx, float* gw, float* gb, int64_t rows,
                           int64_t cols) override {
    cuda::layer_norm_backward(x, w, mean, rstd, gy, gx, gw, gb, rows, cols);
  }

  void embedding(const float* w, const int32_t* idx, float* y, int64_t n_idx, int64_t dim,
                 int64_t vocab) override {
    cuda::embedding(w, idx, y, n_idx, dim, vocab);
  }
  void embedding_backward(const float* gy, const int32_t* idx, float* gw, int64_t n_idx,
                          int64_t dim, int64_t vocab) override {
    cuda::embedding_backward(gy, idx, gw, n_idx, dim, vocab);
  }

  void cross_entropy(const float* logits, const int32_t* t, float* loss, float* lse, int64_t N,
                     int64_t C) override {
    cuda::cross_entropy(logits, t, loss, lse, N, C);
  }
  void cross_entropy_backward(const float* logits, const int32_t* t, const float* lse,
                              const float* gloss, float* gx, int64_t N, int64_t C) override {
    cuda::cross_entropy_backward(logits, t, lse, gloss, gx, N, C);
  }

  void append_step_outputs(const float* loss, const float* logits, int64_t rows, int64_t classes,
                           float* losses, int32_t* predictions, int64_t max_rows, int32_t* counter,
                           int64_t capacity) override {
    cuda::append_step_outputs(loss, logits, rows, classes, losses, predictions, max_rows, counter,
                             capacity);
  }
  void argmax_rows(const float* x, int32_t* out, int64_t rows, int64_t cols) override {
    cuda::argmax_rows(x, out, rows, cols);
  }

  void dropout(const float* x, float* y, int64_t n, float p, uint64_t seed,
               uint64_t offset) override {
    cuda::dropout(x, y, n, p, seed, offset);
  }

  void adamw_many(const math::AdamWSpan* spans, int64_t count, const math::AdamWStep& s,
                  const math::AdamWStep* device_step) override {
    cuda::adamw_many(spans, count, s, device_step);
  }

  bool supports_graphs() const override { return true; }
  void begin_capture() override { cuda::begin_capture(); }
  std::shared_ptr<void> end_capture() override {
    return std::shared_ptr<void>(cuda::end_capture(), [](void* exec) { cuda::destroy_graph(exec); });
  }
  void abort_capture() override { cuda::abort_capture(); }
  void launch_graph(const std::shared_ptr<void>& graph) override { cuda::launch_graph(graph.get()); }
  void set_random_shift(uint64_t shift) override { cuda::set_random_shift(shift); }
  void adamw(float* p, const float* g, float* m, float* v, int64_t n,
             const math::AdamWStep& s) override {
    cuda::adamw(p, g, m, v, n, s);
  }
  void sgd(float* p, const float* g, float* buf, int64_t n, const math::SgdStep& s) override {
    cuda::sgd(p, g, buf, n, s);
  }

  // CUDA events: marks go on the stream, so timing does not stall the device between them.
  std::shared_ptr<void> timing_mark() override {
    return std::shared_ptr<void>(cuda::event_record(), cuda::event_destroy);
  }
  double timing_elapsed_ms(const std::shared_ptr<void>& start,
                           const std::shared_ptr<void>& end) override {
    return cuda::event_elapsed_ms(start.get(), end.get());
  }

  void check_errors() override { cuda::check_errors(); }
};

}  // namespace

bool cuda_device_present() {
  return cuda::device_present();
}

bool cuda_device_emulated() {
  return cuda::emulated();
}

Backend& cuda_backend() {
  if (!cuda::device_present()) {
    fail(
        "no CUDA device is available (the CUDA backend is built, but the driver reports no "
        "GPU); use --device cpu");
  }
  static CudaBackend* instance = new CudaBackend;  // never destroyed: tensors freed during
  return *instance;                                // static teardown still call it
}

}  // namespace ag
