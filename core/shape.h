// Shapes: row-major dimension lists, helpers to print and check them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ag {

using Shape = std::vector<int64_t>;

// The largest size of one dimension and the most elements of one tensor: 2^60. With elements of
// at most 8 bytes, every tensor's byte count then fits in a signed 64-bit integer.
constexpr int64_t kMaxNumel = int64_t(1) << 60;

int64_t numel_of(const Shape& s);  // unchecked: for shapes of existing tensors

// The element count of a shape given by a caller, checked: every size >= 0 and <= kMaxNumel, and
// their product <= kMaxNumel. Throws naming `op`, the shape, the offending size or count, and
// the limit it exceeds.
int64_t checked_numel(const Shape& s, const char* op);
std::string to_string(const Shape& s);  // "[2, 3]"

// Normalises a possibly negative dim against `ndim`; throws naming `op` when out of range.
int normalize_dim(int64_t dim, int ndim, const char* op);

// The numpy broadcast of a and b; throws naming `op` and both shapes when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace ag
