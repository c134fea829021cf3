#include "core/backend.h"

#include "core/error.h"

namespace ag {

Backend& cpu_backend();  // core/backend_cpu.cpp
#ifdef AG_WITH_CUDA
Backend& cuda_backend();     // core/backend_cuda.cpp; throws when no device is present
bool cuda_device_present();  // core/backend_cuda.cpp
#endif

Backend& backend(Device device) {
  if (device == Device::CPU) return cpu_backend();
#ifdef AG_WITH_CUDA
  return cuda_backend();
#else
  fail(
      "the CUDA backend is not compiled into this build (configure with -DAG_CUDA=ON on a "
      "machine with the CUDA Toolkit)");
#endif
}

bool cuda_available() {
#ifdef AG_WITH_CUDA
  return cuda_device_present();
#else
  return false;
#endif
}

}  // namespace ag
