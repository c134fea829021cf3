// The CUDA-vs-CPU parity check: the Parity mode of the op-case registry (op_case.h, run by
// tests/cuda/op_parity_test.cpp) and the CUDA tests beyond it (tests/cuda/*_test.cpp).
//
// The pattern of every parity check: the same function of the same inputs, run once on the CPU
// backend (the reference) and once on CUDA copies of the inputs; the same random upstream
// gradient is fed to ag::backward on both; then the outputs and the gradients of every input are
// compared.
//
// The upstream gradient ~ Normal(1, 1), not Normal(0, 1): many gradients are sums of it (a
// broadcast operand's, expand's, a bias's), and a sum of zero-mean terms can cancel to a tiny
// result, against which the backends' different summation orders (CPU: in order, vectorised;
// GPU: trees, atomics) would be a large relative difference. For the same reason the cases that
// reduce their inputs to a few numbers use inputs with a non-zero mean.
//
// The comparison (match): a relative error normalised by the reference's norm, in double,
//   ||gpu - cpu|| / max(||cpu||, 1e-30) <= 1e-5,
// over the finite elements. NaN and +-inf must sit at exactly the same positions (and inf with
// the same sign). Outside the extreme-input tests the reference must be entirely finite, so that
// a NaN on both sides cannot make a test pass vacuously.
//
// Every test starts with SKIP_WITHOUT_CUDA(): without a device (or without the CUDA backend in
// the build) the tests are reported as skipped, not absent.
//
// Self-test of the suite (no GPU needed): compiled with -DPARITY_SELF_TEST, the CPU stands in for
// CUDA (kGpu == Device::CPU) and nothing is skipped, except the tests that need two devices. Every
// comparison is then CPU against CPU, which checks the tests themselves: that they run, that the
// inputs are valid for their ops, that the references are finite where they must be, that every
// input receives a gradient. Normal builds never define it. To run it:
//   cmake -S . -B build-selftest -DAG_CUDA=OFF -DCMAKE_CXX_FLAGS=-DPARITY_SELF_TEST
//   cmake --build build-selftest --target cuda_tests && build-selftest/tests/cuda_tests
// and, to audit conditioning (see parity.cpp), with PARITY_PERTURB_ULPS=4 PARITY_TOL_SCALE=0.5.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/ops.h"

