// How the registry's inputs are drawn (op_case.h's Values), and the Input makers its cases use.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/ops/op_case.h"

namespace opcases {

// --- values --------------------------------------------------------------------------------------

// Normal(mean, stddev).
Values normal(float stddev = 1.0f, float mean = 0.0f);
// Uniform in [lo, hi).
Values uniform(float lo, float hi);
// Uniform in [lo, hi), redrawn while closer than `margin` to a kink (agtest::away_from_kinks).
Values away_from_kinks(float lo, float hi, std::vector<float> kinks, float margin);
// Uniform in [lo, hi) but at least 0.05 from 0: gradcheck's Richardson points (within 0.01 of x)
// stay on x's side of a kink at 0 (relu & co.).
Values away_from_zero(float lo, float hi);
// |x| uniform in [lo, hi) with a random sign (denominators).
Values signed_magnitude(float lo, float hi);
// int32 uniform in [0, limit).
Values indices(int32_t limit);
// parity::extreme: uniform [-100, 100] with NaN, +inf and -inf (each with probability `special`).
Values extreme(double special = 0.03);
// Normal(0, stddev), but a lone element ([] or [1]) uniform in [0.5, 3): it alone makes the norm
// of a parity comparison, so it keeps away from the zeros of every activation and derivative.
Values activation_input(float stddev);
// A tensor built by `make` (a fixed pattern: a mask, chosen indices); `text` describes it.
Values fixed(std::string text, std::function<Tensor()> make);
// Fixed float or int32 values (the shape is the input's).
Values fixed_values(std::vector<float> values);
Values fixed_indices(std::vector<int32_t> values);
// Anything else: draw(shape, generator, earlier inputs).
Values custom(std::string text,
              std::function<Tensor(const Shape&, Generator&, const std::vector<Tensor>&)> draw);

// --- inputs --------------------------------------------------------------------------------------

// A variable / a constant, drawn from the case's generator.
Input var(Shape shape, Values values);
Input constant(Shape shape, Values values);
// The same, drawn from Generator(seed) of its own.
Input var(Shape shape, Values values, uint64_t seed);
Input constant(Shape shape, Values values, uint64_t seed);
// A variable whose CUDA copy starts `offset` floats into its buffer (parity::misaligned_view).
Input misaligned(Shape shape, Values values, uint64_t seed, int64_t offset);

// --- forward functions ---------------------------------------------------------------------------

Forward unary(std::function<Tensor(const Tensor&)> f);
Forward binary(std::function<Tensor(const Tensor&, const Tensor&)> f);
Forward multi(std::function<Tensor(const std::vector<Tensor>&)> f);

// --- variants ------------------------------------------------------------------------------------

// All inputs, then each of two inputs alone (the other a constant).
std::vector<Variant> each_of_two_alone(const std::string& a_label = " (a only)",
                                       const std::string& b_label = " (b only)");

// --- names ---------------------------------------------------------------------------------------

// "[2, 3]"
std::string shape_str(const Shape& s);
// "[0, 2]" for dims.
std::string dims_str(const std::vector<int64_t>& dims);

}  // namespace opcases
