// Gated linear units, h = act(a) * b.
//
// The fused op reads a and b once and writes h once; its backward reads a, b and dh once and
// writes da and db, recomputing act(a) and act'(a) (a sigmoid for SwiGLU) instead of saving
// anything. The unfused path makes the same value from two ops and keeps act(a) alive for the
// backward; comparing the two is what tools/bench_swiglu measures.
#include "core/ops/op_util.h"

namespace ag {

using detail::be;
using math::UnaryOp;
using math::UnaryParams;

// dL/da = dh * b * act'(a),   dL/db = dh * act(a)
Tensor gated(const Tensor& a, const Tensor& b, UnaryOp act, const UnaryParams& prm,
             const char* name) {
  check_float(a, name, "a");
  check_float(b, name, "b");
  check_same_device(a, b, name);
  AG_CHECK(a.shape() == b.shape(), name, ": gate a ", to_string(a.shape()), " and up b ",
           to_string(b.shape()), " must have the same shape");
  Tensor h = detail::empty_like(a);
  be(a).gated(act, prm, a.data(), b.data(), h.data(), a.numel());
  record(name, {a, b}, h, [a, b, act, prm](const Tensor& gh) {
    const bool need_a = needs_grad(a), need_b = needs_grad(b);
    Tensor ga = need_a ? detail::empty_like(a) : Tensor();
    Tensor gb = need_b ? detail::empty_like(b) : Tensor();
    be(a).gated_backward(act, prm, a.data(), b.data(), gh.data(), need_a ? ga.data() : nullptr,
                         need_b ? gb.data() : nullptr, a.numel());
    if (need_a) accumulate_grad(a, std::move(ga));
    if (need_b) accumulate_grad(b, std::move(gb));
  });
  return h;
}

// swiglu(a, b) = silu(a) * b:  dL/da = dh * b * s (1 + a (1 - s)),  dL/db = dh * silu(a)
Tensor swiglu(const Tensor& a, const Tensor& b) {
  return gated(a, b, UnaryOp::Swish, {}, "swiglu");
}

Tensor swiglu_unfused(const Tensor& a, const Tensor& b) {
  AG_CHECK(a.shape() == b.shape(), "swiglu_unfused: gate a ", to_string(a.shape()), " and up b ",
           to_string(b.shape()), " must have the same shape");
  return mul(silu(a), b);
}

// geglu(a, b) = gelu(a) * b:  dL/da = dh * b * gelu'(a),  dL/db = dh * gelu(a)
Tensor geglu(const Tensor& a, const Tensor& b, GeluApprox approximate) {
  return gated(a, b, approximate == GeluApprox::Tanh ? UnaryOp::GeluTanh : UnaryOp::GeluErf, {},
               "geglu");
}

}  // namespace ag
