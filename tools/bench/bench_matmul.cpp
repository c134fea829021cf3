// Matrix-multiply throughput through the engine's public matmul op (CPU kernel or cuBLAS):
// 512x512x512 and the SST-2 model's own products, forward and the two backward forms, at each
// thread count. Median of many runs after warm-up. Prints a table; --json FILE writes records
// {"device", "m", "n", "k", "form", "threads", "median_ms", "gflops"}.
//
// Usage: bench_matmul [--device cpu|cuda] [--threads 1,2] [--json FILE]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/ops.h"
#include "core/timer.h"

namespace {

using ag::Tensor;

struct Shape3 {
  int64_t m, n, k;
  const char* what;
};

// The model at batch 16 x 32 tokens = 512 rows: QKV, FFN up, FFN down (and gate/up for SwiGLU).
const Shape3 kShapes[] = {{512, 512, 512, "square"},
                          {512, 192, 64, "qkv projection"},
                          {512, 128, 64, "ffn up"},
                          {512, 64, 128, "ffn down"}};

double median_ms(ag::Device device, int reps, auto&& work) {
  ag::DeviceTimer timer(device);
  std::vector<double> t;
  for (int r = 0; r < reps + 5; ++r) {
    timer.start();
    work();
    const double ms = timer.stop_ms();
    if (r >= 5) t.push_back(ms);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  ag::Device device = ag::Device::CPU;
  std::string json_path;
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) {
      json_path = argv[++i];
    } else if (a == "--device" && i + 1 < argc) {
      device = ag::parse_device(argv[++i]);
    } else if (a == "--threads" && i + 1 < argc) {
      std::string list = argv[++i];
      for (size_t p = 0; p < list.size();) {
        const size_t q = list.find(',', p);
        threads.push_back(std::atoi(list.substr(p, q - p).c_str()));
        p = q == std::string::npos ? list.size() : q + 1;
      }
    } else {
      std::cerr << "usage: bench_matmul [--device cpu|cuda] [--threads 1,2] [--json FILE]\n";
      return a == "--help" ? 0 : 2;
    }
  }
  if (device == ag::Device::CUDA && !ag::cuda_available()) {
    std::cerr << "bench_matmul: --device cuda: no CUDA device available\n";
    return 2;
  }
  if (device == ag::Device::CUDA && ag::cuda_emulated()) {
    std::cerr << "bench_matmul: --device cuda is cuda (emulated) in this build: GFLOP/s of the "
                 "emulated device would not be a GPU's; run it on a GPU build\n";
    return 2;
  }
  if (threads.empty()) threads = {1, ag::num_threads()};
  if (device == ag::Device::CUDA) threads = {ag::num_threads()};

  std::printf("matmul on %s (%s)\n", ag::device_name(device),
              ag::backend(device).device_name().c_str());
  std::printf("%-16s %5s %5s %5s %-8s %3s %10s %9s\n", "shape", "m", "n", "k", "form", "thr", "ms",
              "GFLOP/s");
  nlohmann::json records = nlohmann::json::array();
  ag::Generator gen(7);
  for (int th : threads) {
    ag::set_num_threads(th);
    for (const Shape3& s : kShapes) {
      // forward C = A B, and the backward forms dA = dC B^T (trans b), dB = A^T dC (trans a),
      // all through the engine: matmul's backward runs exactly these products.
      Tensor a = Tensor::randn({s.m, s.k}, gen, 0, 1, device).requires_grad_();
      Tensor b = Tensor::randn({s.k, s.n}, gen, 0, 1, device).requires_grad_();
      Tensor gc = Tensor::randn({s.m, s.n}, gen, 0, 1, device);
      const int reps = s.m * s.n * s.k >= (1 << 27) ? 31 : 201;
      double fwd_ms;
      {
        ag::NoGradGuard no_grad;
        fwd_ms = median_ms(device, reps, [&] { Tensor c = ag::matmul(a, b); });
      }
      Tensor c;
      ag::DeviceTimer timer(device);
      std::vector<double> bwd;
      for (int r = 0; r < reps + 5; ++r) {
        a.zero_grad();
        b.zero_grad();
        c = ag::matmul(a, b);
        timer.start();
        ag::backward(c, gc);
        const double ms = timer.stop_ms();
        if (r >= 5) bwd.push_back(ms);
      }
      std::sort(bwd.begin(), bwd.end());
      const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
      const struct {
        const char* form;
        double ms, flops;
      } rows[] = {{"forward", fwd_ms, flops}, {"backward", bwd[bwd.size() / 2], 2 * flops}};
      for (const auto& r : rows) {
        const double gflops = r.flops / r.ms / 1e6;
        std::printf("%-16s %5lld %5lld %5lld %-8s %3d %10.4f %9.1f\n", s.what, (long long)s.m,
                    (long long)s.n, (long long)s.k, r.form, th, r.ms, gflops);
        records.push_back({{"device", ag::device_label(device)},
                           {"device_name", ag::backend(device).device_name()},
                           {"shape", s.what},
                           {"m", s.m},
                           {"n", s.n},
                           {"k", s.k},
                           {"form", r.form},
                           {"threads", device == ag::Device::CPU ? th : 0},
                           {"median_ms", r.ms},
                           {"gflops", gflops}});
      }
    }
  }
  if (!json_path.empty()) {
    const std::string tmp = json_path + ".tmp";
    std::ofstream(tmp) << records.dump(2) << "\n";
    std::filesystem::rename(tmp, json_path);
    std::printf("wrote %s\n", json_path.c_str());
  }
  return 0;
}
