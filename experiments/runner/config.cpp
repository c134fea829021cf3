#include "experiments/runner/config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "core/backend.h"
#include "core/device.h"
#include "experiments/runner/size_limits.h"
#include "nn/ffn.h"

namespace sst2 {

namespace {

// How a key's value is written on the command line.
enum class Kind {
  Int,         // --epochs 10
  Float,       // --lr 1e-4
  Text,        // --device cuda
  Switch,      // --resume (no value; true in JSON)
  TextList,    // --ffn relu,swish
  IntList,     // --seeds 0,1,2
  RepeatText,  // --eval-file a.tsv --eval-file b.tsv
};

// `where` names the source of a value in error messages: "--epochs" or "key 'epochs' in f.json".
using Setter = std::function<void(RunConfig&, const Json&, const std::string& where)>;

struct Option {
  const char* key;
  const char* flag;
  Kind kind;
  const char* metavar;
  const char* help;
  Setter set;
};

[[noreturn]] void usage_fail(const std::string& message) {
  throw UsageError(message);
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

const std::string kOutOfRange = "out of range (integers here are 64-bit: from " +
                                std::to_string(std::numeric_limits<int64_t>::min()) + " to " +
                                std::to_string(std::numeric_limits<int64_t>::max()) + ")";

int64_t parse_int(const std::string& text, const std::string& where) {
  const std::string t = trim(text);
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(t.c_str(), &end, 10);
  if (t.empty() || end != t.c_str() + t.size()) {
    usage_fail(where + ": '" + text + "' is not an integer");
  }
  if (errno == ERANGE) usage_fail(where + ": '" + text + "' is " + kOutOfRange);
  return int64_t(v);
}

double parse_float(const std::string& text, const std::string& where) {
  const std::string t = trim(text);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(v)) {
    usage_fail(where + ": '" + text + "' is not a finite number");
  }
  return v;
}

// --- typed reads of JSON values -----------------------------------------------------------

int64_t as_int(const Json& v, const std::string& where) {
  if (!v.is_number_integer()) usage_fail(where + ": expected an integer, got " + v.dump());
  // JSON integers above INT64_MAX are held unsigned; get<int64_t>() would wrap them negative.
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
    usage_fail(where + ": " + v.dump() + " is " + kOutOfRange);
  }
  return v.get<int64_t>();
}

double as_float(const Json& v, const std::string& where) {
  if (!v.is_number()) usage_fail(where + ": expected a number, got " + v.dump());
  const double d = v.get<double>();
  if (!std::isfinite(d)) usage_fail(where + ": expected a finite number, got " + v.dump());
  return d;
}

std::string as_text(const Json& v, const std::string& where) {
  if (!v.is_string()) usage_fail(where + ": expected a string, got " + v.dump());
  return v.get<std::string>();
}

bool as_bool(const Json& v, const std::string& where) {
  if (!v.is_boolean()) usage_fail(where + ": expected true or false, got " + v.dump());
  return v.get<bool>();
}

// A list is a JSON array, or (for convenience in files) one comma-separated string.
std::vector<std::string> as_text_list(const Json& v, const std::string& where) {
  if (v.is_string()) return split_list(v.get<std::string>(), where);
  if (!v.is_array()) usage_fail(where + ": expected a list of strings, got " + v.dump());
  std::vector<std::string> out;
  for (const Json& item : v) out.push_back(trim(as_text(item, where)));
  for (const auto& s : out) {
    if (s.empty()) usage_fail(where + ": empty item in " + v.dump());
  }
  return out;
}

std::vector<int64_t> as_int_list(const Json& v, const std::string& where) {
  std::vector<int64_t> out;
  if (v.is_string()) {
    for (const auto& s : split_list(v.get<std::string>(), where))
      out.push_back(parse_int(s, where));
  } else if (v.is_array()) {
    for (const Json& item : v) out.push_back(as_int(item, where));
  } else {
    usage_fail(where + ": expected a list of integers, got " + v.dump());
  }
  return out;
}

std::string one_of(const std::string& value, std::initializer_list<const char*> allowed,
                   const std::string& where) {
  std::string names;
  for (const char* a : allowed) {
    if (value == a) return value;
    names += std::string(names.empty() ? "" : ", ") + a;
  }
  usage_fail(where + ": '" + value + "' is not one of " + names);
}

// --- the options ---------------------------------------------------------------------------

#define INT_KEY(field) \
  [](RunConfig& c, const Json& v, const std::string& w) { c.field = as_int(v, w); }
#define FLOAT_KEY(field) \
  [](RunConfig& c, const Json& v, const std::string& w) { c.field = as_float(v, w); }
#define BOOL_KEY(field) \
  [](RunConfig& c, const Json& v, const std::string& w) { c.field = as_bool(v, w); }

const std::vector<Option>& options() {
  static const std::vector<Option> table = {
      {"ffn", "--ffn", Kind::TextList, "LIST",
       "FFN variants to train: relu,swish,gelu,swiglu,geglu (default relu,swish,swiglu)",
       [](RunConfig& c, const Json& v, const std::string& w) {
         c.ffn.clear();
         for (const auto& name : as_text_list(v, w)) {
           try {
             c.ffn.push_back(ag::nn::ffn_kind_name(ag::nn::parse_ffn_kind(name)));
           } catch (const std::exception& e) {
             usage_fail(w + ": " + e.what());
           }
         }
       }},
      {"seeds", "--seeds", Kind::IntList, "LIST", "seeds, e.g. 0,1,2 (default 0)",
       [](RunConfig& c, const Json& v, const std::string& w) { c.seeds = as_int_list(v, w); }},
      {"epochs", "--epochs", Kind::Int, "N", "training epochs (default 10)", INT_KEY(epochs)},
      {"preset", "--preset", Kind::Text, "NAME",
       "'original': the seed repository's exact setup (3000 train / 500 dev examples, post-LN, "
       "2 heads, sinusoidal positions, CLS pooling, no padding mask, no dropout); explicit "
       "settings override it",
       [](RunConfig& c, const Json& v, const std::string& w) {
         c.preset = one_of(as_text(v, w), {"default", "original"}, w);
       }},
      {"config", "--config", Kind::Text, "FILE",
       "JSON file of settings (same keys, snake_case); flags override it", nullptr},
      {"data_dir", "--data-dir", Kind::Text, "DIR",
       "directory with train.tsv and dev.tsv (default: data/SST-2, then ../shared/data/SST-2, "
       "from here and from the source tree)",
       [](RunConfig& c, const Json& v, const std::string& w) { c.data_dir = as_text(v, w); }},
      {"vocab", "--vocab", Kind::Text, "FILE", "bert-base-uncased vocab.txt (default: searched)",
       [](RunConfig& c, const Json& v, const std::string& w) { c.vocab = as_text(v, w); }},
      {"eval_file", "--eval-file", Kind::RepeatText, "FILE",
       "extra labelled TSV evaluated every epoch, reported under its file stem (repeatable)",
       [](RunConfig& c, const Json& v, const std::string& w) {
         c.eval_files = as_text_list(v, w);
       }},
      {"limit", "--limit", Kind::Int, "N", "use the first N training examples (default all)",
       INT_KEY(limit)},
      {"dev_limit", "--dev-limit", Kind::Int, "N", "use the first N dev examples (default all)",
       INT_KEY(dev_limit)},
      {"max_len", "--max-len", Kind::Int, "N",
       "tokens per example incl. [CLS]/[SEP], padded/truncated to it (default 32)",
       INT_KEY(max_len)},
      {"utf8_replace", "--utf8-replace", Kind::Switch, nullptr,
       "replace invalid UTF-8 in the TSV files with U+FFFD, as Python's errors=\"replace\" "
       "does (default: invalid UTF-8 is an error naming file:line and the byte offset)",
       BOOL_KEY(utf8_replace)},
      {"d_model", "--d-model", Kind::Int, "N", "model width (default 64)", INT_KEY(d_model)},
      {"heads", "--heads", Kind::Int, "N", "attention heads (default 4: head dim 16)",
       INT_KEY(heads)},
      {"layers", "--layers", Kind::Int, "N", "encoder layers (default 1)", INT_KEY(layers)},
      {"ffn_dim", "--ffn-dim", Kind::Int, "N", "FFN hidden width of every variant (default 128)",
       INT_KEY(ffn_dim)},
      {"swiglu_match_params", "--swiglu-match-params", Kind::Switch, nullptr,
       "gated variants (swiglu, geglu) get hidden width matched_gated_hidden(ffn_dim) ~ 2/3 "
       "ffn_dim, so their FFN has the parameter count of the others",
       BOOL_KEY(swiglu_match_params)},
      {"unfused", "--unfused", Kind::Switch, nullptr,
       "run swiglu/geglu as activation then multiply (two ops) instead of one fused op",
       BOOL_KEY(unfused)},
      {"dropout", "--dropout", Kind::Float, "P", "dropout probability (default 0.1)",
       FLOAT_KEY(dropout)},
      {"norm", "--norm", Kind::Text, "pre|post", "layer norm placement (default pre)",
       [](RunConfig& c, const Json& v, const std::string& w) {
         c.norm = one_of(as_text(v, w), {"pre", "post"}, w);
       }},
      {"pooling", "--pooling", Kind::Text, "mean|cls", "sentence pooling (default mean)",
       [](RunConfig& c, const Json& v, const std::string& w) {
         c.pooling = one_of(as_text(v, w), {"mean", "cls"}, w);
       }},
      {"positions", "--positions", Kind::Text, "learned|sinusoidal",
       "position encoding (default learned)",
       [](RunConfig& c, const Json& v, const std::string& w) {
         c.positions = one_of(as_text(v, w), {"learned", "sinusoidal"}, w);
       }},
      {"padding_mask", "--no-padding-mask", Kind::Switch, nullptr,
       "let every position attend and be pooled, padding included (file key: padding_mask: "
       "false)",
       // The key holds the value itself; the flag (and the file key no_padding_mask) say "off".
       BOOL_KEY(padding_mask)},
      {"batch", "--batch", Kind::Int, "N", "training batch size (default 16)", INT_KEY(batch)},
      {"optimizer", "--optimizer", Kind::Text, "adamw|sgd", "optimizer (default adamw)",
       [](RunConfig& c, const Json& v, const std::string& w) {
         c.optimizer = one_of(as_text(v, w), {"adamw", "sgd"}, w);
       }},
      {"lr", "--lr", Kind::Float, "X", "learning rate (default 1e-4)", FLOAT_KEY(lr)},
      {"weight_decay", "--weight-decay", Kind::Float, "X",
       "decoupled weight decay for AdamW, L2 for SGD (default 0.01)", FLOAT_KEY(weight_decay)},
      {"beta1", "--beta1", Kind::Float, "X", "AdamW beta1 (default 0.9)", FLOAT_KEY(beta1)},
      {"beta2", "--beta2", Kind::Float, "X", "AdamW beta2 (default 0.999)", FLOAT_KEY(beta2)},
      {"eps", "--eps", Kind::Float, "X", "AdamW epsilon (default 1e-8)", FLOAT_KEY(eps)},
      {"momentum", "--momentum", Kind::Float, "X", "SGD momentum (default 0.9)",
       FLOAT_KEY(momentum)},
      {"clip_grad_norm", "--clip-grad-norm", Kind::Float, "X",
       "clip the global gradient norm to X (default 0: off)", FLOAT_KEY(clip_grad_norm)},
      {"device", "--device", Kind::Text, "cpu|cuda", "where to train (default cpu)",
       [](RunConfig& c, const Json& v, const std::string& w) {
         c.device = one_of(as_text(v, w), {"cpu", "cuda"}, w);
       }},
      {"cuda_graph", "--cuda-graph", Kind::Switch, nullptr,
       "with --device cuda: capture one training step (forward, backward, AdamW) as a CUDA "
       "graph and replay it for every full batch, one launch each; a last partial batch and "
       "evaluation run eagerly. Results equal the eager run's bit for bit",
       BOOL_KEY(cuda_graph)},
      {"threads", "--threads", Kind::Int, "N",
       "CPU threads (default: all hardware threads, divided by the MPI ranks on this node)",
       INT_KEY(threads)},
      {"data_parallel", "--data-parallel", Kind::Switch, nullptr,
       "under mpirun/srun: train each run across all ranks, splitting every batch and "
       "averaging gradients (default: the runs are shared out between the ranks)",
       BOOL_KEY(data_parallel)},
      {"out", "--out", Kind::Text, "DIR", "output directory (default runs)",
       [](RunConfig& c, const Json& v, const std::string& w) { c.out = as_text(v, w); }},
      {"resume", "--resume", Kind::Switch, nullptr,
       "skip finished runs and continue interrupted ones from their checkpoints", BOOL_KEY(resume)},
      {"quiet", "--quiet", Kind::Switch, nullptr, "no progress output (errors still print)",
       BOOL_KEY(quiet)},
      {"log_every", "--log-every", Kind::Int, "N",
       "log loss and gradient norms every N steps (default 50)", INT_KEY(log_every)},
      {"eval_batch", "--eval-batch", Kind::Int, "N", "evaluation batch size (default 256)",
       INT_KEY(eval_batch)},
      {"debug_nan_at_step", "--debug-nan-at-step", Kind::Int, "N",
       "(testing) make the training loss NaN at global step N, to exercise divergence handling",
       INT_KEY(debug_nan_at_step)},
      {"help", "--help", Kind::Switch, nullptr, "print this help", nullptr},
  };
  return table;
}

#undef INT_KEY
#undef FLOAT_KEY
#undef BOOL_KEY

const Option* find_by_flag(const std::string& flag) {
  for (const Option& o : options()) {
    if (flag == o.flag) return &o;
  }
  return nullptr;
}

const Option* find_by_key(const std::string& key) {
  for (const Option& o : options()) {
    if (key == o.key) return &o;
  }
  return nullptr;
}

void apply_preset(RunConfig& c, const std::string& preset) {
  c.preset = preset;
  if (preset != "original") return;
  // The seed repository: first 3,000 train / 500 dev sentences, nn.TransformerEncoderLayer
  // defaults (post-LN), 2 heads, fixed sinusoidal positions, the [CLS] vector as the sentence,
  // no key-padding mask and no dropout.
  c.limit = 3000;
  c.dev_limit = 500;
  c.norm = "post";
  c.heads = 2;
  c.positions = "sinusoidal";
  c.pooling = "cls";
  c.padding_mask = false;
  c.dropout = 0.0;
}

// Applies every key of `values` (already checked to be known) to `c`.
void apply_values(RunConfig& c, const Json& values, const std::string& source) {
  for (const auto& [key, value] : values.items()) {
    const std::string where =
        source.empty() ? std::string(find_by_key(key)->flag) : "key '" + key + "' in " + source;
    if (key == "no_padding_mask") {
      c.padding_mask = !as_bool(value, where);
    } else if (key == "preset" || key == "config" || key == "help") {
      continue;  // handled by resolve_config
    } else {
      find_by_key(key)->set(c, value, where);
    }
  }
}

// Reads a --config file: a JSON object whose keys are option keys.
Json read_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_fail("--config: cannot open '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) usage_fail("--config: cannot read '" + path + "'");
  return parse_config_text(text.str(), path);
}

}  // namespace

