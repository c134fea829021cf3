// The GLUE TSV reader (experiments/data/glue_tsv.h) on any bytes: examples or an ag::Error of
// one line naming the file. What it returns holds well-formed UTF-8 and labels 0 or 1, in both
// UTF-8 modes. The first byte picks the mode and the limit; the rest is the file.
#include "experiments/data/glue_tsv.h"
#include "core/error.h"
#include "experiments/data/utf8.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using sst2::data::Utf8;
  const Utf8 mode = (data[0] & 1) ? Utf8::Replace : Utf8::Strict;
  const int64_t limit = (data[0] & 2) ? 1 + int64_t(data[0] >> 2) : -1;  // the runner's: >= 1
  const std::string_view text = fuzz::bytes(data + 1, size - 1);
  try {
    const auto examples = sst2::data::parse_glue_tsv(text, "fuzz.tsv", limit, mode);
    if (examples.empty()) fuzz::broken("no examples and no error");
    if (limit >= 0 && int64_t(examples.size()) > limit) fuzz::broken("more examples than limit");
    for (const auto& e : examples) {
      if (e.label != 0 && e.label != 1) fuzz::broken("label " + std::to_string(e.label));
      if (sst2::data::utf8_first_invalid(e.sentence) != std::string::npos) {
        fuzz::broken("invalid UTF-8 in a sentence");
      }
      if (e.sentence.find_first_of("\t\n") != std::string::npos) fuzz::broken("tab or LF kept");
    }
  } catch (const ag::Error& e) {
    fuzz::check_message(e.what(), "fuzz.tsv");
  }
  return 0;
}
