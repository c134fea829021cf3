// Finds, reads and tokenises the SST-2 data (and any --eval-file) once per invocation.
#pragma once

#include "experiments/runner/config.h"
#include "experiments/runner/trainer.h"

namespace sst2 {

// The project's source directory (compiled in): the second place the default lookup searches.
std::string default_source_root();

// Throws UsageError when the data or the vocabulary cannot be found (the message lists the
// places searched and how to get SST-2), ag::Error when a file is malformed. Without --data-dir
// and --vocab, looks under the current directory, then under `source_root`.
ExperimentData load_experiment_data(const RunConfig& config,
                                    const std::string& source_root = default_source_root());

// "dir/name.tsv" -> "name"
std::string file_stem(const std::string& path);

}  // namespace sst2
