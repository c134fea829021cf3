// Case builders shared by the families' files (cases_*.cpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/ops/op_case.h"

namespace opcases {

using UnaryFn = std::function<Tensor(const Tensor&)>;
using BinaryFn = std::function<Tensor(const Tensor&, const Tensor&)>;

// f on gradcheck's elementwise shapes: empty-dims scalar, single element, sizes that are not
// multiples of any vector width or block (7, 33, 129, 1031), and a 3-D shape. Each case has its
// own seed (100, 101, ...) for its input and upstream weights, and is compared across devices too.
// Named "<label> <shape> <values>".
void small_unary(Registry& r, const std::vector<std::string>& ops, const std::string& label,
                 const UnaryFn& f, const Values& values, const agtest::GradCheckOptions& tol,
                 const std::string& group = "");

// f on parity's elementwise shapes (parity::elementwise_shapes(true): up to 1<<20 + 3 elements,
// many full vectors and then a tail), parity only, named "<label> <shape>"; the input is drawn
// from seed_of(name).
void large_unary(Registry& r, const std::string& op, const std::string& label, const UnaryFn& f,
                 const Values& values, const parity::ParityOptions& tol,
                 const std::string& group = "");

}  // namespace opcases
