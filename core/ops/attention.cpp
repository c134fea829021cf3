// Multi-head self-attention's core as one op, from the packed projection to the merged heads:
//   q, k, v = the three D-wide parts of qkv [B, T, 3D], each split into H heads of Dh = D / H
//   S = q k^T                              per (b, h): [T, T], one batched gemm
//   A = softmax(S / sqrt(Dh) + mask),  A' = dropout(A)       one fused kernel
//   C = A' v, heads merged back to [B, T, D]                   one batched gemm, one gather
// backward, from dC (each line one launch):
//   dC per head;  dA' = dC v^T;  dv = A'^T dC;  dS = (1/sqrt(Dh)) A (dA - sum dA A), dA = dA'
//   with A's dropout mask (the fused kernel);  dq = dS k;  dk = dS^T q;  dqkv = the heads packed
// Against the same graph of unfused ops (split, permutes, scale, masked_fill, softmax, dropout,
// matmul) this queues 12 launches instead of 35 per step, and keeps nothing but q, k, v, A, A'.
#include <cmath>

#include "core/ops/op_util.h"

namespace ag {

using detail::be;

namespace {

// The per-head layout [3, B, H, T, Dh] of qkv [B, T, 3, H, Dh] (q, k, v one after another).
math::StridedView heads_view(int64_t B, int64_t T, int64_t H, int64_t Dh) {
  return make_permute_view({B, T, 3, H, Dh}, {2, 0, 3, 1, 4});
}

}  // namespace

Tensor attention(const Tensor& qkv, const Tensor& key_mask, int64_t n_heads, float dropout_p,
                 Generator& gen, bool training) {
  check_float(qkv, "attention", "qkv");
  AG_CHECK(qkv.ndim() == 3 && qkv.shape()[2] % 3 == 0, "attention: qkv must be [B, T, 3 D], got ",
           to_string(qkv.shape()));
  const int64_t B = qkv.shape()[0], T = qkv.shape()[1], D = qkv.shape()[2] / 3, H = n_heads;
  AG_CHECK(H > 0 && D % H == 0, "attention: D = ", D, " (qkv ", to_string(qkv.shape()),
           ") must be a positive multiple of n_heads ", H);
  if (key_mask.defined()) {
    check_float(key_mask, "attention", "key_mask");
    check_same_device(qkv, key_mask, "attention");
    AG_CHECK(key_mask.shape() == Shape({B, T}), "attention: key_mask ", to_string(key_mask.shape()),
             " must be [B, T] = [", B, ", ", T, "] for qkv ", to_string(qkv.shape()));
  }
  AG_CHECK(dropout_p >= 0.0f && dropout_p < 1.0f, "attention: dropout must be in [0, 1), got ",
           dropout_p);
  const int64_t Dh = D / H, per_part = B * H * T * Dh;
  const float scale = 1.0f / std::sqrt(float(Dh));
  const bool drop = training && dropout_p > 0.0f;
  const uint64_t seed = gen.seed();
  const uint64_t offset = drop ? gen.reserve(uint64_t(B * H * T * T)) : 0;
  const Device device = qkv.device();
  Backend& backend = be(qkv);

  Tensor heads = Tensor::empty({3, B, H, T, Dh}, device);  // q, k, v per head
  backend.gather_strided(heads_view(B, T, H, Dh), qkv.data(), heads.data());
  const float* q = heads.data();
  const float* k = q + per_part;
  const float* v = k + per_part;
  Tensor weights = Tensor::empty({B, H, T, T}, device);  // A: softmax output
  backend.gemm(false, true, T, T, Dh, 1.0f, q, Dh, T * Dh, k, Dh, T * Dh, 0.0f, weights.data(), T,
               T * T, B * H);
  Tensor dropped = drop ? Tensor::empty({B, H, T, T}, device) : weights;  // A'
  backend.attention_softmax(weights.data(), key_mask.defined() ? key_mask.data() : nullptr,
                            weights.data(), drop ? dropped.data() : nullptr, B * H * T, T, H * T,
                            scale, drop ? dropout_p : 0.0f, seed, offset);
  Tensor context = Tensor::empty({B, H, T, Dh}, device);
  backend.gemm(false, false, T, Dh, T, 1.0f, dropped.data(), T, T * T, v, Dh, T * Dh, 0.0f,
               context.data(), Dh, T * Dh, B * H);
  Tensor y = Tensor::empty({B, T, D}, device);
  backend.gather_strided(make_permute_view({B, H, T, Dh}, {0, 2, 1, 3}), context.data(), y.data());

  record("attention", {qkv}, y,
         [qkv, heads, weights, dropped, B, T, H, Dh, per_part, scale, drop, dropout_p, seed,
          offset](const Tensor& gy) {
           const Device dev = qkv.device();
           Backend& bk = be(qkv);
           const float* hq = heads.data();
           const float* hk = hq + per_part;
           const float* hv = hk + per_part;
           Tensor g_context = Tensor::empty({B, H, T, Dh}, dev);  // dC per head
           bk.gather_strided(make_permute_view({B, T, H, Dh}, {0, 2, 1, 3}), gy.data(),
                             g_context.data());
           Tensor g_heads = Tensor::empty({3, B, H, T, Dh}, dev);
           float* gq = g_heads.data();
           float* gk = gq + per_part;
           float* gv = gk + per_part;
           Tensor g_scores = Tensor::empty({B, H, T, T}, dev);
           // dA' = dC v^T, into g_scores (the fused backward below reads and overwrites it)
           bk.gemm(false, true, T, T, Dh, 1.0f, g_context.data(), Dh, T * Dh, hv, Dh, T * Dh, 0.0f,
                   g_scores.data(), T, T * T, B * H);
           // dv = A'^T dC
           bk.gemm(true, false, T, Dh, T, 1.0f, dropped.data(), T, T * T, g_context.data(), Dh,
                   T * Dh, 0.0f, gv, Dh, T * Dh, B * H);
           bk.attention_softmax_backward(weights.data(), g_scores.data(), g_scores.data(),
                                         B * H * T, T, scale, drop ? dropout_p : 0.0f, seed,
                                         offset);
           // dq = dS k,  dk = dS^T q
           bk.gemm(false, false, T, Dh, T, 1.0f, g_scores.data(), T, T * T, hk, Dh, T * Dh, 0.0f,
                   gq, Dh, T * Dh, B * H);
           bk.gemm(true, false, T, Dh, T, 1.0f, g_scores.data(), T, T * T, hq, Dh, T * Dh, 0.0f, gk,
                   Dh, T * Dh, B * H);
           Tensor gx = detail::empty_like(qkv);  // [3, B, H, T, Dh] back to [B, T, 3, H, Dh]
           bk.gather_strided(make_permute_view({3, B, H, T, Dh}, {1, 3, 0, 2, 4}), g_heads.data(),
                             gx.data());
           accumulate_grad(qkv, std::move(gx));
         });
  return y;
}

}  // namespace ag
