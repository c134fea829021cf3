// The Unicode character facts BERT's BasicTokenizer relies on, read from the generated tables
// (unicode_tables.h, made by gen_unicode_tables.py from Python's unicodedata so that we see the
// same Unicode version HuggingFace's Python tokenizer sees).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace sst2::data::unicode {

// Property bits; the generator computes each with BERT's own rule.
enum : uint8_t {
  kControl = 1,      // _is_control: category C* (incl. unassigned), except \t \n \r
  kWhitespace = 2,   // _is_whitespace: ' ', \t, \n, \r or category Zs
  kPunct = 4,        // _is_punctuation: ASCII 33-47, 58-64, 91-96, 123-126 or category P*
  kMn = 8,           // category Mn (nonspacing mark): dropped when stripping accents
  kPySpace = 16,     // Python str.isspace(): what whitespace_tokenize's str.split() splits on
  kNonStarter = 32,  // canonical combining class != 0 (takes part in canonical reordering)
};

uint8_t props_slow(char32_t cp);
extern const std::array<uint8_t, 128> kAsciiProps;

inline uint8_t props(char32_t cp) {
  return cp < 128 ? kAsciiProps[cp] : props_slow(cp);
}

// BERT's _is_chinese_char: the CJK ideograph blocks whose characters become words of their own.
inline bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Appends NFD(lower(cp)) without its non-starter Mn marks (those are always stripped and never
// change how the rest is ordered). Mn marks that are starters are kept: the caller drops them
// only after reordering, because they delimit reordering runs.
void fold_slow(char32_t cp, std::vector<char32_t>& out);
inline void fold(char32_t cp, std::vector<char32_t>& out) {
  if (cp < 128) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
  } else {
    fold_slow(cp, out);
  }
}

// Canonical combining class of a non-starter that is not Mn (the only non-starters that survive
// accent stripping); 0 for anything else.
uint8_t kept_combining_class(char32_t cp);

// The Unicode version the tables were generated from.
const char* table_version();

}  // namespace sst2::data::unicode
