// Layout ops. Tensors are always contiguous, so reshape is a view and the others copy:
//   reshape:   y = x viewed with another shape        dx = dy viewed back
//   permute:   y[i_p0, i_p1, ...] = x[i_0, i_1, ...]   dx = permute(dy, inverse perm)
//   slice:     y = x[..., start:end, ...]              dx = dy placed in zeros at [start:end]
//   concat:    y = [a | b | ...] along dim             da, db = the matching slices of dy
#include <numeric>

#include "core/ops/op_util.h"

namespace ag {

using detail::be;

Tensor reshape(const Tensor& x, const Shape& shape) {
  check_defined(x, "reshape", "x");
  Shape s = shape;
  int infer = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      AG_CHECK(infer < 0, "reshape: more than one -1 in ", to_string(shape));
      infer = int(i);
    } else {
      AG_CHECK(s[i] >= 0, "reshape: shape ", to_string(shape), " has the negative size ", s[i],
               " at dim ", i, " (only -1, for one inferred size, may be negative)");
    }
  }
  Shape given = s;  // the inferred size counted as 1: sizes and product within the limits
  if (infer >= 0) given[size_t(infer)] = 1;
  const int64_t known = checked_numel(given, "reshape");
  if (infer >= 0) {
    AG_CHECK(known > 0 && x.numel() % known == 0, "reshape: cannot view ", to_string(x.shape()),
             " as ", to_string(shape));
    s[size_t(infer)] = x.numel() / known;
  }
  AG_CHECK(numel_of(s) == x.numel(), "reshape: cannot view ", to_string(x.shape()), " (", x.numel(),
           " elements) as ", to_string(shape));
  Tensor y = detail::view_as_shape(x, s);
  if (x.dtype() == DType::F32) {
    record("reshape", {x}, y, [x](const Tensor& gy) {  // dx = dy with x's shape
      accumulate_grad(x, detail::view_as_shape(gy, x.shape()));
    });
  }
  return y;
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  check_float(x, "permute", "x");
  const int nd = x.ndim();
  AG_CHECK(int(dims.size()) == nd, "permute: ", dims.size(), " dims given for a tensor of shape ",
           to_string(x.shape()));
  std::vector<int> perm(static_cast<size_t>(nd)), inverse(static_cast<size_t>(nd), -1);
  Shape out_shape(static_cast<size_t>(nd));
  for (int i = 0; i < nd; ++i) {
    const int d = normalize_dim(dims[size_t(i)], nd, "permute");
    AG_CHECK(inverse[size_t(d)] < 0, "permute: dim ", d, " repeated");
    perm[size_t(i)] = d;
    inverse[size_t(d)] = i;
    out_shape[size_t(i)] = x.shape()[size_t(d)];
  }
  Tensor y = Tensor::empty(out_shape, x.device());
  be(x).gather_strided(make_permute_view(x.shape(), perm), x.data(), y.data());
  record("permute", {x}, y, [x, inverse, out_shape](const Tensor& gy) {
    Tensor gx = detail::empty_like(x);  // dx = permute(dy, inverse)
    be(x).gather_strided(make_permute_view(out_shape, inverse), gy.data(), gx.data());
    accumulate_grad(x, std::move(gx));
  });
  return y;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  check_defined(x, "transpose", "x");
  const int nd = x.ndim();
  const int d0 = normalize_dim(dim0, nd, "transpose");
  const int d1 = normalize_dim(dim1, nd, "transpose");
  std::vector<int64_t> dims(static_cast<size_t>(nd));
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[size_t(d0)], dims[size_t(d1)]);
  return permute(x, dims);
}

