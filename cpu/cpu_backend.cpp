// The CPU backend's identity, and its registration with the engine (core/backend.h).
#include "cpu/cpu_backend.h"

#include <fstream>
#include <string>

namespace ag::cpu {

std::string CpuBackend::device_name() const {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
    }
  }
  return "cpu";
}

namespace {

Backend& instance() {
  static CpuBackend* backend = new CpuBackend;  // never destroyed: tensors freed during static
  return *backend;                              // teardown still call it
}

bool available() {
  return true;
}

// Runs before main(); the build links this library whole so that the linker keeps it.
const BackendRegistrar registrar(Device::CPU, {&instance, &available, false});

}  // namespace

}  // namespace ag::cpu
