// softmax and log_softmax over one dim, numerically stable (the row max is subtracted first).
//   softmax:     y = e^(x - max) / sum e^(x - max)     dx = y * (dy - sum(dy * y))
//   log_softmax: y = x - max - log sum e^(x - max)     dx = dy - e^y * sum(dy)
// Both backwards need only the forward output y, which the node keeps.
#include "core/ops/op_util.h"

namespace ag {

using detail::be;

namespace {

Tensor softmax_impl(const char* name, const Tensor& x, int64_t dim, bool log) {
  check_float(x, name, "x");
  AG_CHECK(x.ndim() >= 1, name, ": needs at least one dim, got a scalar");
  const int d = normalize_dim(dim, x.ndim(), name);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= x.shape()[size_t(i)];
  for (int i = d + 1; i < x.ndim(); ++i) inner *= x.shape()[size_t(i)];
  const int64_t n = x.shape()[size_t(d)];
  Tensor y = detail::empty_like(x);
  be(x).softmax(x.data(), y.data(), outer, n, inner, log);
  const Tensor y_saved = y.detach();  // the values, without y's autograd identity
  record(name, {x}, y, [x, y_saved, outer, n, inner, log](const Tensor& gy) {
    Tensor gx = detail::empty_like(x);
    be(x).softmax_backward(y_saved.data(), gy.data(), gx.data(), outer, n, inner, log);
    accumulate_grad(x, std::move(gx));
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_impl("softmax", x, dim, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_impl("log_softmax", x, dim, true);
}

}  // namespace ag
