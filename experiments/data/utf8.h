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

}  // namespace sst2::data
