// Layer normalisation over the last dim, fused: one kernel forward (saving mean and 1/std per
// row), one kernel backward.
//   xhat = (x - mean) * rstd,   y = xhat * w + b,   rstd = 1 / sqrt(var + eps)
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dxhat = dy * w
//   dw = sum_rows dy * xhat,    db = sum_rows dy
#include "core/ops/op_util.h"

namespace ag {

using detail::be;

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps) {
  check_float(x, "layer_norm", "x");
  AG_CHECK(x.ndim() >= 1, "layer_norm: x must have at least one dim");
  const int64_t cols = x.shape().back();
  const int64_t rows = cols ? x.numel() / cols : 0;
  for (const Tensor* p : {&weight, &bias}) {
    if (!p->defined()) continue;
    check_float(*p, "layer_norm", p == &weight ? "weight" : "bias");
    check_same_device(x, *p, "layer_norm");
    AG_CHECK(p->shape() == Shape{cols}, "layer_norm: ", p == &weight ? "weight " : "bias ",
             to_string(p->shape()), " must be [", cols, "] for x ", to_string(x.shape()));
  }
  AG_CHECK(eps >= 0.0f, "layer_norm: eps must be >= 0, got ", eps);
  Tensor y = detail::empty_like(x);
  Tensor mean = Tensor::empty({rows}, x.device());
  Tensor rstd = Tensor::empty({rows}, x.device());
  be(x).layer_norm(x.data(), weight.defined() ? weight.data() : nullptr,
                   bias.defined() ? bias.data() : nullptr, y.data(), mean.data(), rstd.data(), rows,
                   cols, eps);
  record("layer_norm", {x, weight, bias}, y,
         [x, weight, bias, mean, rstd, rows, cols](const Tensor& gy) {
           const bool gx_needed = needs_grad(x), gw_needed = needs_grad(weight),
                      gb_needed = needs_grad(bias);
           Tensor gx = gx_needed ? detail::empty_like(x) : Tensor();
           Tensor gw = gw_needed ? detail::empty_like(weight) : Tensor();
           Tensor gb = gb_needed ? detail::empty_like(bias) : Tensor();
           be(x).layer_norm_backward(
               x.data(), weight.defined() ? weight.data() : nullptr, mean.data(), rstd.data(),
               gy.data(), gx_needed ? gx.data() : nullptr, gw_needed ? gw.data() : nullptr,
               gb_needed ? gb.data() : nullptr, rows, cols);
           if (gx_needed) accumulate_grad(x, std::move(gx));
           if (gw_needed) accumulate_grad(weight, std::move(gw));
           if (gb_needed) accumulate_grad(bias, std::move(gb));
         });
  return y;
}

}  // namespace ag
