// OUT/summary.json: the runs of every variant aggregated across seeds (experiments/METRICS.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/runner/config.h"

namespace sst2 {

// Reads OUT/<ffn>_seed<k>.json for every requested variant and seed that has one. Runs that
// diverged are listed but left out of the statistics.
Json build_summary(const std::string& out_dir, const std::vector<ag::nn::FfnKind>& ffns,
                   const std::vector<int64_t>& seeds);
void write_summary(const std::string& out_dir, const std::vector<ag::nn::FfnKind>& ffns,
                   const std::vector<int64_t>& seeds);

}  // namespace sst2
