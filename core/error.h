// Errors: every failure the engine detects becomes an ag::Error with a message that says what
// went wrong in the user's terms (which op, which shapes, which file and line).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ag {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `text` as it may appear inside a one-line message: control bytes (line breaks included) and
// DEL become \xNN; longer than `max` bytes, it is cut there and "..." follows.
inline std::string printable(std::string_view text, size_t max = std::string_view::npos) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += char(c);
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

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
