// Times work on a device: host clock on the CPU, CUDA events on the GPU (see Backend).
#pragma once

#include <memory>

#include "core/backend.h"

namespace ag {

class DeviceTimer {
 public:
  explicit DeviceTimer(Device device) : backend_(backend(device)) {}
  void start() { start_ = backend_.timing_mark(); }
  // Milliseconds since start(); waits for the device to finish the work in between.
  double stop_ms() { return backend_.timing_elapsed_ms(start_, backend_.timing_mark()); }

 private:
  Backend& backend_;
  std::shared_ptr<void> start_;
};

}  // namespace ag
