// The training progress display on stderr: one line redrawn in place (at most ~10 times a
// second) when stderr is a terminal, plain lines at every 10% of an epoch when it is not (logs,
// CI), nothing with --quiet. Errors never go through here.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

namespace sst2 {

class Progress {
 public:
  explicit Progress(bool quiet, std::FILE* out = stderr);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // A line of its own (run start, epoch results); clears a half-drawn bar first.
  void line(const std::string& text);
  void begin_epoch(const std::string& label, int64_t epoch, int64_t epochs, int64_t total_steps);
  // Whether update() would draw anything now (cheap: a clock read at most).
  bool due(int64_t step);
  // Draws the bar at `step` (1-based, of total_steps); loss: running mean of the epoch so far.
  void update(int64_t step, double loss, double steps_per_s);
  void end_epoch();
  bool quiet() const { return quiet_; }
  // Put before every line and bar ("rank 1/4 " when several ranks share a terminal).
  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }

 private:
  std::FILE* out_;
  bool quiet_;
  bool tty_;
  bool drawn_ = false;  // a bar is on screen without its newline
  std::string prefix_;
  std::string label_;
  int64_t epoch_ = 0, epochs_ = 0, total_ = 0;
  int tenth_ = 1;  // non-tty: the next line is due at mark(tenth_), k/10 of the epoch
  int64_t mark(int k) const { return (total_ * k + 9) / 10; }
  double last_draw_ = -1e9;  // tty: when the bar was last drawn
};

// "1:02:03" / "2:03"
std::string format_duration(double seconds);

}  // namespace sst2
