#include "tests/ops/parity.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <sstream>

namespace parity {

namespace {

#ifdef PARITY_SELF_TEST
// Self-test knobs (environment): PARITY_PERTURB_ULPS=n moves every finite float input of the run
// under test by a random -n..n ulp, and PARITY_TOL_SCALE=f multiplies the tolerances. Together
// they estimate how much of its 1e-5 budget each comparison needs for rounding differences of
// the inputs (i.e. its conditioning); exact comparisons become tolerant in that mode.
int perturb_ulps() {
  static const int n =
      std::getenv("PARITY_PERTURB_ULPS") ? std::atoi(std::getenv("PARITY_PERTURB_ULPS")) : 0;
  return n;
}
double tol_scale() {
  static const double f =
      std::getenv("PARITY_TOL_SCALE") ? std::atof(std::getenv("PARITY_TOL_SCALE")) : 1.0;
  return f;
}
Tensor perturbed(const Tensor& t, uint64_t seed) {
  if (t.dtype() != ag::DType::F32) return t.clone();
  std::vector<float> v = t.to_vector();
  Generator gen(seed);
  for (float& x : v) {
    if (!std::isfinite(x)) continue;
    const int k = int(gen.uniform() * float(2 * perturb_ulps() + 1)) - perturb_ulps();
    for (int i = 0; i < std::abs(k); ++i)
      x = std::nextafter(x, k > 0 ? std::numeric_limits<float>::infinity()
                                  : -std::numeric_limits<float>::infinity());
  }
  return Tensor::from_vector(v, t.shape(), t.device());
}
#else
int perturb_ulps() {
  return 0;
}
double tol_scale() {
  return 1.0;
}
Tensor perturbed(const Tensor& t, uint64_t) {
  return t.clone();
}
#endif

enum class Kind { Finite, NaN, PosInf, NegInf };

Kind kind_of(float x) {
  if (std::isnan(x)) return Kind::NaN;
  if (std::isinf(x)) return x > 0 ? Kind::PosInf : Kind::NegInf;
  return Kind::Finite;
}

}  // namespace

// --- comparison ----------------------------------------------------------------------------------

::testing::AssertionResult match_values(const std::vector<float>& actual,
                                        const std::vector<float>& expected,
                                        const MatchOptions& options_in) {
  MatchOptions options = options_in;
  options.tol *= tol_scale();
  if (perturb_ulps() > 0) options.exact = false;
  if (actual.empty() || expected.empty()) {
    return ::testing::AssertionFailure()
           << "nothing to compare: " << actual.size() << " vs " << expected.size() << " elements";
  }
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "sizes differ: " << actual.size() << " vs " << expected.size() << " elements";
  }
  size_t unexpected_nonfinite = 0, class_mismatch = 0, inexact = 0, finite = 0;
  size_t first_nonfinite = 0, first_class = 0, first_inexact = 0, worst = 0;
  double diff2 = 0.0, ref2 = 0.0, worst_abs = -1.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const Kind ke = kind_of(expected[i]), ka = kind_of(actual[i]);
    if (ke != Kind::Finite && !options.nonfinite) {
      if (unexpected_nonfinite++ == 0) first_nonfinite = i;
      continue;
    }
    if (ke != ka) {
      if (class_mismatch++ == 0) first_class = i;
      continue;
    }
    if (ke != Kind::Finite) continue;  // NaN vs NaN, inf vs inf of the same sign
    ++finite;
    const double d = double(actual[i]) - double(expected[i]);
    diff2 += d * d;
    ref2 += double(expected[i]) * double(expected[i]);
    if (std::fabs(d) > worst_abs) worst_abs = std::fabs(d), worst = i;
    if (options.exact && !(actual[i] == expected[i])) {
      if (inexact++ == 0) first_inexact = i;
    }
  }
  const double rel = std::sqrt(diff2) / std::max(std::sqrt(ref2), kTiny);
  std::ostringstream os;
  os.precision(9);
  bool ok = true;
  if (unexpected_nonfinite) {
    ok = false;
    os << "\n  the CPU reference has " << unexpected_nonfinite << " non-finite values (first at "
       << first_nonfinite << ": " << expected[first_nonfinite]
       << ") where finite inputs were meant to give finite results";
  }
  if (class_mismatch) {
    ok = false;
    os << "\n  " << class_mismatch << " of " << expected.size()
       << " elements differ in NaN/inf/finite class; first at " << first_class << ": "
       << actual[first_class] << " (tested) vs " << expected[first_class] << " (reference)";
  }
  if (options.exact && inexact) {
    ok = false;
    os << "\n  " << inexact << " of " << finite
       << " finite elements differ where a pure copy must reproduce every value; first at "
       << first_inexact << ": " << actual[first_inexact] << " vs " << expected[first_inexact];
  }
  if (!(rel <= options.tol)) {
    ok = false;
    os << "\n  relative error " << rel << " > " << options.tol
       << " (||diff|| = " << std::sqrt(diff2) << ", ||ref|| = " << std::sqrt(ref2) << " over "
       << finite << " finite elements)";
  }
  if (finite > 0 && worst_abs >= 0.0) {
    os << "\n  largest difference at " << worst << ": " << actual[worst] << " (tested) vs "
       << expected[worst] << " (reference)";
  }
  if (!ok) return ::testing::AssertionFailure() << os.str();
  return ::testing::AssertionSuccess()
         << "relative error " << rel << " over " << finite << " finite elements";
}

