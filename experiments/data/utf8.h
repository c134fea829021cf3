// UTF-8 <-> code points. Text is kept as bytes everywhere else; only the tokenizer decodes it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sst2::data {

// Decodes UTF-8. Malformed input (a bad lead byte, a truncated or overlong sequence, a surrogate,
// a value past U+10FFFF) becomes U+FFFD one byte at a time, like Python's errors="replace" in
// spirit; the BERT cleaner then drops U+FFFD, so bad bytes vanish instead of aborting a dataset.
void utf8_decode(std::string_view text, std::vector<char32_t>& out);

// Appends the UTF-8 encoding of one code point.
void utf8_append(char32_t cp, std::string& out);

// Validation by Unicode's table of well-formed byte sequences (no overlong forms, surrogates
// or values past U+10FFFF). The number of bytes of the well-formed sequence that starts at
// text[pos], or 0 when none does; then `bad` is the length of the maximal ill-formed subpart
// there (1 to 3 bytes): what one U+FFFD stands for in Python's errors="replace" decoding.
size_t utf8_sequence_length(std::string_view text, size_t pos, size_t& bad);

// Offset of the first byte of `text` that is not part of well-formed UTF-8 (npos when all is).
size_t utf8_first_invalid(std::string_view text);

// `text` with each maximal ill-formed subpart replaced by U+FFFD (bytes EF BF BD), as
// bytes.decode("utf-8", errors="replace") in Python does; well-formed text comes back as is.
std::string utf8_replace_invalid(std::string_view text);

}  // namespace sst2::data
