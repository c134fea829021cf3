// explain's JSON op spec (tools/explain_cli): any bytes on stdin give either a result or one
// line "explain: ..." with exit status 2, never an internal error or a crash.
#include <sstream>

#include "core/ops.h"
#include "tests/fuzz/fuzz_target.h"
#include "tools/explain_cli/explain.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = [] {
    ag::set_num_threads(1);
    return true;
  }();
  (void)once;
  std::istringstream in(std::string(fuzz::bytes(data, size)));
  std::ostringstream out, err;
  const int code = ag::explain::run_explain({"--json", "-"}, in, out, err);
  const std::string e = err.str();
  if (code == 0) {
    if (!e.empty()) fuzz::broken("success with an error message: " + e);
    return 0;
  }
  if (code != 2) fuzz::broken("exit status " + std::to_string(code));
  if (e.rfind("explain: ", 0) != 0 || e.find('\n') != e.size() - 1) {
    fuzz::broken("not one line starting 'explain: ': " + e);
  }
  if (e.rfind("explain: internal error", 0) == 0) fuzz::broken(e);
  return 0;
}