Json parse_config_text(const std::string& text, const std::string& path) {
  Json j;
  try {
    j = Json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for a huge number
    usage_fail("--config: '" + path + "' is not valid JSON: " + e.what());
  }
  if (!j.is_object()) usage_fail("--config: '" + path + "' must hold a JSON object of settings");
  for (const auto& [key, value] : j.items()) {
    if (key == "config" || key == "help") {
      usage_fail("--config: key '" + key + "' in " + path + " is only allowed on the command line");
    }
    if (key != "no_padding_mask" && !find_by_key(key)) {
      usage_fail("--config: unknown key '" + key + "' in " + path + " (see --help for the keys)");
    }
  }
  if (j.contains("padding_mask") && j.contains("no_padding_mask")) {
    usage_fail("--config: " + path + " sets both padding_mask and no_padding_mask");
  }
  return j;
}

std::vector<std::string> split_list(const std::string& text, const std::string& what) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (item.empty()) usage_fail(what + ": empty item in list '" + text + "'");
    out.push_back(item);
  }
  if (!text.empty() && text.back() == ',') usage_fail(what + ": empty item in list '" + text + "'");
  if (out.empty()) usage_fail(what + ": empty list");
  return out;
}

RunConfig resolve_config(const Json& file, const Json& cli) {
  RunConfig c;
  std::string preset = "default";
  const std::string file_name = cli.contains("config") ? cli["config"].get<std::string>() : "";
  if (file.contains("preset")) preset = as_text(file["preset"], "key 'preset' in " + file_name);
  if (cli.contains("preset")) preset = as_text(cli["preset"], "--preset");
  preset = one_of(preset, {"default", "original"}, "--preset");
  apply_preset(c, preset);
  apply_values(c, file, file_name.empty() ? "the config file" : file_name);
  apply_values(c, cli, "");
  c.config_file = file_name;
  validate(c);
  return c;
}

