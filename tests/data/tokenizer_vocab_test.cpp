// Tokenizer behaviour on small vocabularies the tests write themselves (never skipped): vocab
// file parsing and its errors, the 100-character word cap, [UNK], encode_for_classification.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "experiments/data/tokenizer.h"
#include "tests/data/temp_dir.h"

namespace sst2::data {
namespace {

using testing::TempDir;
using Ids = std::vector<int32_t>;
using Strings = std::vector<std::string>;

// Ids are line numbers - 1: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 a=5 ##a=6 α=7 ##α=8 un=9
// ##want=10 ##ed=11 runn=12 ##ing=13 ,=14 want=15
const char* kVocab =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##a\n\xce\xb1\n##\xce\xb1\nun\n##want\n##ed\nrunn\n"
    "##ing\n,\nwant\n";

// Runs f, which must throw ag::Error whose message contains every one of `parts`.
template <class F>
void expect_error(F&& f, const Strings& parts) {
  try {
    f();
    ADD_FAILURE() << "no ag::Error thrown";
  } catch (const ag::Error& e) {
    const std::string msg = e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    }
  }
}

WordPieceTokenizer small_vocab(const TempDir& dir) {
  return WordPieceTokenizer::from_vocab_file(dir.write("vocab.txt", kVocab));
}

TEST(SmallVocab, LoadsIdsByLine) {
  TempDir dir;
  const WordPieceTokenizer tok = small_vocab(dir);
  EXPECT_EQ(tok.vocab_size(), 16);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.unk_id(), 1);
  EXPECT_EQ(tok.cls_id(), 2);
  EXPECT_EQ(tok.sep_id(), 3);
  EXPECT_EQ(tok.id_of("##ing"), 13);
  EXPECT_EQ(tok.id_of("ing"), -1);
  EXPECT_EQ(tok.token_of(15), "want");
  EXPECT_THROW(tok.token_of(16), ag::Error);
  EXPECT_THROW(tok.token_of(-1), ag::Error);
}

TEST(SmallVocab, ClassicBertExample) {
  TempDir dir;
  const WordPieceTokenizer tok = small_vocab(dir);
  // The example from BERT's own tokenizer tests: lower-cased, é stripped, comma split off.
  EXPECT_EQ(tok.basic_tokenize("UNwant\xc3\xa9"
                               "d,running"),
            (Strings{"unwanted", ",", "running"}));
  EXPECT_EQ(tok.tokenize("UNwant\xc3\xa9"
                         "d,running"),
            (Strings{"un", "##want", "##ed", ",", "runn", "##ing"}));
  EXPECT_EQ(tok.encode("UNwant\xc3\xa9"
                       "d,running"),
            (Ids{9, 10, 11, 14, 12, 13}));
  // Longest prefix first: "wanted" is absent, "want" is the longest match, then "##ed".
  EXPECT_EQ(tok.tokenize("wanted running"), (Strings{"want", "##ed", "runn", "##ing"}));
  // No full segmentation ("##x" missing) -> the whole word is [UNK], not a partial match.
  EXPECT_EQ(tok.tokenize("wantx un"), (Strings{"[UNK]", "un"}));
  EXPECT_EQ(tok.encode("wantx"), (Ids{1}));
}

TEST(SmallVocab, HundredCharacterCapCountsCodePoints) {
  TempDir dir;
  const WordPieceTokenizer tok = small_vocab(dir);
  // 100 characters: a ##a x 99.
  Ids hundred(100, 6);
  hundred[0] = 5;
  EXPECT_EQ(tok.encode(std::string(100, 'a')), hundred);
  // 101 characters: [UNK].
  EXPECT_EQ(tok.encode(std::string(101, 'a')), (Ids{1}));
  // α is 2 bytes: 100 of them (200 bytes) are still 100 characters: α ##α x 99.
  std::string alphas;
  for (int i = 0; i < 100; ++i) alphas += "\xce\xb1";
  Ids alpha_ids(100, 8);
  alpha_ids[0] = 7;
  EXPECT_EQ(tok.encode(alphas), alpha_ids);
  EXPECT_EQ(tok.encode(alphas + "\xce\xb1"), (Ids{1}));
  // The cap applies after accent stripping: 101 x "á" -> 101 x "a" -> [UNK]; 100 -> pieces.
  std::string accented;
  for (int i = 0; i < 100; ++i) accented += "\xc3\xa1";
  EXPECT_EQ(tok.encode(accented), hundred);
  EXPECT_EQ(tok.encode(accented + "\xc3\xa1"), (Ids{1}));
}

