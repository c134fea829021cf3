// Inside the emulation: runs one kernel launch to completion (called in stream order).
#pragma once

#include "cuda_runtime.h"

namespace cuda_emu {

// Every block of the grid, in parallel on the pool's host threads; returns when all are done.
void run_grid(const KernelLaunch& launch);

}  // namespace cuda_emu
