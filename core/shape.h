// Shapes: row-major dimension lists, helpers to print and check them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ag {

using Shape = std::vector<int64_t>;

int64_t numel_of(const Shape& s);
std::string to_string(const Shape& s);  // "[2, 3]"

// Normalises a possibly negative dim against `ndim`; throws naming `op` when out of range.
int normalize_dim(int64_t dim, int ndim, const char* op);

// The numpy broadcast of a and b; throws naming `op` and both shapes when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace ag
