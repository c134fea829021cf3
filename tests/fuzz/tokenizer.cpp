// The WordPiece tokenizer (experiments/data/tokenizer.h) and the UTF-8 helpers on any bytes:
// no crash; classification inputs have the asked length, [CLS] first, [SEP] after the tokens,
// ids inside the vocabulary; replacement gives well-formed UTF-8 and keeps well-formed text.
#include "experiments/data/tokenizer.h"
#include "core/error.h"
#include "experiments/data/utf8.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

const sst2::data::WordPieceTokenizer& tokenizer() {
  static const auto t = sst2::data::WordPieceTokenizer::from_tokens({"[PAD]",
                                                                     "[UNK]",
                                                                     "[CLS]",
                                                                     "[SEP]",
                                                                     "[MASK]",
                                                                     "the",
                                                                     "movie",
                                                                     "was",
                                                                     "good",
                                                                     "bad",
                                                                     "un",
                                                                     "##believ",
                                                                     "##able",
                                                                     "##s",
                                                                     "##ly",
                                                                     "a",
                                                                     "b",
                                                                     "c",
                                                                     "##a",
                                                                     "##b",
                                                                     "##c",
                                                                     ".",
                                                                     ",",
                                                                     "!",
                                                                     "'",
                                                                     "\xc3\xa9",
                                                                     "na",
                                                                     "##ive",
                                                                     "\xe4\xb8\xad",
                                                                     "\xe6\x96\x87",
                                                                     "\xf0\x9f\x98\x80",
                                                                     "##\xc3\xa9",
                                                                     "x",
                                                                     "##x",
                                                                     "##xx",
                                                                     "1",
                                                                     "##2",
                                                                     "(",
                                                                     ")",
                                                                     "-",
                                                                     "\xce\xb1",
                                                                     "##\xce\xb2"},
                                                                    "fuzz vocabulary");
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int64_t max_len = 2 + data[0] % 40;
  const std::string_view text = fuzz::bytes(data + 1, size - 1);
  const auto& t = tokenizer();

  const auto enc = t.encode_for_classification(text, max_len);
  if (int64_t(enc.ids.size()) != max_len || enc.attention_mask.size() != enc.ids.size()) {
    fuzz::broken("classification input of the wrong length");
  }
  if (enc.ids[0] != t.cls_id()) fuzz::broken("[CLS] is not first");
  size_t real = 0;
  while (real < enc.ids.size() && enc.attention_mask[real] == 1) ++real;
  if (real < 2 || enc.ids[real - 1] != t.sep_id()) fuzz::broken("[SEP] does not end the tokens");
  for (size_t i = 0; i < enc.ids.size(); ++i) {
    if (enc.ids[i] < 0 || enc.ids[i] >= t.vocab_size()) fuzz::broken("id outside the vocabulary");
    if (i >= real && (enc.attention_mask[i] != 0 || enc.ids[i] != t.pad_id())) {
      fuzz::broken("padding is not [PAD] with mask 0");
    }
  }
  const auto ids = t.encode(text);
  const auto pieces = t.tokenize(text);
  if (ids.size() != pieces.size()) fuzz::broken("encode and tokenize disagree in length");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (t.token_of(ids[i]) != pieces[i]) fuzz::broken("encode and tokenize disagree");
  }

  const std::string fixed = sst2::data::utf8_replace_invalid(text);
  if (sst2::data::utf8_first_invalid(fixed) != std::string::npos) {
    fuzz::broken("replacement left invalid UTF-8");
  }
  if ((sst2::data::utf8_first_invalid(text) == std::string::npos) != (fixed == text)) {
    fuzz::broken("replacement changed valid text, or kept invalid text");
  }
  if (sst2::data::utf8_replace_invalid(fixed) != fixed) fuzz::broken("replacement not idempotent");
  return 0;
}