namespace {

// x as a 2-D array [outer, dim_size * inner] around dimension `d`.
struct Around {
  int64_t outer = 1, inner = 1, size = 0;
};

Around around(const Shape& s, int d) {
  Around a;
  for (int i = 0; i < d; ++i) a.outer *= s[size_t(i)];
  for (size_t i = size_t(d) + 1; i < s.size(); ++i) a.inner *= s[i];
  a.size = s[size_t(d)];
  return a;
}

}  // namespace

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end) {
  check_float(x, "slice", "x");
  const int d = normalize_dim(dim, x.ndim(), "slice");
  const Around ar = around(x.shape(), d);
  AG_CHECK(0 <= start && start <= end && end <= ar.size, "slice: range [", start, ", ", end,
           ") is out of bounds for dim ", d, " of size ", ar.size, " in ", to_string(x.shape()));
  Shape out_shape = x.shape();
  out_shape[size_t(d)] = end - start;
  Tensor y = Tensor::empty(out_shape, x.device());
  const int64_t pitch = ar.size * ar.inner, cols = (end - start) * ar.inner;
  be(x).copy_2d(x.data() + start * ar.inner, pitch, y.data(), cols, ar.outer, cols, false);
  record("slice", {x}, y, [x, start, pitch, cols, ar](const Tensor& gy) {
    Tensor gx = Tensor::zeros(x.shape(), x.device());  // dy lands in the sliced region
    be(x).copy_2d(gy.data(), cols, gx.data() + start * ar.inner, pitch, ar.outer, cols, false);
    accumulate_grad(x, std::move(gx));
  });
  return y;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  check_float(x, "split", "x");
  const int d = normalize_dim(dim, x.ndim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    AG_CHECK(s >= 0, "split: negative size");
    total += s;
  }
  AG_CHECK(total == x.shape()[size_t(d)], "split: sizes add up to ", total, " but dim ", d, " of ",
           to_string(x.shape()), " has ", x.shape()[size_t(d)]);
  std::vector<Tensor> parts;
  int64_t start = 0;
  for (int64_t s : sizes) {
    parts.push_back(slice(x, d, start, start + s));
    start += s;
  }
  return parts;
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  check_float(x, "split", "x");
  AG_CHECK(split_size > 0, "split: split_size must be positive, got ", split_size);
  const int64_t n = x.shape()[size_t(normalize_dim(dim, x.ndim(), "split"))];
  std::vector<int64_t> sizes;
  for (int64_t s = 0; s < n; s += split_size) sizes.push_back(std::min(split_size, n - s));
  return split(x, sizes, dim);
}

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  AG_CHECK(!xs.empty(), "concat: no tensors given");
  for (const Tensor& t : xs) check_float(t, "concat", "xs");
  const Shape& first = xs[0].shape();
  const int d = normalize_dim(dim, int(first.size()), "concat");
  Shape out_shape = first;
  out_shape[size_t(d)] = 0;
  for (const Tensor& t : xs) {
    check_same_device(xs[0], t, "concat");
    bool ok = t.ndim() == int(first.size());
    for (size_t i = 0; ok && i < first.size(); ++i) ok = int(i) == d || t.shape()[i] == first[i];
    AG_CHECK(ok, "concat: shapes ", to_string(first), " and ", to_string(t.shape()),
             " differ outside dim ", d);
    out_shape[size_t(d)] += t.shape()[size_t(d)];
  }
  Tensor y = Tensor::empty(out_shape, xs[0].device());
  const Around ar = around(out_shape, d);
  const int64_t pitch = ar.size * ar.inner;
  int64_t start = 0;
  for (const Tensor& t : xs) {
    const int64_t cols = t.shape()[size_t(d)] * ar.inner;
    be(t).copy_2d(t.data(), cols, y.data() + start * ar.inner, pitch, ar.outer, cols, false);
    start += t.shape()[size_t(d)];
  }
  record("concat", xs, y, [xs, d, ar, pitch](const Tensor& gy) {
    int64_t start = 0;  // each input's gradient is its slice of dy
    for (const Tensor& t : xs) {
      const int64_t cols = t.shape()[size_t(d)] * ar.inner;
      if (needs_grad(t)) {
        Tensor gt = detail::empty_like(t);
        be(t).copy_2d(gy.data() + start * ar.inner, pitch, gt.data(), cols, ar.outer, cols, false);
        accumulate_grad(t, std::move(gt));
      }
      start += t.shape()[size_t(d)];
    }
  });
  return y;
}

}  // namespace ag
