// Fused vs unfused SwiGLU, forward and backward, on the CPU or the GPU. Bytes moved per element:
// clang-format off
//   forward  fused:    h = swiglu(a, b)     one kernel:  reads a, b                    writes h       12 B
//   forward  unfused:  h = mul(silu(a), b)  two kernels: reads a; s, b                 writes s; h    20 B
//   backward fused:    swiglu'              one kernel:  reads a, b, dh                writes da, db  20 B
//   backward unfused:  mul' then silu'      two kernels: reads s, b, dh; a, ds         writes ds, db; da  32 B
// So the byte counts allow 1.67x forward and 1.6x backward (not 1.8x: mul' computes both of its
// partials in one kernel, so dh is read once, not twice).
// clang-format on
//
// Both run through the engine's public ops (what a model calls). Each measurement is the median
// of many runs after warm-up, on fresh random inputs, next to a device-to-device copy measured
// in the same run; bandwidth is each path's own byte count divided by its time.
// It also times one training step of the SST-2 model with fused and unfused SwiGLU.
//
// Usage: bench_swiglu [--device cpu|cuda] [--json FILE] [--threads 1,2] [--sizes N,N,...]
//                     [--reps N] [--no-train-step]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/backend.h"
#include "core/ops.h"
#include "core/timer.h"
#include "tools/bench/bench_train_step.h"

namespace {

using ag::Device;
using ag::Tensor;
using nlohmann::json;

struct Options {
  Device device = Device::CPU;
  std::string json_path;
  std::vector<int> threads;
  std::vector<int64_t> sizes;
  int reps = 0;  // 0: chosen per size
  bool train_step = true;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << "bench_swiglu: " << msg << "\n(run with --help for usage)\n";
  std::exit(2);
}

template <class T>
std::vector<T> parse_list(const std::string& s, const char* flag) {
  std::vector<T> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      const long long v = std::stoll(item, &used);
      if (used != item.size() || v <= 0) throw std::invalid_argument(item);
      out.push_back(T(v));
    } catch (const std::exception&) {
      usage_error(std::string(flag) + " expects positive integers separated by commas, got '" + s +
                  "'");
    }
  }
  if (out.empty()) usage_error(std::string(flag) + " needs at least one value");
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: bench_swiglu [--device cpu|cuda] [--json FILE] [--threads LIST]\n"
                   "                    [--sizes LIST] [--reps N] [--no-train-step]\n"
                   "Times fused vs unfused SwiGLU forward and backward (median of many runs)\n"
                   "next to a device copy, and one SST-2 training step with each path.\n"
                   "Defaults: sizes 16x32x128 .. 16M elements on the CPU (64M on CUDA),\n"
                   "threads 1 and all cores on the CPU.\n";
      std::exit(0);
    } else if (arg == "--device") {
      try {
        o.device = ag::parse_device(value());
      } catch (const ag::Error& e) {
        usage_error(e.what());
      }
    } else if (arg == "--json") {
      o.json_path = value();
    } else if (arg == "--threads") {
      o.threads = parse_list<int>(value(), "--threads");
    } else if (arg == "--sizes") {
      o.sizes = parse_list<int64_t>(value(), "--sizes");
    } else if (arg == "--reps") {
      o.reps = parse_list<int>(value(), "--reps").front();
    } else if (arg == "--no-train-step") {
      o.train_step = false;
    } else {
      usage_error("unknown argument '" + arg + "'");
    }
  }
  if (o.device == Device::CUDA && !ag::cuda_available())
    usage_error("--device cuda: no CUDA device is available in this build/machine");
  const bool emulated = o.device == Device::CUDA && ag::cuda_emulated();
  if (o.sizes.empty()) {
    o.sizes = {16 * 32 * 128, 1 << 18, 1 << 20, 1 << 22, 1 << 24};
    if (o.device == Device::CUDA) o.sizes.push_back(int64_t(1) << 26);
    if (emulated) o.sizes = {16 * 32 * 128, 1 << 18};  // it shows correctness, not speed
  }
  if (emulated && o.reps <= 0) o.reps = 3;
  if (o.threads.empty()) {
    const int all = ag::num_threads();
    o.threads =
        o.device == Device::CPU && all > 1 ? std::vector<int>{1, all} : std::vector<int>{all};
  }
  return o;
}

