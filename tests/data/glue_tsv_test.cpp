// GLUE TSV reader: column lookup by header name, line endings, limit, and errors that name
// file:line. Uses files the tests write; the real SST-2 files are checked when present.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "experiments/data/glue_tsv.h"
#include "tests/data/temp_dir.h"

namespace sst2::data {
namespace {

using testing::TempDir;

// The message of the ag::Error that read_glue_tsv(path) throws ("" and a failure if none).
std::string error_of(const std::string& path, int64_t limit = -1) {
  try {
    read_glue_tsv(path, limit);
  } catch (const ag::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ag::Error for " << path;
  return "";
}

void expect_contains(const std::string& msg, const std::string& part) {
  EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
}

TEST(GlueTsv, ReadsSentenceAndLabel) {
  TempDir dir;
  const auto ex = read_glue_tsv(
      dir.write("a.tsv", "sentence\tlabel\na gorgeous film .\t1\nna\xc3\xafve , dull\t0\n"));
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].sentence, "a gorgeous film .");
  EXPECT_EQ(ex[0].label, 1);
  EXPECT_EQ(ex[1].sentence, "na\xc3\xafve , dull");  // UTF-8 kept as bytes
  EXPECT_EQ(ex[1].label, 0);
}

TEST(GlueTsv, ColumnsInEitherOrderAndExtraColumns) {
  TempDir dir;
  const auto swapped = read_glue_tsv(dir.write("b.tsv", "label\tsentence\n0\tbad\n1\tgood\n"));
  ASSERT_EQ(swapped.size(), 2u);
  EXPECT_EQ(swapped[0].sentence, "bad");
  EXPECT_EQ(swapped[0].label, 0);
  EXPECT_EQ(swapped[1].sentence, "good");
  EXPECT_EQ(swapped[1].label, 1);

  const auto extra =
      read_glue_tsv(dir.write("c.tsv", "idx\tsentence\tlabel\tnote\n7\tfine\t1\t\n8\tmeh\t0\tx\n"));
  ASSERT_EQ(extra.size(), 2u);
  EXPECT_EQ(extra[0].sentence, "fine");
  EXPECT_EQ(extra[0].label, 1);
  EXPECT_EQ(extra[1].sentence, "meh");
}

TEST(GlueTsv, CrlfAndFinalNewlineOptional) {
  TempDir dir;
  const auto crlf = read_glue_tsv(dir.write("d.tsv", "sentence\tlabel\r\nok\t1\r\nno\t0\r\n"));
  ASSERT_EQ(crlf.size(), 2u);
  EXPECT_EQ(crlf[0].sentence, "ok");
  EXPECT_EQ(crlf[1].sentence, "no");
  EXPECT_EQ(crlf[1].label, 0);
  const auto no_final = read_glue_tsv(dir.write("e.tsv", "sentence\tlabel\nok\t1\nno\t0"));
  ASSERT_EQ(no_final.size(), 2u);
  EXPECT_EQ(no_final[1].label, 0);
  // A UTF-8 byte order mark before the header is not part of the first column name.
  EXPECT_EQ(read_glue_tsv(dir.write("f.tsv", "\xef\xbb\xbfsentence\tlabel\nok\t1\n")).size(), 1u);
}

TEST(GlueTsv, Limit) {
  TempDir dir;
  const std::string path = dir.write("g.tsv", "sentence\tlabel\none\t1\ntwo\t0\nthree\t1\n");
  EXPECT_EQ(read_glue_tsv(path, -1).size(), 3u);
  const auto two = read_glue_tsv(path, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].sentence, "two");
  EXPECT_EQ(read_glue_tsv(path, 10).size(), 3u);
  EXPECT_EQ(read_glue_tsv(path, 0).size(), 0u);
  // Lines past the limit are not read, so a bad row there does not matter.
  const std::string bad_tail = dir.write("h.tsv", "sentence\tlabel\none\t1\nbroken\n");
  EXPECT_EQ(read_glue_tsv(bad_tail, 1).size(), 1u);
}

TEST(GlueTsvErrors, WrongColumnCountNamesFileAndLine) {
  TempDir dir;
  const std::string path =
      dir.write("cols.tsv", "sentence\tlabel\ngood\t1\na\ttab\tinside\t0\nfine\t1\n");
  const std::string msg = error_of(path);
  expect_contains(msg, path + ":3");
  expect_contains(msg, "expected 2");
  expect_contains(msg, "found 4");
  // An empty line in the middle is a row with the wrong number of columns too.
  const std::string blank = dir.write("blank.tsv", "sentence\tlabel\ngood\t1\n\nfine\t1\n");
  expect_contains(error_of(blank), blank + ":3");
}

TEST(GlueTsvErrors, BadLabelNamesFileAndLine) {
  TempDir dir;
  const std::string two = dir.write("label2.tsv", "sentence\tlabel\ngood\t1\nhm\t2\n");
  const std::string msg = error_of(two);
  expect_contains(msg, two + ":3");
  expect_contains(msg, "'2'");
  const std::string word = dir.write("labelw.tsv", "label\tsentence\npositive\tgood\n");
  expect_contains(error_of(word), word + ":2");
  const std::string spaced = dir.write("labels.tsv", "sentence\tlabel\ngood\t1 \n");
  expect_contains(error_of(spaced), spaced + ":2");
}

