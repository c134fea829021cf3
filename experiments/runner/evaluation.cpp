#include "experiments/runner/evaluation.h"

#include <algorithm>

#include "core/error.h"
#include "core/ops.h"
#include "core/tape.h"
#include "experiments/runner/distributed.h"

namespace sst2 {

namespace {

// --data-parallel: the sums and predictions of every rank's part.
void reduce_across_ranks(EvalResult& r, double& loss_sum, int64_t& correct, FfnStats* stats) {
  dist::sum(&loss_sum, 1);
  dist::sum(&correct, 1);
  r.predictions = dist::all_gather(r.predictions);  // contiguous parts, in rank order
  if (stats) stats->merge_across_ranks();
}

}  // namespace

EvalResult evaluate(RunModel& model, const RunConfig& config, const TokenizedSet& set,
                    FfnStats* stats) {
  EvalResult r;
  ag::NoGradGuard no_grad;
  ag::Generator eval_gen{0};  // never drawn from (eval mode has no dropout)
  model.net->train(false);
  ag::nn::FeedForward& ffn = model.net->layers.front()->ffn;  // statistics of the first layer
  ffn.capture = stats != nullptr;
  BatchAssembler batches(set, config.device, config.padding_mask);
  double loss_sum = 0.0;
  int64_t correct = 0;
  r.predictions.reserve(size_t(set.rows));
  // With data parallelism each rank evaluates its contiguous part of the set.
  const BatchShard part = model.sync
                              ? eval_shard_of(set.rows, dist::world().rank, dist::world().size)
                              : BatchShard{0, set.rows, set.rows, 1.0f};
  for (int64_t begin = part.begin; begin < part.end; begin += config.eval_batch) {
    const int64_t end = std::min(part.end, begin + config.eval_batch);
    const Batch batch = batches.range(begin, end);
    const ag::Tensor logits = model.net->forward(batch.ids, batch.mask, eval_gen);
    loss_sum += double(ag::cross_entropy(logits, batch.labels).item()) * double(end - begin);
    const std::vector<int32_t> preds = ag::argmax(logits).to_int_vector();
    for (size_t i = 0; i < preds.size(); ++i) {
      r.predictions.push_back(preds[i]);
      correct += preds[i] == set.labels[size_t(begin) + i] ? 1 : 0;
    }
    if (stats) {
      const ag::nn::FfnProbe& probe = ffn.last_probe;
      const std::vector<float> pre = probe.pre_activation.to_vector();
      const std::vector<float> up =
          probe.up.defined() ? probe.up.to_vector() : std::vector<float>();
      const std::vector<float> act = probe.activation.to_vector();
      const std::vector<float> out = probe.output.to_vector();
      const int64_t rows = (end - begin) * set.seq_len;
      AG_CHECK(int64_t(pre.size()) == rows * model.hidden &&
                   int64_t(out.size()) == rows * config.d_model,
               "FFN probe: expected ", rows, " positions of ", model.hidden, " / ", config.d_model,
               " values, got ", pre.size(), " / ", out.size());
      // Padding positions are left out when the model masks them (they are noise it ignores).
      stats->add(pre.data(), up.empty() ? nullptr : up.data(), act.data(), out.data(), rows,
                 config.d_model, config.padding_mask ? batches.host_mask().data() : nullptr);
    }
  }
  ffn.capture = false;
  ffn.last_probe = {};
  model.net->train(true);
  if (model.sync) reduce_across_ranks(r, loss_sum, correct, stats);
  r.loss = loss_sum / double(set.rows);
  r.acc = double(correct) / double(set.rows);
  return r;
}

}  // namespace sst2
