// The tolerances of the registry's modes.
//
// GradCheck (tests/ops/gradcheck.h): |analytic - numeric| <= atol + rtol |numeric|, per family
// below. With step h = 1e-2 and Richardson extrapolation the truncation error is O(h^4) (~1e-8
// for these smooth functions) and what remains is float rounding: each output carries ~1 ulp of
// error, which the difference quotient divides by h/2, i.e. ~1e-5 relative to the outputs that
// move. AG_GRADCHECK_VERBOSE=1 prints, per check, the worst error as a fraction of its tolerance:
// the worst check uses 37% of its tolerance (Release, and Debug + sanitizers, whose summation
// order differs), while a derivative wrong by 0.1% fails (GradcheckSelfTest in
// tests/core/gradcheck_test.cpp), and so does a backward that drops or misroutes any gradient
// (checked by mutating each op's backward in a scratch copy).
//   kSmooth:  elementwise math on O(1) values: 2e-4 absolute + 2e-4 relative.
//   kLinear:  ops that are linear in each single input element (layout, sums, add, mul, matmul,
//             dropout, embedding): the differences are exact up to rounding for any step, so the
//             step is large (4) and not extrapolated, which shrinks the rounding noise ~400x;
//             2e-5 + 2e-5 relative (worst use: 3%).
//   kRows:    row ops (softmax, layer_norm, cross_entropy, attention): a perturbation moves every
//             output of the row (the row's max, sum or variance shifts), so the rounding of all of
//             them enters; step 0.05, 3e-4 + 3e-4 relative.
//   kPiecewiseLinear: relu, leaky_relu with inputs >= 0.05 from the kink: exact differences with
//             a step of 0.04 that never crosses it; 1e-5 + 1e-5 relative.
//
// Parity (tests/ops/parity.h): the relative error of each whole output and gradient,
// ||cuda - cpu|| / ||cpu|| <= 1e-5, NaN/inf at the same positions; bitwise equality for pure
// copies (layout ops). parity.h explains the choice.
#pragma once

#include "tests/ops/gradcheck.h"
#include "tests/ops/parity.h"

namespace opcases {

inline agtest::GradCheckOptions tolerance(double atol, double rtol, double step = 1e-2,
                                          bool richardson = true) {
  agtest::GradCheckOptions o;
  o.atol = atol;
  o.rtol = rtol;
  o.step = step;
  o.richardson = richardson;
  return o;
}

inline const agtest::GradCheckOptions kSmooth = tolerance(2e-4, 2e-4);
// Nothing to extrapolate away: Richardson would only amplify the rounding.
inline const agtest::GradCheckOptions kLinear = tolerance(2e-5, 2e-5, 4.0, false);
inline const agtest::GradCheckOptions kRows = tolerance(3e-4, 3e-4, 0.05);
// Exact on each linear piece.
inline const agtest::GradCheckOptions kPiecewiseLinear = tolerance(1e-5, 1e-5, 0.04, false);

// kRows with another step (softmax of long rows).
inline agtest::GradCheckOptions rows_with_step(double step) {
  agtest::GradCheckOptions o = kRows;
  o.step = step;
  return o;
}

// Parity: outputs and gradients to 1e-5 of their norm.
inline const parity::ParityOptions kClose = parity::ParityOptions{};
// Parity: bitwise equal forward and gradients (pure copies).
inline const parity::ParityOptions kExact = parity::exact_copies();
// Parity on extreme inputs: NaN/inf positions compared, finite values to 1e-5.
inline const parity::ParityOptions kExtreme = parity::extreme_inputs();

}  // namespace opcases
