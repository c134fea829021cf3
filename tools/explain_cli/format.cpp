#include "tools/explain_cli/format.h"

#include <cmath>
#include <cstdio>

namespace ag::explain {

namespace {

std::string printf_number(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string non_finite(double v) {
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}

// One row-major block of `values` for dims [dim, ndim), written as nested brackets.
void print_block(std::ostream& out, const std::vector<std::string>& cells, const Shape& shape,
                 size_t dim, int64_t& next, size_t width, const std::string& indent) {
  out << '[';
  const int64_t n = shape[dim];
  for (int64_t i = 0; i < n; ++i) {
    if (dim + 1 == shape.size()) {
      out << pad_left(cells[size_t(next++)], width);
      if (i + 1 < n) out << ", ";
    } else {
      if (i > 0) out << indent << std::string(dim + 1, ' ');
      print_block(out, cells, shape, dim + 1, next, width, indent);
      if (i + 1 < n) out << ",\n";
    }
  }
  out << ']';
}

}  // namespace

std::string table_number(double v) {
  if (!std::isfinite(v)) return non_finite(v);
  const double a = std::fabs(v);
  if (v != 0.0 && (a < 1e-4 || a >= 1e6)) return printf_number("%.4e", v);
  return printf_number("%.6f", v);
}

std::string short_number(double v) {
  if (!std::isfinite(v)) return non_finite(v);
  return printf_number("%.6g", v);
}

std::string pad_left(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string pad_right(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string first_values(const std::vector<float>& values, size_t count) {
  std::string s;
  for (size_t i = 0; i < values.size() && i < count; ++i) {
    if (i) s += ", ";
    s += short_number(values[i]);
  }
  if (values.size() > count) s += ", ... (" + std::to_string(values.size()) + " values)";
  return s;
}

std::string element_index(const Shape& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  std::string s = "[";
  for (size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

void print_tensor(std::ostream& out, const Tensor& t, const std::string& indent) {
  std::vector<std::string> cells;
  if (t.dtype() == DType::I32) {
    for (int32_t v : t.to_int_vector()) cells.push_back(std::to_string(v));
  } else {
    for (float v : t.to_vector()) cells.push_back(short_number(v));
  }
  out << indent;
  if (t.ndim() == 0) {
    out << (cells.empty() ? "" : cells[0]) << '\n';
    return;
  }
  if (t.numel() == 0) {
    out << "[] (empty)\n";
    return;
  }
  size_t width = 0;
  for (const std::string& c : cells) width = std::max(width, c.size());
  int64_t next = 0;
  print_block(out, cells, t.shape(), 0, next, width, indent);
  out << '\n';
}

}  // namespace ag::explain
