// The vocabulary loader (WordPieceTokenizer::from_vocab_text) on any bytes: a tokenizer, or an
// ag::Error of one line naming the file; a loaded vocabulary then tokenizes text without
// crashing and gives ids inside it.
#include "core/error.h"
#include "experiments/data/tokenizer.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto t =
        sst2::data::WordPieceTokenizer::from_vocab_text(fuzz::bytes(data, size), "fuzz.txt");
    for (const char* text :
         {"the movie was unbelievably good !",
          "na\xc3\xafve [SEP] [MASK]x \xe4\xb8\xad\xe6\x96\x87",
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ##s ## #"}) {
      const auto enc = t.encode_for_classification(text, 16);
      for (int32_t id : enc.ids) {
        if (id < 0 || id >= t.vocab_size()) fuzz::broken("id outside the vocabulary");
      }
    }
  } catch (const ag::Error& e) {
    fuzz::check_message(e.what(), "fuzz.txt");
  }
  return 0;
}
