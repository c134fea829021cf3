// What the runner measures, in the shapes of experiments/METRICS.md: fixed-bin histograms, the
// FFN statistics of one evaluation pass, mean/std across seeds, and atomic JSON files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/runner/config.h"

namespace sst2 {

// Fixed bins over [lo, hi): bin i holds [lo + i w, lo + (i + 1) w) with w = (hi - lo) / count.
// Values below lo are underflow, values >= hi (and +inf) overflow, NaN is counted apart, so
// sum(counts) + underflow + overflow == total and total + nan == values seen.
class Histogram {
 public:
  static constexpr double kLo = -8.0, kHi = 8.0;
  static constexpr int kCount = 160;

  Histogram();
  void add(float v) {
    if (v != v) {  // NaN
      ++nan_;
      return;
    }
    ++total_;
    sum_ += v;
    sum_sq_ += double(v) * double(v);
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
    if (v < kLo) {
      ++underflow_;
    } else if (v >= kHi) {
      ++overflow_;
    } else {
      // (v - lo) * count / (hi - lo) in double; clamp guards rounding at the top edge.
      int bin = int((double(v) - kLo) * (kCount / (kHi - kLo)));
      if (bin >= kCount) bin = kCount - 1;
      ++counts_[size_t(bin)];
    }
  }
  void merge(const Histogram& other);
  // Every field as doubles (counts below 2^53 are exact), and back: for sums across ranks.
  void pack(std::vector<double>& out) const;
  static Histogram unpack(const double*& in);

  int64_t total() const { return total_; }
  int64_t underflow() const { return underflow_; }
  int64_t overflow() const { return overflow_; }
  const std::vector<int64_t>& counts() const { return counts_; }
  double mean() const;
  double std() const;  // population standard deviation of the values

  // {"counts", "underflow", "overflow", "nan", "total", "mean", "std", "min", "max"}
  Json to_json() const;
  static Json bins_json();  // {"lo", "hi", "count"}

 private:
  std::vector<int64_t> counts_;
  int64_t underflow_ = 0, overflow_ = 0, nan_ = 0, total_ = 0;
  double sum_ = 0.0, sum_sq_ = 0.0;
  float min_, max_;
};

// Swish's minimum: silu'(x) = 0 at x = -1.2785 (silu decreases left of it).
constexpr float kSwishMinimum = -1.2785f;
constexpr float kSwishBumpStart = -5.0f;

// Accumulates the FFN statistics of METRICS.md (`epochs[i].ffn`) over an evaluation pass.
class FfnStats {
 public:
  FfnStats(int64_t hidden, bool gated);
  // One batch of `rows` token positions. pre/up/act: [rows, hidden] (up null unless gated);
  // out: [rows, d_model]; row_mask (may be null): rows with 0 are padding and are skipped.
  void add(const float* pre, const float* up, const float* act, const float* out, int64_t rows,
           int64_t d_model, const float* row_mask);
  Json to_json() const;
  int64_t positions() const { return positions_; }
  // --data-parallel: each rank saw its part of the set; afterwards every rank holds the
  // statistics of the whole set (distributed.h; a no-op on one rank).
  void merge_across_ranks();

 private:
  int64_t hidden_;
  bool gated_;
  int64_t positions_ = 0;
  Histogram pre_, up_, act_, out_;
  int64_t pre_negative_ = 0, act_negative_ = 0;
  int64_t bump_left_ = 0, bump_right_ = 0;
  std::vector<float> unit_max_;  // the largest pre-activation of each hidden unit
};

struct MeanStd {
  double mean = 0.0;
  double std = 0.0;  // sample standard deviation (n - 1); 0 for one value
};
MeanStd mean_std(const std::vector<double>& values);

// Writes `text` to `path` through core/atomic_file.h (`path.tmp.<pid>` + fsync + rename), so a
// reader never sees a half-written file. Throws ag::WriteError naming the file and the reason.
void write_file_atomically(const std::string& path, const std::string& text);
void write_json_atomically(const std::string& path, const Json& j);
Json read_json_file(const std::string& path);  // throws ag::Error naming the file

}  // namespace sst2
