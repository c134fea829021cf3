#include "experiments/runner/progress.h"

#include <unistd.h>

#include <cmath>

#include "experiments/runner/system_info.h"

namespace sst2 {

namespace {

constexpr double kRedrawSeconds = 0.1;  // at most ~10 redraws a second
constexpr int kBarWidth = 24;

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = int64_t(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", (long long)(s / 3600),
                  (long long)(s / 60 % 60), (long long)(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
  }
  return buf;
}

Progress::Progress(bool quiet, std::FILE* out)
    : out_(out), quiet_(quiet), tty_(!quiet && ::isatty(::fileno(out)) == 1) {}

void Progress::line(const std::string& text) {
  if (quiet_) return;
  if (drawn_) std::fputs("\r\033[K", out_);
  drawn_ = false;
  std::fprintf(out_, "%s%s\n", prefix_.c_str(), text.c_str());
  std::fflush(out_);
}

void Progress::begin_epoch(const std::string& label, int64_t epoch, int64_t epochs,
                           int64_t total_steps) {
  label_ = prefix_ + label;
  epoch_ = epoch;
  epochs_ = epochs;
  total_ = total_steps;
  tenth_ = 1;
  last_draw_ = -1e9;
}

bool Progress::due(int64_t step) {
  if (quiet_) return false;
  if (tty_) return now_seconds() - last_draw_ >= kRedrawSeconds || step == total_;
  return tenth_ <= 10 && step >= mark(tenth_);
}

void Progress::update(int64_t step, double loss, double steps_per_s) {
  if (quiet_) return;
  const double eta = steps_per_s > 0 ? double(total_ - step) / steps_per_s : NAN;
  if (tty_) {
    const int filled = total_ ? int(kBarWidth * step / total_) : kBarWidth;
    std::string bar(size_t(filled), '#');
    bar.resize(kBarWidth, '.');
    std::fprintf(out_, "\r\033[K%s epoch %lld/%lld [%s] %lld/%lld loss %.4f %.1f steps/s ETA %s",
                 label_.c_str(), (long long)epoch_, (long long)epochs_, bar.c_str(),
                 (long long)step, (long long)total_, loss, steps_per_s,
                 format_duration(eta).c_str());
    drawn_ = true;
    last_draw_ = now_seconds();
  } else {
    std::fprintf(out_, "%s epoch %lld/%lld step %lld/%lld (%lld%%) loss %.4f %.1f steps/s ETA %s\n",
                 label_.c_str(), (long long)epoch_, (long long)epochs_, (long long)step,
                 (long long)total_, (long long)(total_ ? 100 * step / total_ : 100), loss,
                 steps_per_s, format_duration(eta).c_str());
    while (tenth_ <= 10 && mark(tenth_) <= step) ++tenth_;
  }
  std::fflush(out_);
}

void Progress::end_epoch() {
  if (quiet_) return;
  if (drawn_) std::fputs("\r\033[K", out_);
  drawn_ = false;
  std::fflush(out_);
}

}  // namespace sst2
