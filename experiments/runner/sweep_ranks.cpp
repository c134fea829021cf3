#include "experiments/runner/sweep_ranks.h"

#include <algorithm>

#include "experiments/runner/trainer.h"

namespace sst2 {

std::vector<RunSlot> runs_of_rank(const RunConfig& config, int rank, int ranks) {
  std::vector<RunSlot> slots;
  int64_t index = 0;
  for (const ag::nn::FfnKind ffn : config.ffn) {
    for (int64_t seed : config.seeds) {
      if (config.data_parallel || index % ranks == rank) slots.push_back({ffn, seed, index});
      ++index;
    }
  }
  return slots;
}

int64_t default_threads(int64_t hardware_threads, int local_ranks) {
  if (local_ranks <= 1) return 0;
  return std::max<int64_t>(1, hardware_threads / local_ranks);
}

std::string describe_share(const std::vector<RunSlot>& slots, int rank, int ranks) {
  std::string text = "rank " + std::to_string(rank) + "/" + std::to_string(ranks) + ":";
  if (slots.empty()) return text + " no runs";
  for (size_t i = 0; i < slots.size(); ++i) {
    text += (i ? ", " : " ") + run_name(ag::nn::ffn_kind_name(slots[i].ffn), slots[i].seed);
  }
  return text;
}

}  // namespace sst2
