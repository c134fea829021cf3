#include "core/backend.h"

#include <chrono>

#include "core/error.h"
#include "core/ops.h"

namespace ag {

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

// --- registration ------------------------------------------------------------------------------

namespace {

constexpr int kDevices = 2;  // Device::CPU, Device::CUDA

struct Registered {
  BackendRegistration registration;
  int count = 0;  // more than 1: the backend's library was linked twice
};

// Filled by the backends' registrars during static initialisation: constructed on first use, so
// it exists whichever registrar runs first. Never destroyed (backends outlive static teardown).
Registered* registry() {
  static Registered* r = new Registered[kDevices];
  return r;
}

const Registered& registered(Device device) {
  return registry()[int(device)];
}

}  // namespace

void register_backend(Device device, const BackendRegistration& registration) {
  Registered& r = registry()[int(device)];
  r.registration = registration;
  ++r.count;
}

Backend& backend(Device device) {
  const Registered& r = registered(device);
  if (r.count == 0) {
    if (device == Device::CUDA) {
      fail(
          "the CUDA backend is not compiled into this build (configure with -DAG_CUDA=ON on a "
          "machine with the CUDA Toolkit)");
    }
    fail("no backend for device ", device_name(device),
         " is linked into this program (link the CMake target ag_core / tapegrad::core, which "
         "links the backends whole; see core/backend.h)");
  }
  AG_CHECK(r.count == 1, "the ", device_name(device), " backend registered itself ", r.count,
           " times: its library is linked into this program more than once");
  return r.registration.instance();
}

bool cuda_available() {
  const Registered& r = registered(Device::CUDA);
  return r.count > 0 && r.registration.available();
}

bool cuda_emulated() {
  const Registered& r = registered(Device::CUDA);
  return r.count > 0 && r.registration.emulated;
}

void set_num_threads(int n) {
  backend(Device::CPU).set_num_threads(n);
}

int num_threads() {
  return backend(Device::CPU).num_threads();
}

const char* device_label(Device d) {
  if (d == Device::CUDA && cuda_emulated()) return "cuda (emulated)";
  return device_name(d);
}

}  // namespace ag
