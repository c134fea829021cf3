// UTF-8 validation and replacement against Unicode's rules for well-formed sequences and its
// "U+FFFD substitution of maximal subparts", which Python's decoder follows: the expected
// outputs are what bytes.decode("utf-8", errors="replace") gives in CPython 3.11.
#include <gtest/gtest.h>

#include <string>

#include "experiments/data/utf8.h"

namespace sst2::data {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, WellFormedTextIsValidAndUnchanged) {
  for (const std::string s : {std::string(""), std::string("plain ascii\t1"),
                              std::string("na\xC3\xAFve \xE2\x82\xAC \xF0\x9F\x98\x80"),
                              std::string("\xEF\xBB\xBFsentence"), std::string("\x7F\x01", 2),
                              std::string("\xF4\x8F\xBF\xBF"), std::string("\xED\x9F\xBF")}) {
    EXPECT_EQ(utf8_first_invalid(s), std::string::npos) << s;
    EXPECT_EQ(utf8_replace_invalid(s), s);
  }
}

TEST(Utf8, TheFirstInvalidByteIsFound) {
  EXPECT_EQ(utf8_first_invalid("abc\x80"), 3u);
  EXPECT_EQ(utf8_first_invalid("\xC3\xA9\xC0\xAF"), 2u);  // overlong '/'
  EXPECT_EQ(utf8_first_invalid("x\xED\xA0\x80"), 1u);     // a surrogate
  EXPECT_EQ(utf8_first_invalid("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
  EXPECT_EQ(utf8_first_invalid("ok \xE2\x82"), 3u);       // cut short at the end
  EXPECT_EQ(utf8_first_invalid("\xE0\x80\xAF"), 0u);      // overlong 3-byte form
  EXPECT_EQ(utf8_first_invalid("\xF5"), 0u);
  EXPECT_EQ(utf8_first_invalid("\xFF"), 0u);
}

TEST(Utf8, EachMaximalIllFormedSubpartBecomesOneReplacementCharacter) {
  // Unicode's own example (Table 3-8 of the standard, "U+FFFD for maximal subparts").
  EXPECT_EQ(utf8_replace_invalid("a\xF1\x80\x80\xE1\x80\xC2"
                                 "b\x80"
                                 "c\x80\xBF"
                                 "d"),
            "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d");
  EXPECT_EQ(utf8_replace_invalid("\xC0\xAF"), kFffd + kFffd);
  EXPECT_EQ(utf8_replace_invalid("\xE0\x80\xAF"), kFffd + kFffd + kFffd);
  EXPECT_EQ(utf8_replace_invalid("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(utf8_replace_invalid("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(utf8_replace_invalid("\xF5x"), kFffd + "x");
  EXPECT_EQ(utf8_replace_invalid("ok \xE2\x82"), "ok " + kFffd);
  EXPECT_EQ(utf8_replace_invalid("\xE2\x82"
                                 "A"),
            kFffd + "A");
}

}  // namespace
}  // namespace sst2::data
