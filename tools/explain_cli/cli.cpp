// Argument handling of tools/explain: picks the mode, runs it, turns every failure into one line.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "core/backend.h"
#include "core/device.h"
#include "core/error.h"
#include "tools/explain_cli/explain.h"
#include "tools/explain_cli/input_error.h"
#include "tools/explain_cli/json_io.h"
#include "tools/explain_cli/lesson.h"
#include "tools/explain_cli/op_run.h"
#include "tools/explain_cli/ops_table.h"
#include "tools/explain_cli/tape.h"

namespace ag::explain {

namespace {

struct Options {
  bool json = false;
  bool help = false;
  std::optional<Device> device;
  std::optional<std::string> spec_path;  // "-" or none: stdin
  // --act
  std::optional<std::string> act;
  std::optional<std::string> points;
  ActivationOptions act_options;
  // --tape
  bool tape = false;
  std::optional<std::string> ffn;
  std::optional<std::string> dot_path;
};

double parse_number_option(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    input_error(flag, " takes a number, got '", text, "'");
  }
  return v;
}

Options parse_args(const std::vector<std::string>& args) {
  Options o;
  static const char* const kWithValue[] = {"--device", "--act", "--x",  "--alpha",
                                           "--beta",   "--ffn", "--dot"};
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg == "--tape") {
      o.tape = true;
      continue;
    }
    if (arg == "-" || arg.rfind("-", 0) != 0) {  // a positional: the spec file
      if (o.spec_path)
        input_error("more than one spec file given ('", *o.spec_path, "', '", arg, "')");
      o.spec_path = arg;
      continue;
    }
    // --flag VALUE or --flag=VALUE. The value is taken as is even when it starts with '-',
    // so that --x -2,0,2 works.
    std::string value;
    const size_t eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    bool takes_value = false;
    for (const char* f : kWithValue) takes_value = takes_value || flag == f;
    if (!takes_value) input_error("unknown option '", arg, "' (see --help)");
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) input_error(flag, " needs a value");
      value = args[++i];
    }
    if (flag == "--device") {
      if (value == "cpu") {
        o.device = Device::CPU;
      } else if (value == "cuda") {
        o.device = Device::CUDA;
      } else {
        input_error("--device takes cpu or cuda, got '", value, "'");
      }
    } else if (flag == "--act") {
      o.act = value;
    } else if (flag == "--x") {
      o.points = value;
    } else if (flag == "--alpha") {
      o.act_options.alpha = parse_number_option(flag, value);
    } else if (flag == "--beta") {
      o.act_options.beta = parse_number_option(flag, value);
    } else if (flag == "--ffn") {
      o.ffn = value;
    } else if (flag == "--dot") {
      if (value.empty()) input_error("--dot needs a file name");
      o.dot_path = value;
    }
  }
  // Flags that belong to another mode are mistakes, not something to ignore silently.
  if (o.act && o.tape) input_error("--act and --tape are separate modes; pick one");
  if (o.act && o.spec_path) input_error("--act takes no spec file (got '", *o.spec_path, "')");
  if (o.tape && o.spec_path) input_error("--tape takes no spec file (got '", *o.spec_path, "')");
  if (o.act && o.device) {
    input_error(
        "--device does not apply to --act (its numbers come from the scalar functors, "
        "the same on every backend)");
  }
  if (!o.act && (o.points || o.act_options.alpha || o.act_options.beta)) {
    input_error(o.points ? "--x" : (o.act_options.alpha ? "--alpha" : "--beta"),
                " only applies to --act");
  }
  if (!o.tape && (o.ffn || o.dot_path)) {
    input_error(o.ffn ? "--ffn" : "--dot", " only applies to --tape");
  }
  return o;
}

std::string read_spec_text(const Options& o, std::istream& in, std::string& source) {
  std::ostringstream text;
  if (!o.spec_path || *o.spec_path == "-") {
    source = "stdin";
    text << in.rdbuf();
    return text.str();
  }
  source = *o.spec_path;
  std::error_code ec;
  if (std::filesystem::is_directory(source, ec)) {
    input_error("cannot read spec file '", source, "': it is a directory");
  }
  std::ifstream file(source, std::ios::binary);
  if (!file) input_error("cannot open spec file '", source, "': ", std::strerror(errno));
  text << file.rdbuf();
  if (file.bad()) input_error("cannot read spec file '", source, "'");
  return text.str();
}

int run_spec_mode(const Options& o, std::istream& in, std::ostream& out) {
  std::string source;
  const std::string text = read_spec_text(o, in, source);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    input_error("the spec from ", source, " is empty (expected a JSON object with \"op\")");
  }
  const OpSpec spec = parse_spec(parse_json_text(text, source));
  const OpRun run = run_op(spec, o.device.value_or(Device::CPU));
  if (o.json) {
    out << dump_json(op_run_json(run)) << '\n';
  } else {
    print_op_run(out, run);
  }
  return 0;
}

