// BERT's BasicTokenizer for uncased models (HuggingFace BertTokenizer with do_lower_case=True):
// text -> words, before WordPiece. Steps, in HuggingFace's order:
//   1. clean: drop U+0000, U+FFFD and control characters (category C*, which includes unassigned
//      code points; \t \n \r are whitespace, not control); whitespace (Zs, \t \n \r) -> ' '
//   2. put spaces around CJK ideographs, so each is a word of its own
//   3. split on whitespace (Python's str.split(): also U+2028/U+2029, which step 1 keeps)
//   4. per word: lower-case (per character, as HuggingFace's do_lower_case pre-pass does), NFD,
//      drop nonspacing marks (Mn)  => accents are stripped
//   5. split every punctuation character (BERT's _is_punctuation) off as a word of its own
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sst2::data {

// Appends the words of `text` (UTF-8; malformed bytes count as U+FFFD and are dropped) to `out`.
void bert_basic_tokenize(std::string_view text, std::vector<std::string>& out);

}  // namespace sst2::data
