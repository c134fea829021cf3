// tools/explain: see explain.h and tools/README.md.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "tools/explain_cli/explain.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() && ::isatty(STDIN_FILENO)) {
    // Nothing to read: waiting on the terminal would look like a hang.
    std::cerr << "explain: no spec given (pass SPEC_FILE, pipe JSON on stdin, or use --act / "
                 "--tape; --help for usage)\n";
    return 2;
  }
  return ag::explain::run_explain(args, std::cin, std::cout, std::cerr);
}
