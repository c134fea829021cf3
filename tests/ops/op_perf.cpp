// op_perf: the op-case registry's perf mode. For every op of the registry it times one case (the
// one with the most input elements, within --max-elements) on each backend: the forward alone, and
// forward + backward (upstream gradient of ones) where the case has variables and one output.
// Median of --repeat runs after a warm-up run, through core/timer.h (CUDA events on a GPU). Prints
// a table; --json FILE writes
//   {"repeat", "max_elements", "devices": [{"device", "emulated"}],
//    "results": [{"op", "case", "device", "emulated", "input_elements", "forward_ms",
//                 "forward_backward_ms" (null without a backward)}]}.
// On the emulated CUDA device (AG_CUDA=EMULATE) the CUDA times are those of the kernels run on
// host threads: they are labelled "cuda (emulated)" and say nothing about a GPU's speed.
//
// Usage: op_perf [--perf] [--ops REGEX] [--max-elements N] [--repeat N] [--device cpu|cuda|all]
//                [--json FILE]
//        op_perf --list    (every case: its group, modes and inputs)
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/timer.h"
#include "tests/ops/registry.h"
#include "tests/ops/values.h"

namespace {

using ag::Device;
using ag::Tensor;
using opcases::OpCase;

struct Options {
  std::regex ops{".*"};
  int64_t max_elements = std::numeric_limits<int64_t>::max();
  int repeat = 10;
  std::string device = "all";
  std::string json_path;
  bool list = false;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "op_perf: " << problem
            << "\nusage: op_perf [--perf] [--ops REGEX] [--max-elements N] [--repeat N]"
               " [--device cpu|cuda|all] [--json FILE] | op_perf --list\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--perf") {
      // the default mode
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--ops") {
      o.ops = std::regex(value());
    } else if (a == "--max-elements") {
      o.max_elements = std::stoll(value());
    } else if (a == "--repeat") {
      o.repeat = std::max(1, std::stoi(value()));
    } else if (a == "--device") {
      o.device = value();
      if (o.device != "cpu" && o.device != "cuda" && o.device != "all") usage("bad --device");
    } else if (a == "--json") {
      o.json_path = value();
    } else {
      usage("unknown argument " + a);
    }
  }
  return o;
}

int64_t input_elements(const OpCase& c) {
  int64_t n = 0;
  for (const opcases::Input& in : c.inputs) n += ag::numel_of(in.shape);
  return n;
}

// Extreme values (NaN, inf) and misaligned views test corners, not the usual speed.
bool typical(const OpCase& c) {
  for (const opcases::Input& in : c.inputs) {
    if (in.misalign || in.values.text.rfind("extreme", 0) == 0) return false;
  }
  return true;
}

// Per op (a case's first op), its typical case with the most input elements within the limit.
std::vector<const OpCase*> chosen_cases(const Options& o) {
  std::map<std::string, const OpCase*> best;
  std::vector<std::string> order;
  for (const OpCase& c : opcases::registry().cases()) {
    const std::string& op = c.ops.front();
    if (!typical(c) || input_elements(c) > o.max_elements) continue;
    if (!std::regex_search(op, o.ops) && !std::regex_search(c.name, o.ops)) continue;
    auto [it, fresh] = best.emplace(op, &c);
    if (fresh) order.push_back(op);
    if (input_elements(c) > input_elements(*it->second)) it->second = &c;
  }
  std::vector<const OpCase*> out;
  for (const std::string& op : order) out.push_back(best[op]);
  return out;
}