// Median milliseconds of `work` over `reps` runs after `warmup` runs; `setup` runs untimed
// before each run.
double median_ms(Device device, int reps, const std::function<void()>& setup,
                 const std::function<void()>& work, int warmup = 3) {
  ag::DeviceTimer timer(device);
  std::vector<double> times;
  for (int r = 0; r < warmup + reps; ++r) {
    setup();
    timer.start();
    work();
    const double ms = timer.stop_ms();
    if (r >= warmup) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

int reps_for(int64_t n, const Options& o) {
  if (o.reps > 0) return o.reps;
  return n <= (1 << 20) ? 51 : n <= (1 << 22) ? 21 : 11;
}

std::string shape_label(int64_t n) {
  return n == 16 * 32 * 128 ? "16x32x128" : std::to_string(n);
}

json run_size(int64_t n, int threads, const Options& o, const std::string& device_name) {
  ag::Generator gen(uint64_t(n) * 7919u + 17u);
  // Gate values cover SiLU's interesting range (its negative bump included).
  Tensor a = Tensor::uniform({n}, gen, -6.0f, 6.0f, o.device);
  Tensor b = Tensor::uniform({n}, gen, -2.0f, 2.0f, o.device);
  Tensor gh = Tensor::uniform({n}, gen, -1.0f, 1.0f, o.device);
  const int reps = reps_for(n, o);
  auto nothing = [] {};

  const double copy_ms = median_ms(o.device, reps, nothing, [&] { Tensor c = a.clone(); });

  double fwd_fused, fwd_unfused, bwd_fused, bwd_unfused;
  {
    ag::NoGradGuard no_grad;
    fwd_fused = median_ms(o.device, reps, nothing, [&] { Tensor h = ag::swiglu(a, b); });
    fwd_unfused = median_ms(o.device, reps, nothing, [&] { Tensor h = ag::swiglu_unfused(a, b); });
  }
  Tensor ga = a.detach(), gb = b.detach();  // leaves that require a gradient
  ga.requires_grad_();
  gb.requires_grad_();
  Tensor h;
  auto forward_with = [&](bool fused) {
    return [&, fused] {
      ga.zero_grad();
      gb.zero_grad();
      h = fused ? ag::swiglu(ga, gb) : ag::swiglu_unfused(ga, gb);
    };
  };
  bwd_fused = median_ms(o.device, reps, forward_with(true), [&] { ag::backward(h, gh); });
  bwd_unfused = median_ms(o.device, reps, forward_with(false), [&] { ag::backward(h, gh); });

  const double bytes = 4.0 * double(n);
  const double copy_gbps = 2 * bytes / copy_ms / 1e6;
  json out = json::array();
  const struct {
    const char* pass;
    double fused_ms, unfused_ms, fused_bytes, unfused_bytes;
  } passes[] = {{"forward", fwd_fused, fwd_unfused, 3 * bytes, 5 * bytes},
                {"backward", bwd_fused, bwd_unfused, 5 * bytes, 8 * bytes}};
  // The emulated device's times are host threads running the CUDA code: no bandwidth and no
  // speedup is computed from them, so none can be mistaken for a GPU's.
  const bool emulated = o.device == Device::CUDA && ag::cuda_emulated();
  auto speed = [&](double v) { return emulated ? json(nullptr) : json(v); };
  for (const auto& p : passes) {
    const double fused_gbps = p.fused_bytes / p.fused_ms / 1e6;
    const double unfused_gbps = p.unfused_bytes / p.unfused_ms / 1e6;
    out.push_back({{"device", ag::device_label(o.device)},
                   {"device_name", device_name},
                   {"elements", n},
                   {"shape", shape_label(n)},
                   {"pass", p.pass},
                   {"threads", o.device == Device::CPU ? threads : 0},
                   {"reps", reps},
                   {"fused_ms", p.fused_ms},
                   {"unfused_ms", p.unfused_ms},
                   {"emulated", emulated},
                   {"speedup", speed(p.unfused_ms / p.fused_ms)},
                   {"fused_gbps", speed(fused_gbps)},
                   {"unfused_gbps", speed(unfused_gbps)},
                   {"copy_ms", copy_ms},
                   {"copy_gbps", speed(copy_gbps)},
                   {"copy_fraction", speed(fused_gbps / copy_gbps)},
                   {"unfused_copy_fraction", speed(unfused_gbps / copy_gbps)}});
  }
  return out;
}

void write_json_atomically(const std::string& path, const json& j) {
  ag::write_file_atomically(path, j.dump(2) + "\n");
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    const std::string device_name = ag::backend(o.device).device_name();
    const bool emulated = o.device == Device::CUDA && ag::cuda_emulated();
    std::printf("SwiGLU fused vs unfused on %s (%s)\n", ag::device_label(o.device),
                device_name.c_str());
    if (emulated)
      std::printf(
          "The emulated device runs the CUDA kernels on host threads: the times below check that "
          "the benchmark runs;\nthey are not a GPU's, so no speedup or GB/s is reported.\n");
    std::printf("%-10s %-8s %3s %10s %10s %7s %9s %9s %9s %6s\n", "elements", "pass", "thr",
                "fused ms", "unfused ms", "speedup", "fused GB/s", "unf GB/s", "copy GB/s",
                "of copy");
    json records = json::array();
    const int restore_threads = ag::num_threads();
    for (int threads : o.threads) {
      ag::set_num_threads(threads);
      for (int64_t n : o.sizes) {
        for (const json& r : run_size(n, threads, o, device_name)) {
          if (emulated) {
            std::printf("%-10s %-8s %3d %10.4f %10.4f %7s %9s %9s %9s %6s\n",
                        r["shape"].get<std::string>().c_str(), r["pass"].get<std::string>().c_str(),
                        r["threads"].get<int>(), r["fused_ms"].get<double>(),
                        r["unfused_ms"].get<double>(), "-", "-", "-", "-", "-");
            records.push_back(r);
            continue;
          }
          std::printf("%-10s %-8s %3d %10.4f %10.4f %6.2fx %9.1f %9.1f %9.1f %5.0f%%\n",
                      r["shape"].get<std::string>().c_str(), r["pass"].get<std::string>().c_str(),
                      r["threads"].get<int>(), r["fused_ms"].get<double>(),
                      r["unfused_ms"].get<double>(), r["speedup"].get<double>(),
                      r["fused_gbps"].get<double>(), r["unfused_gbps"].get<double>(),
                      r["copy_gbps"].get<double>(), 100 * r["copy_fraction"].get<double>());
          std::fflush(stdout);
          records.push_back(r);
        }
      }
    }
    ag::set_num_threads(restore_threads);
    if (!o.json_path.empty()) write_json_atomically(o.json_path, records);

    if (o.train_step) {
      const json steps = bench_train_step(o.device, device_name);
      if (!o.json_path.empty()) {
        std::string path = o.json_path;
        const size_t dot = path.rfind(".json");
        path = (dot == std::string::npos ? path : path.substr(0, dot)) + "_train_step.json";
        write_json_atomically(path, steps);
        std::printf("wrote %s and %s\n", o.json_path.c_str(), path.c_str());
      }
    } else if (!o.json_path.empty()) {
      std::printf("wrote %s\n", o.json_path.c_str());
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_swiglu: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
