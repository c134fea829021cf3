#include "experiments/runner/app.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <new>

#include "core/backend.h"
#include "core/error.h"
#include "core/ops.h"
#include "experiments/runner/config.h"
#include "experiments/runner/data_source.h"
#include "experiments/runner/progress.h"
#include "experiments/runner/summary.h"
#include "experiments/runner/system_info.h"
#include "experiments/runner/trainer.h"

namespace sst2 {

namespace {

void on_stop_signal(int) {
  stop_requested().store(true);
}

// Installs the SIGINT/SIGTERM handlers for the duration of the runs, restoring the old ones.
class StopSignals {
 public:
  StopSignals() {
    stop_requested().store(false);
    old_int_ = std::signal(SIGINT, on_stop_signal);
    old_term_ = std::signal(SIGTERM, on_stop_signal);
  }
  ~StopSignals() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  void (*old_int_)(int);
  void (*old_term_)(int);
};

int run(const RunConfig& c) {
  if (c.device == "cuda" && !ag::cuda_available()) {
    throw UsageError(
        "--device cuda: no CUDA device is available (or this build has no CUDA backend)");
  }
  if (c.threads > 0) ag::set_num_threads(int(c.threads));
  Progress progress(c.quiet);

  const double load_start = now_seconds();
  const ExperimentData data = load_experiment_data(c);
  char line[512];
  std::snprintf(line, sizeof line,
                "sst2: %lld train / %lld dev examples from %s, vocab %s (%lld tokens), tokenised "
                "in %.1f s; %s, threads %d",
                (long long)data.train.rows, (long long)data.dev.rows, data.data_dir.c_str(),
                data.vocab_path.c_str(), (long long)data.vocab_size, now_seconds() - load_start,
                device_description(ag::parse_device(c.device)).c_str(),
                c.device == "cpu" ? ag::num_threads() : 0);
  progress.line(line);

  std::filesystem::create_directories(c.out);
  StopSignals signals;
  bool diverged = false, interrupted = false;
  std::vector<std::string> failures;
  for (const std::string& ffn : c.ffn) {
    for (int64_t seed : c.seeds) {
      const RunResult r = train_run(c, data, ffn, seed, progress);
      if (r.status == RunStatus::Diverged) {
        diverged = true;
        failures.push_back(run_name(ffn, seed) + ": " + r.message);
        std::fprintf(stderr,
                     "sst2: %s diverged: %s; metrics kept in %s, the remaining runs go on\n",
                     run_name(ffn, seed).c_str(), r.message.c_str(), r.metrics_path.c_str());
      } else if (r.status == RunStatus::Interrupted) {
        interrupted = true;
        break;
      }
    }
    if (interrupted) break;
  }
  write_summary(c.out, c.ffn, c.seeds);
  if (interrupted) {
    std::fprintf(stderr, "sst2: interrupted; finished epochs are in %s (continue with --resume)\n",
                 c.out.c_str());
    return 130;
  }
  progress.line("sst2: metrics in " + c.out + "/, summary in " + c.out + "/summary.json");
  if (diverged) {
    for (const auto& f : failures) std::fprintf(stderr, "sst2: diverged run: %s\n", f.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

std::string error_line(const std::string& message) {
  return ag::printable(message);  // what a user typed may hold line breaks
}

int run_sst2(const std::vector<std::string>& args) {
  try {
    const CommandLine cl = parse_command_line(args);
    if (cl.help) {
      std::cout << help_text();
      return 0;
    }
    return run(cl.config);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "sst2: %s\n", error_line(e.what()).c_str());
    return 2;
  } catch (const std::bad_alloc&) {
    // Host buffers outside the engine's allocator (std::vector) say only "std::bad_alloc".
    std::fprintf(stderr,
                 "sst2: error: out of host memory (std::bad_alloc): the sizes of this "
                 "configuration (--max-len, --d-model, --ffn-dim, --batch, --eval-batch, --limit) "
                 "may be too large for this machine\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sst2: error: %s\n", error_line(e.what()).c_str());
    return 1;
  }
}

}  // namespace sst2