struct Timing {
  double forward_ms;
  std::optional<double> forward_backward_ms;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Timing time_case(const OpCase& c, Device device, int repeat) {
  ag::Generator gen(opcases::seed_of(c));
  std::vector<Tensor> inputs;
  for (const Tensor& t : opcases::draw_inputs(c, gen)) {
    inputs.push_back(device == Device::CPU ? t.clone() : t.to(device));
  }
  ag::DeviceTimer timer(device);
  Timing timing{};
  std::vector<Tensor> outputs;
  {
    ag::NoGradGuard no_grad;
    outputs = c.forward(inputs);  // warm-up (allocator, caches)
    std::vector<double> ms;
    for (int r = 0; r < repeat; ++r) {
      timer.start();
      c.forward(inputs);
      ms.push_back(timer.stop_ms());
    }
    timing.forward_ms = median(ms);
  }
  const bool any_var = std::any_of(c.inputs.begin(), c.inputs.end(),
                                   [](const opcases::Input& in) { return in.grad; });
  if (!any_var || outputs.size() != 1) return timing;
  const Tensor upstream = Tensor::ones(outputs[0].shape(), device);
  std::vector<double> ms;
  for (int r = 0; r <= repeat; ++r) {
    std::vector<Tensor> leaves;
    for (size_t i = 0; i < inputs.size(); ++i) {
      leaves.push_back(c.inputs[i].grad ? inputs[i].clone().requires_grad_(true) : inputs[i]);
    }
    timer.start();
    const Tensor y = c.forward(leaves)[0];
    if (!y.requires_grad()) {  // nothing recorded: no backward to time
      ag::clear_tape();
      return timing;
    }
    ag::backward(y, upstream);
    const double t = timer.stop_ms();
    if (r > 0) ms.push_back(t);  // run 0 warms up
  }
  timing.forward_backward_ms = median(ms);
  return timing;
}

void list_cases() {
  for (const OpCase& c : opcases::registry().cases()) {
    std::cout << opcases::group_of(c) << " | " << c.name << " |"
              << (c.gradcheck ? " gradcheck" : "") << (c.parity ? " parity" : "") << " |";
    for (const opcases::Input& in : c.inputs) {
      std::cout << " " << opcases::shape_str(in.shape) << " " << in.values.text
                << (in.grad ? "" : " (constant)");
    }
    std::cout << "\n";
  }
  std::cout << opcases::registry().cases().size() << " cases\n";
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.list) {
    list_cases();
    return 0;
  }
  std::vector<Device> devices;
  if (o.device != "cuda") devices.push_back(Device::CPU);
  if (o.device != "cpu") {
    if (ag::cuda_available()) {
      devices.push_back(Device::CUDA);
    } else if (o.device == "cuda") {
      std::cerr << "op_perf: no CUDA device (or CUDA backend not built)\n";
      return 1;
    }
  }
  if (ag::cuda_available() && ag::cuda_emulated() && o.device != "cpu") {
    std::cout << "cuda (emulated): the CUDA kernels run on host threads; their times are not "
                 "those of a GPU and make no claim about one.\n";
  }

  nlohmann::json results = nlohmann::json::array();
  std::printf("%-40s %-48s %-16s %12s %14s %14s\n", "op", "case", "device", "elements",
              "forward ms", "fwd+bwd ms");
  for (const OpCase* c : chosen_cases(o)) {
    for (Device d : devices) {
      const Timing t = time_case(*c, d, o.repeat);
      const bool emulated = d == Device::CUDA && ag::cuda_emulated();
      char fb[32] = "-";
      if (t.forward_backward_ms) std::snprintf(fb, sizeof fb, "%.4f", *t.forward_backward_ms);
      std::printf("%-40s %-48s %-16s %12lld %14.4f %14s\n", c->ops.front().c_str(),
                  c->name.substr(0, 48).c_str(), ag::device_label(d),
                  static_cast<long long>(input_elements(*c)), t.forward_ms, fb);
      results.push_back(
          {{"op", c->ops.front()},
           {"case", c->name},
           {"device", ag::device_label(d)},
           {"emulated", emulated},
           {"input_elements", input_elements(*c)},
           {"forward_ms", t.forward_ms},
           {"forward_backward_ms", t.forward_backward_ms ? nlohmann::json(*t.forward_backward_ms)
                                                         : nlohmann::json(nullptr)}});
    }
  }
  if (!o.json_path.empty()) {
    nlohmann::json devs = nlohmann::json::array();
    for (Device d : devices) {
      devs.push_back({{"device", ag::device_label(d)},
                      {"emulated", d == Device::CUDA && ag::cuda_emulated()}});
    }
    const int64_t limit =
        o.max_elements == std::numeric_limits<int64_t>::max() ? -1 : o.max_elements;
    const nlohmann::json doc = {
        {"repeat", o.repeat},
        {"max_elements", limit >= 0 ? nlohmann::json(limit) : nlohmann::json(nullptr)},
        {"devices", devs},
        {"results", results}};
    std::ofstream out(o.json_path);
    out << doc.dump(2) << "\n";
    if (!out) {
      std::cerr << "op_perf: cannot write " << o.json_path << "\n";
      return 1;
    }
  }
  return 0;
}
