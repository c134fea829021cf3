// Reader for GLUE single-sentence TSV files (SST-2 train.tsv / dev.tsv).
#pragma once

#include <cstdint>
#include <string>
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
// Throws ag::Error naming the file (and file:line for a bad row): cannot open, empty file, no
// header columns `sentence`/`label`, no examples after the header, a row with a different
// number of columns than the header (an empty line included), a label other than 0 or 1.
std::vector<Example> read_glue_tsv(const std::string& path, int64_t limit = -1);

}  // namespace sst2::data
