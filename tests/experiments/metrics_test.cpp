// The measuring pieces: fixed-bin histograms, FFN statistics on hand-made activations,
// mean/std across seeds, atomic JSON files, and the batches and epoch order.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "core/error.h"
#include "experiments/runner/batches.h"
#include "experiments/runner/metrics.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using sst2::FfnStats;
using sst2::Histogram;
using namespace sst2_test;

int64_t sum_counts(const Json& h) {
  int64_t s = 0;
  for (const auto& c : h["counts"]) s += c.get<int64_t>();
  return s;
}

TEST(Histogram, BinEdgesUnderflowOverflowAndNan) {
  Histogram h;
  // bin i = [-8 + 0.1 i, -8 + 0.1 (i + 1))
  h.add(-8.0f);                                    // bin 0 (lower edge included)
  h.add(-7.95f);                                   // bin 0
  h.add(0.0f);                                     // bin 80
  h.add(0.05f);                                    // bin 80
  h.add(7.99f);                                    // bin 159
  h.add(8.0f);                                     // overflow (upper edge excluded)
  h.add(-8.5f);                                    // underflow
  h.add(std::numeric_limits<float>::infinity());   // overflow
  h.add(-std::numeric_limits<float>::infinity());  // underflow
  h.add(std::nanf(""));                            // counted apart
  const Json j = h.to_json();
  ASSERT_EQ(j["counts"].size(), 160u);
  EXPECT_EQ(j["counts"][0], 2);
  EXPECT_EQ(j["counts"][80], 2);
  EXPECT_EQ(j["counts"][159], 1);
  EXPECT_EQ(j["underflow"], 2);
  EXPECT_EQ(j["overflow"], 2);
  EXPECT_EQ(j["nan"], 1);
  EXPECT_EQ(j["total"], 9);
  EXPECT_EQ(sum_counts(j) + j["underflow"].get<int64_t>() + j["overflow"].get<int64_t>(),
            j["total"].get<int64_t>());
  EXPECT_EQ(Histogram::bins_json(), (Json{{"lo", -8.0}, {"hi", 8.0}, {"count", 160}}));
}

TEST(Histogram, MomentsAndRange) {
  Histogram h;
  for (float v : {1.0f, 2.0f, 3.0f, 4.0f}) h.add(v);
  EXPECT_DOUBLE_EQ(h.mean(), 2.5);
  EXPECT_NEAR(h.std(), std::sqrt(1.25), 1e-12);  // population std of 1..4
  const Json j = h.to_json();
  EXPECT_EQ(j["min"], 1.0);
  EXPECT_EQ(j["max"], 4.0);
  Histogram empty;
  EXPECT_TRUE(empty.to_json()["min"].is_null());
  EXPECT_EQ(empty.to_json()["total"], 0);
  Histogram merged;
  merged.merge(h);
  merged.add(-1.0f);
  EXPECT_EQ(merged.total(), 5);
  EXPECT_EQ(merged.to_json()["min"], -1.0);
}

