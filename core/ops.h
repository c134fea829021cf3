// The engine's differentiable operations. Each one checks its inputs (errors name the op and the
// shapes), runs the device kernel through the backend, and records its backward on the tape.
// The forward and backward of each op sit together in core/ops/<family>.cpp, with the
// derivative written out in a one-line comment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/generator.h"
#include "core/math/optimizer_updates.h"
#include "core/math/unary.h"
#include "core/tape.h"
#include "core/tensor.h"

namespace ag {

// --- elementwise arithmetic with numpy broadcasting (core/ops/elementwise.cpp) ---------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& x, float s);
Tensor sub(const Tensor& x, float s);
Tensor rsub(float s, const Tensor& x);  // s - x
Tensor mul(const Tensor& x, float s);
Tensor div(const Tensor& x, float s);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, float exponent);
// masked_fill: `value` where mask != 0 (mask broadcasts to x's shape; it gets no gradient).
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value);

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator-(const Tensor& x) {
  return neg(x);
}
inline Tensor operator+(const Tensor& x, float s) {
  return add(x, s);
}
inline Tensor operator-(const Tensor& x, float s) {
  return sub(x, s);
}
inline Tensor operator*(const Tensor& x, float s) {
  return mul(x, s);
}
inline Tensor operator/(const Tensor& x, float s) {
  return div(x, s);
}
inline Tensor operator*(float s, const Tensor& x) {
  return mul(x, s);
}
inline Tensor operator-(float s, const Tensor& x) {
  return rsub(s, x);
}

// --- activations (core/ops/activations.cpp) ----------------------------------------------------
enum class GeluApprox { None, Tanh };
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);
Tensor elu(const Tensor& x, float alpha = 1.0f);
Tensor selu(const Tensor& x);
Tensor gelu(const Tensor& x, GeluApprox approximate = GeluApprox::None);
Tensor silu(const Tensor& x);                      // x * sigmoid(x)
Tensor swish(const Tensor& x, float beta = 1.0f);  // x * sigmoid(beta x)
Tensor mish(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softplus(const Tensor& x, float beta = 1.0f);
// Any elementwise unary op of core/math/unary.h (what the named functions above call).
Tensor unary(const Tensor& x, math::UnaryOp op, const math::UnaryParams& params = {},
             const char* name = "unary");

// --- gated linear units (core/ops/gated.cpp) ---------------------------------------------------
// swiglu(a, b) = silu(a) * b in one fused kernel; the backward recomputes sigmoid(a).
Tensor swiglu(const Tensor& a, const Tensor& b);
// The same value built from two ops (silu, then mul): two kernels, an intermediate tensor.
Tensor swiglu_unfused(const Tensor& a, const Tensor& b);
// geglu(a, b) = gelu(a) * b, fused.
Tensor geglu(const Tensor& a, const Tensor& b, GeluApprox approximate = GeluApprox::None);
// act(a) * b for any unary activation, fused.
Tensor gated(const Tensor& a, const Tensor& b, math::UnaryOp act,
             const math::UnaryParams& params = {}, const char* name = "gated");

// --- matrix products (core/ops/matmul.cpp) -----------------------------------------------------
// [M, K] x [K, N] -> [M, N];  [..., M, K] x [..., K, N] -> [..., M, N] (equal batch dims);
// [..., M, K] x [K, N] -> [..., M, N] (a weight shared across the batch).
Tensor matmul(const Tensor& a, const Tensor& b);

// --- layout (core/ops/layout.cpp) --------------------------------------------------------------
Tensor reshape(const Tensor& x, const Shape& shape);  // one dim may be -1; shares storage
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end);  // [start, end)
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim);  // equal chunks
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);

// --- reductions (core/ops/reduce.cpp) ----------------------------------------------------------
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor sum(const Tensor& x);   // all elements -> scalar
Tensor mean(const Tensor& x);  // all elements -> scalar
// Broadcasts x to `shape` (the adjoint of sum); used by backward passes, differentiable too.
Tensor expand(const Tensor& x, const Shape& shape);
// Sums x down to `shape` (x's shape must broadcast from `shape`); used by backward passes.
Tensor sum_to(const Tensor& x, const Shape& shape);