int run_act_mode(const Options& o, std::ostream& out) {
  const std::vector<float> xs = parse_points(o.points.value_or("-2,0,2"));
  if (*o.act == "all") {
    const std::vector<Activation> acts = all_activations(o.act_options);
    if (o.json) {
      out << dump_json(comparison_json(acts, xs)) << '\n';
    } else {
      print_comparison(out, acts, xs);
    }
    return 0;
  }
  const Activation act = make_activation(*o.act, o.act_options);
  const std::vector<LessonPoint> pts = lesson_points(act, xs);
  if (o.json) {
    out << dump_json(lesson_json(act, pts)) << '\n';
  } else {
    print_lesson(out, act, pts);
  }
  return 0;
}

int run_tape_mode(const Options& o, std::ostream& out) {
  const std::string ffn = o.ffn.value_or("swiglu");
  std::vector<std::string> kinds = {ffn};
  if (ffn == "all") kinds = {"relu", "swish", "gelu", "swiglu", "geglu"};
  std::vector<TapeRun> runs;
  for (const std::string& kind : kinds)
    runs.push_back(run_tiny_ffn(kind, o.device.value_or(Device::CPU)));
  // The dot file first: if it cannot be written, the error is the only output.
  if (o.dot_path) write_file_atomically(*o.dot_path, tape_dot(runs));
  if (o.json) {
    if (runs.size() == 1) {
      out << dump_json(tape_json(runs[0])) << '\n';
    } else {
      Json all = Json::object();
      all["runs"] = Json::array();
      for (const TapeRun& r : runs) all["runs"].push_back(tape_json(r));
      out << dump_json(all) << '\n';
    }
  } else {
    for (size_t i = 0; i < runs.size(); ++i) {
      if (i) out << "\n" << std::string(78, '-') << "\n\n";
      print_tape(out, runs[i]);
    }
    if (o.dot_path)
      out << "\nwrote the graph to " << *o.dot_path << " (render: dot -Tpng " << *o.dot_path
          << " -o tape.png)\n";
  }
  return 0;
}

// Messages become exactly one line.
std::string one_line(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return message;
}

}  // namespace

std::string usage() {
  std::string acts;
  for (const std::string& n : activation_names()) acts += (acts.empty() ? "" : ", ") + n;
  return "usage:\n"
         "  explain [--json] [--device cpu|cuda] [SPEC_FILE | -]\n"
         "      run one op forward and backward from a JSON spec (a file, or stdin):\n"
         "      {\"op\": \"swiglu\", \"inputs\": {\"a\": {\"shape\": [2, 3], \"data\": [...]}, "
         "\"b\": {...}},\n"
         "       \"grad_output\": {\"shape\": [2, 3], \"data\": [...]}, \"params\": {}}\n"
         "      (grad_output defaults to ones; --json prints {\"op\", \"output\", \"grads\"})\n"
         "  explain [--json] --act NAME|all [--x -2,0,2] [--alpha A] [--beta B]\n"
         "      an activation's f(x), f'(x), a central finite difference and what f' means\n"
         "  explain [--json] [--device cpu|cuda] --tape [--ffn relu|swish|gelu|swiglu|geglu|"
         "swiglu_unfused|all] [--dot FILE]\n"
         "      a tiny FFN's tape: nodes in order, backward, gradients; --dot writes Graphviz\n"
         "\nops: " +
         op_names() + "\nactivations (--act): " + acts +
         ", all\n"
         "\nexit status: 0 on success; 2 on bad input or an engine error, reported as one line\n"
         "on stderr that starts with \"explain: \". See tools/README.md.\n" +
         std::string(ag::cuda_emulated()
                         ? "\nIn this build --device cuda is cuda (emulated): the CUDA kernels "
                           "run on host threads\n(AG_CUDA=EMULATE), giving the CUDA code's "
                           "results, not a GPU's speed.\n"
                         : "");
}

int run_explain(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                std::ostream& err) {
  try {
    const Options o = parse_args(args);
    if (o.help) {
      out << usage();
      return 0;
    }
    if (o.act) return run_act_mode(o, out);
    if (o.tape) return run_tape_mode(o, out);
    return run_spec_mode(o, in, out);
  } catch (const InputError& e) {
    err << "explain: " << one_line(e.what()) << '\n';
  } catch (const ag::Error& e) {
    err << "explain: " << one_line(e.what()) << '\n';
  } catch (const std::exception& e) {
    err << "explain: internal error: " << one_line(e.what()) << '\n';
  } catch (...) {
    err << "explain: internal error (unknown exception)\n";
  }
  return 2;
}

}  // namespace ag::explain
