// Helpers shared by the op implementations (not part of the public API).
#pragma once

#include "core/backend.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/plan_builders.h"

namespace ag::detail {

inline Backend& be(const Tensor& t) {
  return backend(t.device());
}

inline Tensor empty_like(const Tensor& t) {
  return Tensor::empty(t.shape(), t.device());
}

// A new tensor sharing x's storage with another shape (same numel).
Tensor view_as_shape(const Tensor& x, const Shape& shape);

// Sums g (at a broadcast shape) down to `shape`; returns g itself when the shapes agree (pass
// a temporary with std::move so accumulate_grad can adopt it without a copy).
Tensor reduce_to_shape(Tensor g, const Shape& shape);

}  // namespace ag::detail
