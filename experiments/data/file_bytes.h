// Whole-file reads for the data readers, with errors that say which file and why.
#pragma once

#include <string>

namespace sst2::data {

// The bytes of `path`. `what` names the file's role in errors ("GLUE TSV file"); throws
// ag::Error for a missing path, a directory, or an unreadable file.
std::string read_file_bytes(const std::string& path, const char* what);

}  // namespace sst2::data
