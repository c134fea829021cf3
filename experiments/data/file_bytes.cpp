#include "experiments/data/file_bytes.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/error.h"

namespace sst2::data {

std::string read_file_bytes(const std::string& path, const char* what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) ag::fail("cannot open ", what, " '", path, "': no such file");
  if (fs::is_directory(path, ec)) {
    ag::fail("cannot open ", what, " '", path, "': it is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) ag::fail("cannot open ", what, " '", path, "' (permissions?)");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) ag::fail("error reading ", what, " '", path, "'");
  return buf.str();
}

}  // namespace sst2::data
