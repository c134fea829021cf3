// tools/explain: a teaching tool and op checker for the engine.
//
//   explain [--json] [--device cpu|cuda] [SPEC_FILE]      one op, forward and backward, from a
//                                                         JSON spec (a file, or stdin)
//   explain [--json] --act NAME|all [--x -2,0,2] [--alpha A] [--beta B]
//                                                         an activation's f, f', a finite
//                                                         difference and what f' means
//   explain [--json] [--device D] --tape [--ffn KIND|all] [--dot FILE]
//                                                         a tiny FFN's tape, forward and backward
//
// See tools/README.md for a tutorial.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ag::explain {

// The whole command line (without the program name). Writes results to `out` and, on failure,
// exactly one line "explain: <what is wrong>" to `err`. Returns the exit status: 0, or 2 for bad
// input and engine errors. Never throws.
int run_explain(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                std::ostream& err);

// The --help text.
std::string usage();

}  // namespace ag::explain