void validate(const RunConfig& c) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) usage_fail(message);
  };
  require(!c.ffn.empty(), "--ffn: no variant given");
  require(std::set<std::string>(c.ffn.begin(), c.ffn.end()).size() == c.ffn.size(),
          "--ffn: a variant is listed twice");
  require(!c.seeds.empty(), "--seeds: no seed given");
  for (int64_t s : c.seeds)
    require(s >= 0, "--seeds: seeds must be >= 0, got " + std::to_string(s));
  require(std::set<int64_t>(c.seeds.begin(), c.seeds.end()).size() == c.seeds.size(),
          "--seeds: a seed is listed twice");
  require(c.epochs >= 1, "--epochs: must be >= 1");
  require(c.limit == -1 || c.limit >= 1, "--limit: must be >= 1 (or -1 for all)");
  require(c.dev_limit == -1 || c.dev_limit >= 1, "--dev-limit: must be >= 1 (or -1 for all)");
  require(c.max_len >= 2, "--max-len: must be >= 2 ([CLS] and [SEP])");
  require(c.d_model >= 1, "--d-model: must be >= 1");
  require(c.heads >= 1, "--heads: must be >= 1");
  require(c.d_model % c.heads == 0, "--heads: d_model " + std::to_string(c.d_model) +
                                        " is not divisible by " + std::to_string(c.heads) +
                                        " heads");
  require(c.layers >= 1, "--layers: must be >= 1");
  require(c.ffn_dim >= 1, "--ffn-dim: must be >= 1");
  require(c.dropout >= 0.0 && c.dropout < 1.0, "--dropout: must be in [0, 1)");
  require(c.batch >= 1, "--batch: must be >= 1");
  require(c.lr > 0.0, "--lr: must be > 0");
  require(c.weight_decay >= 0.0, "--weight-decay: must be >= 0");
  require(c.beta1 >= 0.0 && c.beta1 < 1.0, "--beta1: must be in [0, 1)");
  require(c.beta2 >= 0.0 && c.beta2 < 1.0, "--beta2: must be in [0, 1)");
  require(c.eps >= 0.0, "--eps: must be >= 0");
  require(c.momentum >= 0.0, "--momentum: must be >= 0");
  require(c.clip_grad_norm >= 0.0, "--clip-grad-norm: must be >= 0 (0 = off)");
  require(c.threads >= 0, "--threads: must be >= 0 (0 = all hardware threads)");
  require(!c.out.empty(), "--out: empty directory name");
  require(c.log_every >= 1, "--log-every: must be >= 1");
  require(c.eval_batch >= 1, "--eval-batch: must be >= 1");
  require(!c.cuda_graph || c.device == "cuda",
          "--cuda-graph: needs --device cuda (the CPU runs each op as it is called; there is no "
          "launch to save)");
  require(!c.cuda_graph || c.optimizer == "adamw", "--cuda-graph: supports --optimizer adamw only");
  require(!c.cuda_graph || !c.data_parallel,
          "--cuda-graph: not with --data-parallel yet (the gradient all-reduce runs between the "
          "backward and the update, outside what a graph holds)");
  require(!c.cuda_graph || c.clip_grad_norm == 0.0,
          "--cuda-graph: --clip-grad-norm reads the gradient norm back every step, which a "
          "captured step cannot do; leave clipping off");
  require(c.debug_nan_at_step >= 0, "--debug-nan-at-step: must be >= 0");
  for (const auto& f : c.eval_files) require(!f.empty(), "--eval-file: empty file name");
  check_tensor_sizes(c);
}