::testing::AssertionResult match(const Tensor& actual, const Tensor& expected,
                                 const MatchOptions& options) {
  if (!actual.defined() || !expected.defined()) {
    return ::testing::AssertionFailure()
           << "undefined tensor: " << actual.describe() << " vs " << expected.describe();
  }
  if (actual.shape() != expected.shape() || actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure()
           << "shape or dtype differs: " << actual.describe() << " vs " << expected.describe();
  }
  if (expected.dtype() == ag::DType::I32) {
    const std::vector<int32_t> a = actual.to_int_vector(), e = expected.to_int_vector();
    if (e.empty()) return ::testing::AssertionFailure() << "nothing to compare: empty tensors";
    for (size_t i = 0; i < e.size(); ++i) {
      if (a[i] != e[i]) {
        return ::testing::AssertionFailure()
               << "int32 element " << i << " differs: " << a[i] << " (" << actual.describe()
               << ") vs " << e[i] << " (" << expected.describe() << ")";
      }
    }
    return ::testing::AssertionSuccess();
  }
  ::testing::AssertionResult r = match_values(actual.to_vector(), expected.to_vector(), options);
  if (!r) r << "\n  comparing " << actual.describe() << " with " << expected.describe();
  return r;
}

// --- inputs --------------------------------------------------------------------------------------

Tensor randn(const Shape& shape, uint64_t seed, float stddev, float mean) {
  Generator gen(seed);
  return Tensor::randn(shape, gen, mean, stddev);
}

Tensor uniform(const Shape& shape, uint64_t seed, float lo, float hi) {
  Generator gen(seed);
  return Tensor::uniform(shape, gen, lo, hi);
}

Tensor signed_magnitude(const Shape& shape, uint64_t seed, float lo, float hi) {
  Generator gen(seed);
  std::vector<float> v(static_cast<size_t>(ag::numel_of(shape)));
  for (float& x : v) {
    const float m = lo + (hi - lo) * gen.uniform();
    x = gen.uniform() < 0.5f ? -m : m;
  }
  return Tensor::from_vector(v, shape);
}

Tensor indices(const Shape& shape, uint64_t seed, int32_t limit) {
  Generator gen(seed);
  std::vector<int32_t> v(static_cast<size_t>(ag::numel_of(shape)));
  for (int32_t& i : v) i = std::min(limit - 1, int32_t(gen.uniform() * float(limit)));
  return Tensor::from_indices(v, shape);
}

Tensor extreme(const Shape& shape, uint64_t seed, double special) {
  Generator gen(seed);
  return extreme(shape, gen, special);
}

Tensor extreme(const Shape& shape, Generator& gen, double special) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v(static_cast<size_t>(ag::numel_of(shape)));
  for (float& x : v) {
    const double u = gen.uniform();
    if (u < special) {
      x = nan;
    } else if (u < 2 * special) {
      x = inf;
    } else if (u < 3 * special) {
      x = -inf;
    } else {
      x = -100.0f + 200.0f * gen.uniform();
      if (std::fabs(x) > 87.5f && std::fabs(x) < 89.5f) x = std::copysign(90.0f, x);
      if (std::fabs(x) < 1e-3f) x = x < 0.0f ? -1e-3f : 1e-3f;
    }
  }
  if (v.size() >= 3) {
    v.front() = inf;
    v[v.size() / 2] = nan;
    v.back() = -inf;
  }
  return Tensor::from_vector(v, shape);
}

Tensor misaligned_view(const Tensor& values, int64_t offset, Device device) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> v = values.to_vector();
  std::vector<float> padded(static_cast<size_t>(offset), nan);
  padded.insert(padded.end(), v.begin(), v.end());
  padded.insert(padded.end(), 5, nan);
  const Tensor base = Tensor::from_vector(padded, {static_cast<int64_t>(padded.size())}, device);
  auto impl = std::make_shared<ag::TensorImpl>();
  impl->storage = base.impl()->storage;  // the view keeps the buffer alive
  impl->offset = base.impl()->offset + offset;
  impl->shape = values.shape();
  impl->dtype = ag::DType::F32;
  return Tensor(std::move(impl));
}

// --- runs ----------------------------------------------------------------------------------------

