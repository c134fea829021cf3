// Errors: every failure the engine detects becomes an ag::Error with a message that says what
// went wrong in the user's terms (which op, which shapes, which file and line).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace ag {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class... Args>
[[noreturn]] void fail(const Args&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw Error(os.str());
}

}  // namespace ag

// AG_CHECK(cond, "op: ", detail, ...): throws ag::Error built from the message parts.
#define AG_CHECK(cond, ...)               \
  do {                                    \
    if (!(cond)) ::ag::fail(__VA_ARGS__); \
  } while (0)
