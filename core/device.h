#pragma once

#include <string>

namespace ag {

enum class Device { CPU, CUDA };
enum class DType { F32, I32 };

inline const char* device_name(Device d) {
  return d == Device::CPU ? "cpu" : "cuda";
}
inline const char* dtype_name(DType t) {
  return t == DType::F32 ? "float32" : "int32";
}
inline size_t dtype_size(DType) {
  return 4;
}

// Parses "cpu" or "cuda"; throws ag::Error otherwise.
Device parse_device(const std::string& name);

// cuda_available() and cuda_emulated(), which ask the registered backends, are in core/backend.h.

// How records and messages name a device: "cpu", "cuda", or "cuda (emulated)" in an emulated
// build, so that no figure from the emulated device can pass for a GPU's.
const char* device_label(Device d);

}  // namespace ag
