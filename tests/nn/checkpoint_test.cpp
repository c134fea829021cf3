// Checkpoints: bit-exact round trips, atomic replacement, the checksum, and clear errors for
// damaged files.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "nn/checkpoint.h"
#include "nn/optim.h"
#include "nn/transformer.h"
#include "tests/common/scratch_files.h"

namespace {

namespace fs = std::filesystem;
using ag::Generator;
using ag::Tensor;
using namespace ag::nn;

// A fresh directory per test, removed afterwards.
class CheckpointTest : public agtest::ScratchDirTest {
 protected:
  CheckpointTest() : ScratchDirTest("ckpt") {}
};

ClassifierConfig tiny_config() {
  ClassifierConfig c = {.vocab_size = 17,
                        .max_len = 5,
                        .d_model = 8,
                        .n_heads = 2,
                        .ffn_hidden = 16,
                        .ffn_kind = FfnKind::SwiGLU};
  return c;
}

void train_steps(TransformerClassifier& model, Optimizer& opt, Generator& drop, int steps) {
  const Tensor ids = Tensor::from_indices({1, 2, 3, 4, 5, 6, 7, 8, 0, 0}, {2, 5});
  const Tensor mask = Tensor::from_vector({1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, {2, 5});
  const Tensor labels = Tensor::from_indices({0, 1}, {2});
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    ag::backward(ag::cross_entropy(model.forward(ids, mask, drop), labels));
    opt.step();
  }
}

// Bitwise equality of two tensors (dtype, shape and every byte).
void expect_identical(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.dtype(), b.dtype()) << what;
  ASSERT_EQ(a.shape(), b.shape()) << what;
  if (a.dtype() == ag::DType::I32) {
    EXPECT_EQ(a.to_int_vector(), b.to_int_vector()) << what;
    return;
  }
  const std::vector<float> va = a.to_vector(), vb = b.to_vector();
  if (va.empty()) return;  // memcmp wants non-null pointers even for 0 bytes
  EXPECT_EQ(std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)), 0) << what;
}

Checkpoint model_checkpoint(TransformerClassifier& model, const Optimizer& opt) {
  Checkpoint ck;
  ck.metadata_json = R"({"step": 3, "note": "ü ✓", "generators": [1, 2]})";
  for (const auto& [name, p] : model.named_parameters()) ck.tensors.emplace_back(name, *p);
  for (const auto& [name, t] : opt.state().tensors) ck.tensors.emplace_back(name, t);
  return ck;
}

using agtest::read_bytes;
using agtest::write_bytes;

// Runs f, which must throw ag::Error whose message contains every needle.
template <class F>
void expect_error(F&& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning " << needles[0];
  } catch (const ag::Error& e) {
    for (const std::string& n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos)
          << "'" << n << "' not in: " << e.what();
  }
}

TEST_F(CheckpointTest, RoundTripIsBitExactAndTrainingContinuesIdentically) {
  Generator init(1), drop(2);
  TransformerClassifier model(tiny_config(), init);
  AdamW opt(model.named_parameters(), 1e-2f);
  train_steps(model, opt, drop, 3);

  Checkpoint ck = model_checkpoint(model, opt);
  ck.tensors.emplace_back("ids", Tensor::from_indices({-5, 0, 2147483647}, {3}));
  ck.tensors.emplace_back("empty", Tensor::zeros({0, 3}));
  ck.tensors.emplace_back("scalar", Tensor::scalar(-0.0f));
  save_checkpoint(path("a.ckpt"), ck);
  EXPECT_EQ(files(), std::vector<std::string>{"a.ckpt"});  // no temporary left behind

  const Checkpoint back = load_checkpoint(path("a.ckpt"));
  EXPECT_EQ(back.metadata_json, ck.metadata_json);
  ASSERT_EQ(back.tensors.size(), ck.tensors.size());
  for (size_t i = 0; i < ck.tensors.size(); ++i) {
    EXPECT_EQ(back.tensors[i].first, ck.tensors[i].first);
    EXPECT_EQ(back.tensors[i].second.device(), ag::Device::CPU);
    expect_identical(back.tensors[i].second, ck.tensors[i].second, ck.tensors[i].first);
  }

  // Restore into a differently initialised model and optimizer; both runs then agree exactly.
  Generator other_init(99), drop2(2);
  drop2.set_state(drop.seed(), drop.offset());
  TransformerClassifier restored(tiny_config(), other_init);
  restore_parameters(back.tensors, restored.named_parameters());
  AdamW opt2(restored.named_parameters(), 1e-2f);
  OptimizerState st;
  st.step = 3;
  for (const auto& [name, t] : back.tensors)
    if (name.rfind("exp_avg", 0) == 0) st.tensors.emplace_back(name, t);
  opt2.load_state(st);
  train_steps(model, opt, drop, 2);
  train_steps(restored, opt2, drop2, 2);
  auto a = model.named_parameters(), b = restored.named_parameters();
  for (size_t i = 0; i < a.size(); ++i) expect_identical(*a[i].second, *b[i].second, a[i].first);
}

