// build/experiments/sst2: trains the SST-2 classifier for every requested FFN variant and seed.
// See experiments/README.md for usage and experiments/METRICS.md for what it writes.
#include <string>
#include <vector>

#include "experiments/runner/app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return sst2::run_sst2(args);
}
