// Atomic file replacement: the one way the project writes its output files (metrics, summaries,
// checkpoints, explain's graphs). The bytes go to PATH.tmp.<pid>, which is flushed to disk
// (fsync), closed and renamed over PATH; the directory is then synced as well. A reader, or a
// process restarted after a crash, sees either the previous file whole or the new one whole,
// never a mixture; a failed write removes its temporary and leaves PATH as it was.
//
// Test-only fault injection: when the environment variable AG_TEST_WRITE_FAULT is set to
//   ACTION:BYTES:SUFFIX[:NTH]
// the NTH (default 1st) write in this process to a path ending in SUFFIX (counted from when
// the variable took its value) goes wrong after BYTES
// bytes of the temporary file: ACTION ENOSPC or EIO makes that write fail with that errno (at
// the fsync when the file is BYTES bytes or shorter), KILL sends the process SIGKILL there (once
// the file is renamed into place when it is BYTES bytes or shorter). Nothing else reads this
// variable; it exists so that the tests can show what a full disk, an I/O error or a crash
// part-way through a write does. A malformed value is an error naming the variable.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/error.h"

namespace ag {

// A failed write: what() is "cannot write PATH: REASON" (REASON from strerror, or what failed);
// path() and reason() give the two parts.
class WriteError : public Error {
 public:
  WriteError(std::string path, std::string reason);
  const std::string& path() const { return path_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string path_, reason_;
};

class AtomicFile {
 public:
  // Creates the temporary next to `path` (throws WriteError when it cannot).
  explicit AtomicFile(std::string path);
  // Without commit() (an error was thrown): closes and removes the temporary.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  // Flushes and syncs the temporary, renames it over the path, syncs the directory, and
  // removes the stale temporaries of the path (remove_stale_temporaries).
  void commit();

  const std::string& path() const { return path_; }
  const std::string& temporary() const { return tmp_; }

 private:
  [[noreturn]] void fail_errno(const char* what, int err);

  std::string path_, tmp_;
  FILE* file_ = nullptr;
  size_t written_ = 0;
  bool committed_ = false;
  // Fault injection (see above): armed for this write when fault_bytes_ is not npos.
  size_t fault_bytes_ = std::string::npos;
  int fault_errno_ = 0;  // 0: KILL
};

// Writes `bytes` to `path` atomically (throws WriteError naming the file and the reason).
void write_file_atomically(const std::string& path, std::string_view bytes);

// The temporary file name a write to `path` by this process uses.
std::string temporary_path(const std::string& path);

// Removes the temporaries of `path` (PATH.tmp.<pid>) that no running process is writing: what a
// crash or SIGKILL during a write leaves behind. Returns how many were removed. Never throws.
int remove_stale_temporaries(const std::string& path);

}  // namespace ag
