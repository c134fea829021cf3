// The option table: one row per setting of the runner. Everything that names a setting comes
// from it: the command line's flags and --help, the keys of --config files, the `config` object
// of the metrics (config_to_json, in the rows' order), and which settings --resume may change.
// A setting's default is RunConfig's initialiser (config.h), written out in its help line.
#pragma once

#include <string>
#include <vector>

#include "experiments/runner/config.h"

namespace sst2 {

// How a setting's value is written on the command line.
enum class Shape {
  Int,         // --epochs 10
  Float,       // --lr 1e-4
  Text,        // --device cuda
  Switch,      // --resume (no value; true in JSON)
  SwitchOff,   // --no-padding-mask (no value; the key's value false)
  TextList,    // --ffn relu,swish
  IntList,     // --seeds 0,1,2
  RepeatText,  // --eval-file a.tsv --eval-file b.tsv
};

struct Option {
  enum Trait : unsigned {
    kMayDiffer = 0,  // none of the below: --resume may change it
    // A different value changes what a run computes: --resume refuses it. The other settings
    // say where things are, how much is shown, which runs and how many epochs, or give the same
    // numbers another way (--device, --cuda-graph): they may differ on --resume.
    kChangesResults = 1,
    // Records of older builds lack this key: a run without it was made with the default (the
    // value of RunConfig{}).
    kAddedLater = 2,
    // Only on the command line (--config, --help): refused as a key of a --config file.
    kCommandLineOnly = 4,
  };

  const char* key;   // snake_case: --config files and the metrics' config object
  const char* flag;  // the same words in kebab-case (--no-padding-mask says "off")
  Shape shape;
  const char* metavar;  // the value in --help and in "needs a value" (null for switches)
  const char* help;
  // Sets the setting from a JSON value (of a file, or of the command line once parsed), or
  // throws UsageError naming `where` (the flag, or the key and its file). Null for --help.
  void (*read)(RunConfig& config, const Json& value, const std::string& where);
  // The setting's value as the metrics record it; null for --help (not recorded).
  Json (*write)(const RunConfig& config);
  unsigned traits;  // Trait bits
  bool changes_results() const { return traits & kChangesResults; }
  bool added_later() const { return traits & kAddedLater; }
  bool command_line_only() const { return traits & kCommandLineOnly; }
};

// Every row, in the order the metrics record the keys (and --help lists the flags).
const std::vector<Option>& options();
const Option* find_option_by_flag(const std::string& flag);  // null when unknown
const Option* find_option_by_key(const std::string& key);    // null when unknown

}  // namespace sst2
