// Dropout: y = x * keep / (1 - p), keep ~ Bernoulli(1 - p), drawn from a counter-based stream
// (core/math/random.h). dx = dy * keep / (1 - p): the backward regenerates the same mask from
// the stream position instead of storing it.
#include "core/ops/op_util.h"

namespace ag {

using detail::be;

Tensor dropout(const Tensor& x, float p, Generator& gen, bool training) {
  check_float(x, "dropout", "x");
  AG_CHECK(p >= 0.0f && p <= 1.0f, "dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0.0f) return x;
  const uint64_t seed = gen.seed();
  const uint64_t offset = gen.reserve(uint64_t(x.numel()));
  Tensor y = detail::empty_like(x);
  be(x).dropout(x.data(), y.data(), x.numel(), p, seed, offset);
  record("dropout", {x}, y, [x, p, seed, offset](const Tensor& gy) {
    Tensor gx = detail::empty_like(x);
    be(x).dropout(gy.data(), gx.data(), x.numel(), p, seed, offset);
    accumulate_grad(x, std::move(gx));
  });
  return y;
}

}  // namespace ag
