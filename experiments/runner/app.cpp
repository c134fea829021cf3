#include "experiments/runner/app.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <new>
#include <thread>

#include "core/backend.h"
#include "core/error.h"
#include "core/ops.h"
#include "experiments/runner/config.h"
#include "experiments/runner/data_source.h"
#include "experiments/runner/distributed.h"
#include "experiments/runner/grad_allreduce.h"
#include "experiments/runner/progress.h"
#include "experiments/runner/summary.h"
#include "experiments/runner/sweep_ranks.h"
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
  const dist::World& world = dist::world();
  const bool data_parallel = c.data_parallel && dist::multi_rank();
  if (c.device == ag::Device::CUDA) select_local_gpu();  // before anything touches the device
  if (c.device == ag::Device::CUDA && !ag::cuda_available()) {
    throw UsageError(
        "--device cuda: no CUDA device is available (or this build has no CUDA backend)");
  }
  const int64_t threads =
      c.threads > 0
          ? c.threads
          : default_threads(int64_t(std::thread::hardware_concurrency()), world.local_size);
  if (threads > 0) ag::set_num_threads(int(threads));
  // One model across the ranks: rank 0 speaks for all. Shared runs: every rank, prefixed.
  Progress progress(c.quiet || (data_parallel && world.rank != 0));
  if (dist::multi_rank() && !data_parallel) progress.set_prefix(dist::rank_label() + " ");

  const double load_start = now_seconds();
  const ExperimentData data = load_experiment_data(c);
  char line[512];
  std::snprintf(line, sizeof line,
                "sst2: %lld train / %lld dev examples from %s, vocab %s (%lld tokens), tokenised "
                "in %.1f s; %s, threads %d",
                (long long)data.train.rows, (long long)data.dev.rows, data.data_dir.c_str(),
                data.vocab_path.c_str(), (long long)data.vocab_size, now_seconds() - load_start,
                device_description(c.device).c_str(),
                c.device == ag::Device::CPU ? ag::num_threads() : 0);
  progress.line(line);

  if (dist::multi_rank()) {
    progress.line(
        data_parallel
            ? "sst2: --data-parallel over " + std::to_string(world.size) + " ranks, batch " +
                  std::to_string(c.batch) + " split among them"
            : describe_share(runs_of_rank(c, world.rank, world.size), world.rank, world.size));
  }

  if (world.rank == 0 || !data_parallel) std::filesystem::create_directories(c.out);
  StopSignals signals;
  bool diverged = false, interrupted = false;
  std::vector<std::string> failures;
  for (const RunSlot& slot : runs_of_rank(c, world.rank, world.size)) {
    const RunResult r = train_run(c, data, slot.ffn, slot.seed, progress);
    if (r.status == RunStatus::Diverged) {
      diverged = true;
      const std::string name = run_name(ag::nn::ffn_kind_name(slot.ffn), slot.seed);
      failures.push_back(name + ": " + r.message);
      if (!data_parallel || world.rank == 0) {
        std::fprintf(stderr,
                     "sst2: %s diverged: %s; metrics kept in %s, the remaining runs go on\n",
                     name.c_str(), r.message.c_str(), r.metrics_path.c_str());
      }
    } else if (r.status == RunStatus::Interrupted) {
      interrupted = true;
      break;
    }
  }
  // Every rank's runs are done (or stopped) before rank 0 reads their files for the summary.
  diverged = dist::max(diverged ? 1 : 0) != 0;
  interrupted = dist::max(interrupted ? 1 : 0) != 0;
  if (world.rank == 0) write_summary(c.out, c.ffn, c.seeds);
  if (interrupted) {
    std::fprintf(stderr, "sst2: interrupted; finished epochs are in %s (continue with --resume)\n",
                 c.out.c_str());
    return 130;
  }
  progress.line("sst2: metrics in " + c.out + "/, summary in " + c.out + "/summary.json");
  if (diverged) {
    if (!data_parallel || world.rank == 0) {
      for (const auto& f : failures) std::fprintf(stderr, "sst2: diverged run: %s\n", f.c_str());
    }
    return 1;
  }
  return 0;
}

}  // namespace

std::string error_line(const std::string& message) {
  return ag::printable(message);  // what a user typed may hold line breaks
}

namespace {

// One process prints and exits with `code`; one rank of several ends the whole job, naming
// itself, so the others never wait for it in a collective.
int fail(const std::string& text, int code) {
  if (dist::multi_rank()) dist::abort_job(text, code);
  std::fprintf(stderr, "sst2: %s\n", text.c_str());
  return code;
}

}  // namespace

int run_sst2(const std::vector<std::string>& args) {
  try {
    const CommandLine cl = parse_command_line(args);
    if (cl.help) {
      std::cout << help_text();
      return 0;
    }
    return run(cl.config);
  } catch (const UsageError& e) {
    return fail(error_line(e.what()), 2);
  } catch (const std::bad_alloc&) {
    // Host buffers outside the engine's allocator (std::vector) say only "std::bad_alloc".
    return fail(
        "error: out of host memory (std::bad_alloc): the sizes of this configuration "
        "(--max-len, --d-model, --ffn-dim, --batch, --eval-batch, --limit) may be too large for "
        "this machine",
        1);
  } catch (const std::exception& e) {
    return fail("error: " + error_line(e.what()), 1);
  }
}

}  // namespace sst2
