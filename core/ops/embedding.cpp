// Embedding lookup: y[i] = weight[idx[i]] (a gather). Backward: weight.grad[idx[i]] += dy[i]
// (a scatter-add; a token that appears twice receives both gradients).
#include "core/ops/op_util.h"

namespace ag {

using detail::be;

namespace {

// Indices on the host are checked here, with the offending position in the message. Indices
// on a GPU are checked by the kernel, which reports through Backend::check_errors().
void check_index_range(const Tensor& idx, int64_t limit, const char* op, const char* what) {
  if (idx.device() != Device::CPU) return;
  const int32_t* p = idx.idata();
  for (int64_t i = 0; i < idx.numel(); ++i) {
    AG_CHECK(p[i] >= 0 && p[i] < limit, op, ": ", what, " ", p[i], " at position ", i,
             " is out of range [0, ", limit, ")");
  }
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  check_float(weight, "embedding", "weight");
  check_int(indices, "embedding", "indices");
  check_same_device(weight, indices, "embedding");
  AG_CHECK(weight.ndim() == 2, "embedding: weight must be [vocab, dim], got ",
           to_string(weight.shape()));
  const int64_t vocab = weight.shape()[0], dim = weight.shape()[1];
  check_index_range(indices, vocab, "embedding", "index");
  Shape out_shape = indices.shape();
  out_shape.push_back(dim);
  Tensor y = Tensor::empty(out_shape, weight.device());
  be(weight).embedding(weight.data(), indices.idata(), y.data(), indices.numel(), dim, vocab);
  record("embedding", {weight}, y, [weight, indices, vocab, dim](const Tensor& gy) {
    Tensor gw = detail::empty_like(weight);
    be(weight).embedding_backward(gy.data(), indices.idata(), gw.data(), indices.numel(), dim,
                                  vocab);
    accumulate_grad(weight, std::move(gw));
  });
  return y;
}

}  // namespace ag
