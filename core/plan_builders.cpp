#include "core/plan_builders.h"

#include "core/error.h"

namespace ag {

std::vector<int64_t> contiguous_strides(const Shape& s) {
  std::vector<int64_t> st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

namespace {

// Strides of `small` when read at the shape `big` (right-aligned, 0 where broadcast).
std::vector<int64_t> broadcast_strides(const Shape& small, const Shape& big) {
  const std::vector<int64_t> own = contiguous_strides(small);
  std::vector<int64_t> st(big.size(), 0);
  const size_t lead = big.size() - small.size();
  for (size_t i = 0; i < small.size(); ++i) st[lead + i] = small[i] == 1 ? 0 : own[i];
  return st;
}

// Dimensions with one shape and several stride lists; merges dims of size 1 away and joins
// neighbours d-1, d when every stride list continues contiguously across them.
struct DimList {
  std::vector<int64_t> shape;
  std::vector<std::vector<int64_t>> strides;

  void coalesce() {
    std::vector<int64_t> s;
    std::vector<std::vector<int64_t>> st(strides.size());
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      bool merge = !s.empty();
      for (size_t k = 0; merge && k < strides.size(); ++k)
        merge = st[k].back() == strides[k][d] * shape[d];
      if (merge) {
        s.back() *= shape[d];
        for (size_t k = 0; k < strides.size(); ++k) st[k].back() = strides[k][d];
      } else {
        s.push_back(shape[d]);
        for (size_t k = 0; k < strides.size(); ++k) st[k].push_back(strides[k][d]);
      }
    }
    if (s.empty()) {  // a scalar: one dim of size 1 keeps the kernels' loops uniform
      s.push_back(1);
      for (auto& v : st) v.push_back(0);
    }
    shape = std::move(s);
    strides = std::move(st);
    AG_CHECK(shape.size() <= size_t(math::kMaxDims), "tensor layout needs ", shape.size(),
             " dimensions after merging; kernels support at most ", math::kMaxDims);
  }
};

math::StridedView to_view(const DimList& dl, size_t which) {
  math::StridedView v;
  v.ndim = int(dl.shape.size());
  v.numel = 1;
  for (int d = 0; d < v.ndim; ++d) {
    v.shape[d] = dl.shape[size_t(d)];
    v.stride[d] = dl.strides[which][size_t(d)];
    v.numel *= v.shape[d];
  }
  return v;
}

}  // namespace

math::BroadcastPlan make_broadcast_plan(const Shape& a, const Shape& b, const Shape& out) {
  DimList dl{out, {broadcast_strides(a, out), broadcast_strides(b, out)}};
  dl.coalesce();
  math::BroadcastPlan p;
  p.ndim = int(dl.shape.size());
  p.numel = numel_of(out);
  for (int d = 0; d < p.ndim; ++d) {
    p.shape[d] = dl.shape[size_t(d)];
    p.stride_a[d] = dl.strides[0][size_t(d)];
    p.stride_b[d] = dl.strides[1][size_t(d)];
  }
  return p;
}

math::StridedView make_expand_view(const Shape& small, const Shape& big) {
  DimList dl{big, {broadcast_strides(small, big)}};
  dl.coalesce();
  return to_view(dl, 0);
}

math::StridedView make_permute_view(const Shape& x, const std::vector<int>& dims) {
  const std::vector<int64_t> st = contiguous_strides(x);
  DimList dl;
  dl.strides.resize(1);
  for (int d : dims) {
    dl.shape.push_back(x[size_t(d)]);
    dl.strides[0].push_back(st[size_t(d)]);
  }
  dl.coalesce();
  return to_view(dl, 0);
}

math::ReducePlan make_reduce_plan(const Shape& big, const Shape& small) {
  const std::vector<int64_t> st = contiguous_strides(big);
  const size_t lead = big.size() - small.size();
  DimList keep, red;
  keep.strides.resize(1);
  red.strides.resize(1);
  for (size_t d = 0; d < big.size(); ++d) {
    const bool reduced = d < lead || (small[d - lead] == 1 && big[d] != 1);
    DimList& target = reduced ? red : keep;
    target.shape.push_back(big[d]);
    target.strides[0].push_back(st[d]);
  }
  keep.coalesce();
  red.coalesce();
  return math::ReducePlan{to_view(keep, 0), to_view(red, 0)};
}

}  // namespace ag
