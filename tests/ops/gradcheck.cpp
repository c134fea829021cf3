#include "tests/ops/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace agtest {

namespace {

// sum_i y_i * r_i in double, from f's float outputs.
double weighted_sum(const Tensor& y, const std::vector<float>& r) {
  const std::vector<float> v = y.to_vector();
  double total = 0.0;
  for (size_t i = 0; i < v.size(); ++i) total += double(v[i]) * double(r[i]);
  return total;
}

// Central difference of L along element j of work[input], with nominal step h. The element is
// restored afterwards. The divisor is the step the float arithmetic really took.
double central_difference(const MultiFn& f, std::vector<Tensor>& work, size_t input, int64_t j,
                          double h, const std::vector<float>& r) {
  float* x = work[input].data();
  const float original = x[j];
  const float plus = float(double(original) + h);
  const float minus = float(double(original) - h);
  x[j] = plus;
  const double l_plus = weighted_sum(f(work), r);
  x[j] = minus;
  const double l_minus = weighted_sum(f(work), r);
  x[j] = original;
  return (l_plus - l_minus) / (double(plus) - double(minus));
}

struct Mismatch {
  size_t input;
  int64_t index;
  float value;
  double analytic, numeric, allowed;
};

}  // namespace

std::string index_string(const Shape& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return ag::to_string(idx);
}

::testing::AssertionResult gradcheck(const MultiFn& f, const std::vector<Tensor>& inputs,
                                     Generator& gen, const GradCheckOptions& opt) {
  // Leftover nodes of an earlier failed test must not mix with this one's.
  ag::clear_tape();
  std::vector<bool> checked(inputs.size(), false);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const bool wanted = opt.wrt.empty() || (i < opt.wrt.size() && opt.wrt[i]);
    checked[i] = wanted && inputs[i].dtype() == ag::DType::F32;
  }

  // --- analytic: backward(f(x), r) ---------------------------------------------------------------
  std::vector<Tensor> leaves;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor leaf = inputs[i].dtype() == ag::DType::F32 ? inputs[i].clone() : inputs[i];
    if (checked[i]) leaf.requires_grad_(true);
    leaves.push_back(leaf);
  }
  const Tensor y = f(leaves);
  if (!y.requires_grad()) {
    ag::clear_tape();
    return ::testing::AssertionFailure()
           << "the output " << y.describe() << " does not require a gradient: nothing recorded";
  }
  const Tensor r = Tensor::randn(y.shape(), gen);
  const std::vector<float> rv = r.to_vector();
  ag::backward(y, r);

  // --- numeric, with the recorder off ------------------------------------------------------------
  ag::NoGradGuard no_grad;
  std::vector<Tensor> work;
  for (const Tensor& t : inputs) work.push_back(t.dtype() == ag::DType::F32 ? t.clone() : t);

  std::vector<Mismatch> bad;
  int64_t n_checked = 0;
  double worst_ratio = 0.0;  // max |error| / allowed over all elements
  double worst_abs = 0.0;    // max |error|
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor g = leaves[i].grad();
    if (!checked[i]) {
      if (g.defined() && inputs[i].dtype() == ag::DType::F32) {
        return ::testing::AssertionFailure()
               << "input " << i << " is a constant (requires_grad false) but received a gradient";
      }
      continue;
    }
    if (g.defined() && g.shape() != inputs[i].shape()) {
      return ::testing::AssertionFailure()
             << "input " << i << ": gradient " << g.describe() << " for " << inputs[i].describe();
    }
    // An undefined gradient means nothing flowed back: correct only if L does not depend on
    // this input, which the numeric derivative (all zeros) then confirms.
    const std::vector<float> analytic =
        g.defined() ? g.to_vector() : std::vector<float>(size_t(inputs[i].numel()), 0.0f);
    const std::vector<float> values = inputs[i].to_vector();
    for (int64_t j = 0; j < inputs[i].numel(); ++j) {
      double numeric = central_difference(f, work, i, j, opt.step, rv);
      if (opt.richardson) {
        const double half = central_difference(f, work, i, j, opt.step / 2, rv);
        numeric = (4.0 * half - numeric) / 3.0;
      }
      const double a = analytic[size_t(j)];
      const double allowed = opt.atol + opt.rtol * std::fabs(numeric);
      const double err = std::fabs(a - numeric);
      ++n_checked;
      worst_ratio = std::max(worst_ratio, std::isfinite(err) ? err / allowed : INFINITY);
      worst_abs = std::max(worst_abs, std::isfinite(err) ? err : INFINITY);
      if (!(err <= allowed)) bad.push_back({i, j, values[size_t(j)], a, numeric, allowed});
    }
  }
  if (bad.empty()) {
    // AG_GRADCHECK_VERBOSE=1 prints how close each passing check came to its tolerance, which
    // is how the tolerance families of tests/ops/tolerances.h were chosen.
    if (const char* v = std::getenv("AG_GRADCHECK_VERBOSE"); v && *v == '1') {
      std::printf("gradcheck: %lld elements, worst error %.3g of the tolerance, max |error| %.3g\n",
                  static_cast<long long>(n_checked), worst_ratio, worst_abs);
    }
    return ::testing::AssertionSuccess();
  }
  std::sort(bad.begin(), bad.end(), [](const Mismatch& a, const Mismatch& b) {
    return std::fabs(a.analytic - a.numeric) / a.allowed >
           std::fabs(b.analytic - b.numeric) / b.allowed;
  });
  std::ostringstream os;
  os.precision(8);
  os << bad.size() << " of " << n_checked
     << " gradient elements differ from the finite differences (atol " << opt.atol << ", rtol "
     << opt.rtol << ", step " << opt.step << (opt.richardson ? ", Richardson" : "")
     << "); worst first:";
  for (size_t k = 0; k < std::min<size_t>(bad.size(), 8); ++k) {
    const Mismatch& m = bad[k];
    os << "\n  input " << m.input << index_string(inputs[m.input].shape(), m.index)
       << " x=" << m.value << ": analytic " << m.analytic << ", numeric " << m.numeric << ", error "
       << std::fabs(m.analytic - m.numeric) << " > " << m.allowed;
  }
  return ::testing::AssertionFailure() << os.str();
}

