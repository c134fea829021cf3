#include "experiments/data/locate.h"

#include <filesystem>
#include <sstream>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace sst2::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kHowToGetData =
    "To get SST-2: download the GLUE archive https://dl.fbaipublicfiles.com/glue/data/SST-2.zip "
    "and unpack it so that DIR/train.tsv and DIR/dev.tsv exist (`unzip SST-2.zip -d data` gives "
    "data/SST-2/train.tsv), then pass --data-dir DIR (or leave it at data/SST-2).";
constexpr const char* kHowToGetVocab =
    "To get the vocabulary: download bert-base-uncased's vocab.txt from "
    "https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt and pass --vocab FILE "
    "(or save it as data/bert-base-uncased/vocab.txt).";

std::string shown_path(const fs::path& p) {
  std::error_code ec;
  const fs::path abs = fs::absolute(p, ec);
  return (ec ? p : abs).lexically_normal().string();
}

// 'given' plus its absolute form when that says more (a relative path).
std::string given_path(const std::string& given) {
  const std::string abs = shown_path(given);
  return "'" + given + "'" + (abs == given ? "" : " (" + abs + ")");
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// What dir lacks to be an SST-2 directory, in words ("" when both files are there).
std::string missing_tsvs(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "directory does not exist";
  std::string missing;
  for (const char* name : {"train.tsv", "dev.tsv"}) {
    if (!is_file(dir / name)) missing += std::string(missing.empty() ? "no " : " and ") + name;
  }
  return missing;
}

// Where to look for `relative`: the current directory's data/ and ../shared/data/, then the
// same under source_root; duplicates (source_root == cwd) are dropped.
std::vector<fs::path> candidates(const fs::path& relative, const std::string& source_root) {
  std::vector<fs::path> bases = {fs::path("data"), fs::path("..") / "shared" / "data"};
  if (!source_root.empty()) {
    bases.push_back(fs::path(source_root) / "data");
    bases.push_back(fs::path(source_root) / ".." / "shared" / "data");
  }
  std::vector<fs::path> out;
  std::vector<std::string> seen;
  for (const fs::path& b : bases) {
    const fs::path p = b / relative;
    const std::string key = shown_path(p);
    bool dup = false;
    for (const std::string& s : seen) dup = dup || s == key;
    if (!dup) {
      seen.push_back(key);
      out.push_back(p);
    }
  }
  return out;
}

}  // namespace

std::string find_data_dir(const std::string& user_dir, const std::string& source_root) {
  if (!user_dir.empty()) {
    const std::string missing = missing_tsvs(user_dir);
    if (!missing.empty()) {
      ag::fail("--data-dir ", given_path(user_dir), ": ", missing,
               "; it must be the unpacked GLUE SST-2 directory. ", kHowToGetData);
    }
    return shown_path(user_dir);
  }
  std::ostringstream looked;
  for (const fs::path& p : candidates(fs::path("SST-2"), source_root)) {
    const std::string missing = missing_tsvs(p);
    if (missing.empty()) return shown_path(p);
    looked << "\n  " << shown_path(p) << " (" << missing << ")";
  }
  ag::fail("cannot find the SST-2 data (a directory with train.tsv and dev.tsv). Looked in:",
           looked.str(), "\n", kHowToGetData);
}

std::string find_vocab(const std::string& user_path, const std::string& source_root) {
  if (!user_path.empty()) {
    if (!is_file(user_path)) {
      ag::fail("--vocab ", given_path(user_path), ": no such file. ", kHowToGetVocab);
    }
    return shown_path(user_path);
  }
  std::ostringstream looked;
  for (const fs::path& p : candidates(fs::path("bert-base-uncased") / "vocab.txt", source_root)) {
    if (is_file(p)) return shown_path(p);
    looked << "\n  " << shown_path(p);
  }
  ag::fail("cannot find the BERT vocabulary (bert-base-uncased vocab.txt). Looked in:",
           looked.str(), "\n", kHowToGetVocab);
}

}  // namespace sst2::data