TEST_F(CheckpointTest, SavingAgainReplacesTheFileWhole) {
  Checkpoint one{"{\"v\": 1}", {{"w", Tensor::full({1000}, 1.0f)}}};
  Checkpoint two{"{\"v\": 2}", {{"w", Tensor::full({3}, 2.0f)}}};
  save_checkpoint(path("c.ckpt"), one);
  save_checkpoint(path("c.ckpt"), two);  // smaller: nothing of the old file may remain
  EXPECT_EQ(files(), std::vector<std::string>{"c.ckpt"});
  const Checkpoint back = load_checkpoint(path("c.ckpt"));
  EXPECT_EQ(back.metadata_json, "{\"v\": 2}");
  EXPECT_EQ(back.tensors.at(0).second.to_vector(), std::vector<float>(3, 2.0f));
}

TEST_F(CheckpointTest, AFailedWriteKeepsThePreviousCheckpointAndNoTemporary) {
  const Checkpoint good{"{\"good\": true}", {{"w", Tensor::full({4}, 3.0f)}}};
  save_checkpoint(path("d.ckpt"), good);
  const std::string before = read_bytes(path("d.ckpt"));
  // Limit file sizes to 4 KiB so the write of a 400 KB checkpoint fails half-way (EFBIG).
  const Checkpoint big{"{}", {{"w", Tensor::full({100000}, 1.0f)}}};
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit small = old;
  small.rlim_cur = 4096;
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);  // get EFBIG instead of being killed
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    save_checkpoint(path("d.ckpt"), big);
  } catch (const ag::Error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  ASSERT_FALSE(message.empty()) << "the oversized write did not fail";
  EXPECT_NE(message.find(path("d.ckpt")), std::string::npos) << message;
  EXPECT_NE(message.find(std::strerror(EFBIG)), std::string::npos) << message;
  EXPECT_EQ(files(), std::vector<std::string>{"d.ckpt"});  // the temporary was removed
  EXPECT_EQ(read_bytes(path("d.ckpt")), before);           // the old checkpoint is intact
}

TEST_F(CheckpointTest, UnwritableDestinationsAreReported) {
  const Checkpoint ck{"{}", {{"w", Tensor::zeros({2})}}};
  expect_error([&] { save_checkpoint(path("missing/dir/x.ckpt"), ck); },
               {path("missing/dir/x.ckpt"), std::strerror(ENOENT)});
  fs::create_directory(path("a_directory"));  // rename onto a directory fails: EISDIR
  expect_error([&] { save_checkpoint(path("a_directory"), ck); },
               {path("a_directory"), std::strerror(EISDIR)});
  EXPECT_EQ(files(), std::vector<std::string>{"a_directory"});
  EXPECT_TRUE(fs::is_empty(path("a_directory")));
  const Checkpoint undefined{"{}", {{"w", Tensor()}}};
  expect_error([&] { save_checkpoint(path("u.ckpt"), undefined); }, {"'w'", "undefined"});
  EXPECT_EQ(files(), std::vector<std::string>{"a_directory"});
}

