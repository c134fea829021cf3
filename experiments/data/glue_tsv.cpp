#include "experiments/data/glue_tsv.h"

#include <cstdio>
#include <string_view>

#include "core/error.h"
#include "experiments/data/file_bytes.h"
#include "experiments/data/utf8.h"

namespace sst2::data {

namespace {

// Splits on every tab (empty fields kept: "a\t\tb" has three columns).
void split_tabs(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    if (tab == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

// Quotes a field for an error message, cut short so a runaway line stays readable.
std::string shown(std::string_view field) {
  std::string s = "'";
  s += ag::printable(field, 40);  // one line even for a field holding a CR
  s += "'";
  return s;
}

[[noreturn]] void invalid_utf8(const std::string& path, int64_t line_no, std::string_view data,
                               std::string_view line, size_t bad) {
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", unsigned(static_cast<unsigned char>(line[bad])));
  ag::fail(path, ":", line_no, ": invalid UTF-8 at byte offset ",
           size_t(line.data() - data.data()) + bad, " (column ", bad + 1, ", byte ", byte,
           "); fix the file, or let the runner replace invalid bytes with U+FFFD (--utf8-replace)");
}

}  // namespace

std::vector<Example> read_glue_tsv(const std::string& path, int64_t limit, Utf8 utf8) {
  return parse_glue_tsv(read_file_bytes(path, "GLUE TSV file"), path, limit, utf8);
}

std::vector<Example> parse_glue_tsv(std::string_view data, const std::string& path, int64_t limit,
                                    Utf8 utf8) {
  if (data.empty()) {
    ag::fail(path, ": empty file (expected a header line such as 'sentence<TAB>label')");
  }

  std::string_view rest(data);
  int64_t line_no = 0;
  std::string replaced;  // the current line with U+FFFD for invalid bytes (Utf8::Replace)
  // Next line without its terminator; false at the end. A final newline ends the last line
  // rather than starting an empty one.
  auto next_line = [&](std::string_view& line) {
    if (rest.empty()) return false;
    const size_t nl = rest.find('\n');
    line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    if (const size_t bad = utf8_first_invalid(line); bad != std::string_view::npos) {
      if (utf8 == Utf8::Strict) invalid_utf8(path, line_no, data, line, bad);
      replaced = utf8_replace_invalid(line);
      line = replaced;
    }
    return true;
  };

  std::string_view line;
  next_line(line);
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 BOM
  std::vector<std::string_view> fields;
  split_tabs(line, fields);
  const size_t ncols = fields.size();
  size_t sentence_col = ncols, label_col = ncols;
  for (size_t i = 0; i < ncols; ++i) {
    if (fields[i] == "sentence" && sentence_col == ncols) sentence_col = i;
    if (fields[i] == "label" && label_col == ncols) label_col = i;
  }
  if (sentence_col == ncols || label_col == ncols) {
    ag::fail(path, ":1: the header ", shown(line), " lacks the column",
             (sentence_col == ncols && label_col == ncols) ? "s 'sentence' and 'label'"
             : sentence_col == ncols                       ? " 'sentence'"
                                                           : " 'label'",
             " (columns are found by name in the first line)");
  }

  if (rest.empty()) ag::fail(path, ": no examples after the header line");

  std::vector<Example> examples;
  while ((limit < 0 || int64_t(examples.size()) < limit) && next_line(line)) {
    split_tabs(line, fields);
    if (fields.size() != ncols) {
      ag::fail(path, ":", line_no, ": expected ", ncols,
               " tab-separated columns like the header, "
               "found ",
               fields.size(), line.empty() ? " (empty line)" : "");
    }
    const std::string_view label = fields[label_col];
    if (label != "0" && label != "1") {
      ag::fail(path, ":", line_no, ": label ", shown(label), " is not 0 or 1");
    }
    examples.push_back(Example{std::string(fields[sentence_col]), label == "1" ? 1 : 0});
  }
  return examples;
}

}  // namespace sst2::data
