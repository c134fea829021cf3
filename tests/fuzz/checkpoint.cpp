// The checkpoint loader (nn/checkpoint.h) on any bytes: tensors, or an ag::Error of one line
// naming the file, never a crash. The checksum rejects nearly every input, so when the first
// byte is odd the rest is first made consistent (size field and CRC-32 rewritten) to reach
// the parser behind it. What loads is restored into a small model, which must either fit or
// fail with an error.
#include <zlib.h>

#include <cstring>

#include "core/error.h"
#include "tests/fuzz/fuzz_target.h"
#include "nn/checkpoint.h"
#include "nn/transformer.h"

namespace {

std::string resealed(std::string bytes) {
  if (bytes.size() < 24) return bytes;
  const uint64_t size = bytes.size();
  std::memcpy(bytes.data() + 12, &size, sizeof size);
  const uint32_t crc =
      uint32_t(crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size() - 4));
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, sizeof crc);
  return bytes;
}

ag::nn::TransformerClassifier& model() {
  static ag::nn::TransformerClassifier m = [] {
    ag::nn::ClassifierConfig c;
    c.vocab_size = 7;
    c.max_len = 4;
    c.d_model = 4;
    c.n_heads = 1;
    c.ffn_hidden = 4;
    ag::Generator g(1);
    return ag::nn::TransformerClassifier(c, g);
  }();
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string bytes(fuzz::bytes(data + 1, size - 1));
  if (data[0] & 1) bytes = resealed(std::move(bytes));
  try {
    const ag::nn::Checkpoint ck = ag::nn::parse_checkpoint(bytes, "fuzz.ckpt");
    try {
      ag::nn::restore_parameters(ck.tensors, model().named_parameters());
    } catch (const ag::Error& e) {
      fuzz::check_message(e.what(), "restore_parameters");
    }
  } catch (const ag::Error& e) {
    fuzz::check_message(e.what(), "fuzz.ckpt");
  }
  return 0;
}
