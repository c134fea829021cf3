#include "core/backend.h"

#include <chrono>

#include "core/error.h"

namespace ag {

Backend& cpu_backend();  // core/backend_cpu.cpp
#ifdef AG_WITH_CUDA
Backend& cuda_backend();      // core/backend_cuda.cpp; throws when no device is present
bool cuda_device_present();   // core/backend_cuda.cpp
bool cuda_device_emulated();  // core/backend_cuda.cpp
#endif

std::shared_ptr<void> Backend::timing_mark() {
  synchronize();
  return std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
}

double Backend::timing_elapsed_ms(const std::shared_ptr<void>& start,
                                  const std::shared_ptr<void>& end) {
  using TimePoint = std::chrono::steady_clock::time_point;
  const auto& a = *static_cast<const TimePoint*>(start.get());
  const auto& b = *static_cast<const TimePoint*>(end.get());
  return std::chrono::duration<double, std::milli>(b - a).count();
}

namespace {
[[noreturn]] void no_graphs(const Backend& b) {
  fail("graphs (captured steps) need a CUDA device; the ", device_name(b.device()),
       " backend runs each op when it is called");
}
}  // namespace

void Backend::begin_capture() {
  no_graphs(*this);
}
std::shared_ptr<void> Backend::end_capture() {
  no_graphs(*this);
}
void Backend::launch_graph(const std::shared_ptr<void>&) {
  no_graphs(*this);
}
void Backend::set_random_shift(uint64_t shift) {
  AG_CHECK(shift == 0, "set_random_shift: the ", ag::device_name(device()),
           " backend has no graphs to replay, so no random shift (got ", shift, ")");
}

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

bool cuda_emulated() {
#ifdef AG_WITH_CUDA
  return cuda_device_emulated();
#else
  return false;
#endif
}

const char* device_label(Device d) {
  if (d == Device::CUDA && cuda_emulated()) return "cuda (emulated)";
  return device_name(d);
}

}  // namespace ag
