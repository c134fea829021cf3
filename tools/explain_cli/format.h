// Number and tensor formatting shared by the human-readable outputs.
#pragma once

#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ag::explain {

// The parts streamed into one string: concat("r", 3, "_") == "r3_".
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

// Fixed six decimals for table cells ("-0.238406"); scientific where that would hide the value
// (|v| < 1e-4 but not 0, |v| >= 1e6); "nan", "inf", "-inf".
std::string table_number(double v);

// Up to six significant digits, no padding ("0.5", "-1.27846", "1e-07").
std::string short_number(double v);

// s padded with spaces on the left (right-aligned) or right (left-aligned) to `width`.
std::string pad_left(const std::string& s, size_t width);
std::string pad_right(const std::string& s, size_t width);

// "0.1, -0.5, 2, ... (24 values)": the first `count` values of a list.
std::string first_values(const std::vector<float>& values, size_t count);

// "[0, 2]": the index of element `flat` of a row-major tensor of shape `shape`.
std::string element_index(const Shape& shape, int64_t flat);

// A host tensor as nested rows, numpy style, every line starting with `indent`:
//   [[ 1, -2, 0.5],
//    [ 3,  4,  -1]]
void print_tensor(std::ostream& out, const Tensor& host_tensor, const std::string& indent);

}  // namespace ag::explain
