// The kill -9 soak: the real program (build/experiments/sst2), killed with SIGKILL at 20 random
// moments and resumed after each, ends with the metrics of a run that was never interrupted
// (bit for bit, timing fields aside) and leaves no temporary file. Some kills come from a timer
// at a random delay; the others from core/atomic_file.h's test-only AG_TEST_WRITE_FAULT at a
// random byte of a checkpoint, metrics or summary write, so that every kind of write is hit
// part-way on every run. The seed is printed; AG_SOAK_SEED=N repeats a sequence.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <thread>

#include "experiments/runner/trainer.h"
#include "tests/experiments/runner_test_util.h"

extern char** environ;

namespace {

using namespace sst2_test;
using Clock = std::chrono::steady_clock;

const std::string kProgram = std::string(AG_BINARY_DIR) + "/experiments/sst2";

struct Outcome {
  bool killed = false;  // by SIGKILL
  int status = -1;      // exit status otherwise
  double seconds = 0;
};

// Runs sst2 with `args`, AG_TEST_WRITE_FAULT=`fault` when not empty, and SIGKILL after
// `kill_after` seconds when positive. stdout and stderr go to `log`.
Outcome run_program(const std::vector<std::string>& args, const std::string& fault,
                    double kill_after, const std::string& log) {
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    if (std::string(*e).rfind("AG_TEST_WRITE_FAULT=", 0) != 0) env_text.emplace_back(*e);
  }
  if (!fault.empty()) env_text.push_back("AG_TEST_WRITE_FAULT=" + fault);
  std::vector<char*> envp, argv;
  for (auto& s : env_text) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> all = {kProgram};
  all.insert(all.end(), args.begin(), args.end());
  for (auto& s : all) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const auto start = Clock::now();
  const int rc = posix_spawn(&pid, kProgram.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  Outcome o;
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << kProgram << ": " << std::strerror(rc);
    return o;
  }
  int status = 0;
  bool done = false;
  if (kill_after > 0) {
    const auto deadline = start + std::chrono::duration<double>(kill_after);
    while (Clock::now() < deadline) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        done = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!done) ::kill(pid, SIGKILL);
  }
  if (!done) ::waitpid(pid, &status, 0);
  o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  o.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

// The last lines of the log, for failure messages.
std::string tail_of(const std::string& log) {
  std::ifstream in(log);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return text.size() > 1500 ? text.substr(text.size() - 1500) : text;
}

Json comparable_summary(Json summary) {
  for (auto& [ffn, v] : summary["variants"].items()) v.erase("steps_per_s");
  return summary;
}

TEST(Soak, TwentyKillsAndResumesEndWithTheMetricsOfAnUninterruptedRun) {
  ASSERT_TRUE(fs::exists(kProgram)) << kProgram;
  uint64_t seed = uint64_t(Clock::now().time_since_epoch().count());
  if (const char* s = std::getenv("AG_SOAK_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::printf("soak seed %llu (AG_SOAK_SEED=%llu repeats it)\n", (unsigned long long)seed,
              (unsigned long long)seed);
  std::mt19937_64 rng(seed);
  SCOPED_TRACE("AG_SOAK_SEED=" + std::to_string(seed));

  ScratchDir dir("soak");
  write_tiny_data(dir, 192, 40);  // 24 steps an epoch
  const std::vector<std::string> ffns = {"relu", "swiglu"};
  const int epochs = 24;
  auto args = [&](const std::string& out) {
    return tiny_args(dir, out) + std::vector<std::string>{"--ffn", "relu,swiglu", "--epochs",
                                                          std::to_string(epochs), "--resume"};
  };
  const std::string ref = dir / "ref", out = dir / "out", log = dir / "log.txt";
  const Outcome reference = run_program(args(ref), "", 0, log);
  ASSERT_EQ(reference.status, 0) << tail_of(log);
  const double span = reference.seconds;

  // 20 kills in random order: 7 part-way through a checkpoint write, 6 through a metrics
  // write, 5 by a timer; then 2 through the summary write, which comes last.
  std::vector<std::string> plan;
  for (int i = 0; i < 7; ++i) plan.push_back(".ckpt");
  for (int i = 0; i < 6; ++i) plan.push_back("_seed0.json");
  for (int i = 0; i < 5; ++i) plan.push_back("timer");
  std::shuffle(plan.begin(), plan.end(), rng);
  plan.push_back("summary.json");
  plan.push_back("summary.json");
  // A random byte of the write: the file is about as long as its previous version.
  auto size_of = [&](const std::string& target) -> size_t {
    const std::string p = target == ".ckpt"          ? sst2::checkpoint_path(out, "swiglu", 0)
                          : target == "summary.json" ? out + "/summary.json"
                                                     : sst2::metrics_path(out, "swiglu", 0);
    return fs::exists(p) ? size_t(fs::file_size(p)) : 20000;
  };
  int attempts = 0;
  std::map<std::string, int> kills;
  double last_s = span;
  for (std::string kind : plan) {
    for (int tries = 0; tries < 5; ++tries) {
      ++attempts;
      std::string fault;
      double kill_after = 0;
      if (kind == "timer") {
        // Early in an invocation, where training is (until little is left to do).
        kill_after =
            std::uniform_real_distribution<double>(0.0, std::min(0.15 * span, last_s))(rng);
      } else {
        const size_t bytes = std::uniform_int_distribution<size_t>(0, size_of(kind) * 11 / 10)(rng);
        const int nth =
            kind == "summary.json" || tries > 0 ? 1 : std::uniform_int_distribution<int>(1, 2)(rng);
        fault = "KILL:" + std::to_string(bytes) + ":" + kind + ":" + std::to_string(nth);
      }
      const Outcome o = run_program(args(out), fault, kill_after, log);
      last_s = o.seconds;
      if (o.killed) {
        ++kills[kind];
        break;
      }
      ASSERT_EQ(o.status, 0) << "attempt " << attempts << " (" << fault << "): " << tail_of(log);
      if (kind != "timer" && kind != "summary.json") kind = "timer";  // nothing left to write
    }
  }
  int total = 0;
  for (const auto& [kind, n] : kills) total += n;
  std::printf(
      "%d kills in %d invocations: %d by timer, %d in checkpoint writes, %d in metrics "
      "writes, %d in summary writes; the uninterrupted run took %.2f s\n",
      total, attempts, kills["timer"], kills[".ckpt"], kills["_seed0.json"], kills["summary.json"],
      span);
  ASSERT_EQ(total, 20);
  EXPECT_GE(kills[".ckpt"], 3);
  EXPECT_GE(kills["_seed0.json"], 3);

  ASSERT_EQ(run_program(args(out), "", 0, log).status, 0) << tail_of(log);
  for (const std::string& ffn : ffns) {
    SCOPED_TRACE(ffn);
    const Json a = comparable_run(read_json(sst2::metrics_path(ref, ffn, 0)));
    const Json b = comparable_run(read_json(sst2::metrics_path(out, ffn, 0)));
    EXPECT_EQ(b["status"], "finished");
    EXPECT_EQ(int(b["epochs"].size()), epochs);
    EXPECT_TRUE(a == b) << "differs from the uninterrupted run: "
                        << Json::diff(a, b).dump().substr(0, 600);
  }
  EXPECT_EQ(comparable_summary(read_json(ref + "/summary.json")),
            comparable_summary(read_json(out + "/summary.json")));
  std::vector<std::string> stray;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    if (e.path().filename().string().find(".tmp") != std::string::npos)
      stray.push_back(e.path().string());
  }
  EXPECT_EQ(stray, std::vector<std::string>{});
}

}  // namespace
