#include "experiments/runner/data_source.h"

#include <filesystem>
#include <set>

#include "core/error.h"
#include "experiments/data/glue_tsv.h"
#include "experiments/data/locate.h"
#include "experiments/data/tokenizer.h"

#ifndef SST2_SOURCE_DIR
#define SST2_SOURCE_DIR "."
#endif

namespace sst2 {

namespace fs = std::filesystem;

namespace {

TokenizedSet tokenize(const std::string& name, const std::vector<data::Example>& examples,
                      const data::WordPieceTokenizer& tokenizer, int64_t max_len) {
  TokenizedSet set;
  set.name = name;
  set.seq_len = max_len;
  set.ids.reserve(examples.size() * size_t(max_len));
  set.mask.reserve(examples.size() * size_t(max_len));
  set.labels.reserve(examples.size());
  const int32_t pad = int32_t(tokenizer.pad_id());
  for (const data::Example& e : examples) {
    AG_CHECK(e.label == 0 || e.label == 1, name, ": label ", e.label, " is not 0 or 1");
    const data::Encoded enc = tokenizer.encode_for_classification(e.sentence, max_len);
    set.append(enc.ids, enc.attention_mask, e.label, pad);
  }
  return set;
}

}  // namespace

std::string default_source_root() {
  return SST2_SOURCE_DIR;
}

std::string file_stem(const std::string& path) {
  return fs::path(path).stem().string();
}

ExperimentData load_experiment_data(const RunConfig& c, const std::string& source_root) {
  std::string data_dir, vocab;
  try {
    data_dir = data::find_data_dir(c.data_dir, source_root);
    vocab = data::find_vocab(c.vocab, source_root);
  } catch (const ag::Error& e) {
    throw UsageError(e.what());  // not found: a usage problem (exit 2), the message says where
  }
  for (const auto& f : c.eval_files) {
    if (!fs::is_regular_file(f)) throw UsageError("--eval-file: cannot find '" + f + "'");
  }
  std::set<std::string> stems;
  for (const auto& f : c.eval_files) {
    if (!stems.insert(file_stem(f)).second) {
      throw UsageError("--eval-file: two files share the stem '" + file_stem(f) +
                       "' (results are reported by stem)");
    }
  }

  const data::WordPieceTokenizer tokenizer = data::WordPieceTokenizer::from_vocab_file(vocab);
  ExperimentData d;
  d.data_dir = data_dir;
  d.vocab_path = vocab;
  d.vocab_size = int64_t(tokenizer.vocab_size());
  const std::string train_path = (fs::path(data_dir) / "train.tsv").string();
  const std::string dev_path = (fs::path(data_dir) / "dev.tsv").string();
  const data::Utf8 utf8 = c.utf8_replace ? data::Utf8::Replace : data::Utf8::Strict;
  d.train = tokenize("train", data::read_glue_tsv(train_path, c.limit, utf8), tokenizer, c.max_len);
  d.dev = tokenize("dev", data::read_glue_tsv(dev_path, c.dev_limit, utf8), tokenizer, c.max_len);
  AG_CHECK(d.train.rows > 0, train_path, ": no examples");
  AG_CHECK(d.dev.rows > 0, dev_path, ": no examples");
  for (const auto& f : c.eval_files) {
    d.evals.push_back(
        tokenize(file_stem(f), data::read_glue_tsv(f, -1, utf8), tokenizer, c.max_len));
    AG_CHECK(d.evals.back().rows > 0, f, ": no examples");
    d.eval_paths.push_back(f);
  }
  return d;
}

}  // namespace sst2