CommandLine parse_command_line(const std::vector<std::string>& args) {
  Json cli = Json::object();
  bool help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool has_inline_value = false;
    if (flag.rfind("--", 0) == 0) {
      const size_t eq = flag.find('=');
      if (eq != std::string::npos) {
        value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
        has_inline_value = true;
      }
    }
    const Option* opt = find_by_flag(flag);
    if (!opt) {
      if (flag.rfind("-", 0) == 0) usage_fail("unknown flag '" + flag + "' (see --help)");
      usage_fail("unexpected argument '" + flag + "' (flags start with --; see --help)");
    }
    if (opt->kind == Kind::Switch) {
      if (has_inline_value) usage_fail(flag + " takes no value");
      if (std::string(opt->key) == "help") {
        help = true;
      } else if (std::string(opt->key) == "padding_mask") {
        cli[opt->key] = false;  // --no-padding-mask
      } else {
        cli[opt->key] = true;
      }
      continue;
    }
    if (!has_inline_value) {
      if (i + 1 >= args.size()) usage_fail(flag + " needs a value (" + opt->metavar + ")");
      value = args[++i];
    }
    switch (opt->kind) {
      case Kind::Int:
        cli[opt->key] = parse_int(value, flag);
        break;
      case Kind::Float:
        cli[opt->key] = parse_float(value, flag);
        break;
      case Kind::Text:
        if (value.empty()) usage_fail(flag + ": empty value");
        cli[opt->key] = value;
        break;
      case Kind::TextList:
        cli[opt->key] = split_list(value, flag);
        break;
      case Kind::IntList: {
        Json list = Json::array();
        for (const auto& s : split_list(value, flag)) list.push_back(parse_int(s, flag));
        cli[opt->key] = list;
        break;
      }
      case Kind::RepeatText:
        if (value.empty()) usage_fail(flag + ": empty value");
        if (!cli.contains(opt->key)) cli[opt->key] = Json::array();
        cli[opt->key].push_back(value);
        break;
      case Kind::Switch:
        break;
    }
  }
  CommandLine out;
  out.help = help;
  if (help) return out;
  const Json file =
      cli.contains("config") ? read_config_file(cli["config"].get<std::string>()) : Json::object();
  out.config = resolve_config(file, cli);
  return out;
}

