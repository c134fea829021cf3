#include "experiments/runner/size_limits.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/shape.h"

namespace sst2 {

namespace {

using Factor = std::pair<const char*, int64_t>;  // the flag and its value

void check(const char* tensor, const std::vector<Factor>& factors) {
  int64_t n = 1;
  bool overflow = false;
  for (const auto& f : factors) overflow = overflow || __builtin_mul_overflow(n, f.second, &n);
  if (!overflow && n <= ag::kMaxNumel) return;
  std::string settings, shape;
  for (size_t i = 0; i < factors.size(); ++i) {
    const auto& [flag, value] = factors[i];
    bool listed = false;  // --max-len appears twice in the attention scores
    for (size_t j = 0; j < i; ++j) listed = listed || std::string(factors[j].first) == flag;
    if (!listed) {
      settings += (settings.empty() ? "" : ", ") + std::string(flag) + " " + std::to_string(value);
    }
    shape += (shape.empty() ? "" : ", ") + std::to_string(value);
  }
  const std::string count = overflow
                                ? "more than " + std::to_string(std::numeric_limits<int64_t>::max())
                                : std::to_string(n);
  throw UsageError(settings + ": " + tensor + " [" + shape + "] would hold " + count +
                   " elements, more than the engine's limit of " + std::to_string(ag::kMaxNumel) +
                   " (2^60) per tensor");
}

}  // namespace

void check_tensor_sizes(const RunConfig& c) {
  // Sizes are already known to be >= 1. The gated variants' hidden width under
  // --swiglu-match-params is about 2/3 of --ffn-dim, so --ffn-dim bounds every variant's.
  check("the position table", {{"--max-len", c.max_len}, {"--d-model", c.d_model}});
  check("the FFN weight", {{"--d-model", c.d_model}, {"--ffn-dim", c.ffn_dim}});
  for (const Factor& batch : {Factor{"--batch", c.batch}, Factor{"--eval-batch", c.eval_batch}}) {
    check("the FFN activations of a batch",
          {batch, {"--max-len", c.max_len}, {"--ffn-dim", c.ffn_dim}});
    check("the attention scores of a batch",
          {batch, {"--heads", c.heads}, {"--max-len", c.max_len}, {"--max-len", c.max_len}});
  }
}

}  // namespace sst2
