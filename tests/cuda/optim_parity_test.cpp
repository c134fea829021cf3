// CUDA vs CPU: the in-place, tape-free utilities beyond the registry's cases (which compare
// adamw_step, adamw_step_many, sgd_step, scale_, fill_ and copy_ on one device across the
// backends): adamw_step_many against adamw_step per tensor, fill_'s value, and copy_ between and
// within devices.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/ops/parity.h"

namespace {

using ag::Device;
using ag::Shape;
using ag::Tensor;
using parity::kGpu;
using parity::seed_of;
using parity::shape_str;
using parity::to_gpu;

// adamw_step_many over 40 tensors (more than one launch's group of 32, sizes 0 to 4099, one
// empty) against adamw_step per tensor: bit for bit on the CPU, to the parity tolerance on the
// GPU and between the GPU and the CPU.
TEST(CudaParityOptim, adamw_step_many_equals_adamw_step_per_tensor) {
  SKIP_WITHOUT_CUDA();
  const int kTensors = 40;
  std::vector<Shape> shapes;
  for (int i = 0; i < kTensors; ++i) shapes.push_back({i == 5 ? 0 : (i * 397) % 4100 + 1});
  struct State {
    std::vector<Tensor> p, m, v;
  };
  auto make_state = [&](Device d) {
    State st;
    for (int i = 0; i < kTensors; ++i) {
      const Tensor p = parity::randn(shapes[size_t(i)], seed_of("many p" + std::to_string(i)));
      st.p.push_back(p.to(d));
      st.m.push_back(Tensor::zeros(shapes[size_t(i)], d));
      st.v.push_back(Tensor::zeros(shapes[size_t(i)], d));
    }
    return st;
  };
  State one_cpu = make_state(Device::CPU), many_cpu = make_state(Device::CPU);
  State one_gpu = make_state(kGpu), many_gpu = make_state(kGpu);
  for (int64_t t = 1; t <= 3; ++t) {
    const ag::math::AdamWStep step = ag::math::make_adamw_step(1e-2, 0.9, 0.999, 1e-8, 0.01, t);
    std::vector<Tensor> g_cpu, g_gpu;
    for (int i = 0; i < kTensors; ++i) {
      g_cpu.push_back(
          parity::randn(shapes[size_t(i)], seed_of("many g" + std::to_string(i * 7 + int(t)))));
      g_gpu.push_back(to_gpu(g_cpu.back()));
    }
    auto run_many = [&](State& st, const std::vector<Tensor>& g) {
      std::vector<Tensor*> ps, ms, vs;
      for (int i = 0; i < kTensors; ++i) {
        ps.push_back(&st.p[size_t(i)]);
        ms.push_back(&st.m[size_t(i)]);
        vs.push_back(&st.v[size_t(i)]);
      }
      ag::adamw_step_many(ps, g, ms, vs, step);
    };
    const int64_t launches_before = ag::backend(kGpu).launch_count();
    run_many(many_gpu, g_gpu);
    if (!parity::kSelfTest) {
      EXPECT_EQ(ag::backend(kGpu).launch_count() - launches_before, 2);  // 32 + 8 tensors
    }
    run_many(many_cpu, g_cpu);
    for (int i = 0; i < kTensors; ++i) {
      const size_t k = size_t(i);
      ag::adamw_step(one_cpu.p[k], g_cpu[k], one_cpu.m[k], one_cpu.v[k], step);
      ag::adamw_step(one_gpu.p[k], g_gpu[k], one_gpu.m[k], one_gpu.v[k], step);
    }
    for (int i = 0; i < kTensors; ++i) {
      const size_t k = size_t(i);
      SCOPED_TRACE("tensor " + std::to_string(i) + " step " + std::to_string(t));
      EXPECT_EQ(many_cpu.p[k].to_vector(), one_cpu.p[k].to_vector());
      EXPECT_EQ(many_cpu.v[k].to_vector(), one_cpu.v[k].to_vector());
      if (shapes[k][0] == 0) continue;
      // On the GPU the two are different kernels, which the compiler may contract into FMAs
      // differently: equal to the parity tolerance, not necessarily to the bit.
      EXPECT_TRUE(parity::match(many_gpu.p[k], one_gpu.p[k]));
      EXPECT_TRUE(parity::match(many_gpu.m[k], one_gpu.m[k]));
      EXPECT_TRUE(parity::match(many_gpu.v[k], one_gpu.v[k]));
      EXPECT_TRUE(parity::match(many_gpu.p[k], many_cpu.p[k]));
    }
  }
}

// fill_ writes its value on the device (the registry's fill_ cases compare it with the CPU).
TEST(CudaParityOptim, fill_writes_its_value) {
  SKIP_WITHOUT_CUDA();
  parity::MatchOptions exact;
  exact.exact = true;
  for (const Shape& s : parity::elementwise_shapes(true)) {
    SCOPED_TRACE(shape_str(s));
    Tensor x_gpu = to_gpu(parity::randn(s, seed_of(shape_str(s))));
    ag::fill_(x_gpu, -2.5f);
    EXPECT_EQ(x_gpu.device(), kGpu);
    EXPECT_TRUE(parity::match(x_gpu, Tensor::full(s, -2.5f), exact)) << "fill_ value";
  }
}

TEST(CudaParityOptim, copy_across_devices) {
  SKIP_WITHOUT_CUDA();
  parity::MatchOptions exact;
  exact.exact = true;
  for (const Shape& s : parity::elementwise_shapes(true)) {
    const std::string what = shape_str(s);
    SCOPED_TRACE(what);
    const Tensor src = parity::randn(s, seed_of(what));
    // host -> device
    Tensor dst_gpu = to_gpu(Tensor::zeros(s));
    ag::copy_(dst_gpu, src);
    EXPECT_EQ(dst_gpu.device(), kGpu);
    EXPECT_TRUE(parity::match(dst_gpu, src, exact)) << "cpu -> cuda";
    // device -> host
    Tensor dst_cpu = Tensor::zeros(s);
    ag::copy_(dst_cpu, dst_gpu);
    EXPECT_EQ(dst_cpu.device(), Device::CPU);
    EXPECT_TRUE(parity::match(dst_cpu, src, exact)) << "cuda -> cpu";
    // device -> device
    Tensor dst_gpu2 = to_gpu(Tensor::zeros(s));
    ag::copy_(dst_gpu2, dst_gpu);
    EXPECT_EQ(dst_gpu2.device(), kGpu);
    EXPECT_TRUE(parity::match(dst_gpu2, src, exact)) << "cuda -> cuda";
    // .to() round trip
    EXPECT_TRUE(parity::match(to_gpu(src).to(Device::CPU), src, exact)) << ".to round trip";
  }
  // int32 tensors (indices)
  const Tensor idx = parity::indices({4099}, 9, 1000);
  Tensor idx_gpu = to_gpu(Tensor::from_indices(std::vector<int32_t>(4099, 0), {4099}));
  ag::copy_(idx_gpu, idx);
  EXPECT_EQ(idx_gpu.device(), kGpu);
  EXPECT_EQ(idx_gpu.to_int_vector(), idx.to_int_vector());
  Tensor idx_back = Tensor::from_indices(std::vector<int32_t>(4099, 0), {4099});
  ag::copy_(idx_back, idx_gpu);
  EXPECT_EQ(idx_back.to_int_vector(), idx.to_int_vector());
}

}  // namespace