namespace parity {

using ag::Device;
using ag::Generator;
using ag::Shape;
using ag::Tensor;

#ifdef PARITY_SELF_TEST
inline constexpr Device kGpu = Device::CPU;
inline constexpr bool kSelfTest = true;
#define SKIP_WITHOUT_CUDA() static_cast<void>(0)
#else
// The device under test.
inline constexpr Device kGpu = Device::CUDA;
inline constexpr bool kSelfTest = false;
#define SKIP_WITHOUT_CUDA() \
  if (!ag::cuda_available()) GTEST_SKIP() << "no CUDA device (or CUDA backend not built)"
#endif
// Tests that need a CPU and a CUDA tensor at once (mixed-device errors) skip in the self-test.
#define SKIP_WITHOUT_TWO_DEVICES() \
  SKIP_WITHOUT_CUDA();             \
  if (parity::kSelfTest) GTEST_SKIP() << "needs two devices (self-test mode)"

// The criterion: relative error of the whole tensor, normalised by the reference's norm.
constexpr double kTol = 1e-5;
// The mean of the upstream gradients (see the top of the file).
constexpr float kUpstreamMean = 1.0f;
// The floor of the normalisation: an all-zero reference demands (essentially) exact zeros.
constexpr double kTiny = 1e-30;

// --- comparison ----------------------------------------------------------------------------------

struct MatchOptions {
  double tol = kTol;
  bool exact = false;      // bitwise equal finite values (pure copies: layout ops, fill, copy_)
  bool nonfinite = false;  // extreme inputs: NaN/inf allowed in the reference (positions compared)
};

// Compares `actual` (usually the CUDA result) with `expected` (usually the CPU reference): same
// shape and dtype, at least one element, int32 tensors exactly, float32 tensors as described at
// the top. Either may live on any device (values are copied to the host).
::testing::AssertionResult match(const Tensor& actual, const Tensor& expected,
                                 const MatchOptions& options = {});
// The same on host vectors (both must be non-empty and of equal size).
::testing::AssertionResult match_values(const std::vector<float>& actual,
                                        const std::vector<float>& expected,
                                        const MatchOptions& options = {});

// --- inputs --------------------------------------------------------------------------------------

// A CPU input of a parity run. `grad`: the run makes it a leaf that requires a gradient, and
// checks that both devices give it one. `misalign` > 0 (CUDA side only): the CUDA leaf is a view
// that starts `misalign` floats into a larger buffer (a start that is not 16-byte aligned), see
// misaligned_view(). The CPU reference always gets a plain contiguous copy.
struct Input {
  Tensor value;
  bool grad = true;
  int64_t misalign = 0;
};

inline Input var(Tensor t) {
  return Input{std::move(t), true, 0};
}
inline Input constant(Tensor t) {
  return Input{std::move(t), false, 0};
}
inline Input misaligned(Tensor t, int64_t offset) {
  return Input{std::move(t), true, offset};
}

// Normal(mean, stddev) values on the CPU from a generator seeded with `seed`.
Tensor randn(const Shape& shape, uint64_t seed, float stddev = 1.0f, float mean = 0.0f);
// Uniform in [lo, hi) on the CPU.
Tensor uniform(const Shape& shape, uint64_t seed, float lo, float hi);
// |x| uniform in [lo, hi) with a random sign (denominators: kept away from 0).
Tensor signed_magnitude(const Shape& shape, uint64_t seed, float lo, float hi);
// int32 values uniform in [0, limit) on the CPU.
Tensor indices(const Shape& shape, uint64_t seed, int32_t limit);
// Extreme inputs: uniform in [-100, 100], and with probability `special` each of NaN, +inf and
// -inf (so 3 * special of the elements are not finite). Tensors of 3 or more elements always hold
// at least one of each. Values are kept out of [87.5, 89.5] in magnitude (where exp overflows:
// e^88.72 = FLT_MAX, and a last-bit difference of the two backends could flip finite <-> inf) and
// at least 1e-3 away from 0 (x/0, log 0).
Tensor extreme(const Shape& shape, uint64_t seed, double special = 0.03);
// The same drawn from `gen` (extreme(shape, seed) draws from Generator(seed)).
Tensor extreme(const Shape& shape, Generator& gen, double special = 0.03);

// A leaf tensor on `device` holding `values` that starts `offset` floats into its storage (the
// `offset` floats before it and 5 after it are NaN, so a kernel that reads outside the view
// poisons its result). reshape views share storage with an offset in the same way; this builds
// one directly so that CUDA kernels see a start that is not 16-byte aligned.
Tensor misaligned_view(const Tensor& values, int64_t offset, Device device);

// --- runs ----------------------------------------------------------------------------------------

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
using MultiFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

struct Outcome {
  std::vector<Tensor> inputs;   // the leaves the function saw
  std::vector<Tensor> outputs;  // what it returned
  std::vector<Tensor> grads;    // each input's .grad after the backward (undefined if none)
};

// Runs fn on leaves made from `inputs` on `device`: clones for the `reference` run, otherwise
// .to(device) copies (clones on the CPU), or misaligned views where asked. If any input requires a
// gradient: with one output, ag::backward(output, upstream), upstream ~ Normal(1, 1) drawn from
// Generator(upstream_seed) on the CPU and moved to the device; with several outputs, the backward
// of the scalar sum_i sum(output_i * upstream_i).
Outcome run_on(Device device, bool reference, const MultiFn& fn, const std::vector<Input>& inputs,
               uint64_t upstream_seed = 1234);
Outcome run_on(Device device, bool reference, const Fn& fn, const std::vector<Input>& inputs,
               uint64_t upstream_seed = 1234);

struct ParityOptions {
  MatchOptions forward;  // how outputs are compared
  MatchOptions grads;    // how gradients are compared
  uint64_t upstream_seed = 1234;
};

inline ParityOptions tolerant(double tol = kTol) {
  ParityOptions o;
  o.forward.tol = o.grads.tol = tol;
  return o;
}
inline ParityOptions exact_copies() {  // layout ops: forward and backward are pure copies
  ParityOptions o;
  o.forward.exact = o.grads.exact = true;
  return o;
}
inline ParityOptions extreme_inputs() {
  ParityOptions o;
  o.forward.nonfinite = o.grads.nonfinite = true;
  return o;
}

// The parity check: runs fn on both devices and compares every output and every gradient.
// Asserts (non-vacuity) that the inputs, outputs and gradients of the run under test live on
// kGpu (CUDA), that there is at least
// one output, and that every input with `grad` received a gradient on both devices.
void check(const std::string& what, const Fn& fn, const std::vector<Input>& inputs,
           const ParityOptions& options = {});
// The same for a function with several outputs (split).
void check_multi(const std::string& what, const MultiFn& fn, const std::vector<Input>& inputs,
                 const ParityOptions& options = {});

// --- small utilities -----------------------------------------------------------------------------

// A copy of `t` on kGpu (a clone in the self-test, where .to(CPU) would alias `t`).
Tensor to_gpu(const Tensor& t);

// "[2, 3]"
std::string shape_str(const Shape& s);
// A fixed seed derived from a test's parameters (so every shape gets different numbers).
uint64_t seed_of(const std::string& what);

// The elementwise shapes of the issue: sizes that are not multiples of a block (1, 7, 255, 257,
// 1000, 4099), a scalar, a 3-D shape, and (when `large`) 1<<20 + 3 elements, enough for the
// vectorised paths to run many full vectors and then a tail.
std::vector<Shape> elementwise_shapes(bool large);

}  // namespace parity
