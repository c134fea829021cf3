// core/atomic_file.h: whole replacement, failed writes that keep the previous file, the
// test-only fault injection, and the clean-up of what a killed writer leaves behind.
#include "core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "tests/common/scratch_files.h"
#include "tests/core/error_message.h"

namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public agtest::ScratchDirTest {
 protected:
  AtomicFileTest() : ScratchDirTest("atomic") {}
  void TearDown() override {
    ::unsetenv("AG_TEST_WRITE_FAULT");
    ScratchDirTest::TearDown();
  }
};

using agtest::read_bytes;

// The message of the WriteError that f must throw.
template <class F>
std::string write_error(F&& f) {
  return agtest::error_message<ag::WriteError>(std::forward<F>(f));
}

TEST_F(AtomicFileTest, ReplacesTheFileWholeAndLeavesNoTemporary) {
  ag::write_file_atomically(path("a.txt"), std::string(10000, 'x'));
  ag::write_file_atomically(path("a.txt"), "short");
  EXPECT_EQ(read_bytes(path("a.txt")), "short");
  EXPECT_EQ(files(), std::vector<std::string>{"a.txt"});
  ag::write_file_atomically(path("empty.txt"), "");
  EXPECT_EQ(read_bytes(path("empty.txt")), "");
}

TEST_F(AtomicFileTest, AnUnfinishedWriteLeavesThePreviousFile) {
  ag::write_file_atomically(path("a.txt"), "old");
  {
    ag::AtomicFile f(path("a.txt"));
    f.write("new, never committed");
    EXPECT_TRUE(fs::exists(f.temporary()));
  }
  EXPECT_EQ(read_bytes(path("a.txt")), "old");
  EXPECT_EQ(files(), std::vector<std::string>{"a.txt"});
}

TEST_F(AtomicFileTest, UnwritablePlacesNameTheFileAndTheReason) {
  const std::string missing = path("no/such/dir/a.txt");
  const std::string m = write_error([&] { ag::write_file_atomically(missing, "x"); });
  EXPECT_NE(m.find("cannot write " + missing + ": " + std::strerror(ENOENT)), std::string::npos)
      << m;
  fs::create_directory(path("d"));
  const std::string d = write_error([&] { ag::write_file_atomically(path("d"), "x"); });
  EXPECT_NE(d.find(path("d")), std::string::npos) << d;
  EXPECT_NE(d.find(std::strerror(EISDIR)), std::string::npos) << d;
  EXPECT_EQ(files(), std::vector<std::string>{"d"});
}

TEST_F(AtomicFileTest, InjectedFaultsFailPartWayAndKeepThePreviousFile) {
  const std::string target = path("metrics.json");
  ag::write_file_atomically(target, "previous version");
  const std::string text(5000, 'n');
  struct Case {
    const char* spec;
    int err;
  };
  // Part-way through the data, at its first byte, and at the fsync of a complete file.
  for (const Case c : {Case{"ENOSPC:1234:metrics.json", ENOSPC}, Case{"EIO:0:.json", EIO},
                       Case{"EIO:5000:metrics.json", EIO}, Case{"ENOSPC:99999:s.json", ENOSPC}}) {
    SCOPED_TRACE(c.spec);
    ::setenv("AG_TEST_WRITE_FAULT", c.spec, 1);
    const std::string m = write_error([&] { ag::write_file_atomically(target, text); });
    EXPECT_NE(m.find("cannot write " + target + ": " + std::strerror(c.err)), std::string::npos)
        << m;
    EXPECT_EQ(read_bytes(target), "previous version");
    EXPECT_EQ(files(), std::vector<std::string>{"metrics.json"});
  }
  // Other paths are not touched by the fault.
  ::setenv("AG_TEST_WRITE_FAULT", "ENOSPC:0:.ckpt", 1);
  ag::write_file_atomically(target, text);
  EXPECT_EQ(read_bytes(target), text);
}

TEST_F(AtomicFileTest, TheFaultHitsOnlyTheNthMatchingWrite) {
  ::setenv("AG_TEST_WRITE_FAULT", "ENOSPC:0:nth.txt:2", 1);
  ag::write_file_atomically(path("nth.txt"), "first");
  EXPECT_FALSE(write_error([&] { ag::write_file_atomically(path("nth.txt"), "second"); }).empty());
  ag::write_file_atomically(path("nth.txt"), "third");
  EXPECT_EQ(read_bytes(path("nth.txt")), "third");
}

TEST_F(AtomicFileTest, AMalformedFaultSpecIsAnErrorNamingTheVariable) {
  for (const char* spec : {"ENOSPC", "EPERM:1:x", "EIO:abc:x", "EIO:1:", "KILL:1:x:0"}) {
    SCOPED_TRACE(spec);
    ::setenv("AG_TEST_WRITE_FAULT", spec, 1);
    try {
      ag::write_file_atomically(path("x"), "x");
      ADD_FAILURE() << "accepted";
    } catch (const ag::Error& e) {
      EXPECT_NE(std::string(e.what()).find("AG_TEST_WRITE_FAULT"), std::string::npos) << e.what();
    }
  }
}

// A child process that writes `text` to `target` under the KILL fault `spec`; returns the
// signal that ended it (0 when it exited).
int killed_writer(const std::string& target, const std::string& text, const std::string& spec) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("AG_TEST_WRITE_FAULT", spec.c_str(), 1);
    try {
      ag::write_file_atomically(target, text);
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST_F(AtomicFileTest, AWriterKilledPartWayLeavesThePreviousFileAndATemporaryToCleanUp) {
  const std::string target = path("run.ckpt");
  ag::write_file_atomically(target, "previous");
  ASSERT_EQ(killed_writer(target, std::string(4096, 'k'), "KILL:100:.ckpt"), SIGKILL);
  EXPECT_EQ(read_bytes(target), "previous");
  ASSERT_EQ(files().size(), 2u);  // the dead writer's temporary, 100 bytes of it
  const std::string tmp = (dir_ / files()[1]).string();
  EXPECT_EQ(fs::file_size(tmp), 100u);
  ag::write_file_atomically(path("other.ckpt"), "x");  // not a temporary of target
  EXPECT_EQ(ag::remove_stale_temporaries(target), 1);
  EXPECT_EQ(files(), (std::vector<std::string>{"other.ckpt", "run.ckpt"}));

  // Killed after the rename: the new file is complete.
  ASSERT_EQ(killed_writer(target, "complete", "KILL:8:.ckpt"), SIGKILL);
  EXPECT_EQ(read_bytes(target), "complete");
  EXPECT_EQ(files(), (std::vector<std::string>{"other.ckpt", "run.ckpt"}));
}

TEST_F(AtomicFileTest, TemporariesOfLiveWritersAndOtherFilesAreKept) {
  const std::string target = path("m.json");
  std::ofstream(path("m.json.tmp")).put('a');                                // not ours
  std::ofstream(path("m.json.tmp.1")).put('b');                              // pid 1: alive
  std::ofstream(path("m.json.tmp.x1")).put('c');                             // not ours
  std::ofstream(path("m.json.tmp." + std::to_string(::getpid()))).put('d');  // this process
  std::ofstream(path("m.json.tmp.999999999")).put('e');                      // no such process
  EXPECT_EQ(ag::remove_stale_temporaries(target), 2);
  EXPECT_EQ(files(), (std::vector<std::string>{"m.json.tmp", "m.json.tmp.1", "m.json.tmp.x1"}));
  EXPECT_EQ(ag::remove_stale_temporaries(path("missing/dir/m.json")), 0);
}

}  // namespace