TEST(GlueTsvErrors, MissingHeaderColumns) {
  TempDir dir;
  const std::string no_label = dir.write("nolabel.tsv", "sentence\tscore\ngood\t1\n");
  const std::string msg = error_of(no_label);
  expect_contains(msg, no_label + ":1");
  expect_contains(msg, "'label'");
  // No header at all: the first data row is taken as the header and lacks both names.
  const std::string headerless = dir.write("nohdr.tsv", "good\t1\nbad\t0\n");
  const std::string msg2 = error_of(headerless);
  expect_contains(msg2, headerless + ":1");
  expect_contains(msg2, "'sentence' and 'label'");
}

TEST(GlueTsvErrors, EmptyAndHeaderOnlyFiles) {
  TempDir dir;
  const std::string empty = dir.write("empty.tsv", "");
  const std::string msg = error_of(empty);
  expect_contains(msg, empty);
  expect_contains(msg, "empty file");
  for (const char* content : {"sentence\tlabel\n", "sentence\tlabel", "sentence\tlabel\r\n"}) {
    const std::string header_only = dir.write("header.tsv", content);
    const std::string m = error_of(header_only);
    expect_contains(m, header_only);
    expect_contains(m, "no examples");
  }
}

TEST(GlueTsvErrors, MissingFileNamesThePath) {
  const std::string msg = error_of("/nonexistent/SST-2/train.tsv");
  expect_contains(msg, "/nonexistent/SST-2/train.tsv");
}

TEST(GlueTsvErrors, InvalidUtf8NamesFileLineAndByteOffset) {
  TempDir dir;
  // header: 15 bytes; line 2 "good .\t1\n": 9 bytes; line 3 starts at offset 24 and its bad
  // byte (a lone continuation byte) is its 5th.
  const std::string path =
      dir.write("bad.tsv", "sentence\tlabel\ngood .\t1\nnot \x80 ok\t0\nfine\t1\n");
  const std::string m = error_of(path);
  expect_contains(m, path + ":3: invalid UTF-8 at byte offset 28 (column 5, byte 0x80)");
  expect_contains(m, "--utf8-replace");
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  // CRLF lines and a BOM; the overlong C0 AF in line 2 starts at offset 3 + 16 + 2.
  const std::string crlf =
      dir.write("crlf.tsv", "\xEF\xBB\xBFsentence\tlabel\r\nab\xC0\xAF\t1\r\n");
  expect_contains(error_of(crlf),
                  crlf + ":2: invalid UTF-8 at byte offset 21 (column 3, byte 0xC0)");
  // In the header too; and a sequence cut short by the tab.
  expect_contains(error_of(dir.write("h.tsv", "sent\xE9nce\tlabel\nx\t1\n")),
                  ":1: invalid UTF-8 at byte offset 4");
  expect_contains(error_of(dir.write("cut.tsv", "sentence\tlabel\nab\xE2\x82\t1\n")),
                  ":2: invalid UTF-8 at byte offset 17");
  // Lines past the limit are not read, so not checked either.
  EXPECT_EQ(read_glue_tsv(path, 1).size(), 1u);
}

TEST(GlueTsv, Utf8ReplaceTurnsInvalidBytesIntoTheReplacementCharacter) {
  TempDir dir;
  const std::string path =
      dir.write("bad.tsv", "sentence\tlabel\nnot \x80 ok\t0\ncut \xE2\x82\t1\ngood\t1\n");
  const auto ex = read_glue_tsv(path, -1, Utf8::Replace);
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].sentence, "not \xEF\xBF\xBD ok");
  EXPECT_EQ(ex[0].label, 0);
  EXPECT_EQ(ex[1].sentence, "cut \xEF\xBF\xBD");
  EXPECT_EQ(ex[2].sentence, "good");
  // An invalid header is repaired the same way (and then lacks the column it misspells).
  expect_contains(error_of(dir.write("h.tsv", "sentence\tlab\xFF\nx\t1\n")), ":1: invalid UTF-8");
  try {
    read_glue_tsv(dir.write("h2.tsv", "sentence\tlab\xFF\nx\t1\n"), -1, Utf8::Replace);
    ADD_FAILURE() << "no error";
  } catch (const ag::Error& e) {
    expect_contains(e.what(), "lacks the column 'label'");
  }
}

TEST(GlueTsv, RealSst2Splits) {
  const std::string train = testing::shared_path("SST-2/train.tsv");
  const std::string dev = testing::shared_path("SST-2/dev.tsv");
  if (!std::filesystem::is_regular_file(train) || !std::filesystem::is_regular_file(dev)) {
    GTEST_SKIP() << "SST-2 not found under " << AG_SHARED_DIR;
  }
  const auto d = read_glue_tsv(dev);
  ASSERT_EQ(d.size(), 872u);
  EXPECT_EQ(d[0].sentence, "one long string of cliches .");
  EXPECT_EQ(d[0].label, 0);
  EXPECT_EQ(read_glue_tsv(train).size(), 67349u);
  EXPECT_EQ(read_glue_tsv(train, 100).size(), 100u);
}

}  // namespace
}  // namespace sst2::data
