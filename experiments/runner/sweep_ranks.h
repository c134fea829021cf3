// How an invocation's runs and CPU threads are shared out between MPI ranks (distributed.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/runner/config.h"

namespace sst2 {

struct RunSlot {
  ag::nn::FfnKind ffn = ag::nn::FfnKind::Relu;
  int64_t seed = 0;
  int64_t index = 0;  // position in the (variant, seed) order of a single process
};

// The runs rank `rank` of `ranks` trains: run i goes to rank i mod ranks, in the order a single
// process would run them. With --data-parallel every rank takes part in every run.
std::vector<RunSlot> runs_of_rank(const RunConfig& config, int rank, int ranks);

// CPU threads when --threads is 0: the node's hardware threads divided by the ranks on it, so
// that ranks sharing a node do not oversubscribe it. 0 means "leave OpenMP's default".
int64_t default_threads(int64_t hardware_threads, int local_ranks);

// "rank 1/2: swish_seed0, relu_seed1" (or "... no runs").
std::string describe_share(const std::vector<RunSlot>& slots, int rank, int ranks);

}  // namespace sst2
