#include "experiments/runner/system_info.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/backend.h"

#ifndef SST2_GIT_COMMIT
#define SST2_GIT_COMMIT "unknown"
#endif
#ifndef SST2_BUILD_TYPE
#define SST2_BUILD_TYPE "unknown"
#endif

namespace sst2 {

std::string device_description(ag::Device device) {
  return ag::backend(device).device_name();
}

std::string git_commit() {
  return SST2_GIT_COMMIT;
}

std::string build_type() {
  return SST2_BUILD_TYPE;
}

int64_t peak_host_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      int64_t kib = 0;
      fields >> kib;  // "VmHWM:   123456 kB"
      return kib * 1024;
    }
  }
  return 0;
}

int64_t peak_device_bytes(ag::Device device) {
  if (device == ag::Device::CPU) return 0;
  return int64_t(ag::backend(device).peak_allocated_bytes());
}

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

}  // namespace sst2
