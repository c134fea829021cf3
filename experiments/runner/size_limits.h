// The tensors a configuration makes must fit the engine's limit of ag::kMaxNumel (2^60)
// elements per tensor (core/shape.h). Checked while the configuration is validated, so that a
// size that is too large is a usage error naming the settings it comes from, not an engine
// error about some tensor later (or an allocation of a wrapped-around size).
#pragma once

#include "experiments/runner/config.h"

namespace sst2 {

// Throws UsageError naming the flags, their values, the tensor, its element count and the limit.
void check_tensor_sizes(const RunConfig& config);

}  // namespace sst2
