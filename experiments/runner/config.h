// The runner's configuration: every setting of one `sst2` invocation, typed, and how it is
// resolved:
//   built-in defaults (the seed experiment's setup) < --preset < --config FILE < command-line
//   flags.
// Names are parsed once, here at the edge (command line, --config file, the Python dict); the
// rest of the runner sees enums. Every setting is a row of one table (options.h): its flag, its
// key in files and in the metrics, its help text, how it is read and written, and whether
// --resume may change it.
// Keys are snake_case (`ffn_dim`); flags are the same words in kebab-case (`--ffn-dim`).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/device.h"
#include "nn/ffn.h"
#include "nn/transformer.h"

namespace sst2 {

using Json = nlohmann::ordered_json;

// A mistake in how the program was called (bad flag, bad value, data not found): the process
// prints one line and exits with code 2. Everything else that fails exits with 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Preset { Default, Original };  // original: the seed repository's setup
enum class NormPlacement { Pre, Post };   // layer norm before (pre-LN) or after each block
enum class OptimizerKind { AdamW, Sgd };

// The names of the settings that are one of a few, as flags, config files and the metrics write
// them: setting_name gives the name, parse_setting<E> the value of a name. parse_setting throws
// UsageError "<where>: '<text>' is not one of <names>". Defined for Preset, NormPlacement,
// OptimizerKind, ag::nn::Pooling (mean, cls), ag::nn::PositionKind (learned, sinusoidal) and
// ag::Device (cpu, cuda: the documented `--device cpu|cuda`; "gpu" is refused here, though
// ag::parse_device would take it). FFN kinds use nn/ffn.h's parse_ffn_kind and ffn_kind_name.
const char* setting_name(Preset value);
const char* setting_name(NormPlacement value);
const char* setting_name(OptimizerKind value);
const char* setting_name(ag::nn::Pooling value);
const char* setting_name(ag::nn::PositionKind value);
const char* setting_name(ag::Device value);
template <class E>
E parse_setting(const std::string& text, const std::string& where);

struct RunConfig {
  // what to run
  std::vector<ag::nn::FfnKind> ffn = {ag::nn::FfnKind::Relu, ag::nn::FfnKind::Swish,
                                      ag::nn::FfnKind::SwiGLU};
  std::vector<int64_t> seeds = {0};
  int64_t epochs = 10;
  Preset preset = Preset::Default;

  // data
  std::string data_dir;  // empty: search the default places (experiments/data/locate.h)
  std::string vocab;     // empty: likewise
  std::vector<std::string> eval_files;
  int64_t limit = -1;         // first N training examples (-1: all)
  int64_t dev_limit = -1;     // first N dev examples (-1: all 872)
  int64_t max_len = 32;       // tokens per example, [CLS] and [SEP] included; padded to this
  bool utf8_replace = false;  // invalid UTF-8 in a TSV becomes U+FFFD instead of an error

  // model
  int64_t d_model = 64;
  int64_t heads = 4;  // head dim = d_model / heads = 16
  int64_t layers = 1;
  int64_t ffn_dim = 128;             // hidden width of every variant ...
  bool swiglu_match_params = false;  // ... unless gated ones get matched_gated_hidden(ffn_dim)
  bool unfused = false;              // gated variants through act-then-mul instead of one op
  double dropout = 0.1;
  NormPlacement norm = NormPlacement::Pre;
  ag::nn::Pooling pooling = ag::nn::Pooling::Mean;
  ag::nn::PositionKind positions = ag::nn::PositionKind::Learned;
  bool padding_mask = true;

  // optimisation
  int64_t batch = 16;
  OptimizerKind optimizer = OptimizerKind::AdamW;
  double lr = 1e-4;
  double weight_decay = 0.01;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // AdamW
  double momentum = 0.9;                          // SGD
  double clip_grad_norm = 0.0;                    // 0: off
  bool cuda_graph = false;  // replay each full training batch as one captured CUDA graph

  // running
  ag::Device device = ag::Device::CPU;
  int64_t threads = 0;         // 0: OpenMP's default (every hardware thread; / ranks per node)
  bool data_parallel = false;  // under MPI: one model trained across the ranks
  std::string out = "runs";
  bool resume = false;
  bool quiet = false;
  int64_t log_every = 50;          // steps between logged losses / gradient norms
  int64_t eval_batch = 256;        // rows per evaluation batch (changes no result's meaning)
  int64_t weight_noise_draws = 5;  // draws per size of the final weight-noise record (0: none)
  std::string config_file;         // the --config file that was read (informational)
  int64_t debug_nan_at_step = 0;   // testing: poison the loss at this global step (0: never)
};

// What the command line asked for.
struct CommandLine {
  RunConfig config;
  bool help = false;
};

// Parses argv (argv[0] is skipped) and resolves it against --config and --preset. Throws
// UsageError naming the flag, key or value at fault.
CommandLine parse_command_line(int argc, const char* const* argv);
CommandLine parse_command_line(const std::vector<std::string>& args);  // without argv[0]

// Resolves a configuration from explicit key/value sets (both JSON objects of snake_case keys):
// defaults, then the preset named by `cli` or `file` (cli wins), then `file`, then `cli`, then
// validate(). `cli` may name the file it came from under "config".
RunConfig resolve_config(const Json& file, const Json& cli);

// The settings of a --config file from its text: a JSON object (comments allowed) of known
// keys. Throws UsageError naming `path` and what is wrong.
Json parse_config_text(const std::string& text, const std::string& path);

// Every key as the metrics files record it (the table's order and names); given back as a
// --config file (without its "config" key) it resolves to the same configuration.
Json config_to_json(const RunConfig& config);

// Checks values and their combinations (d_model divisible by heads, --cuda-graph's needs ...);
// throws UsageError naming the flag.
void validate(const RunConfig& config);

// Comma-separated lists: "relu, swish" -> {"relu", "swish"}; empty items are errors naming `what`.
std::vector<std::string> split_list(const std::string& text, const std::string& what);

// The --help text: one line per row of the option table.
std::string help_text();

}  // namespace sst2
