// Checkpoints: all parameters, optimizer state and a JSON metadata string in one binary file.
//
// Format version 2 (little-endian):
//   magic "TPGCKPT\0" (8 bytes) | version u32 (= 2) | file size u64 (every byte, checksum included)
//   | metadata length u64 | metadata (UTF-8 JSON)
//   | tensor count u64 | per tensor: name length u32, name, dtype u8 (0 = f32, 1 = i32),
//     ndim u32, dims i64[ndim], data (numel * 4 bytes)
//   | trailer "TPGEND\0\0" (8 bytes) | CRC-32 u32 (zlib's crc32) of every byte before it
// Version 1 (older builds) had neither the file size nor the checksum; it is refused with a
// message that says so. Written atomically (core/atomic_file.h), so a crash never leaves a
// half-written checkpoint; the checksum catches what happens to the file afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ag::nn {

struct Checkpoint {
  std::string metadata_json;  // free-form: step, epoch, generator states, config ...
  std::vector<std::pair<std::string, Tensor>> tensors;  // CPU copies when loaded
};

void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
// Throws ag::Error naming the file and what is wrong (bad magic, version, truncation, checksum
// mismatch ...). The checksum is verified before anything in the file is interpreted.
Checkpoint load_checkpoint(const std::string& path);
// The same for the bytes of a file; `path` names it in errors.
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& path);

constexpr uint32_t kCheckpointVersion = 2;

// Copies tensors named like `params` from a checkpoint into them (shapes must match; every
// parameter must be present). Errors name the parameter and both shapes.
void restore_parameters(const std::vector<std::pair<std::string, Tensor>>& saved,
                        const std::vector<std::pair<std::string, Tensor*>>& params);

}  // namespace ag::nn
