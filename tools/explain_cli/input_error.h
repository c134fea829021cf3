// Errors in what the user gave explain (arguments, the spec's JSON): the CLI reports them as one
// line "explain: <message>" and exits with status 2, like the engine's own ag::Error.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace ag::explain {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class... Parts>
[[noreturn]] void input_error(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw InputError(os.str());
}

}  // namespace ag::explain