// Offsets of the version 2 layout (nn/checkpoint.h).
constexpr size_t kVersionAt = 8, kSizeAt = 12, kMetaLenAt = 20;

template <class T>
void put(std::string& bytes, size_t offset, T v) {
  std::memcpy(bytes.data() + offset, &v, sizeof v);
}

// zlib's CRC-32 of a byte string, computed here independently of the code under test.
uint32_t zlib_crc(std::string_view bytes) {
  return uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size())));
}

// A file edited by hand, made consistent again: the size field and the checksum rewritten, so
// that the checks behind the checksum are the ones that see the edit.
std::string resealed(std::string bytes) {
  put<uint64_t>(bytes, kSizeAt, bytes.size());
  put<uint32_t>(bytes, bytes.size() - 4,
                zlib_crc(std::string_view(bytes).substr(0, bytes.size() - 4)));
  return bytes;
}

TEST_F(CheckpointTest, TheFileEndsWithZlibsCrc32OfEverythingBeforeIt) {
  // The standard check value of CRC-32 (ISO-HDLC), so the test's own CRC is the right one.
  ASSERT_EQ(zlib_crc("123456789"), 0xCBF43926u);
  const Checkpoint ck{"{\"k\": 1}", {{"w", Tensor::full({5}, 0.25f)}}};
  save_checkpoint(path("c.ckpt"), ck);
  const std::string bytes = read_bytes(path("c.ckpt"));
  ASSERT_GT(bytes.size(), 28u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("TPGCKPT\0", 8));
  uint32_t version = 0, stored = 0;
  uint64_t size = 0;
  std::memcpy(&version, bytes.data() + kVersionAt, 4);
  std::memcpy(&size, bytes.data() + kSizeAt, 8);
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  EXPECT_EQ(version, 2u);
  EXPECT_EQ(size, bytes.size());
  EXPECT_EQ(stored, zlib_crc(std::string_view(bytes).substr(0, bytes.size() - 4)));
  EXPECT_EQ(bytes.substr(bytes.size() - 12, 8), std::string("TPGEND\0\0", 8));
}

TEST_F(CheckpointTest, AnySingleFlippedBitIsAChecksumErrorNamingTheFile) {
  Generator init(1), drop(2);
  TransformerClassifier model(tiny_config(), init);
  AdamW opt(model.named_parameters(), 1e-2f);
  train_steps(model, opt, drop, 1);
  save_checkpoint(path("ok.ckpt"), model_checkpoint(model, opt));
  const std::string bytes = read_bytes(path("ok.ckpt"));
  const std::string p = path("flipped.ckpt");
  // Every byte of the header (magic, version, size, metadata length), 100 spread over the
  // metadata and the tensors, and every byte of the trailer and the checksum.
  std::vector<size_t> positions;
  for (size_t i = 0; i < 28; ++i) positions.push_back(i);
  for (size_t k = 0; k < 100; ++k) positions.push_back(28 + k * (bytes.size() - 40) / 100);
  for (size_t i = bytes.size() - 12; i < bytes.size(); ++i) positions.push_back(i);
  ASSERT_GE(positions.size(), 64u);
  for (size_t n = 0; n < positions.size(); ++n) {
    const size_t pos = positions[n];
    std::string bad = bytes;
    bad[pos] = char(bad[pos] ^ (1 << (n % 8)));
    write_bytes(p, bad);
    SCOPED_TRACE("bit " + std::to_string(n % 8) + " of byte " + std::to_string(pos));
    expect_error([&] { load_checkpoint(p); }, {p, "checksum mismatch"});
  }
}