// --- inputs --------------------------------------------------------------------------------------

Tensor normal_input(const Shape& shape, Generator& gen, float stddev) {
  return Tensor::randn(shape, gen, 0.0f, stddev);
}

Tensor uniform_input(const Shape& shape, Generator& gen, float lo, float hi) {
  return Tensor::uniform(shape, gen, lo, hi);
}

Tensor away_from_kinks(const Shape& shape, Generator& gen, float lo, float hi,
                       const std::vector<float>& kinks, float margin) {
  std::vector<float> v(size_t(ag::numel_of(shape)));
  for (float& x : v) {
    auto near_kink = [&](float value) {
      return std::any_of(kinks.begin(), kinks.end(),
                         [&](float k) { return std::fabs(value - k) < margin; });
    };
    do {
      x = lo + (hi - lo) * gen.uniform();
    } while (near_kink(x));
  }
  return Tensor::from_vector(v, shape);
}

Tensor signed_magnitude(const Shape& shape, Generator& gen, float lo, float hi) {
  std::vector<float> v(size_t(ag::numel_of(shape)));
  for (float& x : v) {
    const float magnitude = lo + (hi - lo) * gen.uniform();
    x = gen.uniform() < 0.5f ? -magnitude : magnitude;
  }
  return Tensor::from_vector(v, shape);
}

Tensor index_input(const Shape& shape, Generator& gen, int32_t limit) {
  std::vector<int32_t> v(size_t(ag::numel_of(shape)));
  for (int32_t& x : v) x = std::min(limit - 1, int32_t(gen.uniform() * float(limit)));
  return Tensor::from_indices(v, shape);
}

}  // namespace agtest
