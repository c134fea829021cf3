// Counter-based random numbers: value k of stream `seed` is a pure function of (seed, k).
// Both backends draw the same numbers, so a dropout mask made on the GPU equals the CPU's, and
// the backward pass regenerates the mask instead of storing it.
#pragma once

#include "core/math/hd.h"

namespace ag::math {

// SplitMix64 finaliser over (seed, counter): a well-mixed 64-bit hash.
AG_HD uint64_t hash64(uint64_t seed, uint64_t counter) {
  uint64_t z =
      seed * 0x9E3779B97F4A7C15ull + counter * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, 1) with 24 random bits.
AG_HD float uniform01(uint64_t seed, uint64_t counter) {
  return float(hash64(seed, counter) >> 40) * (1.0f / 16777216.0f);
}

// Dropout: keep with probability 1 - p and scale by 1/(1 - p). The same function is its own
// backward: d y/d x = keep / (1 - p).
AG_HD float dropout_scale(uint64_t seed, uint64_t counter, float p) {
  return uniform01(seed, counter) >= p ? 1.0f / (1.0f - p) : 0.0f;
}

}  // namespace ag::math
