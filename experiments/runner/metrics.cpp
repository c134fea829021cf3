#include "experiments/runner/metrics.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "experiments/runner/distributed.h"

namespace sst2 {

// --- Histogram -----------------------------------------------------------------------------

Histogram::Histogram()
    : counts_(size_t(kCount), 0),
      min_(std::numeric_limits<float>::infinity()),
      max_(-std::numeric_limits<float>::infinity()) {}

void Histogram::merge(const Histogram& o) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  underflow_ += o.underflow_;
  overflow_ += o.overflow_;
  nan_ += o.nan_;
  total_ += o.total_;
  sum_ += o.sum_;
  sum_sq_ += o.sum_sq_;
  if (o.min_ < min_) min_ = o.min_;
  if (o.max_ > max_) max_ = o.max_;
}

void Histogram::pack(std::vector<double>& out) const {
  for (int64_t c : counts_) out.push_back(double(c));
  for (double v : {double(underflow_), double(overflow_), double(nan_), double(total_), sum_,
                   sum_sq_, double(min_), double(max_)}) {
    out.push_back(v);
  }
}

Histogram Histogram::unpack(const double*& in) {
  Histogram h;
  for (auto& c : h.counts_) c = int64_t(*in++);
  h.underflow_ = int64_t(*in++);
  h.overflow_ = int64_t(*in++);
  h.nan_ = int64_t(*in++);
  h.total_ = int64_t(*in++);
  h.sum_ = *in++;
  h.sum_sq_ = *in++;
  h.min_ = float(*in++);
  h.max_ = float(*in++);
  return h;
}

double Histogram::mean() const {
  return total_ ? sum_ / double(total_) : 0.0;
}

double Histogram::std() const {
  if (!total_) return 0.0;
  const double m = mean();
  const double var = sum_sq_ / double(total_) - m * m;
  return var > 0.0 ? std::sqrt(var) : 0.0;  // rounding can make a zero variance slightly < 0
}

Json Histogram::to_json() const {
  Json j;
  j["counts"] = counts_;
  j["underflow"] = underflow_;
  j["overflow"] = overflow_;
  j["nan"] = nan_;
  j["total"] = total_;
  j["mean"] = mean();
  j["std"] = std();
  // No values: min and max are meaningless; null rather than +-inf (which JSON cannot hold).
  j["min"] = total_ ? Json(double(min_)) : Json(nullptr);
  j["max"] = total_ ? Json(double(max_)) : Json(nullptr);
  return j;
}

Json Histogram::bins_json() {
  return Json{{"lo", kLo}, {"hi", kHi}, {"count", kCount}};
}

// --- FfnStats ------------------------------------------------------------------------------

FfnStats::FfnStats(int64_t hidden, bool gated)
    : hidden_(hidden),
      gated_(gated),
      unit_max_(size_t(hidden), -std::numeric_limits<float>::infinity()) {}

void FfnStats::add(const float* pre, const float* up, const float* act, const float* out,
                   int64_t rows, int64_t d_model, const float* row_mask) {
  const int64_t H = hidden_;
  for (int64_t r = 0; r < rows; ++r) {
    if (row_mask && row_mask[r] == 0.0f) continue;
    ++positions_;
    const float* p = pre + r * H;
    const float* a = act + r * H;
    for (int64_t h = 0; h < H; ++h) {
      const float v = p[h];
      pre_.add(v);
      if (v < 0.0f) {
        ++pre_negative_;
        if (v >= kSwishBumpStart) ++(v < kSwishMinimum ? bump_left_ : bump_right_);
      }
      if (v > unit_max_[size_t(h)]) unit_max_[size_t(h)] = v;
      act_.add(a[h]);
      if (a[h] < 0.0f) ++act_negative_;
    }
    if (gated_ && up) {
      const float* u = up + r * H;
      for (int64_t h = 0; h < H; ++h) up_.add(u[h]);
    }
    const float* o = out + r * d_model;
    for (int64_t d = 0; d < d_model; ++d) out_.add(o[d]);
  }
}

void FfnStats::merge_across_ranks() {
  if (!dist::multi_rank()) return;
  std::vector<double> mine;
  for (const Histogram* h : {&pre_, &up_, &act_, &out_}) h->pack(mine);
  for (int64_t v : {positions_, pre_negative_, act_negative_, bump_left_, bump_right_}) {
    mine.push_back(double(v));
  }
  for (float m : unit_max_) mine.push_back(double(m));
  const size_t per_rank = mine.size();
  const std::vector<double> all = dist::all_gather(mine);
  AG_CHECK(all.size() == per_rank * size_t(dist::world().size),
           "FfnStats: ranks sent statistics of different sizes");
  FfnStats merged(hidden_, gated_);
  for (int r = 0; r < dist::world().size; ++r) {
    const double* in = all.data() + size_t(r) * per_rank;
    for (Histogram* h : {&merged.pre_, &merged.up_, &merged.act_, &merged.out_}) {
      h->merge(Histogram::unpack(in));
    }
    for (int64_t* v : {&merged.positions_, &merged.pre_negative_, &merged.act_negative_,
                       &merged.bump_left_, &merged.bump_right_}) {
      *v += int64_t(*in++);
    }
    for (float& m : merged.unit_max_) {
      const float v = float(*in++);
      if (v > m) m = v;
    }
  }
  *this = std::move(merged);
}

Json FfnStats::to_json() const {
  auto fraction = [](int64_t part, int64_t whole) {
    return whole ? double(part) / double(whole) : 0.0;
  };
  const int64_t n_pre = pre_.total();
  int64_t dead = 0;
  for (float m : unit_max_) dead += m > 0.0f ? 0 : 1;  // never > 0 (NaN counts as dead too)
  Json j;
  j["bins"] = Histogram::bins_json();
  j["positions"] = positions_;
  j["hidden"] = hidden_;
  j["pre_activation"] = pre_.to_json();
  if (gated_) j["up"] = up_.to_json();
  j["activation_output"] = act_.to_json();
  j["block_output"] = out_.to_json();
  j["negative_fraction"] = fraction(pre_negative_, n_pre);
  j["negative_kept_fraction"] = fraction(act_negative_, act_.total());
  j["bump"] = Json{{"fraction", fraction(bump_left_ + bump_right_, n_pre)},
                   {"left_of_min", fraction(bump_left_, n_pre)},
                   {"right_of_min", fraction(bump_right_, n_pre)}};
  j["dead_unit_ratio"] = positions_ ? fraction(dead, hidden_) : 0.0;
  return j;
}

// --- statistics ----------------------------------------------------------------------------

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd r;
  if (v.empty()) return r;
  double sum = 0.0;
  for (double x : v) sum += x;
  r.mean = sum / double(v.size());
  if (v.size() > 1) {
    double ss = 0.0;
    for (double x : v) ss += (x - r.mean) * (x - r.mean);
    r.std = std::sqrt(ss / double(v.size() - 1));
  }
  return r;
}

// --- files ---------------------------------------------------------------------------------

void write_file_atomically(const std::string& path, const std::string& text) {
  ag::write_file_atomically(path, text);
}

void write_json_atomically(const std::string& path, const Json& j) {
  // Non-finite floats become null (nlohmann's rule), which keeps the file valid JSON.
  write_file_atomically(path, j.dump() + "\n");
}

Json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) ag::fail("cannot open ", path);
  try {
    return Json::parse(in);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a huge number
    ag::fail(path, ": not valid JSON: ", e.what());
  }
}

}  // namespace sst2
