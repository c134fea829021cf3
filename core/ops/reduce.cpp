// Sums and their adjoint, broadcasting:
//   sum over dims:  y = sum_r x          dx = expand(dy)      (every summed element gets dy)
//   mean over dims: y = sum_r x / n      dx = expand(dy) / n
//   expand:         y = x broadcast      dx = sum_to(dy)
#include <algorithm>

#include "core/ops/op_util.h"

namespace ag {

using detail::be;

namespace {

// The keepdim shape of a reduction over `dims` (reduced dims become 1).
Shape keepdim_shape(const Shape& s, const std::vector<int64_t>& dims, const char* op) {
  Shape k = s;
  std::vector<bool> seen(s.size(), false);
  for (int64_t dim : dims) {
    const int d = normalize_dim(dim, int(s.size()), op);
    AG_CHECK(!seen[size_t(d)], op, ": dim ", dim, " listed twice");
    seen[size_t(d)] = true;
    k[size_t(d)] = 1;
  }
  return k;
}

Shape drop_dims(const Shape& s, const std::vector<int64_t>& dims) {
  std::vector<bool> drop(s.size(), false);
  for (int64_t dim : dims) drop[size_t(dim < 0 ? dim + int64_t(s.size()) : dim)] = true;
  Shape out;
  for (size_t i = 0; i < s.size(); ++i)
    if (!drop[i]) out.push_back(s[i]);
  return out;
}

// The shared body of sum and mean: reduce to `keep`, scale, record dx = expand(dy) * scale.
Tensor reduce_scaled(const char* name, const Tensor& x, const Shape& keep, const Shape& out_shape,
                     float scale) {
  Tensor y = Tensor::empty(out_shape, x.device());
  be(x).reduce_sum(make_reduce_plan(x.shape(), keep), x.data(), y.data());
  if (scale != 1.0f) be(x).scale_inplace(y.data(), scale, y.numel());
  record(name, {x}, y, [x, keep, scale](const Tensor& gy) {
    Tensor gx = detail::empty_like(x);
    be(x).gather_strided(make_expand_view(keep, x.shape()), gy.data(), gx.data());
    if (scale != 1.0f) be(x).scale_inplace(gx.data(), scale, gx.numel());
    accumulate_grad(x, std::move(gx));
  });
  return y;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_float(x, "sum", "x");
  const Shape keep = keepdim_shape(x.shape(), dims, "sum");
  return reduce_scaled("sum", x, keep, keepdim ? keep : drop_dims(x.shape(), dims), 1.0f);
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  check_float(x, "mean", "x");
  const Shape keep = keepdim_shape(x.shape(), dims, "mean");
  const int64_t count = keep.empty() ? 1 : x.numel() / std::max<int64_t>(1, numel_of(keep));
  return reduce_scaled("mean", x, keep, keepdim ? keep : drop_dims(x.shape(), dims),
                       1.0f / float(count));
}

Tensor sum(const Tensor& x) {
  check_float(x, "sum", "x");
  return reduce_scaled("sum", x, Shape(x.shape().size(), 1), Shape{}, 1.0f);
}

Tensor mean(const Tensor& x) {
  check_float(x, "mean", "x");
  return reduce_scaled("mean", x, Shape(x.shape().size(), 1), Shape{},
                       1.0f / float(std::max<int64_t>(1, x.numel())));
}

Tensor expand(const Tensor& x, const Shape& shape) {
  check_float(x, "expand", "x");
  AG_CHECK(broadcast_shapes(x.shape(), shape, "expand") == shape, "expand: ", to_string(x.shape()),
           " cannot be broadcast to ", to_string(shape));
  Tensor y = Tensor::empty(shape, x.device());
  be(x).gather_strided(make_expand_view(x.shape(), shape), x.data(), y.data());
  record("expand", {x}, y, [x](const Tensor& gy) {  // dx = dy summed over the broadcast dims
    accumulate_grad(x, detail::reduce_to_shape(gy, x.shape()));
  });
  return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  check_float(x, "sum_to", "x");
  AG_CHECK(broadcast_shapes(shape, x.shape(), "sum_to") == x.shape(), "sum_to: ", to_string(shape),
           " does not broadcast to ", to_string(x.shape()));
  Tensor y = detail::reduce_to_shape(x, shape);
  if (y.impl() == x.impl()) y = x.clone();
  record("sum_to", {x}, y, [x, shape](const Tensor& gy) {  // dx = expand(dy)
    Tensor gx = detail::empty_like(x);
    be(x).gather_strided(make_expand_view(shape, x.shape()), gy.data(), gx.data());
    accumulate_grad(x, std::move(gx));
  });
  return y;
}

}  // namespace ag
