#include "core/shape.h"

#include <limits>
#include <sstream>

#include "core/error.h"

namespace ag {

int64_t numel_of(const Shape& s) {
  // An empty tensor may have other sizes whose product alone would overflow ([2^40, 2^40, 0]):
  // look for the 0 first. Otherwise every partial product is at most the whole, within 2^60.
  for (int64_t d : s)
    if (d == 0) return 0;
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

int64_t checked_numel(const Shape& s, const char* op) {
  for (size_t i = 0; i < s.size(); ++i) {
    AG_CHECK(s[i] >= 0, op, ": shape ", to_string(s), " has the negative size ", s[i], " at dim ",
             i);
    AG_CHECK(s[i] <= kMaxNumel, op, ": shape ", to_string(s), " has the size ", s[i], " at dim ", i,
             ", more than the limit of ", kMaxNumel, " (2^60) per dimension");
  }
  for (int64_t d : s) {
    if (d == 0) return 0;  // empty, whatever the other sizes (each is within the limit)
  }
  int64_t n = 1;
  bool overflow = false;
  for (int64_t d : s) overflow = overflow || __builtin_mul_overflow(n, d, &n);
  if (overflow) {
    fail(op, ": shape ", to_string(s), " has more than ", std::numeric_limits<int64_t>::max(),
         " elements, more than the limit of ", kMaxNumel, " (2^60) per tensor");
  }
  AG_CHECK(n <= kMaxNumel, op, ": shape ", to_string(s), " has ", n,
           " elements, more than the limit of ", kMaxNumel, " (2^60) per tensor");
  return n;
}

std::string to_string(const Shape& s) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ']';
  return os.str();
}

int normalize_dim(int64_t dim, int ndim, const char* op) {
  const int64_t d = dim < 0 ? dim + ndim : dim;
  AG_CHECK(d >= 0 && d < ndim, op, ": dim ", dim, " is out of range for a tensor with ", ndim,
           " dims");
  return int(d);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    AG_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", to_string(a), " and ", to_string(b),
             " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace ag
