// bert-base-uncased golden ids. Every expected list was derived by hand from BERT's published
// rules (BasicTokenizer + greedy longest-match-first WordPiece) and looked up in vocab.txt with
// `grep -n -x -F TOKEN vocab.txt` (id = line number - 1); none was produced by this tokenizer.
// The comment above each list shows the expected word pieces.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "experiments/data/glue_tsv.h"
#include "experiments/data/tokenizer.h"
#include "tests/data/temp_dir.h"

namespace sst2::data {
namespace {

using testing::shared_path;
using Ids = std::vector<int32_t>;
using namespace std::string_literals;

class BertVocab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string path = shared_path("bert-base-uncased/vocab.txt");
    if (std::filesystem::is_regular_file(path)) {
      tok_ = std::make_unique<WordPieceTokenizer>(WordPieceTokenizer::from_vocab_file(path));
    }
  }
  static void TearDownTestSuite() { tok_.reset(); }
  void SetUp() override {
    if (!tok_) GTEST_SKIP() << "bert-base-uncased vocab.txt not found under " << AG_SHARED_DIR;
  }
  static const WordPieceTokenizer& tok() { return *tok_; }

  // encode() must give `ids`, and tokenize() the same pieces spelled out.
  static void expect_ids(const std::string& text, const Ids& ids) {
    SCOPED_TRACE("text: " + text);
    EXPECT_EQ(tok().encode(text), ids);
    const std::vector<std::string> pieces = tok().tokenize(text);
    ASSERT_EQ(pieces.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(tok().id_of(pieces[i]), ids[i]) << i;
  }

  static inline std::unique_ptr<WordPieceTokenizer> tok_;
};

TEST_F(BertVocab, SpecialIdsAndSize) {
  EXPECT_EQ(tok().vocab_size(), 30522);
  EXPECT_EQ(tok().pad_id(), 0);
  EXPECT_EQ(tok().unk_id(), 100);
  EXPECT_EQ(tok().cls_id(), 101);
  EXPECT_EQ(tok().sep_id(), 102);
  EXPECT_EQ(tok().id_of("[MASK]"), 103);
  EXPECT_EQ(tok().id_of("the"), 1996);
  EXPECT_EQ(tok().id_of("no-such-token"), -1);
  EXPECT_EQ(tok().token_of(7592), "hello");
}

TEST_F(BertVocab, AccentsAreStripped) {
  // cafe naive resume
  expect_ids("Caf\xc3\xa9 na\xc3\xafve r\xc3\xa9sum\xc3\xa9", {7668, 15743, 13746});
  // Upper-case accented letter: É -> é -> e.  cafe
  expect_ids("CAF\xc3\x89", {7668});
  // Already decomposed input (e + U+0301 COMBINING ACUTE).  cafe
  expect_ids("cafe\xcc\x81", {7668});
}

TEST_F(BertVocab, PunctuationIsSplit) {
  // hello , world ! !
  expect_ids("hello, world!!", {7592, 1010, 2088, 999, 999});
  EXPECT_EQ(tok().basic_tokenize("hello, world!!"),
            (std::vector<std::string>{"hello", ",", "world", "!", "!"}));
}

TEST_F(BertVocab, Contractions) {
  // don ' t
  expect_ids("don't", {2123, 1005, 1056});
  // it ' s
  expect_ids("it's", {2009, 1005, 1055});
}

TEST_F(BertVocab, Numbers) {
  // 1 , 234 . 56
  expect_ids("1,234.56", {1015, 1010, 22018, 1012, 5179});
  // 1990s (a vocabulary entry of its own)
  expect_ids("1990s", {4134});
}

TEST_F(BertVocab, CjkIdeographsAreSeparateWords) {
  // 我 [UNK] [UNK] [UNK] 学 [UNK]: each ideograph is a word; 爱 机 器 习 are not in the vocab.
  expect_ids("\xe6\x88\x91\xe7\x88\xb1\xe6\x9c\xba\xe5\x99\xa8\xe5\xad\xa6\xe4\xb9\xa0",
             {1855, 100, 100, 100, 1817, 100});
}

TEST_F(BertVocab, WordPieces) {
  // una ##ffa ##ble (unaffable, unaffabl, unaffab, unaffa, unaff, unaf absent; ##ffable,
  // ##ffabl, ##ffab absent)
  expect_ids("unaffable", {14477, 20961, 3468});
  // token ##ization
  expect_ids("tokenization", {19204, 3989});
}

TEST_F(BertVocab, MixedCase) {
  // hello world
  expect_ids("HeLLo WoRLD", {7592, 2088});
}

TEST_F(BertVocab, WhitespaceAndControlCharacters) {
  // good movie badly funny film: \t and CRLF separate words; U+0001 (Cc), U+200B ZERO WIDTH
  // SPACE (Cf) and NUL are dropped without splitting the word around them.
  expect_ids(
      "good\tmovie\r\nbad\x01ly fun\xe2\x80\x8b"
      "ny fi\0lm"s,
      {2204, 3185, 6649, 6057, 2143});
  // good movie badly funny film: U+00A0 NO-BREAK SPACE (Zs) and U+2028 LINE SEPARATOR split
  // words; DEL (Cc), U+FFFD and an invalid UTF-8 byte are dropped.
  expect_ids(
      "good\xc2\xa0movie\xe2\x80\xa8"
      "bad\x7fly fu\xef\xbf\xbd"
      "nny \xff"
      "film",
      {2204, 3185, 6649, 6057, 2143});
  // Nothing but whitespace and control characters: no tokens at all.
  expect_ids(" \t\r\n\x01 ", {});
  expect_ids("", {});
}

TEST_F(BertVocab, UnknownWords) {
  // [UNK]: "hello" matches but "##☃" (U+2603, category So, not punctuation) does not, so the
  // whole word is one [UNK].
  expect_ids("hello\xe2\x98\x83", {100});
  // [UNK] for a word of 101 characters, regardless of the vocab (BERT's 100-character cap).
  expect_ids(std::string(101, 'a'), {100});
  // hello [UNK] world
  expect_ids("hello \xe2\x98\x83 world", {7592, 100, 2088});
}

TEST_F(BertVocab, HangulDecomposesToJamo) {
  // 한국: NFD gives U+1112 U+1161 U+11AB U+1100 U+116E U+11A8, all letters (not Mn), then
  // ᄒ ##ᅡ ##ᆫ ##ᄀ ##ᅮ ##ᆨ
  expect_ids("\xed\x95\x9c\xea\xb5\xad", {1469, 30006, 30021, 29991, 30014, 30020});
}

TEST_F(BertVocab, LowerCasingIsPerCharacter) {
  // ΟΔΟΣ -> ο ##δ ##ο ##σ: HuggingFace lower-cases character by character (its do_lower_case
  // pre-pass and the Rust normaliser both do), so a word-final Σ becomes σ, not final ς (19579).
  expect_ids("\xce\x9f\xce\x94\xce\x9f\xce\xa3", {1169, 29722, 29730, 29733});
  // İstanbul -> "i̇stanbul" (U+0130 lower-cases to i + U+0307) -> accent stripped -> istanbul
  expect_ids("\xc4\xb0stanbul", {9960});
}

TEST_F(BertVocab, SpecialTokensInText) {
  // [CLS] hello [SEP]: literal special tokens stay whole, as in HuggingFace.
  expect_ids("[CLS] hello [SEP]", {101, 7592, 102});
  // [ cl ##s ]: only the exact upper-case spelling is special.
  expect_ids("[cls]", {1031, 18856, 2015, 1033});
}

TEST_F(BertVocab, RealSst2DevSentences) {
  // dev.tsv line 52.  that ' s a cheat .
  expect_ids("that 's a cheat .", {2008, 1005, 1055, 1037, 21910, 1012});
  // dev.tsv line 65.  while - l ##rb - hill - rr ##b - has learned new tricks , the tricks
  // alone are not enough to salvage this lifeless boxing film .
  expect_ids(
      "while -lrb- hill -rrb- has learned new tricks , the tricks alone are not enough to "
      "salvage this lifeless boxing film .",
      {2096, 1011, 1048,  15185, 1011, 2940, 1011, 25269, 2497,  1011, 2038,  4342, 2047, 12225,
       1010, 1996, 12225, 2894,  2024, 2025, 2438, 2000,  18340, 2023, 22185, 8362, 2143, 1012});
  // dev.tsv line 161.  - l ##rb - n ##æ ##s - rr ##b - directed the stage version of el ##ling ,
  // and gets fine performances from his two leads who originated the characters on stage .
  // (æ has no decomposition, so it stays.)
  expect_ids(
      "-lrb- n\xc3\xa6s -rrb- directed the stage version of elling , and gets fine performances "
      "from his two leads who originated the characters on stage .",
      {1011, 1048, 15185, 1011, 1050, 29667, 2015, 1011, 25269, 2497, 1011, 2856,
       1996, 2754, 2544,  1997, 3449, 2989,  1010, 1998, 4152,  2986, 4616, 2013,
       2010, 2048, 5260,  2040, 7940, 1996,  3494, 2006, 2754,  1012});
  // dev.tsv line 235.  without non - stop techno or the existent ##ial over ##tones of a ki ##es
  // ##low ##ski morality tale , mae ##ls ##trom is just another winter sleeper ##s .
  expect_ids(
      "without non-stop techno or the existential overtones of a kieslowski morality tale , "
      "maelstr\xc3\xb6m is just another winter sleepers .",
      {2302,  2512, 1011,  2644,  21416, 2030, 1996, 25953, 4818, 2058,
       11115, 1997, 1037,  11382, 2229,  8261, 5488, 16561, 6925, 1010,
       11530, 4877, 13887, 2003,  2074,  2178, 3467, 24372, 2015, 1012});
  // dev.tsv line 848.  how do you spell cl ##iche ?
  expect_ids("how do you spell clich\xc3\xa9 ?", {2129, 2079, 2017, 6297, 18856, 17322, 1029});
}

TEST_F(BertVocab, EncodeForClassification) {
  // [CLS] hello , world ! ! [SEP] [PAD]
  const Encoded e = tok().encode_for_classification("hello, world!!", 8);
  EXPECT_EQ(e.ids, (Ids{101, 7592, 1010, 2088, 999, 999, 102, 0}));
  EXPECT_EQ(e.attention_mask, (Ids{1, 1, 1, 1, 1, 1, 1, 0}));
  // Exactly fits: [CLS] hello , world ! ! [SEP]
  EXPECT_EQ(tok().encode_for_classification("hello, world!!", 7).ids,
            (Ids{101, 7592, 1010, 2088, 999, 999, 102}));
  // Truncated: [CLS] hello , world [SEP] -- [SEP] stays last.
  const Encoded t = tok().encode_for_classification("hello, world!!", 5);
  EXPECT_EQ(t.ids, (Ids{101, 7592, 1010, 2088, 102}));
  EXPECT_EQ(t.attention_mask, (Ids{1, 1, 1, 1, 1}));
  // Only room for the specials.
  EXPECT_EQ(tok().encode_for_classification("hello, world!!", 2).ids, (Ids{101, 102}));
  // Empty text: [CLS] [SEP] [PAD] [PAD]
  const Encoded empty = tok().encode_for_classification("", 4);
  EXPECT_EQ(empty.ids, (Ids{101, 102, 0, 0}));
  EXPECT_EQ(empty.attention_mask, (Ids{1, 1, 0, 0}));
}

TEST_F(BertVocab, WholeDevSetTokenisesCleanly) {
  const std::string dev = shared_path("SST-2/dev.tsv");
  if (!std::filesystem::is_regular_file(dev)) GTEST_SKIP() << "no " << dev;
  const std::vector<Example> examples = read_glue_tsv(dev);
  ASSERT_EQ(examples.size(), 872u);
  size_t pieces = 0, unknown = 0;
  for (const Example& ex : examples) {
    for (int32_t id : tok().encode(ex.sentence)) {
      ASSERT_GE(id, 0);
      ASSERT_LT(id, tok().vocab_size());
      ++pieces;
      unknown += id == tok().unk_id();
    }
  }
  // GLUE's SST-2 is lower-cased English: the vocabulary covers essentially all of it.
  EXPECT_GT(pieces, 872u * 10);
  EXPECT_EQ(unknown, 0u);
}

}  // namespace
}  // namespace sst2::data
