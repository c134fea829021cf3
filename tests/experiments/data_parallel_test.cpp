// The single-process pieces of --data-parallel and the sweep split: how batches and runs are
// shared out, and dropout masks that do not depend on how a batch is split (the multi-rank runs
// themselves are tests/mpi).
#include <gtest/gtest.h>

#include "core/generator.h"
#include "core/ops.h"
#include "experiments/runner/data_parallel.h"
#include "experiments/runner/sweep_ranks.h"

namespace {

using sst2::BatchShard;

TEST(DataParallel, shards_cover_the_batch_with_weights_summing_to_one) {
  for (int ranks : {1, 2, 3, 5}) {
    for (int64_t n : {1, 2, 7, 16, 17}) {
      int64_t next = 10;
      float weight = 0.0f;
      for (int r = 0; r < ranks; ++r) {
        const BatchShard s = sst2::shard_of(10, 10 + n, r, ranks);
        weight += s.weight;
        if (s.rows == 0) {  // a placeholder: the batch's last row, counted with weight 0
          EXPECT_EQ(s.begin, 10 + n - 1);
          EXPECT_EQ(s.end, 10 + n);
          EXPECT_EQ(s.weight, 0.0f);
          continue;
        }
        EXPECT_EQ(s.begin, next);
        EXPECT_FLOAT_EQ(s.weight, float(s.rows) / float(n));
        next = s.end;
      }
      EXPECT_EQ(next, 10 + n) << ranks << " ranks, " << n << " rows";
      EXPECT_NEAR(weight, 1.0f, 1e-6f);
    }
  }
}

TEST(DataParallel, split_dropout_masks_equal_the_whole_batch_mask) {
  const int64_t B = 5, T = 3, D = 4;
  ag::Generator whole(42);
  const ag::Tensor x = ag::Tensor::ones({B, T, D});
  const std::vector<float> ref = ag::dropout(x, 0.5f, whole).to_vector();
  const std::vector<float> ref2 = ag::dropout(x, 0.5f, whole).to_vector();  // a second draw
  for (int ranks : {2, 3}) {
    for (int r = 0; r < ranks; ++r) {
      const BatchShard s = sst2::shard_of(0, B, r, ranks);
      ag::Generator part(42);
      part.set_batch_split(uint64_t(s.begin), uint64_t(s.end - s.begin), uint64_t(B));
      const ag::Tensor xs = ag::Tensor::ones({s.end - s.begin, T, D});
      const std::vector<float> got = ag::dropout(xs, 0.5f, part).to_vector();
      const std::vector<float> got2 = ag::dropout(xs, 0.5f, part).to_vector();
      EXPECT_EQ(part.offset(), whole.offset());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i], ref[size_t(s.begin * T * D) + i]);
        EXPECT_EQ(got2[i], ref2[size_t(s.begin * T * D) + i]);
      }
    }
  }
}

TEST(DataParallel, a_draw_not_shaped_by_the_batch_is_an_error) {
  ag::Generator g(1);
  g.set_batch_split(0, 2, 4);
  EXPECT_THROW(g.reserve(5), ag::Error);
}

TEST(SweepRanks, runs_are_dealt_out_in_single_process_order) {
  sst2::RunConfig c;
  c.ffn = {ag::nn::FfnKind::Relu, ag::nn::FfnKind::Swish, ag::nn::FfnKind::SwiGLU};
  c.seeds = {0, 1};
  const auto r0 = sst2::runs_of_rank(c, 0, 4), r1 = sst2::runs_of_rank(c, 1, 4);
  ASSERT_EQ(r0.size(), 2u);
  EXPECT_EQ(r0[0].ffn, ag::nn::FfnKind::Relu);
  EXPECT_EQ(r0[1].ffn, ag::nn::FfnKind::SwiGLU);  // run 4: swiglu seed 0
  EXPECT_EQ(r0[1].seed, 0);
  ASSERT_EQ(r1.size(), 2u);
  EXPECT_EQ(sst2::describe_share(r1, 1, 4), "rank 1/4: relu_seed1, swiglu_seed1");
  EXPECT_EQ(sst2::describe_share(sst2::runs_of_rank(c, 7, 8), 7, 8), "rank 7/8: no runs");
  c.data_parallel = true;  // every rank takes part in every run
  EXPECT_EQ(sst2::runs_of_rank(c, 3, 4).size(), 6u);
  EXPECT_EQ(sst2::default_threads(16, 4), 4);
  EXPECT_EQ(sst2::default_threads(2, 3), 1);
  EXPECT_EQ(sst2::default_threads(16, 1), 0);  // one rank: OpenMP's default
}

}  // namespace