Outcome run_on(Device device, bool reference, const MultiFn& fn, const std::vector<Input>& inputs,
               uint64_t upstream_seed) {
  ag::clear_tape();  // nothing left over from a test that failed half-way
  Outcome o;
  bool any_grad = false;
  for (const Input& in : inputs) {
    Tensor t;
    if (!reference && in.misalign > 0) {
      t = misaligned_view(in.value, in.misalign, device);
    } else if (device == Device::CPU) {
      // A fresh leaf (.to(CPU) would alias the caller's tensor).
      t = reference || perturb_ulps() == 0 || !in.grad ? in.value.clone()
                                                       : perturbed(in.value, o.inputs.size());
    } else {
      t = in.value.to(device);
    }
    if (in.grad) {
      t.requires_grad_(true);
      any_grad = true;
    }
    o.inputs.push_back(t);
  }
  o.outputs = fn(o.inputs);
  if (any_grad) {
    Generator gen(upstream_seed);
    if (o.outputs.size() == 1) {
      const Tensor& y = o.outputs[0];
      if (y.defined() && y.requires_grad()) {
        ag::backward(y, Tensor::randn(y.shape(), gen, kUpstreamMean).to(device));
      }
    } else {
      Tensor loss;
      for (const Tensor& y : o.outputs) {
        if (!y.defined() || !y.requires_grad()) continue;
        const Tensor term =
            ag::sum(ag::mul(y, Tensor::randn(y.shape(), gen, kUpstreamMean).to(device)));
        loss = loss.defined() ? ag::add(loss, term) : term;
      }
      if (loss.defined()) ag::backward(loss);
    }
  }
  for (const Tensor& t : o.inputs) o.grads.push_back(t.grad());
  return o;
}

Outcome run_on(Device device, bool reference, const Fn& fn, const std::vector<Input>& inputs,
               uint64_t upstream_seed) {
  return run_on(device, reference, MultiFn([&fn](const std::vector<Tensor>& xs) {
                  return std::vector<Tensor>{fn(xs)};
                }),
                inputs, upstream_seed);
}

void check_multi(const std::string& what, const MultiFn& fn, const std::vector<Input>& inputs,
                 const ParityOptions& options) {
  SCOPED_TRACE(what);
  const Outcome cpu = run_on(Device::CPU, true, fn, inputs, options.upstream_seed);
  const Outcome gpu = run_on(kGpu, false, fn, inputs, options.upstream_seed);
  ASSERT_FALSE(cpu.outputs.empty()) << what << ": the function returned nothing";
  ASSERT_EQ(cpu.outputs.size(), gpu.outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(gpu.inputs[i].device(), kGpu) << what << ": input " << i;
    ASSERT_EQ(cpu.inputs[i].device(), Device::CPU) << what << ": input " << i;
  }
  for (size_t i = 0; i < cpu.outputs.size(); ++i) {
    ASSERT_TRUE(cpu.outputs[i].defined() && gpu.outputs[i].defined()) << what << ": output " << i;
    EXPECT_EQ(gpu.outputs[i].device(), kGpu) << what << ": output " << i;
    EXPECT_EQ(cpu.outputs[i].device(), Device::CPU) << what << ": output " << i;
    EXPECT_TRUE(match(gpu.outputs[i], cpu.outputs[i], options.forward)) << what << ": output " << i;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].grad) {
      EXPECT_FALSE(gpu.grads[i].defined()) << what << ": constant input " << i << " got a grad";
      continue;
    }
    ASSERT_TRUE(cpu.grads[i].defined())
        << what << ": the CPU reference gave input " << i << " no gradient";
    ASSERT_TRUE(gpu.grads[i].defined()) << what << ": CUDA gave input " << i << " no gradient";
    EXPECT_EQ(gpu.grads[i].device(), kGpu) << what << ": gradient of input " << i;
    EXPECT_TRUE(match(gpu.grads[i], cpu.grads[i], options.grads))
        << what << ": gradient of input " << i;
  }
}

void check(const std::string& what, const Fn& fn, const std::vector<Input>& inputs,
           const ParityOptions& options) {
  check_multi(
      what, [&fn](const std::vector<Tensor>& xs) { return std::vector<Tensor>{fn(xs)}; }, inputs,
      options);
}

// --- small utilities -----------------------------------------------------------------------------

Tensor to_gpu(const Tensor& t) {
  return kGpu == Device::CPU ? t.clone() : t.to(kGpu);
}

std::string shape_str(const Shape& s) {
  return ag::to_string(s);
}

uint64_t seed_of(const std::string& what) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : what) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::vector<Shape> elementwise_shapes(bool large) {
  std::vector<Shape> shapes = {{}, {1}, {7}, {255}, {257}, {1000}, {4099}, {3, 5, 7}};
  if (large) shapes.push_back({(int64_t(1) << 20) + 3});
  return shapes;
}

}  // namespace parity
