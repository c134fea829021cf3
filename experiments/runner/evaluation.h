// Evaluating a run's model on a tokenised set: loss, accuracy, predictions and (for dev) the
// FFN statistics of METRICS.md.
#pragma once

#include <cstdint>
#include <vector>

#include "experiments/runner/batches.h"
#include "experiments/runner/config.h"
#include "experiments/runner/metrics.h"
#include "experiments/runner/run_model.h"

namespace sst2 {

struct EvalResult {
  double loss = 0.0;  // mean cross-entropy over the set's rows
  double acc = 0.0;
  std::vector<int32_t> predictions;  // one per row, in the set's order
};

// The whole set in eval mode (no dropout, no tape), in batches of --eval-batch rows; the model
// is back in training mode afterwards. `stats` (may be null) collects the first layer's FFN
// statistics, padding positions skipped when the model masks them. With the model's gradient
// sync (--data-parallel) each rank evaluates its contiguous part and every rank gets the
// whole set's results.
EvalResult evaluate(RunModel& model, const RunConfig& config, const TokenizedSet& set,
                    FfnStats* stats);

}  // namespace sst2
