// A finite-difference gradient checker for the engine's ops, and random inputs shaped for it.
//
// gradcheck(f, inputs, gen, options) checks the backward of f against its forward:
//   1. Draws a random upstream weight r (one normal per output element) and runs
//      ag::backward(f(x), r), i.e. the gradient of L(x) = sum(f(x) * r). Seeding the backward with
//      r directly (instead of building L from mul and sum) keeps the check of one op independent
//      of the backwards of mul and sum, which are under test themselves.
//   2. For every element x_j of every checked input, estimates dL/dx_j by central differences:
//      L is evaluated in double on the host from f's float outputs, and the step is the one the
//      float perturbation actually made (float(x + h) - float(x - h)), not the nominal 2h.
//      With `richardson`, the estimate combines steps h and h/2, (4 D(h/2) - D(h)) / 3, which
//      cancels the h^2 truncation term: what remains is float rounding noise of about
//      ulp(f) / h, so tolerances can be tight enough to catch a derivative that is slightly wrong
//      (tests/core/gradcheck_test.cpp shows the checker rejecting such derivatives).
//   3. Passes when |analytic - numeric| <= atol + rtol * |numeric| for every element.
//
// Inputs that are int32 (indices, targets) or excluded through `wrt` are passed through as
// constants. f must be deterministic; an f that draws random numbers (dropout) must reset its
// generator to the same state on every call.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/ops.h"

namespace agtest {

using ag::Generator;
using ag::Shape;
using ag::Tensor;

// A function of several input tensors returning one tensor.
using MultiFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradCheckOptions {
  double step = 1e-2;  // h; every evaluation point lies within h of the input
  bool richardson = true;
  double atol = 1e-4;
  double rtol = 1e-3;
  // Which inputs to check (by position); empty means every float32 input. Unchecked float
  // inputs are constants: they must not receive a gradient.
  std::vector<bool> wrt;
};

// Runs the check described above. On failure the message lists the worst elements (input,
// multi-index, value, analytic, numeric, allowed error).
::testing::AssertionResult gradcheck(const MultiFn& f, const std::vector<Tensor>& inputs,
                                     Generator& gen, const GradCheckOptions& options = {});

// --- inputs --------------------------------------------------------------------------------------

// Normal(0, stddev) values.
Tensor normal_input(const Shape& shape, Generator& gen, float stddev = 1.0f);
// Uniform in [lo, hi].
Tensor uniform_input(const Shape& shape, Generator& gen, float lo, float hi);
// Uniform in [lo, hi], redrawn while closer than `margin` to any point of `kinks`: keeps every
// finite-difference point on one side of a kink (relu at 0, say). margin must exceed the step.
Tensor away_from_kinks(const Shape& shape, Generator& gen, float lo, float hi,
                       const std::vector<float>& kinks, float margin);
// |x| uniform in [lo, hi] with a random sign (denominators, or anything that must avoid 0).
Tensor signed_magnitude(const Shape& shape, Generator& gen, float lo, float hi);
// int32 values uniform in [0, limit).
Tensor index_input(const Shape& shape, Generator& gen, int32_t limit);

// --- helpers -------------------------------------------------------------------------------------

// "[1, 2]": the multi-index of flat element `flat` of `shape`.
std::string index_string(const Shape& shape, int64_t flat);

// A unary function f(x) as a MultiFn of one input.
inline MultiFn unary_fn(std::function<Tensor(const Tensor&)> f) {
  return [f = std::move(f)](const std::vector<Tensor>& in) { return f(in[0]); };
}
// A binary function f(a, b) as a MultiFn of two inputs.
inline MultiFn binary_fn(std::function<Tensor(const Tensor&, const Tensor&)> f) {
  return [f = std::move(f)](const std::vector<Tensor>& in) { return f(in[0], in[1]); };
}

}  // namespace agtest
