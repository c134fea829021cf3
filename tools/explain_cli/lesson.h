// Lesson mode (--act): an activation's value and derivative at chosen points, the derivative
// checked by a central finite difference, and what the derivative means there for learning.
// f and f' are the functors of core/math/unary.h, the same code the engine's kernels run.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/math/unary.h"
#include "tools/explain_cli/json_io.h"

namespace ag::explain {

struct Activation {
  std::string name;   // "swish"
  std::string label;  // "swish(beta=2)": the name with its params
  math::UnaryOp op;
  math::UnaryParams params;
  Json params_json;  // {"beta": 2.0}
  const char* formula;
  const char* derivative;
};

struct ActivationOptions {
  std::optional<double> alpha;  // leaky_relu (default 0.01), elu (default 1)
  std::optional<double> beta;   // swish, softplus (default 1)
};

// relu, leaky_relu, elu, selu, gelu, gelu_tanh, silu, swish, mish, sigmoid, tanh, softplus
const std::vector<std::string>& activation_names();
// Throws InputError for an unknown name or an option the activation does not take.
Activation make_activation(const std::string& name, const ActivationOptions& options);
// Every activation, for --act all (options apply where they fit).
std::vector<Activation> all_activations(const ActivationOptions& options);

// The finite-difference step at x: a power of two (so x +- h is exact), 2^-7 for |x| <= 1 and
// scaled with |x| above. Float rounding of f (~6e-8 |f|) over 2h and the truncation error
// h^2 f'''/6 are then both around 1e-5.
float finite_difference_step(float x);
// (f(x + h) - f(x - h)) / 2h, evaluated in double from the float functor.
double central_difference(const Activation& act, float x);
// The point x < 0 where f' = 0 for the self-gated activations (silu/swish, gelu, mish), found by
// bisection on the functor's derivative; nullopt for the others.
std::optional<float> activation_minimum(const Activation& act);
// One sentence on what f'(x) means for the gradient at x (dead unit, saturation, ...).
std::string derivative_meaning(const Activation& act, float x);

struct LessonPoint {
  float x;
  float value;       // f(x)
  float derivative;  // f'(x), analytic
  double finite_difference;
  float step;
  std::string meaning;
};
std::vector<LessonPoint> lesson_points(const Activation& act, const std::vector<float>& xs);

// "-2,0,2" -> {-2, 0, 2}; InputError for anything that is not a finite number.
std::vector<float> parse_points(const std::string& text);

void print_lesson(std::ostream& out, const Activation& act, const std::vector<LessonPoint>& pts);
Json lesson_json(const Activation& act, const std::vector<LessonPoint>& pts);
// --act all: rows = activations, columns = f(x) and f'(x) at each x.
void print_comparison(std::ostream& out, const std::vector<Activation>& acts,
                      const std::vector<float>& xs);
Json comparison_json(const std::vector<Activation>& acts, const std::vector<float>& xs);

}  // namespace ag::explain