// --- row-wise (core/ops/softmax.cpp, layer_norm.cpp, loss.cpp) ---------------------------------
Tensor softmax(const Tensor& x, int64_t dim = -1);
Tensor log_softmax(const Tensor& x, int64_t dim = -1);
// y = (x - mean) / sqrt(var + eps) * weight + bias over the last dim; weight/bias may be
// undefined (no affine part).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps = 1e-5f);
// logits [N, C], targets int32 [N] -> scalar mean loss. Fused log-softmax + NLL.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets);

// --- embedding (core/ops/embedding.cpp) --------------------------------------------------------
// weight [V, D], indices int32 [...] -> [..., D]. Backward scatter-adds rows into weight.grad.
Tensor embedding(const Tensor& weight, const Tensor& indices);

// --- dropout (core/ops/dropout.cpp) ------------------------------------------------------------
// Zeroes each element with probability p and scales the rest by 1/(1-p); identity when
// !training or p == 0. The mask is regenerated from the generator's position in the backward.
Tensor dropout(const Tensor& x, float p, Generator& gen, bool training = true);

// Multi-head self-attention's core, fused (core/ops/attention.cpp): qkv [B, T, 3D] holds the
// projected q, k and v side by side; each is split into n_heads heads of D / n_heads, and
//   y = merge_heads(dropout(softmax(q k^T / sqrt(Dh) + mask)) v)   [B, T, D]
// where key_mask [B, T] (1 = real token, 0 = padding; undefined = none) sends padded keys to
// -inf. Dropout (training and dropout_p > 0) draws B H T T positions from gen, as dropout() of
// the weights would. Equal, to rounding, to the same graph built from split, permute, matmul,
// masked_fill, softmax and dropout, with a third of its launches on a GPU.
Tensor attention(const Tensor& qkv, const Tensor& key_mask, int64_t n_heads, float dropout_p,
                 Generator& gen, bool training = true);

// --- non-differentiable helpers (core/ops/non_differentiable.cpp) --------------------------------
// Index of the largest element along the last dim, as int32 [...] (x's shape without the last
// dim). Stays on x's device: reading predictions needs no synchronisation until .to_vector().
Tensor argmax(const Tensor& x);
// Sum of squares of all elements as a one-element tensor on x's device (no host sync).
Tensor sum_squares(const Tensor& x);
// In place: p, m, v updated by one AdamW step (m, v same shape as p).
void adamw_step(Tensor& p, const Tensor& grad, Tensor& m, Tensor& v, const math::AdamWStep& s);
// adamw_step on every i at once (same results to the bit; one launch per group on a GPU). All
// tensors on one device; the four lists have equal lengths.
// With device_step (F32 [7] on the params' device, holding one math::AdamWStep), the scalars are
// read there when the update runs rather than fixed when it is queued (for captured graphs).
void adamw_step_many(const std::vector<Tensor*>& params, const std::vector<Tensor>& grads,
                     const std::vector<Tensor*>& exp_avg, const std::vector<Tensor*>& exp_avg_sq,
                     const math::AdamWStep& s, const Tensor& device_step = Tensor());
// Keeps a training step's outputs on the device without a host wait: with c = counter[0]
// (I32 [1]) and n = losses.numel(), losses[c % n] = loss (one element), predictions[c % n, r] =
// argmax(logits[r]) for the rows of logits [rows, C] (predictions I32 [n, max_rows >= rows]),
// then counter[0] = c + 1. The slot is read on the device: a replayed graph fills the next one.
void append_step_outputs(const Tensor& loss, const Tensor& logits, Tensor& losses,
                         Tensor& predictions, Tensor& counter);
void sgd_step(Tensor& p, const Tensor& grad, Tensor& buf, const math::SgdStep& s);
void scale_(Tensor& x, float s);             // in place, no tape
void fill_(Tensor& x, float value);          // in place, no tape
void copy_(Tensor& dst, const Tensor& src);  // in place, same shape, any devices

// Threads used by CPU kernels (OpenMP): asks the CPU backend (Backend::set_num_threads; defined
// in core/backend.cpp).
void set_num_threads(int n);
int num_threads();

}  // namespace ag
