// An explicit, seedable random source. Every random draw in the engine goes through one, so a
// run is reproduced exactly by its seed. Counter-based (see core/math/random.h): numbers are
// pure functions of (seed, position), identical on every backend.
#pragma once

#include <cstdint>

namespace ag {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }

  float uniform();  // [0, 1)
  float normal();   // standard normal (Box-Muller)
  // Hands out `n` consecutive positions of the stream (e.g. for a dropout mask).
  uint64_t reserve(uint64_t n) {
    const uint64_t start = offset_;
    offset_ += n;
    return start;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

}  // namespace ag
