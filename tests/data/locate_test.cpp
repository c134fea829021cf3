// Data-location helper: uses what it is given, searches the documented places, and when
// nothing is there says everywhere it looked and how to get the data.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "experiments/data/locate.h"
#include "tests/core/error_message.h"
#include "tests/data/temp_dir.h"

namespace sst2::data {
namespace {

namespace fs = std::filesystem;
using testing::ScopedCwd;
using testing::TempDir;

std::string real_path(const fs::path& p) {
  return fs::weakly_canonical(p).string();
}

void make_sst2(const TempDir& dir, const std::string& sub) {
  dir.write(sub + "/train.tsv", "sentence\tlabel\nx\t1\n");
  dir.write(sub + "/dev.tsv", "sentence\tlabel\nx\t1\n");
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
}

TEST(Locate, UsesTheDirectoryItIsGiven) {
  TempDir dir;
  make_sst2(dir, "mine");
  const std::string given = (dir.path() / "mine").string();
  EXPECT_EQ(real_path(find_data_dir(given)), real_path(given));
  // A relative path is resolved against the current directory.
  ScopedCwd cwd(dir.path());
  EXPECT_EQ(real_path(find_data_dir("mine")), real_path(given));
}

TEST(Locate, UsesTheVocabItIsGiven) {
  TempDir dir;
  const std::string vocab = dir.write("v.txt", "[PAD]\n");
  EXPECT_EQ(real_path(find_vocab(vocab)), real_path(vocab));
}

TEST(Locate, GivenPathsThatAreWrongFailClearly) {
  TempDir dir;
  dir.write("half/dev.tsv", "sentence\tlabel\nx\t1\n");
  const std::string half = (dir.path() / "half").string();
  const std::string msg = agtest::error_message([&] { find_data_dir(half); });
  expect_contains(msg, half);
  expect_contains(msg, "train.tsv");
  expect_contains(msg, "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip");
  const std::string vmsg =
      agtest::error_message([&] { find_vocab((dir.path() / "nope.txt").string()); });
  expect_contains(vmsg, "nope.txt");
  expect_contains(vmsg, "https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt");
}

TEST(Locate, SearchesCurrentDirectoryThenSourceRoot) {
  TempDir cwd_dir, root;
  ScopedCwd cwd(cwd_dir.path());
  // Only under the source root's ../shared/data: found there.
  make_sst2(root, "shared/data/SST-2");
  root.write("shared/data/bert-base-uncased/vocab.txt", "[PAD]\n");
  const fs::path src = root.path() / "project";
  fs::create_directories(src);
  EXPECT_EQ(real_path(find_data_dir("", src.string())),
            real_path(root.path() / "shared/data/SST-2"));
  EXPECT_EQ(real_path(find_vocab("", src.string())),
            real_path(root.path() / "shared/data/bert-base-uncased/vocab.txt"));
  // The source root's own data/ comes before its ../shared/data.
  make_sst2(root, "project/data/SST-2");
  EXPECT_EQ(real_path(find_data_dir("", src.string())), real_path(src / "data/SST-2"));
  // And the current directory's data/ comes before anything under the source root.
  make_sst2(cwd_dir, "data/SST-2");
  EXPECT_EQ(real_path(find_data_dir("", src.string())), real_path(cwd_dir.path() / "data/SST-2"));
}

TEST(Locate, ErrorListsEverySearchedPlace) {
  TempDir cwd_dir, root;
  ScopedCwd cwd(cwd_dir.path());
  const std::string msg = agtest::error_message([&] { find_data_dir("", root.path().string()); });
  const fs::path here = fs::current_path();
  for (const fs::path& p :
       {here / "data/SST-2", (here / "../shared/data/SST-2").lexically_normal(),
        root.path() / "data/SST-2", (root.path() / "../shared/data/SST-2").lexically_normal()}) {
    expect_contains(msg, p.string());
  }
  expect_contains(msg, "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip");
  expect_contains(msg, "train.tsv");
  expect_contains(msg, "--data-dir");

  const std::string vmsg = agtest::error_message([&] { find_vocab("", root.path().string()); });
  for (const fs::path& p :
       {here / "data/bert-base-uncased/vocab.txt",
        (here / "../shared/data/bert-base-uncased/vocab.txt").lexically_normal(),
        root.path() / "data/bert-base-uncased/vocab.txt",
        (root.path() / "../shared/data/bert-base-uncased/vocab.txt").lexically_normal()}) {
    expect_contains(vmsg, p.string());
  }
  expect_contains(vmsg, "https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt");
  expect_contains(vmsg, "--vocab");
}

TEST(Locate, WithoutSourceRootOnlyTheCurrentDirectoryIsSearched) {
  TempDir cwd_dir;
  ScopedCwd cwd(cwd_dir.path());
  const std::string msg = agtest::error_message([] { find_data_dir(""); });
  expect_contains(msg, (fs::current_path() / "data/SST-2").string());
  make_sst2(cwd_dir, "data/SST-2");
  EXPECT_EQ(real_path(find_data_dir("")), real_path(cwd_dir.path() / "data/SST-2"));
}

}  // namespace
}  // namespace sst2::data
