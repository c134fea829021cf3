#include "experiments/data/tokenizer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "core/error.h"
#include "experiments/data/basic_tokenizer.h"
#include "experiments/data/file_bytes.h"

namespace sst2::data {

namespace {

// BertTokenizer's special tokens. HuggingFace splits them out of the text before anything
// else (exact, case-sensitive match), so "[SEP]" in a sentence is one token, not "[ sep ]".
constexpr std::array<std::string_view, 5> kSpecialTokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                                            "[MASK]"};

// Length of the special token that starts text[pos], 0 if none.
size_t special_at(std::string_view text, size_t pos) {
  for (std::string_view s : kSpecialTokens) {
    if (text.compare(pos, s.size(), s) == 0) return s.size();
  }
  return 0;
}

// Calls on_text(segment) for the text between special tokens and on_special(token) for each.
template <class OnText, class OnSpecial>
void split_specials(std::string_view text, OnText&& on_text, OnSpecial&& on_special) {
  size_t seg = 0;
  for (size_t pos = text.find('['); pos != std::string_view::npos; pos = text.find('[', pos)) {
    const size_t len = special_at(text, pos);
    if (len == 0) {
      ++pos;
      continue;
    }
    if (pos > seg) on_text(text.substr(seg, pos - seg));
    on_special(text.substr(pos, len));
    pos += len;
    seg = pos;
  }
  if (seg < text.size()) on_text(text.substr(seg));
}

bool is_utf8_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

WordPieceTokenizer WordPieceTokenizer::from_vocab_file(const std::string& path) {
  return from_vocab_text(read_file_bytes(path, "vocabulary file"), path);
}

WordPieceTokenizer WordPieceTokenizer::from_vocab_text(std::string_view data,
                                                       const std::string& origin) {
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    size_t stop = end;
    if (stop > start && data[stop - 1] == '\r') --stop;  // CRLF files
    tokens.emplace_back(data.substr(start, stop - start));
    start = end + 1;
  }
  return from_tokens(std::move(tokens), origin);
}

WordPieceTokenizer WordPieceTokenizer::from_tokens(std::vector<std::string> tokens,
                                                   const std::string& origin) {
  if (tokens.empty()) ag::fail(origin, ": the vocabulary is empty");
  WordPieceTokenizer t;
  t.ids_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& tok = tokens[i];
    const size_t line = i + 1;
    if (tok.empty()) ag::fail(origin, ":", line, ": empty vocabulary entry");
    // BasicTokenizer never produces whitespace or control bytes, so such an entry could never
    // match: it means the file is not a WordPiece vocabulary (or is corrupt).
    for (char c : tok) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
        ag::fail(origin, ":", line, ": vocabulary entry contains whitespace or a control byte");
      }
    }
    const auto [it, inserted] = t.ids_.emplace(tok, int32_t(i));
    if (!inserted) {
      ag::fail(origin, ":", line, ": duplicate vocabulary entry '", tok, "' (first at line ",
               it->second + 1, ")");
    }
    t.max_token_bytes_ = std::max(t.max_token_bytes_, tok.size());
  }
  if (tokens.size() > size_t(INT32_MAX)) ag::fail(origin, ": too many vocabulary entries");
  t.tokens_ = std::move(tokens);
  auto required = [&](std::string_view name) {
    const int32_t id = t.id_of(name);
    if (id < 0) ag::fail(origin, ": the vocabulary has no ", name, " token");
    return id;
  };
  t.pad_id_ = required("[PAD]");
  t.unk_id_ = required("[UNK]");
  t.cls_id_ = required("[CLS]");
  t.sep_id_ = required("[SEP]");
  return t;
}

int32_t WordPieceTokenizer::id_of(std::string_view token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

const std::string& WordPieceTokenizer::token_of(int32_t id) const {
  if (id < 0 || int64_t(id) >= vocab_size()) {
    ag::fail("token id ", id, " is outside the vocabulary [0, ", vocab_size(), ")");
  }
  return tokens_[size_t(id)];
}

template <class Emit>
void WordPieceTokenizer::wordpiece(const std::string& word, Emit&& emit) const {
  // Byte offset of every code point, plus the end: pieces are cut on code point boundaries.
  thread_local std::vector<size_t> offs;
  thread_local std::string candidate;
  offs.clear();
  for (size_t i = 0; i < word.size(); ++i) {
    if (!is_utf8_continuation(word[i])) offs.push_back(i);
  }
  const size_t nchars = offs.size();
  offs.push_back(word.size());
  if (int64_t(nchars) > kMaxCharsPerWord) {
    emit(unk_id_, std::string_view(tokens_[size_t(unk_id_)]));
    return;
  }
  // Greedy longest match first. All pieces are found before any is emitted, because one
  // unmatchable position turns the whole word into a single [UNK].
  thread_local std::vector<std::pair<int32_t, size_t>> pieces;  // id, start char
  pieces.clear();
  size_t start = 0;
  while (start < nchars) {
    int32_t found = -1;
    size_t end = nchars;
    for (; end > start; --end) {
      const size_t bytes = offs[end] - offs[start] + (start > 0 ? 2 : 0);
      if (bytes > max_token_bytes_) continue;  // longer than any vocabulary entry
      const std::string_view sub(word.data() + offs[start], offs[end] - offs[start]);
      if (start == 0) {
        found = id_of(sub);
      } else {
        candidate.assign("##");
        candidate.append(sub);
        found = id_of(candidate);
      }
      if (found >= 0) break;
    }
    if (found < 0) {
      emit(unk_id_, std::string_view(tokens_[size_t(unk_id_)]));
      return;
    }
    pieces.emplace_back(found, start);
    start = end;
  }
  for (const auto& [id, s] : pieces) emit(id, std::string_view(tokens_[size_t(id)]));
}

template <class Emit>
void WordPieceTokenizer::run(std::string_view text, Emit&& emit) const {
  thread_local std::vector<std::string> words;
  split_specials(
      text,
      [&](std::string_view segment) {
        words.clear();
        bert_basic_tokenize(segment, words);
        for (const std::string& w : words) wordpiece(w, emit);
      },
      [&](std::string_view special) {
        const int32_t id = id_of(special);
        emit(id >= 0 ? id : unk_id_, special);
      });
}

std::vector<std::string> WordPieceTokenizer::basic_tokenize(std::string_view text) const {
  std::vector<std::string> out;
  split_specials(
      text, [&](std::string_view segment) { bert_basic_tokenize(segment, out); },
      [&](std::string_view special) { out.emplace_back(special); });
  return out;
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> out;
  run(text, [&](int32_t, std::string_view piece) { out.emplace_back(piece); });
  return out;
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> out;
  run(text, [&](int32_t id, std::string_view) { out.push_back(id); });
  return out;
}

Encoded WordPieceTokenizer::encode_for_classification(std::string_view text,
                                                      int64_t max_len) const {
  if (max_len < 2) {
    ag::fail(
        "encode_for_classification: max_len must be at least 2 (room for [CLS] and [SEP]), "
        "got ",
        max_len);
  }
  const size_t n = size_t(max_len);
  Encoded e;
  e.ids.reserve(n);
  e.ids.push_back(cls_id_);
  run(text, [&](int32_t id, std::string_view) {
    if (e.ids.size() < n - 1) e.ids.push_back(id);  // keep room for [SEP]
  });
  e.ids.push_back(sep_id_);
  e.attention_mask.assign(e.ids.size(), 1);
  e.ids.resize(n, pad_id_);
  e.attention_mask.resize(n, 0);
  return e;
}

}  // namespace sst2::data