TEST(SmallVocab, EncodeForClassification) {
  TempDir dir;
  const WordPieceTokenizer tok = small_vocab(dir);
  // [CLS] un ##want ##ed [SEP] [PAD] [PAD]
  const Encoded e = tok.encode_for_classification("unwanted", 7);
  EXPECT_EQ(e.ids, (Ids{2, 9, 10, 11, 3, 0, 0}));
  EXPECT_EQ(e.attention_mask, (Ids{1, 1, 1, 1, 1, 0, 0}));
  // Truncation cuts word pieces (not words) and keeps [SEP] last: [CLS] un ##want [SEP]
  const Encoded t = tok.encode_for_classification("unwanted, running", 4);
  EXPECT_EQ(t.ids, (Ids{2, 9, 10, 3}));
  EXPECT_EQ(t.attention_mask, (Ids{1, 1, 1, 1}));
  EXPECT_EQ(tok.encode_for_classification("", 2).ids, (Ids{2, 3}));
  EXPECT_THROW(tok.encode_for_classification("a", 1), ag::Error);
  EXPECT_THROW(tok.encode_for_classification("a", 0), ag::Error);
  EXPECT_THROW(tok.encode_for_classification("a", -5), ag::Error);
}

TEST(SmallVocab, SpecialTokensWithoutSpaces) {
  TempDir dir;
  const WordPieceTokenizer tok = small_vocab(dir);
  EXPECT_EQ(tok.tokenize("a[SEP]a[MASK]"), (Strings{"a", "[SEP]", "a", "[MASK]"}));
  EXPECT_EQ(tok.basic_tokenize("[PAD][UNK]"), (Strings{"[PAD]", "[UNK]"}));
  EXPECT_EQ(tok.encode("[CLS]"), (Ids{2}));
}

TEST(SmallVocab, AcceptsCrlfAndMissingFinalNewline) {
  TempDir dir;
  const WordPieceTokenizer crlf = WordPieceTokenizer::from_vocab_file(
      dir.write("crlf.txt", "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\n"));
  EXPECT_EQ(crlf.vocab_size(), 5);
  EXPECT_EQ(crlf.id_of("hi"), 4);
  const WordPieceTokenizer no_nl =
      WordPieceTokenizer::from_vocab_file(dir.write("nonl.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhi"));
  EXPECT_EQ(no_nl.vocab_size(), 5);
  EXPECT_EQ(no_nl.encode("hi"), (Ids{4}));
}

TEST(SmallVocab, FromTokens) {
  const WordPieceTokenizer tok =
      WordPieceTokenizer::from_tokens({"[UNK]", "[PAD]", "[SEP]", "[CLS]", "x"});
  EXPECT_EQ(tok.pad_id(), 1);
  EXPECT_EQ(tok.cls_id(), 3);
  EXPECT_EQ(tok.encode_for_classification("x y", 5).ids, (Ids{3, 4, 0, 2, 1}));
}

TEST(SmallVocabErrors, MissingFileNamesThePath) {
  expect_error([] { WordPieceTokenizer::from_vocab_file("/nonexistent/dir/vocab.txt"); },
               {"/nonexistent/dir/vocab.txt"});
}

TEST(SmallVocabErrors, DuplicateEntryNamesFileAndLines) {
  TempDir dir;
  const std::string path = dir.write("dup.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhi\nho\nhi\n");
  expect_error([&] { WordPieceTokenizer::from_vocab_file(path); },
               {path + ":7", "duplicate", "'hi'", "line 5"});
}

TEST(SmallVocabErrors, EmptyOrMalformedEntryNamesTheLine) {
  TempDir dir;
  const std::string empty_line = dir.write("blank.txt", "[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n");
  expect_error([&] { WordPieceTokenizer::from_vocab_file(empty_line); },
               {empty_line + ":3", "empty"});
  const std::string spaced = dir.write("space.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello world\n");
  expect_error([&] { WordPieceTokenizer::from_vocab_file(spaced); }, {spaced + ":5"});
  const std::string trailing_blank = dir.write("trail.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n\n");
  expect_error([&] { WordPieceTokenizer::from_vocab_file(trailing_blank); },
               {trailing_blank + ":5"});
}

TEST(SmallVocabErrors, MissingSpecialTokenOrEmptyFile) {
  TempDir dir;
  const std::string no_cls = dir.write("nocls.txt", "[PAD]\n[UNK]\n[SEP]\nhi\n");
  expect_error([&] { WordPieceTokenizer::from_vocab_file(no_cls); }, {no_cls, "[CLS]"});
  const std::string empty = dir.write("empty.txt", "");
  expect_error([&] { WordPieceTokenizer::from_vocab_file(empty); }, {empty, "empty"});
}

}  // namespace
}  // namespace sst2::data
