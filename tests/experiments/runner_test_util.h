// Helpers for the runner tests: a scratch directory, a tiny learnable SST-2-like data set with
// its own vocabulary, and running the `sst2` program in-process.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "experiments/runner/app.h"
#include "experiments/runner/config.h"
#include "experiments/runner/metrics.h"

namespace sst2_test {

namespace fs = std::filesystem;
using sst2::Json;

// A fresh directory, removed with everything in it when the object goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path_ = fs::path(::testing::TempDir()) /
            ("sst2_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// Sentences "the movie was really good ." whose label is the polarity of their one sentiment
// word: learnable in a few epochs by any of the FFN variants.
inline std::string tiny_tsv(int rows, uint32_t seed) {
  const char* positive[] = {"good", "great", "fine"};
  const char* negative[] = {"bad", "awful", "poor"};
  const char* subject[] = {"the movie", "the film", "a film", "this movie"};
  const char* verb[] = {"was", "is", "was really", "is really"};
  std::string tsv = "sentence\tlabel\n";
  uint32_t state = seed * 2654435761u + 12345u;
  auto next = [&state](uint32_t n) {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) % n;
  };
  for (int i = 0; i < rows; ++i) {
    const int label = int(next(2));
    const char* word = label ? positive[next(3)] : negative[next(3)];
    tsv += std::string(subject[next(4)]) + " " + verb[next(4)] + " " + word + " .\t" +
           std::to_string(label) + "\n";
  }
  return tsv;
}

inline std::string tiny_vocab() {
  std::string v;
  for (const char* t :
       {"[PAD]", "[UNK]", "[CLS]",  "[SEP]", "[MASK]", "the",  "movie", "film",  "a",    "this",
        "was",   "is",    "really", "good",  "great",  "fine", "bad",   "awful", "poor", "."}) {
    v += std::string(t) + "\n";
  }
  return v;
}

// DIR/SST-2/{train,dev}.tsv and DIR/vocab.txt.
inline void write_tiny_data(const ScratchDir& dir, int train_rows = 96, int dev_rows = 40) {
  write_text(dir / "SST-2/train.tsv", tiny_tsv(train_rows, 1));
  write_text(dir / "SST-2/dev.tsv", tiny_tsv(dev_rows, 2));
  write_text(dir / "vocab.txt", tiny_vocab());
}

// A small, fast model on the tiny data, writing into `out`.
inline std::vector<std::string> tiny_args(const ScratchDir& dir, const std::string& out) {
  return {"--data-dir", dir / "SST-2", "--vocab",   dir / "vocab.txt",
          "--out",      out,           "--d-model", "16",
          "--heads",    "2",           "--ffn-dim", "32",
          "--max-len",  "10",          "--batch",   "8",
          "--threads",  "1",           "--quiet",   "--log-every",
          "2"};
}

inline std::vector<std::string> operator+(std::vector<std::string> a,
                                          const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Runs sst2 in-process; the exit status, and what it printed on stderr in `err` when given.
inline int run_sst2(const std::vector<std::string>& args, std::string* err = nullptr) {
  if (err) ::testing::internal::CaptureStderr();
  const int rc = sst2::run_sst2(args);
  if (err) *err = ::testing::internal::GetCapturedStderr();
  return rc;
}

inline Json read_json(const std::string& path) {
  return sst2::read_json_file(path);
}

// An epoch record without its wall-clock measurements.
inline Json without_timings(Json epoch) {
  for (const char* key : {"epoch_s", "steps_per_s", "tokens_per_s", "eval_s"}) epoch.erase(key);
  return epoch;
}

// A run's metrics without what differs between equal runs: timings, memory, the output path.
inline Json comparable_run(Json run) {
  run["config"].erase("out");
  run.erase("timing");
  run.erase("peak_memory");
  for (Json& e : run["epochs"]) e = without_timings(e);
  return run;
}

}  // namespace sst2_test
