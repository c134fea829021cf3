// Cross-entropy from logits, fused log-softmax + negative log-likelihood, mean over the batch:
//   loss = (1/N) sum_n (logsumexp(x_n) - x_{n, t_n})
//   dx_{n,c} = dloss / N * (softmax(x_n)_c - [c == t_n])
// The forward saves logsumexp per row; the backward recomputes softmax from it.
#include "core/ops/op_util.h"

namespace ag {

using detail::be;

Tensor cross_entropy(const Tensor& logits, const Tensor& targets) {
  check_float(logits, "cross_entropy", "logits");
  check_int(targets, "cross_entropy", "targets");
  check_same_device(logits, targets, "cross_entropy");
  AG_CHECK(logits.ndim() == 2, "cross_entropy: logits must be [N, C], got ",
           to_string(logits.shape()));
  const int64_t N = logits.shape()[0], C = logits.shape()[1];
  AG_CHECK(targets.shape() == Shape{N}, "cross_entropy: targets ", to_string(targets.shape()),
           " must be [", N, "] for logits ", to_string(logits.shape()));
  AG_CHECK(N > 0, "cross_entropy: empty batch");
  if (targets.device() == Device::CPU) {
    const int32_t* t = targets.idata();
    for (int64_t n = 0; n < N; ++n) {
      AG_CHECK(t[n] >= 0 && t[n] < C, "cross_entropy: target ", t[n], " at position ", n,
               " is out of range [0, ", C, ")");
    }
  }
  Tensor loss = Tensor::empty({}, logits.device());
  Tensor lse = Tensor::empty({N}, logits.device());
  be(logits).cross_entropy(logits.data(), targets.idata(), loss.data(), lse.data(), N, C);
  record("cross_entropy", {logits}, loss, [logits, targets, lse, N, C](const Tensor& gloss) {
    Tensor gx = detail::empty_like(logits);
    be(logits).cross_entropy_backward(logits.data(), targets.idata(), lse.data(), gloss.data(),
                                      gx.data(), N, C);
    accumulate_grad(logits, std::move(gx));
  });
  return loss;
}

}  // namespace ag
