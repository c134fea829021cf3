// Shared by the fuzz targets: the libFuzzer entry point each defines, and how a target reports
// a broken contract (bad input must give a clear error, never anything else).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fuzz {

inline std::string_view bytes(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A finding: prints what broke and aborts, which libFuzzer (and the replay driver) report.
[[noreturn]] inline void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz: contract broken: %s\n", what.c_str());
  std::abort();
}

// Messages are one line that names the input ("fuzz.<ext>").
inline void check_message(const std::string& message, const std::string& name) {
  if (message.find('\n') != std::string::npos) broken("multi-line message: " + message);
  if (message.find(name) == std::string::npos)
    broken("message does not name " + name + ": " + message);
}

}  // namespace fuzz