CommandLine parse_command_line(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_command_line(args);
}

Json config_to_json(const RunConfig& c) {
  Json j;
  j["ffn"] = c.ffn;
  j["seeds"] = c.seeds;
  j["epochs"] = c.epochs;
  j["preset"] = c.preset;
  j["data_dir"] = c.data_dir;
  j["vocab"] = c.vocab;
  j["eval_file"] = c.eval_files;
  j["limit"] = c.limit;
  j["dev_limit"] = c.dev_limit;
  j["max_len"] = c.max_len;
  j["utf8_replace"] = c.utf8_replace;
  j["d_model"] = c.d_model;
  j["heads"] = c.heads;
  j["layers"] = c.layers;
  j["ffn_dim"] = c.ffn_dim;
  j["swiglu_match_params"] = c.swiglu_match_params;
  j["unfused"] = c.unfused;
  j["dropout"] = c.dropout;
  j["norm"] = c.norm;
  j["pooling"] = c.pooling;
  j["positions"] = c.positions;
  j["padding_mask"] = c.padding_mask;
  j["batch"] = c.batch;
  j["optimizer"] = c.optimizer;
  j["lr"] = c.lr;
  j["weight_decay"] = c.weight_decay;
  j["beta1"] = c.beta1;
  j["beta2"] = c.beta2;
  j["eps"] = c.eps;
  j["momentum"] = c.momentum;
  j["clip_grad_norm"] = c.clip_grad_norm;
  j["cuda_graph"] = c.cuda_graph;
  j["device"] = c.device;
  j["threads"] = c.threads;
  j["data_parallel"] = c.data_parallel;
  j["out"] = c.out;
  j["resume"] = c.resume;
  j["quiet"] = c.quiet;
  j["log_every"] = c.log_every;
  j["eval_batch"] = c.eval_batch;
  j["config"] = c.config_file;
  j["debug_nan_at_step"] = c.debug_nan_at_step;
  return j;
}

std::string help_text() {
  std::ostringstream os;
  os << "usage: sst2 [flags]\n"
        "Trains a Transformer encoder classifier on SST-2 once per FFN variant and seed and "
        "writes\nOUT/<ffn>_seed<k>.json after every epoch, OUT/summary.json at the end "
        "(experiments/METRICS.md).\n\nFlags (a --config JSON file takes the same keys in "
        "snake_case; flags override it):\n";
  for (const Option& o : options()) {
    std::string left = std::string("  ") + o.flag;
    if (o.metavar) left += std::string(" ") + o.metavar;
    os << left;
    if (left.size() < 28) {
      os << std::string(28 - left.size(), ' ');
    } else {
      os << "\n" << std::string(28, ' ');
    }
    os << o.help << "\n";
  }
  if (ag::cuda_emulated())
    os << "\nIn this build --device cuda is cuda (emulated): the CUDA kernels run on host threads "
          "(AG_CUDA=EMULATE),\nto test them; its timings are not a GPU's.\n";
  os << "\nExit status: 0 all runs finished; 1 a run diverged (NaN/Inf loss) or failed; "
        "2 usage error\n(bad flag or value, data not found); 130 interrupted.\n";
  return os.str();
}

}  // namespace sst2
