#include "experiments/runner/options.h"

#include "experiments/runner/config_values.h"

namespace sst2 {

namespace {

// A row's reader and writer for the field `Member` of RunConfig, by the field's type
// (config_values.h).
template <auto Member>
void read_member(RunConfig& c, const Json& v, const std::string& where) {
  read_value(v, where, c.*Member);
}

template <auto Member>
Json write_member(const RunConfig& c) {
  return value_json(c.*Member);
}

#define FIELD(member) &read_member<&RunConfig::member>, &write_member<&RunConfig::member>

constexpr unsigned kMayDiffer = Option::kMayDiffer, kChanges = Option::kChangesResults,
                   kAddedLater = Option::kAddedLater, kCommandLineOnly = Option::kCommandLineOnly;

}  // namespace

const std::vector<Option>& options() {
  static const std::vector<Option> table = {
      {"ffn", "--ffn", Shape::TextList, "LIST",
       "FFN variants to train: relu,swish,gelu,swiglu,geglu (default relu,swish,swiglu)",
       FIELD(ffn), kMayDiffer},
      {"seeds", "--seeds", Shape::IntList, "LIST", "seeds, e.g. 0,1,2 (default 0)", FIELD(seeds),
       kMayDiffer},
      {"epochs", "--epochs", Shape::Int, "N", "training epochs (default 10)", FIELD(epochs),
       kMayDiffer},
      {"preset", "--preset", Shape::Text, "NAME",
       "'original': the seed repository's exact setup (3000 train / 500 dev examples, post-LN, "
       "2 heads, sinusoidal positions, CLS pooling, no padding mask, no dropout); explicit "
       "settings override it",
       FIELD(preset), kChanges},
      {"data_dir", "--data-dir", Shape::Text, "DIR",
       "directory with train.tsv and dev.tsv (default: data/SST-2, then ../shared/data/SST-2, "
       "from here and from the source tree)",
       FIELD(data_dir), kMayDiffer},
      {"vocab", "--vocab", Shape::Text, "FILE", "bert-base-uncased vocab.txt (default: searched)",
       FIELD(vocab), kMayDiffer},
      {"eval_file", "--eval-file", Shape::RepeatText, "FILE",
       "extra labelled TSV evaluated every epoch, reported under its file stem (repeatable)",
       FIELD(eval_files), kMayDiffer},
      {"limit", "--limit", Shape::Int, "N", "use the first N training examples (default all)",
       FIELD(limit), kChanges},
      {"dev_limit", "--dev-limit", Shape::Int, "N", "use the first N dev examples (default all)",
       FIELD(dev_limit), kChanges},
      {"max_len", "--max-len", Shape::Int, "N",
       "tokens per example incl. [CLS]/[SEP], padded/truncated to it (default 32)", FIELD(max_len),
       kChanges},
      {"utf8_replace", "--utf8-replace", Shape::Switch, nullptr,
       "replace invalid UTF-8 in the TSV files with U+FFFD, as Python's errors=\"replace\" "
       "does (default: invalid UTF-8 is an error naming file:line and the byte offset)",
       FIELD(utf8_replace), kChanges | kAddedLater},
      {"d_model", "--d-model", Shape::Int, "N", "model width (default 64)", FIELD(d_model),
       kChanges},
      {"heads", "--heads", Shape::Int, "N", "attention heads (default 4: head dim 16)",
       FIELD(heads), kChanges},
      {"layers", "--layers", Shape::Int, "N", "encoder layers (default 1)", FIELD(layers),
       kChanges},
      {"ffn_dim", "--ffn-dim", Shape::Int, "N", "FFN hidden width of every variant (default 128)",
       FIELD(ffn_dim), kChanges},
      {"swiglu_match_params", "--swiglu-match-params", Shape::Switch, nullptr,
       "gated variants (swiglu, geglu) get hidden width matched_gated_hidden(ffn_dim) ~ 2/3 "
       "ffn_dim, so their FFN has the parameter count of the others",
       FIELD(swiglu_match_params), kChanges},
      {"unfused", "--unfused", Shape::Switch, nullptr,
       "run swiglu/geglu as activation then multiply (two ops) instead of one fused op",
       FIELD(unfused), kChanges},
      {"dropout", "--dropout", Shape::Float, "P", "dropout probability (default 0.1)",
       FIELD(dropout), kChanges},
      {"norm", "--norm", Shape::Text, "pre|post", "layer norm placement (default pre)", FIELD(norm),
       kChanges},
      {"pooling", "--pooling", Shape::Text, "mean|cls", "sentence pooling (default mean)",
       FIELD(pooling), kChanges},
      {"positions", "--positions", Shape::Text, "learned|sinusoidal",
       "position encoding (default learned)", FIELD(positions), kChanges},
      // The key holds the value itself; the flag (and the file key no_padding_mask) say "off".
      {"padding_mask", "--no-padding-mask", Shape::SwitchOff, nullptr,
       "let every position attend and be pooled, padding included (file key: padding_mask: "
       "false)",
       FIELD(padding_mask), kChanges},
      {"batch", "--batch", Shape::Int, "N", "training batch size (default 16)", FIELD(batch),
       kChanges},
      {"optimizer", "--optimizer", Shape::Text, "adamw|sgd", "optimizer (default adamw)",
       FIELD(optimizer), kChanges},
      {"lr", "--lr", Shape::Float, "X", "learning rate (default 1e-4)", FIELD(lr), kChanges},
      {"weight_decay", "--weight-decay", Shape::Float, "X",
       "decoupled weight decay for AdamW, L2 for SGD (default 0.01)", FIELD(weight_decay),
       kChanges},
      {"beta1", "--beta1", Shape::Float, "X", "AdamW beta1 (default 0.9)", FIELD(beta1), kChanges},
      {"beta2", "--beta2", Shape::Float, "X", "AdamW beta2 (default 0.999)", FIELD(beta2),
       kChanges},
      {"eps", "--eps", Shape::Float, "X", "AdamW epsilon (default 1e-8)", FIELD(eps), kChanges},
      {"momentum", "--momentum", Shape::Float, "X", "SGD momentum (default 0.9)", FIELD(momentum),
       kChanges},
      {"clip_grad_norm", "--clip-grad-norm", Shape::Float, "X",
       "clip the global gradient norm to X (default 0: off)", FIELD(clip_grad_norm), kChanges},
      // The same numbers, replayed or not.
      {"cuda_graph", "--cuda-graph", Shape::Switch, nullptr,
       "with --device cuda: capture one training step (forward, backward, AdamW) as a CUDA "
       "graph and replay it for every full batch, one launch each; a last partial batch and "
       "evaluation run eagerly. Results equal the eager run's bit for bit",
       FIELD(cuda_graph), kMayDiffer | kAddedLater},
      {"device", "--device", Shape::Text, "cpu|cuda", "where to train (default cpu)", FIELD(device),
       kMayDiffer},
      {"threads", "--threads", Shape::Int, "N",
       "CPU threads (default: all hardware threads, divided by the MPI ranks on this node)",
       FIELD(threads), kMayDiffer},
      {"data_parallel", "--data-parallel", Shape::Switch, nullptr,
       "under mpirun/srun: train each run across all ranks, splitting every batch and "
       "averaging gradients (default: the runs are shared out between the ranks)",
       FIELD(data_parallel), kMayDiffer},
      {"out", "--out", Shape::Text, "DIR", "output directory (default runs)", FIELD(out),
       kMayDiffer},
      {"resume", "--resume", Shape::Switch, nullptr,
       "skip finished runs and continue interrupted ones from their checkpoints", FIELD(resume),
       kMayDiffer},
      {"quiet", "--quiet", Shape::Switch, nullptr, "no progress output (errors still print)",
       FIELD(quiet), kMayDiffer},
      {"log_every", "--log-every", Shape::Int, "N",
       "log loss and gradient norms every N steps (default 50)", FIELD(log_every), kMayDiffer},
      {"eval_batch", "--eval-batch", Shape::Int, "N", "evaluation batch size (default 256)",
       FIELD(eval_batch), kMayDiffer},
      // A measurement made after the last epoch, with no effect on training.
      {"weight_noise_draws", "--weight-noise-draws", Shape::Int, "N",
       "draws per noise size of the final epoch's weight-noise record (METRICS.md "
       "weight_perturbation; default 5, 0: not measured). Training is the same whatever N",
       FIELD(weight_noise_draws), kMayDiffer},
      // Read by resolve_config; recorded for information.
      {"config", "--config", Shape::Text, "FILE",
       "JSON file of settings (same keys, snake_case); flags override it", FIELD(config_file),
       kMayDiffer | kCommandLineOnly},
      {"debug_nan_at_step", "--debug-nan-at-step", Shape::Int, "N",
       "(testing) make the training loss NaN at global step N, to exercise divergence handling",
       FIELD(debug_nan_at_step), kChanges},
      {"help", "--help", Shape::Switch, nullptr, "print this help", nullptr, nullptr,
       kMayDiffer | kCommandLineOnly},
  };
  return table;
}

#undef FIELD

const Option* find_option_by_flag(const std::string& flag) {
  for (const Option& o : options()) {
    if (flag == o.flag) return &o;
  }
  return nullptr;
}

const Option* find_option_by_key(const std::string& key) {
  for (const Option& o : options()) {
    if (key == o.key) return &o;
  }
  return nullptr;
}

}  // namespace sst2
