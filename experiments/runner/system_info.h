// Facts about the machine and the build that every metrics file records.
#pragma once

#include <cstdint>
#include <string>

#include "core/device.h"

namespace sst2 {

std::string device_description(ag::Device device);  // CPU model or GPU name
std::string git_commit();                           // from the build (configure time)
std::string build_type();                           // Release, Debug, ...
// Peak resident set of this process so far (VmHWM in /proc/self/status), 0 if unknown.
int64_t peak_host_rss_bytes();
// Peak bytes held by the device's caching allocator (0 for the CPU).
int64_t peak_device_bytes(ag::Device device);
// Seconds on a monotonic clock (for durations).
double now_seconds();

}  // namespace sst2