TEST_F(CheckpointTest, DamagedFilesAreReportedWithTheFileAndTheProblem) {
  const Checkpoint ck{
      "{\"k\": 1}",
      {{"alpha", Tensor::full({2, 3}, 0.5f)}, {"beta", Tensor::from_indices({1, 2}, {2})}}};
  save_checkpoint(path("ok.ckpt"), ck);
  const std::string bytes = read_bytes(path("ok.ckpt"));
  const std::string p = path("bad.ckpt");

  std::string bad = bytes;
  bad[0] = 'X';
  write_bytes(p, bad);
  expect_error([&] { load_checkpoint(p); }, {p, "magic"});
  write_bytes(p, "sentence\tlabel\nsome text that is not a checkpoint\t1\n");
  expect_error([&] { load_checkpoint(p); }, {p, "not a tapegrad checkpoint"});

  // A consistent file of an unknown version (from a newer build, say).
  bad = bytes;
  put<uint32_t>(bad, kVersionAt, 3);
  write_bytes(p, resealed(bad));
  expect_error([&] { load_checkpoint(p); }, {p, "unsupported checkpoint version 3"});

  // Version 1, as older builds wrote it: no size field, no checksum.
  std::string v1 = std::string("TPGCKPT\0", 8);
  v1 += std::string("\x01\0\0\0", 4);
  v1 += std::string("\x02\0\0\0\0\0\0\0", 8) + "{}";  // metadata
  v1 += std::string(8, '\0');                         // no tensors
  v1 += std::string("TPGEND\0\0", 8);
  write_bytes(p, v1);
  expect_error([&] { load_checkpoint(p); }, {p, "version 1", "without a checksum"});

  // Structure errors behind a matching checksum (a writer bug would make these).
  bad = bytes;
  bad[bad.size() - 7] = 'Z';  // inside the end marker
  write_bytes(p, resealed(bad));
  expect_error([&] { load_checkpoint(p); }, {p, "end marker"});

  bad = bytes.substr(0, bytes.size() - 4) + "extra" + bytes.substr(bytes.size() - 4);
  write_bytes(p, resealed(bad));
  expect_error([&] { load_checkpoint(p); }, {p, "end marker"});

  bad = bytes;
  put<uint64_t>(bad, kMetaLenAt, uint64_t(1) << 60);
  write_bytes(p, resealed(bad));
  expect_error([&] { load_checkpoint(p); }, {p, "metadata length"});

  // Extra bytes after the checksum, and a size field that disagrees with the file.
  write_bytes(p, bytes + "extra");
  expect_error([&] { load_checkpoint(p); }, {p, "5 bytes more than the"});

  // Every truncation, from an empty file to one byte short, is caught and named.
  for (size_t len = 0; len < bytes.size(); ++len) {
    write_bytes(p, bytes.substr(0, len));
    SCOPED_TRACE("truncated to " + std::to_string(len) + " bytes");
    expect_error([&] { load_checkpoint(p); }, {p, "truncated"});
  }
  expect_error([&] { load_checkpoint(path("nope.ckpt")); },
               {path("nope.ckpt"), std::strerror(ENOENT)});
}

TEST_F(CheckpointTest, RestoreNamesMissingParametersAndShapeMismatches) {
  Generator init(1);
  TransformerClassifier model(tiny_config(), init);
  auto named = model.named_parameters();
  std::vector<std::pair<std::string, Tensor>> saved;
  for (const auto& [name, p] : named) saved.emplace_back(name, p->clone());
  saved.emplace_back("exp_avg/head.weight", Tensor::zeros({8, 2}));  // extra tensors are fine
  restore_parameters(saved, named);

  auto missing = saved;
  missing.erase(missing.begin() + 3);
  expect_error([&] { restore_parameters(missing, named); },
               {"'" + named[3].first + "'", "missing"});

  auto wrong = saved;
  wrong[0].second = Tensor::zeros({17, 9});
  const float before = named[0].second->to_vector()[0];
  expect_error([&] { restore_parameters(wrong, named); },
               {"'token_embedding.weight'", "[17, 8]", "[17, 9]"});
  EXPECT_EQ(named[0].second->to_vector()[0], before);  // nothing was copied
}

}  // namespace