TEST(FfnStats, HandComputedFractionsAndDeadUnits) {
  // 3 positions x 2 hidden units, the middle position is padding.
  //   unit 0 pre: -2 (bump, left of min), [pad 5], -0.5 (bump, right of min) -> never > 0: dead
  //   unit 1 pre: -6 (outside the bump),  [pad 9],  1.5                      -> alive
  const float pre[] = {-2.0f, -6.0f, 5.0f, 9.0f, -0.5f, 1.5f};
  const float act[] = {-0.24f, -0.01f, 5.0f, 9.0f, -0.19f, 1.2f};
  const float out[] = {0.1f, 0.2f, 0.3f, 100.0f, 100.0f, 100.0f, 0.4f, 0.5f, 0.6f};
  const float mask[] = {1.0f, 0.0f, 1.0f};
  FfnStats stats(2, false);
  stats.add(pre, nullptr, act, out, 3, 3, mask);
  const Json j = stats.to_json();
  EXPECT_EQ(j["positions"], 2);
  EXPECT_EQ(j["pre_activation"]["total"], 4);
  EXPECT_EQ(j["block_output"]["total"], 6);
  EXPECT_EQ(j["block_output"]["overflow"], 0);  // the padding row (100s) is left out
  EXPECT_FALSE(j.contains("up"));
  EXPECT_DOUBLE_EQ(j["negative_fraction"].get<double>(), 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(j["negative_kept_fraction"].get<double>(), 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(j["bump"]["fraction"].get<double>(), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(j["bump"]["left_of_min"].get<double>(), 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(j["bump"]["right_of_min"].get<double>(), 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(j["dead_unit_ratio"].get<double>(), 0.5);
  for (const char* h : {"pre_activation", "activation_output", "block_output"}) {
    EXPECT_EQ(sum_counts(j[h]) + j[h]["underflow"].get<int64_t>() + j[h]["overflow"].get<int64_t>(),
              j[h]["total"].get<int64_t>())
        << h;
  }
  // Without a mask every position counts, and unit 0 is alive (the padding row had 5).
  FfnStats all(2, false);
  all.add(pre, nullptr, act, out, 3, 3, nullptr);
  EXPECT_EQ(all.to_json()["positions"], 3);
  EXPECT_DOUBLE_EQ(all.to_json()["dead_unit_ratio"].get<double>(), 0.0);
}

TEST(FfnStats, GatedVariantsHaveAnUpHistogram) {
  const float pre[] = {1.0f, -1.0f};
  const float up[] = {-3.0f, 2.0f};
  const float act[] = {-2.19f, -0.54f};
  const float out[] = {0.0f};
  FfnStats stats(2, true);
  stats.add(pre, up, act, out, 1, 1, nullptr);
  const Json j = stats.to_json();
  ASSERT_TRUE(j.contains("up"));
  EXPECT_EQ(j["up"]["total"], 2);
  EXPECT_DOUBLE_EQ(j["up"]["mean"].get<double>(), -0.5);
  EXPECT_DOUBLE_EQ(j["negative_kept_fraction"].get<double>(), 1.0);
}

TEST(MeanStd, SampleStandardDeviation) {
  const sst2::MeanStd a = sst2::mean_std({0.80, 0.82, 0.84});
  EXPECT_NEAR(a.mean, 0.82, 1e-12);
  EXPECT_NEAR(a.std, 0.02, 1e-12);  // n - 1 in the denominator
  const sst2::MeanStd one = sst2::mean_std({0.5});
  EXPECT_DOUBLE_EQ(one.mean, 0.5);
  EXPECT_DOUBLE_EQ(one.std, 0.0);
}

TEST(AtomicJson, ReplacesTheFileAndLeavesNoTemporary) {
  ScratchDir dir("atomic");
  const std::string path = dir / "m.json";
  sst2::write_json_atomically(path, Json{{"a", 1}});
  sst2::write_json_atomically(path, Json{{"a", 2}, {"nan", std::nan("")}});
  const Json j = read_json(path);
  EXPECT_EQ(j["a"], 2);
  EXPECT_TRUE(j["nan"].is_null());  // non-finite numbers become null: the file stays JSON
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1);
  EXPECT_THROW(sst2::write_json_atomically(dir / "no/such/dir/m.json", Json{}), ag::Error);
}

TEST(EpochPermutation, DeterministicPerSeedAndEpoch) {
  const auto a = sst2::epoch_permutation(1000, 3, 1);
  EXPECT_EQ(a, sst2::epoch_permutation(1000, 3, 1));
  EXPECT_NE(a, sst2::epoch_permutation(1000, 3, 2));
  EXPECT_NE(a, sst2::epoch_permutation(1000, 4, 1));
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(a, identity);
  EXPECT_EQ(sst2::epoch_permutation(1, 0, 1), std::vector<int64_t>{0});
  EXPECT_TRUE(sst2::epoch_permutation(0, 0, 1).empty());
}

TEST(EpochPermutation, EveryPositionIsReachable) {
  // Over many epochs, element 0 lands in every one of 8 slots (the shuffle is not biased away
  // from any of them).
  std::set<int64_t> slots;
  for (int64_t epoch = 1; epoch <= 200; ++epoch) {
    const auto p = sst2::epoch_permutation(8, 0, epoch);
    slots.insert(std::find(p.begin(), p.end(), 0) - p.begin());
  }
  EXPECT_EQ(slots.size(), 8u);
}

TEST(Batches, PaddingAndGather) {
  sst2::TokenizedSet set;
  set.name = "t";
  set.seq_len = 4;
  set.append({2, 7, 3}, {1, 1, 1}, 1, 0);
  set.append({2, 3}, {}, 0, 0);
  set.append({2, 8, 9, 3}, {1, 1, 1, 1}, 1, 0);
  EXPECT_EQ(set.rows, 3);
  EXPECT_EQ(set.ids, (std::vector<int32_t>{2, 7, 3, 0, 2, 3, 0, 0, 2, 8, 9, 3}));
  EXPECT_EQ(set.mask, (std::vector<float>{1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1}));
  EXPECT_THROW(set.append({1, 2, 3, 4, 5}, {}, 0, 0), ag::Error);

  sst2::BatchAssembler with_mask(set, ag::Device::CPU, true);
  const sst2::Batch b = with_mask.gather({2, 0, 1}, 0, 2);  // rows 2 and 0
  EXPECT_EQ(b.rows, 2);
  EXPECT_EQ(b.ids.shape(), (ag::Shape{2, 4}));
  EXPECT_EQ(b.ids.to_int_vector(), (std::vector<int32_t>{2, 8, 9, 3, 2, 7, 3, 0}));
  EXPECT_EQ(b.mask.to_vector(), (std::vector<float>{1, 1, 1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(b.labels.to_int_vector(), (std::vector<int32_t>{1, 1}));
  const sst2::Batch last = with_mask.gather({2, 0, 1}, 2, 3);  // a partial last batch
  EXPECT_EQ(last.ids.shape(), (ag::Shape{1, 4}));
  EXPECT_EQ(last.labels.to_int_vector(), (std::vector<int32_t>{0}));

  sst2::BatchAssembler no_mask(set, ag::Device::CPU, false);
  const sst2::Batch r = no_mask.range(1, 3);
  EXPECT_FALSE(r.mask.defined());
  EXPECT_EQ(r.ids.to_int_vector(), (std::vector<int32_t>{2, 3, 0, 0, 2, 8, 9, 3}));
  EXPECT_EQ(no_mask.host_mask(), (std::vector<float>{1, 1, 0, 0, 1, 1, 1, 1}));
  EXPECT_THROW(no_mask.range(2, 4), ag::Error);
}

}  // namespace
