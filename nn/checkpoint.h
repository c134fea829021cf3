// Checkpoints: all parameters, optimizer state and a JSON metadata string in one binary file.
//
// Format (little-endian):
//   magic "TPGCKPT\0" (8 bytes) | version u32 (= 1) | metadata length u64 | metadata (UTF-8 JSON)
//   | tensor count u64 | per tensor: name length u32, name, dtype u8 (0 = f32, 1 = i32),
//     ndim u32, dims i64[ndim], data (numel * 4 bytes)
//   | trailer "TPGEND\0\0" (8 bytes)
// Written to FILE.tmp and renamed over FILE, so a crash never leaves a half-written checkpoint.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ag::nn {

struct Checkpoint {
  std::string metadata_json;  // free-form: step, epoch, generator states, config ...
  std::vector<std::pair<std::string, Tensor>> tensors;  // CPU copies when loaded
};

void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
// Throws ag::Error naming the file and what is wrong (bad magic, version, truncation ...).
Checkpoint load_checkpoint(const std::string& path);

// Copies tensors named like `params` from a checkpoint into them (shapes must match; every
// parameter must be present). Errors name the parameter and both shapes.
void restore_parameters(const std::vector<std::pair<std::string, Tensor>>& saved,
                        const std::vector<std::pair<std::string, Tensor*>>& params);

}  // namespace ag::nn
