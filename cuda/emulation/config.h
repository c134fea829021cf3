// The emulated device's fixed properties, read once from the environment:
//   AG_EMU_DEVICES     number of devices to report (default 1; 0 makes the build behave as one
//                      with no GPU present)
//   AG_EMU_SM_COUNT    multiprocessors (default 2: grid-stride loops then take several turns
//                      already at test sizes)
//   AG_EMU_MEMORY_MB   device memory (default 4096)
#pragma once

#include <cstddef>

namespace cuda_emu {

struct Config {
  int devices;
  int sm_count;
  size_t memory_bytes;
};

const Config& config();

}  // namespace cuda_emu
