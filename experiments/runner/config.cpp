// The command line, --config files, presets and their resolution into a RunConfig; the record
// of a RunConfig and the --help text. Every setting's names come from the option table.
#include "experiments/runner/config.h"

#include <fstream>
#include <sstream>

#include "core/backend.h"
#include "core/device.h"
#include "experiments/runner/config_values.h"
#include "experiments/runner/options.h"

namespace sst2 {

namespace {

void apply_preset(RunConfig& c, Preset preset) {
  c.preset = preset;
  if (preset != Preset::Original) return;
  // The seed repository: first 3,000 train / 500 dev sentences, nn.TransformerEncoderLayer
  // defaults (post-LN), 2 heads, fixed sinusoidal positions, the [CLS] vector as the sentence,
  // no key-padding mask and no dropout.
  c.limit = 3000;
  c.dev_limit = 500;
  c.norm = NormPlacement::Post;
  c.heads = 2;
  c.positions = ag::nn::PositionKind::Sinusoidal;
  c.pooling = ag::nn::Pooling::Cls;
  c.padding_mask = false;
  c.dropout = 0.0;
}

// Applies every key of `values` (already checked to be known) to `c`. `source` names the file
// in messages; empty: the values came from the command line and messages name the flag.
void apply_values(RunConfig& c, const Json& values, const std::string& source) {
  for (const auto& [key, value] : values.items()) {
    const Option* opt = find_option_by_key(key);
    const std::string where = !source.empty() ? "key '" + key + "' in " + source
                              : opt           ? std::string(opt->flag)
                                              : key;
    if (key == "no_padding_mask") {  // a file's other spelling of padding_mask
      c.padding_mask = !as_bool(value, where);
    } else if (!opt) {
      usage_fail(where + ": unknown setting");
    } else if (key != "preset" && !opt->command_line_only()) {  // resolve_config does those
      opt->read(c, value, where);
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

// One flag's value as its JSON form, into `cli`.
void take_value(Json& cli, const Option& opt, const std::string& flag, const std::string& value) {
  switch (opt.shape) {
    case Shape::Int:
      cli[opt.key] = parse_int(value, flag);
      break;
    case Shape::Float:
      cli[opt.key] = parse_float(value, flag);
      break;
    case Shape::Text:
      if (value.empty()) usage_fail(flag + ": empty value");
      cli[opt.key] = value;
      break;
    case Shape::TextList:
      cli[opt.key] = split_list(value, flag);
      break;
    case Shape::IntList: {
      Json list = Json::array();
      for (const auto& s : split_list(value, flag)) list.push_back(parse_int(s, flag));
      cli[opt.key] = list;
      break;
    }
    case Shape::RepeatText:
      if (value.empty()) usage_fail(flag + ": empty value");
      if (!cli.contains(opt.key)) cli[opt.key] = Json::array();
      cli[opt.key].push_back(value);
      break;
    case Shape::Switch:
    case Shape::SwitchOff:
      break;  // no value (parse_command_line)
  }
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
    const Option* opt = find_option_by_key(key);
    if (opt && opt->command_line_only()) {
      usage_fail("--config: key '" + key + "' in " + path + " is only allowed on the command line");
    }
    if (key != "no_padding_mask" && !opt) {
      usage_fail("--config: unknown key '" + key + "' in " + path + " (see --help for the keys)");
    }
  }
  if (j.contains("padding_mask") && j.contains("no_padding_mask")) {
    usage_fail("--config: " + path + " sets both padding_mask and no_padding_mask");
  }
  return j;
}

RunConfig resolve_config(const Json& file, const Json& cli) {
  RunConfig c;
  std::string preset = setting_name(Preset::Default);
  const std::string file_name = cli.contains("config") ? cli["config"].get<std::string>() : "";
  if (file.contains("preset")) preset = as_text(file["preset"], "key 'preset' in " + file_name);
  if (cli.contains("preset")) preset = as_text(cli["preset"], "--preset");
  apply_preset(c, parse_setting<Preset>(preset, "--preset"));
  apply_values(c, file, file_name.empty() ? "the config file" : file_name);
  apply_values(c, cli, "");
  c.config_file = file_name;
  validate(c);
  return c;
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
    const Option* opt = find_option_by_flag(flag);
    if (!opt) {
      if (flag.rfind("-", 0) == 0) usage_fail("unknown flag '" + flag + "' (see --help)");
      usage_fail("unexpected argument '" + flag + "' (flags start with --; see --help)");
    }
    if (opt->shape == Shape::Switch || opt->shape == Shape::SwitchOff) {
      if (has_inline_value) usage_fail(flag + " takes no value");
      if (std::string(opt->key) == "help") {
        help = true;
      } else {
        cli[opt->key] = opt->shape == Shape::Switch;
      }
      continue;
    }
    if (!has_inline_value) {
      if (i + 1 >= args.size()) usage_fail(flag + " needs a value (" + opt->metavar + ")");
      value = args[++i];
    }
    take_value(cli, *opt, flag, value);
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
  for (const Option& o : options()) {
    if (o.write) j[o.key] = o.write(c);
  }
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
