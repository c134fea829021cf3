// The bert-base-uncased tokenizer: BERT's BasicTokenizer (basic_tokenizer.h) followed by greedy
// longest-match-first WordPiece, matching HuggingFace's BertTokenizer(do_lower_case=True).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sst2::data {

// One classifier input: exactly max_len ids ([CLS] tokens... [SEP] [PAD]...) and its mask.
struct Encoded {
  std::vector<int32_t> ids;
  std::vector<int32_t> attention_mask;  // 1 for [CLS], the tokens and [SEP]; 0 for padding
};

class WordPieceTokenizer {
 public:
  using Encoded = data::Encoded;

  // Words longer than this many code points become [UNK] (BERT's max_input_chars_per_word).
  static constexpr int64_t kMaxCharsPerWord = 100;

  // One token a line, id = 0-based line number (the BERT vocab.txt format); CRLF is accepted.
  // Errors name the file, and the line for an empty, malformed or duplicate entry. The vocab
  // must contain [PAD], [UNK], [CLS] and [SEP].
  static WordPieceTokenizer from_vocab_file(const std::string& path);
  // The same from the bytes of a vocabulary file; `origin` names it in error messages.
  static WordPieceTokenizer from_vocab_text(std::string_view data, const std::string& origin);
  // The same from a token list (id = index); `origin` names it in error messages.
  static WordPieceTokenizer from_tokens(std::vector<std::string> tokens,
                                        const std::string& origin = "vocabulary");

  // Words after BERT's basic tokenisation (lower-cased, accents stripped, punctuation split).
  // The special tokens [PAD] [UNK] [CLS] [SEP] [MASK] written literally (case-sensitive) in the
  // text stay whole, as in HuggingFace.
  std::vector<std::string> basic_tokenize(std::string_view text) const;
  // Word pieces ("##" marks a piece that continues a word); [UNK] for an unsegmentable word.
  std::vector<std::string> tokenize(std::string_view text) const;
  // Ids of tokenize(text), no special tokens added.
  std::vector<int32_t> encode(std::string_view text) const;
  // [CLS] ids [SEP], the ids cut to max_len - 2 so that [SEP] stays last, then [PAD] up to
  // max_len. max_len must be at least 2.
  Encoded encode_for_classification(std::string_view text, int64_t max_len) const;

  int32_t pad_id() const { return pad_id_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t unk_id() const { return unk_id_; }
  int64_t vocab_size() const { return int64_t(tokens_.size()); }
  // Id of a vocabulary entry, -1 if absent.
  int32_t id_of(std::string_view token) const;
  // The token with this id (throws ag::Error when out of range).
  const std::string& token_of(int32_t id) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  WordPieceTokenizer() = default;
  // Calls emit(id, piece) for every word piece of `text`.
  template <class Emit>
  void run(std::string_view text, Emit&& emit) const;
  // WordPiece of one basic word.
  template <class Emit>
  void wordpiece(const std::string& word, Emit&& emit) const;

  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> ids_;
  size_t max_token_bytes_ = 0;
  int32_t pad_id_ = -1, unk_id_ = -1, cls_id_ = -1, sep_id_ = -1;
};

}  // namespace sst2::data
