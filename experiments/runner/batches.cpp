#include "experiments/runner/batches.h"

#include <algorithm>

#include "core/backend.h"
#include "core/error.h"

namespace sst2 {

void TokenizedSet::append(const std::vector<int32_t>& row_ids, const std::vector<int32_t>& row_mask,
                          int label, int32_t pad_id) {
  AG_CHECK(int64_t(row_ids.size()) <= seq_len, "TokenizedSet '", name, "': row ", rows, " has ",
           row_ids.size(), " tokens, more than max_len ", seq_len);
  AG_CHECK(row_mask.empty() || row_mask.size() == row_ids.size(), "TokenizedSet '", name, "': row ",
           rows, " has ", row_ids.size(), " ids but ", row_mask.size(), " mask values");
  for (int64_t t = 0; t < seq_len; ++t) {
    const bool real = t < int64_t(row_ids.size()) && (row_mask.empty() || row_mask[size_t(t)] != 0);
    ids.push_back(t < int64_t(row_ids.size()) ? row_ids[size_t(t)] : pad_id);
    mask.push_back(real ? 1.0f : 0.0f);
  }
  labels.push_back(label);
  ++rows;
}

BatchAssembler::BatchAssembler(const TokenizedSet& set, ag::Device device, bool with_mask)
    : set_(set), device_(device), with_mask_(with_mask) {}

void BatchAssembler::fill_row(int64_t slot, int64_t row) {
  const int64_t T = set_.seq_len;
  std::copy_n(set_.ids.begin() + row * T, T, ids_.begin() + slot * T);
  std::copy_n(set_.mask.begin() + row * T, T, mask_.begin() + slot * T);
  labels_[size_t(slot)] = set_.labels[size_t(row)];
}

Batch BatchAssembler::upload(int64_t rows) {
  const int64_t T = set_.seq_len;
  Batch b;
  b.rows = rows;
  b.ids = ag::Tensor::from_indices(ids_, {rows, T}, device_);
  if (with_mask_) b.mask = ag::Tensor::from_vector(mask_, {rows, T}, device_);
  b.labels = ag::Tensor::from_indices(labels_, {rows}, device_);
  return b;
}

Batch BatchAssembler::gather(const std::vector<int64_t>& order, int64_t begin, int64_t end) {
  AG_CHECK(0 <= begin && begin < end && end <= int64_t(order.size()),
           "BatchAssembler: bad row range [", begin, ", ", end, ") of ", order.size());
  const int64_t rows = end - begin;
  // resize() keeps the capacity, so full batches after the first allocate nothing here.
  ids_.resize(size_t(rows * set_.seq_len));
  mask_.resize(size_t(rows * set_.seq_len));
  labels_.resize(size_t(rows));
  for (int64_t i = 0; i < rows; ++i) fill_row(i, order[size_t(begin + i)]);
  return upload(rows);
}

void BatchAssembler::gather_into(const std::vector<int64_t>& order, int64_t begin, int64_t end,
                                 Batch& into) {
  AG_CHECK(0 <= begin && begin < end && end <= int64_t(order.size()) && into.rows == end - begin &&
               into.mask.defined() == with_mask_,
           "BatchAssembler: rows [", begin, ", ", end, ") do not fit a batch of ", into.rows);
  const int64_t rows = end - begin;
  ids_.resize(size_t(rows * set_.seq_len));
  mask_.resize(size_t(rows * set_.seq_len));
  labels_.resize(size_t(rows));
  for (int64_t i = 0; i < rows; ++i) fill_row(i, order[size_t(begin + i)]);
  ag::Backend& be = ag::backend(device_);
  be.copy_from_host(into.ids.idata(), ids_.data(), ids_.size() * sizeof(int32_t));
  if (with_mask_) be.copy_from_host(into.mask.data(), mask_.data(), mask_.size() * sizeof(float));
  be.copy_from_host(into.labels.idata(), labels_.data(), labels_.size() * sizeof(int32_t));
}

Batch BatchAssembler::range(int64_t begin, int64_t end) {
  AG_CHECK(0 <= begin && begin < end && end <= set_.rows, "BatchAssembler: bad row range [", begin,
           ", ", end, ") of ", set_.rows);
  const int64_t rows = end - begin;
  ids_.resize(size_t(rows * set_.seq_len));
  mask_.resize(size_t(rows * set_.seq_len));
  labels_.resize(size_t(rows));
  for (int64_t i = 0; i < rows; ++i) fill_row(i, begin + i);
  return upload(rows);
}

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(size_t(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) order[size_t(i)] = i;
  // A SplitMix64 stream keyed by (seed, epoch).
  uint64_t state = mix64(mix64(seed ^ 0x53485546464C45ull) + uint64_t(epoch));
  auto next = [&state] {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  for (int64_t i = n - 1; i > 0; --i) {
    // An unbiased draw from [0, i]: reject the top partial block of the 64-bit range.
    const uint64_t bound = uint64_t(i) + 1;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t r;
    do {
      r = next();
    } while (r >= limit);
    std::swap(order[size_t(i)], order[size_t(r % bound)]);
  }
  return order;
}

}  // namespace sst2
