// An explicit, seedable random source. Every random draw in the engine goes through one, so a
// run is reproduced exactly by its seed. Counter-based (see core/math/random.h): numbers are
// pure functions of (seed, position), identical on every backend.
#pragma once

#include <cstdint>

#include "core/error.h"

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
  // Hands out `n` consecutive positions of the stream (e.g. for a dropout mask). Under a batch
  // split (below) they are the positions this part of the batch has in the whole batch.
  uint64_t reserve(uint64_t n) {
    if (split_total_ > 0) {
      AG_CHECK(n % split_rows_ == 0, "Generator: a draw of ", n, " values under a split of ",
               split_rows_, " rows: the batch must be the outermost dimension");
      const uint64_t per_row = n / split_rows_;
      const uint64_t start = offset_ + split_first_ * per_row;
      offset_ += split_total_ * per_row;
      return start;
    }
    const uint64_t start = offset_;
    offset_ += n;
    return start;
  }

  // Data parallelism: this process computes rows [first, first + rows) of a batch of `total`
  // rows. Each draw (a tensor with the batch as its outermost dimension) then takes the stream
  // positions those rows have when the whole batch is drawn at once, and the stream moves past
  // the whole batch, so a dropout mask depends on an example's place in the global batch, not
  // on how many processes share it. rows = 0 ends the split.
  void set_batch_split(uint64_t first, uint64_t rows, uint64_t total) {
    AG_CHECK(rows == 0 || first + rows <= total, "Generator: batch split of rows [", first, ", ",
             first + rows, ") outside ", total);
    split_first_ = first;
    split_rows_ = rows;
    split_total_ = rows == 0 ? 0 : total;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
  uint64_t split_first_ = 0, split_rows_ = 0, split_total_ = 0;
};

}  // namespace ag
