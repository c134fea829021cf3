// Reading one setting's value, from command-line text or from a JSON value (a --config file, or
// the command line's values once parsed). Every function throws UsageError whose message starts
// with `where`: the flag ("--epochs") or the key and its file ("key 'epochs' in f.json").
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "experiments/runner/config.h"

namespace sst2 {

[[noreturn]] void usage_fail(const std::string& message);

std::string trim(const std::string& s);  // without leading and trailing blanks and tabs

// Command-line text: a 64-bit integer ("out of range" beyond it), a finite number.
int64_t parse_int(const std::string& text, const std::string& where);
double parse_float(const std::string& text, const std::string& where);

// JSON values of one type. A list is a JSON array, or (for convenience in files) one
// comma-separated string; its items are trimmed and none may be empty.
int64_t as_int(const Json& v, const std::string& where);
double as_float(const Json& v, const std::string& where);
std::string as_text(const Json& v, const std::string& where);
bool as_bool(const Json& v, const std::string& where);
std::vector<std::string> as_text_list(const Json& v, const std::string& where);
std::vector<int64_t> as_int_list(const Json& v, const std::string& where);

// A setting's JSON value into its field, by the field's type (the option table's readers), and
// the field's value as the metrics record it (its writers): numbers, booleans and text as they
// are, enums and FFN kinds by name.
void read_value(const Json& v, const std::string& where, int64_t& out);
void read_value(const Json& v, const std::string& where, double& out);
void read_value(const Json& v, const std::string& where, bool& out);
void read_value(const Json& v, const std::string& where, std::string& out);
void read_value(const Json& v, const std::string& where, std::vector<int64_t>& out);
void read_value(const Json& v, const std::string& where, std::vector<std::string>& out);
void read_value(const Json& v, const std::string& where, std::vector<ag::nn::FfnKind>& out);
template <class E>
void read_value(const Json& v, const std::string& where, E& out) {
  out = parse_setting<E>(as_text(v, where), where);
}

Json value_json(const std::vector<ag::nn::FfnKind>& kinds);
template <class T>
Json value_json(const T& value) {
  if constexpr (std::is_enum_v<T>) {
    return setting_name(value);
  } else {
    return value;
  }
}

}  // namespace sst2
