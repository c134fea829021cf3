// The checkpoint format against files written without the C++ writer: the fuzz seeds that
// tests/fuzz/make_checkpoint_seeds.py writes with Python's struct and zlib, and the inputs the
// fuzzer found (tests/fuzz/regressions/checkpoint/). Each fuzz input starts with one byte the fuzz
// target reads (odd: reseal the rest).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "nn/checkpoint.h"

namespace {

std::string fuzz_input(const std::string& name) {
  const std::string path = std::string(AG_SOURCE_DIR) + "/tests/fuzz/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return bytes.empty() ? bytes : bytes.substr(1);
}

// The size field and the checksum rewritten for the bytes as they are.
std::string resealed(std::string bytes) {
  if (bytes.size() < 24) return bytes;  // not a checkpoint (a missing input file is reported above)
  const uint64_t size = bytes.size();
  std::memcpy(bytes.data() + 12, &size, sizeof size);
  const uint32_t crc =
      uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size() - 4)));
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, sizeof crc);
  return bytes;
}

TEST(CheckpointFormat, ReadsAFileWrittenByAnIndependentWriter) {
  const ag::nn::Checkpoint ck =
      ag::nn::parse_checkpoint(fuzz_input("corpus/checkpoint/two_tensors.bin"), "two_tensors");
  EXPECT_EQ(ck.metadata_json, "{\"step\": 3, \"note\": \"\xc3\xbc\"}");  // UTF-8
  ASSERT_EQ(ck.tensors.size(), 2u);
  EXPECT_EQ(ck.tensors[0].first, "w");
  EXPECT_EQ(ck.tensors[0].second.shape(), (ag::Shape{2, 3}));
  EXPECT_EQ(ck.tensors[0].second.to_vector(),
            (std::vector<float>{0.5f, -1.0f, 2.0f, 0.0f, 1e-3f, 7.0f}));
  EXPECT_EQ(ck.tensors[1].first, "ids");
  EXPECT_EQ(ck.tensors[1].second.to_int_vector(), (std::vector<int32_t>{-5, 0, 2147483647}));
  try {
    ag::nn::parse_checkpoint(fuzz_input("corpus/checkpoint/version1.bin"), "old.ckpt");
    ADD_FAILURE() << "a version 1 file was read";
  } catch (const ag::Error& e) {
    EXPECT_NE(std::string(e.what()).find("old.ckpt: checkpoint format version 1"),
              std::string::npos)
        << e.what();
  }
}

// A tensor name holding a line break was quoted as is: the error took two lines.
TEST(CheckpointFormat, ErrorsQuotingATensorNameStayOneLine) {
  const std::string bytes = resealed(fuzz_input("regressions/checkpoint/newline_in_tensor_name"));
  try {
    ag::nn::parse_checkpoint(bytes, "f.ckpt");
    ADD_FAILURE() << "no error";
  } catch (const ag::Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_NE(m.find("load_checkpoint: f.ckpt: "), std::string::npos) << m;
    EXPECT_NE(m.find("\\x0a"), std::string::npos) << m;
  }
}

}  // namespace
