#include "core/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace ag {

namespace {

namespace fs = std::filesystem;

constexpr const char* kFaultVariable = "AG_TEST_WRITE_FAULT";

struct Fault {
  int err = 0;  // 0: KILL
  size_t bytes = 0;
  std::string suffix;
  long nth = 1;
};

[[noreturn]] void bad_fault(const char* value, const char* why) {
  fail(kFaultVariable, "='", value, "': ", why,
       " (expected ACTION:BYTES:SUFFIX[:NTH] with ACTION ENOSPC, EIO or KILL)");
}

size_t parse_count(const std::string& text, const char* value, const char* what) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    bad_fault(value, what);
  }
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (errno == ERANGE) bad_fault(value, what);
  return size_t(v);
}

// The fault that applies to the next write to `path`, if any (counts the matching writes).
bool injected_fault(const std::string& path, Fault& fault) {
  // Writes are counted per value of the variable: a new value, or setting it again after it
  // was seen unset, starts the count again.
  static std::string counted_spec;
  static long matching_writes = 0;
  const char* value = std::getenv(kFaultVariable);
  if (!value || !*value) {
    counted_spec.clear();
    return false;
  }
  const std::string spec(value);
  const size_t a = spec.find(':');
  const size_t b = a == std::string::npos ? a : spec.find(':', a + 1);
  if (b == std::string::npos) bad_fault(value, "too few fields");
  const size_t c = spec.find(':', b + 1);
  const std::string action = spec.substr(0, a);
  if (action == "ENOSPC") {
    fault.err = ENOSPC;
  } else if (action == "EIO") {
    fault.err = EIO;
  } else if (action == "KILL") {
    fault.err = 0;
  } else {
    bad_fault(value, "unknown action");
  }
  fault.bytes = parse_count(spec.substr(a + 1, b - a - 1), value, "BYTES is not a count");
  fault.suffix = spec.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
  if (fault.suffix.empty()) bad_fault(value, "empty SUFFIX");
  if (c != std::string::npos) {
    fault.nth = long(parse_count(spec.substr(c + 1), value, "NTH is not a count"));
    if (fault.nth < 1) bad_fault(value, "NTH must be at least 1");
  }
  if (!path.ends_with(fault.suffix)) return false;
  if (spec != counted_spec) {
    counted_spec = spec;
    matching_writes = 0;
  }
  return ++matching_writes == fault.nth;
}

// Best effort: makes the rename durable. Some file systems refuse to sync a directory; the
// file itself is already in place, so a failure here is not reported.
void sync_directory(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

WriteError::WriteError(std::string path, std::string reason)
    : Error("cannot write " + path + ": " + reason),
      path_(std::move(path)),
      reason_(std::move(reason)) {}

std::string temporary_path(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(temporary_path(path_)) {
  Fault fault;
  if (injected_fault(path_, fault)) {
    fault_bytes_ = fault.bytes;
    fault_errno_ = fault.err;
  }
  file_ = std::fopen(tmp_.c_str(), "wbe");
  if (!file_) {
    const int err = errno;
    throw WriteError(path_,
                     std::string(std::strerror(err)) + " (creating the temporary " + tmp_ + ")");
  }
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) std::remove(tmp_.c_str());
}

void AtomicFile::fail_errno(const char* what, int err) {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
  }
  std::remove(tmp_.c_str());
  std::string reason = std::strerror(err);
  if (what) reason += std::string(" (") + what + ")";
  throw WriteError(path_, reason);
}

void AtomicFile::write(const void* data, size_t n) {
  if (n == 0) return;
  AG_CHECK(file_ && !committed_, "AtomicFile: write to ", path_, " after commit");
  const char* p = static_cast<const char*>(data);
  if (fault_bytes_ != std::string::npos && written_ + n > fault_bytes_) {
    // The injected fault: the bytes before it reach the temporary, then the write goes wrong.
    const size_t keep = fault_bytes_ - written_;
    if (keep && std::fwrite(p, 1, keep, file_) != keep) fail_errno(nullptr, errno);
    std::fflush(file_);
    if (fault_errno_ == 0) ::raise(SIGKILL);
    fail_errno(nullptr, fault_errno_);
  }
  if (std::fwrite(p, 1, n, file_) != n) fail_errno(nullptr, errno ? errno : EIO);
  written_ += n;
}

void AtomicFile::commit() {
  AG_CHECK(file_ && !committed_, "AtomicFile: ", path_, " committed twice");
  if (std::fflush(file_) != 0) fail_errno(nullptr, errno);
  if (fault_bytes_ != std::string::npos && fault_errno_ != 0) fail_errno("at fsync", fault_errno_);
  if (::fsync(::fileno(file_)) != 0) fail_errno("at fsync", errno);
  FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) fail_errno("at close", errno);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp_.c_str());
    throw WriteError(path_, std::string(std::strerror(err)) + " (renaming " + tmp_ + " over it)");
  }
  committed_ = true;
  sync_directory(path_);
  remove_stale_temporaries(path_);  // what writers killed before this one left behind
  if (fault_bytes_ != std::string::npos && fault_errno_ == 0) ::raise(SIGKILL);
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

int remove_stale_temporaries(const std::string& path) {
  std::error_code ec;
  const fs::path target(path);
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  const std::string prefix = target.filename().string() + ".tmp";
  int removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string rest = name.substr(prefix.size());
    if (rest.size() < 2 || rest[0] != '.' ||
        rest.find_first_not_of("0123456789", 1) != std::string::npos) {
      continue;  // not one of ours (a user's own "x.tmp" included)
    }
    const long pid = std::strtol(rest.c_str() + 1, nullptr, 10);
    // A write in progress in another live process is left alone.
    if (pid != long(::getpid()) && pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM)) {
      continue;
    }
    std::error_code rm;
    if (fs::remove(it->path(), rm)) ++removed;
  }
  return removed;
}

}  // namespace ag
