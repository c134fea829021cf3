// The `sst2` program as a function, so tests can run it in-process.
#pragma once

#include <string>
#include <vector>

namespace sst2 {

// Runs the experiment for `args` (without the program name) and returns the exit status:
// 0 every run finished; 1 a run diverged or something failed at run time; 2 usage error (bad
// flag or value, data or vocabulary not found); 130 interrupted by SIGINT/SIGTERM.
// Errors print one line on stderr; progress goes to stderr unless --quiet.
int run_sst2(const std::vector<std::string>& args);

// An error message as run_sst2 prints it: one line, control bytes written as \xNN.
std::string error_line(const std::string& message);

}  // namespace sst2
