#include "experiments/runner/config_values.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace sst2 {

void usage_fail(const std::string& message) {
  throw UsageError(message);
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

namespace {

const std::string kOutOfRange = "out of range (integers here are 64-bit: from " +
                                std::to_string(std::numeric_limits<int64_t>::min()) + " to " +
                                std::to_string(std::numeric_limits<int64_t>::max()) + ")";

}  // namespace

int64_t parse_int(const std::string& text, const std::string& where) {
  const std::string t = trim(text);
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(t.c_str(), &end, 10);
  if (t.empty() || end != t.c_str() + t.size()) {
    usage_fail(where + ": '" + text + "' is not an integer");
  }
  if (errno == ERANGE) usage_fail(where + ": '" + text + "' is " + kOutOfRange);
  return int64_t(v);
}

double parse_float(const std::string& text, const std::string& where) {
  const std::string t = trim(text);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(v)) {
    usage_fail(where + ": '" + text + "' is not a finite number");
  }
  return v;
}

std::vector<std::string> split_list(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (item.empty()) usage_fail(what + ": empty item in list '" + text + "'");
    out.push_back(item);
  }
  if (!text.empty() && text.back() == ',') usage_fail(what + ": empty item in list '" + text + "'");
  if (out.empty()) usage_fail(what + ": empty list");
  return out;
}

int64_t as_int(const Json& v, const std::string& where) {
  if (!v.is_number_integer()) usage_fail(where + ": expected an integer, got " + v.dump());
  // JSON integers above INT64_MAX are held unsigned; get<int64_t>() would wrap them negative.
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
    usage_fail(where + ": " + v.dump() + " is " + kOutOfRange);
  }
  return v.get<int64_t>();
}

double as_float(const Json& v, const std::string& where) {
  if (!v.is_number()) usage_fail(where + ": expected a number, got " + v.dump());
  const double d = v.get<double>();
  if (!std::isfinite(d)) usage_fail(where + ": expected a finite number, got " + v.dump());
  return d;
}

std::string as_text(const Json& v, const std::string& where) {
  if (!v.is_string()) usage_fail(where + ": expected a string, got " + v.dump());
  return v.get<std::string>();
}

bool as_bool(const Json& v, const std::string& where) {
  if (!v.is_boolean()) usage_fail(where + ": expected true or false, got " + v.dump());
  return v.get<bool>();
}

std::vector<std::string> as_text_list(const Json& v, const std::string& where) {
  if (v.is_string()) return split_list(v.get<std::string>(), where);
  if (!v.is_array()) usage_fail(where + ": expected a list of strings, got " + v.dump());
  std::vector<std::string> out;
  for (const Json& item : v) out.push_back(trim(as_text(item, where)));
  for (const auto& s : out) {
    if (s.empty()) usage_fail(where + ": empty item in " + v.dump());
  }
  return out;
}

std::vector<int64_t> as_int_list(const Json& v, const std::string& where) {
  std::vector<int64_t> out;
  if (v.is_string()) {
    for (const auto& s : split_list(v.get<std::string>(), where))
      out.push_back(parse_int(s, where));
  } else if (v.is_array()) {
    for (const Json& item : v) out.push_back(as_int(item, where));
  } else {
    usage_fail(where + ": expected a list of integers, got " + v.dump());
  }
  return out;
}

void read_value(const Json& v, const std::string& where, int64_t& out) {
  out = as_int(v, where);
}

void read_value(const Json& v, const std::string& where, double& out) {
  out = as_float(v, where);
}

void read_value(const Json& v, const std::string& where, bool& out) {
  out = as_bool(v, where);
}

void read_value(const Json& v, const std::string& where, std::string& out) {
  out = as_text(v, where);
}

void read_value(const Json& v, const std::string& where, std::vector<int64_t>& out) {
  out = as_int_list(v, where);
}

void read_value(const Json& v, const std::string& where, std::vector<std::string>& out) {
  out = as_text_list(v, where);
}

void read_value(const Json& v, const std::string& where, std::vector<ag::nn::FfnKind>& out) {
  out.clear();
  for (const auto& name : as_text_list(v, where)) {
    try {
      out.push_back(ag::nn::parse_ffn_kind(name));  // "SiLU" is swish: aliases are nn's
    } catch (const std::exception& e) {
      usage_fail(where + ": " + e.what());
    }
  }
}

Json value_json(const std::vector<ag::nn::FfnKind>& kinds) {
  Json names = Json::array();
  for (ag::nn::FfnKind k : kinds) names.push_back(ag::nn::ffn_kind_name(k));
  return names;
}

}  // namespace sst2
