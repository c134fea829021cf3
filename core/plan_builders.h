// Builders of the index plans (core/math/plans.h) that ops hand to the kernels. They merge
// adjacent dimensions that move together, so most plans end up with one or two dimensions and
// the kernels' fast paths apply.
#pragma once

#include <vector>

#include "core/math/plans.h"
#include "core/shape.h"

namespace ag {

// out = op(a, b), where out is the broadcast of a and b.
math::BroadcastPlan make_broadcast_plan(const Shape& a, const Shape& b, const Shape& out);
// Reads `small` (which broadcasts to `big`) as a tensor of shape `big`.
math::StridedView make_expand_view(const Shape& small, const Shape& big);
// Reads x as permute(x, dims).
math::StridedView make_permute_view(const Shape& x, const std::vector<int>& dims);
// Sums `big` down to `small` (small broadcasts to big: the summed dims are 1 or absent).
math::ReducePlan make_reduce_plan(const Shape& big, const Shape& small);

// Row-major strides of a contiguous shape.
std::vector<int64_t> contiguous_strides(const Shape& s);

}  // namespace ag
