// The tokenised data sets and the batches built from them.
//
// Every sentence is tokenised once, before training, into fixed-length rows of max_len token ids
// with a 0/1 mask, so an epoch only gathers rows: no strings, no per-step tokenisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace sst2 {

// Rows of `seq_len` token ids (padded), their masks (1 real token, 0 padding) and labels.
struct TokenizedSet {
  std::string name;  // "train", "dev", or an --eval-file stem
  int64_t rows = 0;
  int64_t seq_len = 0;
  std::vector<int32_t> ids;     // [rows * seq_len]
  std::vector<float> mask;      // [rows * seq_len]
  std::vector<int32_t> labels;  // [rows]

  // Appends one example; ids/mask shorter than seq_len are padded with `pad_id`/0, longer ones
  // are an error (the tokenizer truncates).
  void append(const std::vector<int32_t>& row_ids, const std::vector<int32_t>& row_mask, int label,
              int32_t pad_id);
};

// One batch on the training device: ids int32 [B, T], mask float [B, T] (undefined when the
// model runs without a padding mask), labels int32 [B].
struct Batch {
  ag::Tensor ids, mask, labels;
  int64_t rows = 0;
};

// Gathers rows of a TokenizedSet into device tensors. The host staging buffers are reused from
// batch to batch (they only change size for a last, partial batch).
class BatchAssembler {
 public:
  BatchAssembler(const TokenizedSet& set, ag::Device device, bool with_mask);
  // The rows order[begin], ..., order[end - 1].
  Batch gather(const std::vector<int64_t>& order, int64_t begin, int64_t end);
  // As gather, but copied into into's device buffers (which must hold end - begin rows of the
  // same layout): a captured graph reads its inputs from fixed addresses.
  void gather_into(const std::vector<int64_t>& order, int64_t begin, int64_t end, Batch& into);
  // The rows begin, ..., end - 1 in their stored order.
  Batch range(int64_t begin, int64_t end);
  // The host copy of the last batch's mask (filled even when the model gets no mask).
  const std::vector<float>& host_mask() const { return mask_; }

 private:
  void fill_row(int64_t slot, int64_t row);
  Batch upload(int64_t rows);

  const TokenizedSet& set_;
  ag::Device device_;
  bool with_mask_;
  std::vector<int32_t> ids_, labels_;
  std::vector<float> mask_;
};

// A permutation of 0..n-1 that depends only on (seed, epoch): the training order of an epoch.
// Fisher-Yates over a SplitMix64 stream, so it is the same on every platform and library.
std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch);

// SplitMix64's output function: a well-mixed 64-bit hash of x (used to derive seeds).
uint64_t mix64(uint64_t x);

}  // namespace sst2
