// Reader for GLUE single-sentence TSV files (SST-2 train.tsv / dev.tsv).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sst2::data {

struct Example {
  std::string sentence;  // UTF-8 bytes exactly as in the file
  int label = 0;         // 0 = negative, 1 = positive
};

// Reads the examples of a GLUE TSV file with a header row. The `sentence` and `label` columns
// are found by name, in any order, and other columns are ignored. No quoting: GLUE's TSVs are
// plain tab-separated text (quotes are part of the sentences). LF or CRLF line ends; a final
// newline is optional; a UTF-8 byte order mark before the header is skipped.
// limit >= 0 reads only the first `limit` examples (lines past them are not read or checked).
// Text must be well-formed UTF-8 (what Python's decoder, and so HuggingFace's tokenizer,
// accepts); with Utf8::Replace each ill-formed part becomes U+FFFD instead, as Python's
// errors="replace" does.
// Throws ag::Error naming the file (and file:line for a bad row): cannot open, empty file, no
// header columns `sentence`/`label`, no examples after the header, a row with a different
// number of columns than the header (an empty line included), a label other than 0 or 1,
// invalid UTF-8 (with the byte offset in the file and the byte's value).
enum class Utf8 { Strict, Replace };
std::vector<Example> read_glue_tsv(const std::string& path, int64_t limit = -1,
                                   Utf8 utf8 = Utf8::Strict);
// The same for the bytes of a file; `path` names it in errors.
std::vector<Example> parse_glue_tsv(std::string_view data, const std::string& path,
                                    int64_t limit = -1, Utf8 utf8 = Utf8::Strict);

}  // namespace sst2::data
