// build/experiments/sst2: trains the SST-2 classifier for every requested FFN variant and seed.
// See experiments/README.md for usage and experiments/METRICS.md for what it writes.
#include <string>
#include <vector>

#include "experiments/runner/app.h"
#include "experiments/runner/distributed.h"

int main(int argc, char** argv) {
  // Under mpirun/srun this process is one rank of several (experiments/runner/distributed.h).
  sst2::dist::init(&argc, &argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = sst2::run_sst2(args);
  sst2::dist::finalize();
  return code;
}
