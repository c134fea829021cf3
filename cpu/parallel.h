// When to split a loop across OpenMP threads.
#pragma once

#include <cstdint>

namespace ag::cpu {

// Below this many elements a parallel region (a few microseconds to wake the team) costs more
// than it saves on a streaming loop. Measured on the 2-core dev machine with tools/bench_swiglu.
constexpr int64_t kParallelElements = int64_t(1) << 15;

}  // namespace ag::cpu
