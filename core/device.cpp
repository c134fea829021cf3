#include "core/device.h"

#include "core/error.h"

namespace ag {

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::CPU;
  if (name == "cuda" || name == "gpu") return Device::CUDA;
  fail("unknown device '", name, "' (expected cpu or cuda)");
}

}  // namespace ag
