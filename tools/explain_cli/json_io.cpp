#include "tools/explain_cli/json_io.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "tools/explain_cli/input_error.h"

namespace ag::explain {

namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+' ||
         c == '-';
}

// Quotes the bare words NaN, Infinity and -Infinity that appear outside string literals, so that
// the strict parser accepts what Python's json.dumps writes for non-finite floats.
std::string quote_non_finite_words(const std::string& text) {
  static const char* const kWords[] = {"-Infinity", "Infinity", "NaN"};
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    bool replaced = false;
    if (i == 0 || !is_word_char(text[i - 1])) {
      for (const char* word : kWords) {
        const size_t n = std::char_traits<char>::length(word);
        const bool ends_word = i + n >= text.size() || !is_word_char(text[i + n]);
        if (text.compare(i, n, word) == 0 && ends_word) {
          out += '"';
          out += word;
          out += '"';
          i += n - 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

void dump_to(const Json& j, std::string& out) {
  if (j.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, value] : j.items()) {
      if (!first) out += ", ";
      first = false;
      out += Json(key).dump();
      out += ": ";
      dump_to(value, out);
    }
    out += '}';
  } else if (j.is_array()) {
    out += '[';
    for (size_t i = 0; i < j.size(); ++i) {
      if (i) out += ", ";
      dump_to(j[i], out);
    }
    out += ']';
  } else if (j.is_number_float() && !std::isfinite(j.get<double>())) {
    const double v = j.get<double>();
    out += std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
  } else {
    // Strings with invalid UTF-8 (e.g. a file name) are written with replacement characters
    // instead of throwing.
    out += j.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

}  // namespace

Json parse_json_text(const std::string& text, const std::string& source) {
  try {
    return Json::parse(quote_non_finite_words(text));
  } catch (const Json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ..." (or
    // out_of_range.406 for a number too large for a double)
    std::string what = e.what();
    const size_t bracket = what.find("] ");
    if (what.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
      what = what.substr(bracket + 2);
    }
    input_error("malformed JSON in ", source, ": ", what);
  }
}

std::string dump_json(const Json& j) {
  std::string out;
  dump_to(j, out);
  return out;
}

Json float_json(float v) {
  if (!std::isfinite(v)) return Json(double(v));
  char buf[64];
  const auto written = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  double d = double(v);
  std::from_chars(buf, written.ptr, d);
  return Json(d);
}

Json tensor_json(const Tensor& t) {
  Json data = Json::array();
  if (t.dtype() == DType::I32) {
    for (int32_t v : t.to_int_vector()) data.push_back(v);
  } else {
    for (float v : t.to_vector()) data.push_back(float_json(v));
  }
  Json j = Json::object();
  j["shape"] = t.shape();
  j["data"] = std::move(data);
  return j;
}

std::optional<double> json_number(const Json& j) {
  if (j.is_number()) return j.get<double>();
  if (!j.is_string()) return std::nullopt;
  std::string s = j.get<std::string>();
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "infinity" || s == "inf" || s == "+inf" || s == "+infinity") {
    return std::numeric_limits<double>::infinity();
  }
  if (s == "-infinity" || s == "-inf") return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

std::string json_kind(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "a list";
    case Json::value_t::string:
      return "the string " + j.dump(-1, ' ', false, Json::error_handler_t::replace);
    case Json::value_t::boolean:
      return j.get<bool>() ? "true" : "false";
    case Json::value_t::number_float:
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "the number " + j.dump();
    default:
      return "an unsupported value";
  }
}

}  // namespace ag::explain
