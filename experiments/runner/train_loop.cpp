#include "experiments/runner/train_loop.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "core/ops.h"
#include "experiments/runner/distributed.h"
#include "experiments/runner/system_info.h"

namespace sst2 {

using ag::Device;
using ag::Tensor;

// The steps of an epoch whose loss and predictions still wait in StepOutputs' slots on the
// device. They are read together (one synchronisation) at a log step, a progress refresh, or the
// end of the epoch.
struct TrainLoop::PendingSteps {
  std::vector<int64_t> slot;       // StepOutputs slot
  std::vector<int64_t> first_row;  // index into the epoch's order of the batch's first row
  std::vector<int64_t> rows;
  std::vector<int64_t> global_step;
  bool empty() const { return slot.empty(); }
  void add(int64_t s, int64_t first, int64_t n, int64_t step) {
    slot.push_back(s);
    first_row.push_back(first);
    rows.push_back(n);
    global_step.push_back(step);
  }
  void clear() {
    slot.clear();
    first_row.clear();
    rows.clear();
    global_step.clear();
  }
};

TrainLoop::TrainLoop(const RunConfig& config, const TokenizedSet& train, RunModel& model,
                     int64_t seed, uint64_t dropout_seed, const std::atomic<bool>& stop,
                     RunRecord& record, Progress& progress, std::string label)
    : config_(config),
      train_(train),
      model_(model),
      seed_(seed),
      stop_(stop),
      record_(record),
      progress_(progress),
      label_(std::move(label)),
      dropout_gen_(dropout_seed) {}

void TrainLoop::log_gradients(int64_t step, int64_t epoch, float loss) {
  // Each of these reads synchronises once; that is why they run only every log_every steps.
  const float global = ag::nn::global_grad_norm(model_.params);
  std::map<std::string, float> groups = ag::nn::grad_norms_by_prefix(model_.encoder_params, 3);
  for (const auto& [name, norm] : ag::nn::grad_norms_by_prefix(model_.other_params, 1)) {
    groups[name] = norm;
  }
  record_.add_step(step, epoch, loss, global, groups);
}

bool TrainLoop::read_pending(PendingSteps& pending, const std::vector<int64_t>& order,
                             int64_t epoch, EpochTotals& totals, Divergence& divergence) {
  if (pending.empty()) return true;
  const StepOutputs::Host host = outputs_->read();  // one read for the whole window
  for (size_t i = 0; i < pending.slot.size(); ++i) {
    const size_t slot = size_t(pending.slot[i]);
    const float loss = host.losses[slot];
    if (!std::isfinite(loss)) {
      divergence.happened = true;
      divergence.step = pending.global_step[i];
      divergence.epoch = epoch;
      divergence.message = std::string("training loss is ") + (std::isnan(loss) ? "NaN" : "Inf") +
                           " at step " + std::to_string(pending.global_step[i]) + " (epoch " +
                           std::to_string(epoch) + ")";
      pending.clear();
      return false;
    }
    totals.loss_sum += double(loss);
    ++totals.steps_read;
    const int32_t* preds = host.predictions.data() + slot * size_t(outputs_->max_rows());
    for (int64_t r = 0; r < pending.rows[i]; ++r) {
      const int64_t row = order[size_t(pending.first_row[i] + r)];
      totals.correct += preds[r] == train_.labels[size_t(row)] ? 1 : 0;
      ++totals.seen;
    }
  }
  pending.clear();
  return true;
}

bool TrainLoop::graph_step(int64_t begin, int64_t end, int64_t step, int64_t epoch, bool log_step,
                           PendingSteps& pending) {
  auto& adamw = static_cast<ag::nn::AdamW&>(*model_.optimizer);  // validate(): --optimizer adamw
  adamw.prepare_step(Device::CUDA);
  const bool capture = !graph_->captured();
  int64_t slot = 0;
  if (capture) {
    // The eager step's work, on the static inputs, with AdamW's scalars read on the device.
    graph_->capture(
        [&] {
          const Batch& in = graph_->inputs();
          model_.optimizer->zero_grad();
          const Tensor logits = model_.net->forward(in.ids, in.mask, dropout_gen_);
          Tensor l = ag::cross_entropy(logits, in.labels);
          ag::backward(l);
          adamw.apply_prepared();
          slot = outputs_->append(l.detach(), logits.detach());
          return l.detach();
        },
        dropout_gen_, model_.params);
  } else {
    (void)graph_->replay(dropout_gen_, model_.params);
    slot = outputs_->replayed();
  }
  pending.add(slot, begin, end - begin, step);
  // The gradients are the step's (AdamW does not change them): the norms the eager step logs.
  if (log_step) log_gradients(step, epoch, graph_->loss().item());
  return capture;
}

EpochOutcome TrainLoop::run_epoch(int64_t epoch) {
  EpochOutcome outcome;
  EpochTotals& totals = outcome.totals;
  Divergence& divergence = outcome.divergence;
  const TokenizedSet& train = train_;
  const Device device = config_.device;
  const std::vector<int64_t> order = epoch_permutation(train.rows, uint64_t(seed_), epoch);
  const int64_t B = config_.batch;
  const int64_t steps = (train.rows + B - 1) / B;  // the last, partial batch is kept
  const bool on_cpu = device == Device::CPU;
  BatchAssembler batches(train, device, config_.padding_mask);
  PendingSteps pending;
  if (!outputs_) {
    // Reads come every log_every steps and at the end of an epoch: that many slots suffice.
    outputs_ = std::make_unique<StepOutputs>(std::min(config_.log_every, steps) + 1, B, device);
  }
  model_.net->train(true);
  progress_.begin_epoch(label_, epoch, config_.epochs, steps);

  const double start = now_seconds();
  for (int64_t s = 0; s < steps; ++s) {
    // With data parallelism every rank stops at the same step (or one would wait forever).
    bool stop = stop_.load(std::memory_order_relaxed);
    if (model_.sync) stop = dist::max(stop ? 1 : 0) != 0;
    if (stop) {
      outcome.interrupted = true;
      return outcome;
    }
    const int64_t step = ++global_step_;
    const int64_t begin = s * B, end = std::min(train.rows, begin + B);
    const bool full = end - begin == B;
    const bool log_step = (step - 1) % config_.log_every == 0;
    // --cuda-graph: every full batch but the run's first (which creates AdamW's moments) is the
    // graph's; the debug NaN step runs eagerly, since it changes the step.
    const bool graphed =
        config_.cuda_graph && full && eager_full_steps_ > 0 && step != config_.debug_nan_at_step;
    // --data-parallel: this rank's part of the batch, its dropout keyed by the global rows.
    BatchShard part{begin, end, end - begin, 1.0f};
    if (model_.sync) {
      part = shard_of(begin, end, dist::world().rank, dist::world().size);
      dropout_gen_.set_batch_split(uint64_t(part.begin - begin), uint64_t(part.end - part.begin),
                                   uint64_t(end - begin));
    }
    // The batch goes to the device first: its upload is not counted as the step's work.
    Batch batch;
    if (graphed) {
      if (!graph_) graph_ = std::make_unique<StepGraph>(B, train.seq_len, config_.padding_mask);
      batches.gather_into(order, begin, end, graph_->inputs());
    } else {
      batch = batches.gather(order, part.begin, part.end);
    }
    if (!on_cpu) launches_.begin();
    bool captured_now = false;
    if (graphed) {
      captured_now = graph_step(begin, end, step, epoch, log_step, pending);
      if (captured_now) launches_.set_captured(graph_->recorded());
    } else {
      if (config_.cuda_graph) StepGraph::before_eager_step();
      model_.optimizer->zero_grad();
      const Tensor logits = model_.net->forward(batch.ids, batch.mask, dropout_gen_);
      Tensor loss = ag::cross_entropy(logits, batch.labels);
      if (step == config_.debug_nan_at_step) loss = ag::mul(loss, std::nanf(""));  // test hook
      ag::backward(loss);
      // --data-parallel: the whole batch's gradient and loss.
      if (model_.sync) loss = model_.sync->reduce(loss, part.weight);
      if (log_step) log_gradients(step, epoch, loss.item());  // norms before clipping
      if (config_.clip_grad_norm > 0)
        ag::nn::clip_grad_norm(model_.params, float(config_.clip_grad_norm));
      model_.optimizer->step();
      pending.add(outputs_->append(loss.detach(), logits.detach()), part.begin, part.rows, step);
      if (full) ++eager_full_steps_;
    }
    if (!on_cpu) {
      using Kind = StepLaunches::Kind;
      launches_.end(!log_step && full,
                    graphed ? (captured_now ? Kind::Capture : Kind::Replay) : Kind::Eager);
    }
    totals.tokens += part.rows * train.seq_len;

    // Values are read (a device synchronisation) only at log steps and at the end of the
    // epoch; on the CPU, where reading costs nothing, also when the progress bar redraws.
    const bool last = s + 1 == steps;
    const bool redraw = on_cpu ? progress_.due(s + 1) : false;
    if (log_step || last || redraw) {
      if (!read_pending(pending, order, epoch, totals, divergence)) return outcome;
      if (redraw || (!on_cpu && progress_.due(s + 1))) {
        const double elapsed = now_seconds() - start;
        progress_.update(s + 1, totals.steps_read ? totals.loss_sum / double(totals.steps_read) : 0,
                         elapsed > 0 ? double(s + 1) / elapsed : 0.0);
      }
    }
  }
  outcome.seconds = now_seconds() - start;  // the last read above waited for the device
  reduce_totals(totals);
  progress_.end_epoch();
  return outcome;
}

void TrainLoop::reduce_totals(EpochTotals& totals) const {
  if (!model_.sync) return;
  // The loss sum is already the whole batches' (reduced every step); the counts are per rank.
  int64_t counts[3] = {totals.correct, totals.seen, totals.tokens};
  dist::sum(counts, 3);
  totals.correct = counts[0];
  totals.seen = counts[1];
  totals.tokens = counts[2];
}

}  // namespace sst2
