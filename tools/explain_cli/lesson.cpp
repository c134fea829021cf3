#include "tools/explain_cli/lesson.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "tools/explain_cli/format.h"
#include "tools/explain_cli/input_error.h"

namespace ag::explain {

namespace {

using math::UnaryOp;

float value(const Activation& a, float x) {
  return math::unary_value(a.op, a.params, x);
}
float slope(const Activation& a, float x) {
  return math::unary_derivative(a.op, a.params, x);
}

bool is_self_gated(const Activation& a) {
  return a.op == UnaryOp::Swish || a.op == UnaryOp::GeluErf || a.op == UnaryOp::GeluTanh ||
         a.op == UnaryOp::Mish;
}

// Where f has a kink (no derivative), if anywhere.
std::optional<float> kink(const Activation& a) {
  switch (a.op) {
    case UnaryOp::Relu:
    case UnaryOp::LeakyRelu:
    case UnaryOp::Selu:
      return 0.0f;
    case UnaryOp::Elu:
      if (a.params.alpha != 1.0f) return 0.0f;  // alpha = 1: slope 1 on both sides
      return std::nullopt;
    case UnaryOp::Softplus:  // PyTorch's switch to the identity at beta x = 20
      return a.params.beta > 0 ? std::optional<float>(20.0f / a.params.beta) : std::nullopt;
    default:
      return std::nullopt;
  }
}

std::string percent_of(float d, float max) {
  return concat(int(std::lround(100.0 * d / max)), "%");
}

// silu/swish, gelu, mish: a smooth ReLU with a dip below zero.
std::string self_gated_meaning(const Activation& a, float x, float d) {
  const std::optional<float> m = activation_minimum(a);
  const std::string at0 = short_number(slope(a, 0.0f));
  if (m && std::fabs(x - *m) < 1e-3f * std::max(1.0f, std::fabs(*m))) {
    return concat("at the minimum (f = ", short_number(value(a, *m)),
                  "): f' = 0, no gradient flows from this point");
  }
  if (m && x < *m) {
    if (std::fabs(d) < 1e-3f) {
      return concat(
          "far left: f ~ 0 and f' ~ 0, almost no gradient (like a dead ReLU, but never "
          "exactly 0)");
    }
    return concat("left of the minimum at x = ", short_number(*m),
                  ": f' < 0, so f falls as x grows; the gradient passed back is small and flips "
                  "sign (ReLU would pass none)");
  }
  if (x < 0.0f) {
    return concat("between the minimum (x = ", m ? short_number(*m) : "?",
                  ") and 0: f is negative but rising, 0 < f' < ", at0,
                  "; a gradient still flows where ReLU would block it");
  }
  if (x == 0.0f) {
    return concat("f'(0) = ", at0, ": ", a.op == UnaryOp::Mish ? "60%" : "half",
                  " of the upstream gradient passes (a smooth ReLU would jump from 0 to 1 here)");
  }
  if (d > 1.0f) {
    return concat("f' > 1: ", a.name,
                  " overshoots the identity's slope before settling to f ~ x, f' -> 1 for large x");
  }
  return concat(at0, " < f' <= 1: most of the gradient passes; for large x, f ~ x and f' -> 1");
}

}  // namespace

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = {"relu", "leaky_relu", "elu",  "selu",
                                                 "gelu", "gelu_tanh",  "silu", "swish",
                                                 "mish", "sigmoid",    "tanh", "softplus"};
  return names;
}

Activation make_activation(const std::string& name, const ActivationOptions& options) {
  const bool takes_alpha = name == "leaky_relu" || name == "elu";
  const bool takes_beta = name == "swish" || name == "softplus";
  if (options.alpha && !takes_alpha)
    input_error("--alpha applies to leaky_relu and elu, not ", name);
  if (options.beta && !takes_beta) input_error("--beta applies to swish and softplus, not ", name);

  Activation a;
  a.name = name;
  a.params_json = Json::object();
  auto set_alpha = [&](double fallback) {
    a.params.alpha = float(options.alpha.value_or(fallback));
    a.params_json["alpha"] = float_json(a.params.alpha);
    a.label = concat(name, "(alpha=", short_number(a.params.alpha), ")");
  };
  auto set_beta = [&]() {
    a.params.beta = float(options.beta.value_or(1.0));
    a.params_json["beta"] = float_json(a.params.beta);
    a.label = concat(name, "(beta=", short_number(a.params.beta), ")");
  };
  a.label = name;
  if (name == "relu") {
    a.op = UnaryOp::Relu;
    a.formula = "relu(x) = max(x, 0)";
    a.derivative = "relu'(x) = 1 if x > 0 else 0   (PyTorch: relu'(0) = 0)";
  } else if (name == "leaky_relu") {
    a.op = UnaryOp::LeakyRelu;
    set_alpha(0.01);
    a.formula = "leaky_relu(x) = x if x > 0 else alpha x";
    a.derivative = "leaky_relu'(x) = 1 if x > 0 else alpha";
  } else if (name == "elu") {
    a.op = UnaryOp::Elu;
    set_alpha(1.0);
    a.formula = "elu(x) = x if x > 0 else alpha (e^x - 1)";
    a.derivative = "elu'(x) = 1 if x > 0 else alpha e^x";
  } else if (name == "selu") {
    a.op = UnaryOp::Selu;
    a.formula = "selu(x) = scale (x if x > 0 else alpha (e^x - 1)), scale = 1.0507, alpha = 1.6733";
    a.derivative = "selu'(x) = scale if x > 0 else scale alpha e^x";
  } else if (name == "gelu") {
    a.op = UnaryOp::GeluErf;
    a.formula = "gelu(x) = x Phi(x),  Phi = the standard normal CDF";
    a.derivative = "gelu'(x) = Phi(x) + x phi(x),  phi = the standard normal density";
  } else if (name == "gelu_tanh") {
    a.op = UnaryOp::GeluTanh;
    a.formula = "gelu_tanh(x) = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)";
    a.derivative =
        "gelu_tanh'(x) = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 0.134145 x^2),  t = tanh(u)";
  } else if (name == "silu") {
    a.op = UnaryOp::Swish;
    a.params.beta = 1.0f;
    a.formula = "silu(x) = x sigmoid(x)";
    a.derivative = "silu'(x) = s (1 + x (1 - s)),  s = sigmoid(x)";
  } else if (name == "swish") {
    a.op = UnaryOp::Swish;
    set_beta();
    a.formula = "swish(x) = x sigmoid(beta x)";
    a.derivative = "swish'(x) = s (1 + beta x (1 - s)),  s = sigmoid(beta x)";
  } else if (name == "mish") {
    a.op = UnaryOp::Mish;
    a.formula = "mish(x) = x tanh(softplus(x))";
    a.derivative = "mish'(x) = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2),  sp = softplus(x)";
  } else if (name == "sigmoid") {
    a.op = UnaryOp::Sigmoid;
    a.formula = "sigmoid(x) = 1 / (1 + e^-x)";
    a.derivative = "sigmoid'(x) = s (1 - s),  s = sigmoid(x)";
  } else if (name == "tanh") {
    a.op = UnaryOp::Tanh;
    a.formula = "tanh(x) = (e^x - e^-x) / (e^x + e^-x)";
    a.derivative = "tanh'(x) = 1 - tanh(x)^2";
  } else if (name == "softplus") {
    a.op = UnaryOp::Softplus;
    set_beta();
    a.formula = "softplus(x) = ln(1 + e^(beta x)) / beta   (= x where beta x > 20, as in PyTorch)";
    a.derivative = "softplus'(x) = sigmoid(beta x)";
  } else {
    std::string list;
    for (const std::string& n : activation_names()) list += (list.empty() ? "" : ", ") + n;
    input_error("unknown activation '", name, "' for --act (known: ", list, ", all)");
  }
  return a;
}

std::vector<Activation> all_activations(const ActivationOptions& options) {
  std::vector<Activation> acts;
  for (const std::string& name : activation_names()) {
    ActivationOptions fitting;
    if (name == "leaky_relu" || name == "elu") fitting.alpha = options.alpha;
    if (name == "swish" || name == "softplus") fitting.beta = options.beta;
    acts.push_back(make_activation(name, fitting));
  }
  return acts;
}

float finite_difference_step(float x) {
  int exponent = 0;
  std::frexp(std::max(1.0f, std::fabs(x)), &exponent);  // max(1, |x|) in [2^(e-1), 2^e)
  return std::ldexp(1.0f, exponent - 8);
}

double central_difference(const Activation& act, float x) {
  const float h = finite_difference_step(x);
  return (double(value(act, x + h)) - double(value(act, x - h))) / (2.0 * double(h));
}

std::optional<float> activation_minimum(const Activation& act) {
  if (!is_self_gated(act)) return std::nullopt;
  if (act.op == UnaryOp::Swish && !(act.params.beta > 0.0f)) return std::nullopt;
  // f' < 0 at lo, f'(0) > 0: bisect until the float interval cannot shrink any more.
  float lo = act.op == UnaryOp::Swish ? -4.0f / act.params.beta : -4.0f, hi = 0.0f;
  if (!(slope(act, lo) < 0.0f) || !(slope(act, hi) > 0.0f)) return std::nullopt;
  for (int i = 0; i < 200; ++i) {
    const float mid = 0.5f * (lo + hi);
    if (mid == lo || mid == hi) break;
    (slope(act, mid) < 0.0f ? lo : hi) = mid;
  }
  return 0.5f * (lo + hi);
}

std::string derivative_meaning(const Activation& act, float x) {
  const float d = slope(act, x);
  const float y = value(act, x);
  std::string text;
  switch (act.op) {
    case UnaryOp::Relu:
      if (x > 0.0f) {
        text = "active: f' = 1, the upstream gradient passes through unchanged";
      } else if (x < 0.0f) {
        text =
            "dead: f' = 0, no gradient reaches the weights below; a unit whose input stays "
            "negative stops learning (a dead ReLU)";
      } else {
        text =
            "kink: no derivative at 0; PyTorch (and this engine) use f'(0) = 0, the central "
            "difference averages the two sides (0.5)";
      }
      break;
    case UnaryOp::LeakyRelu:
      if (x > 0.0f) {
        text = "active: f' = 1, the gradient passes unchanged";
      } else if (x < 0.0f) {
        text =
            concat("leaky: f' = alpha = ", short_number(act.params.alpha),
                   " instead of 0; the unit still gets a small gradient and can recover (no dead "
                   "units)");
      } else {
        text = "kink: PyTorch uses f'(0) = alpha; the central difference averages the two sides";
      }
      break;
    case UnaryOp::Elu:
      if (x > 0.0f) {
        text = "linear side: f' = 1, like ReLU";
      } else if (x == 0.0f && act.params.alpha == 1.0f) {
        text = "smooth joint: with alpha = 1 both sides have slope 1 at 0";
      } else if (x == 0.0f) {
        text = "kink: slope 1 on the right, alpha on the left (the engine uses alpha at 0)";
      } else {
        text = concat("negative side: f' = alpha e^x = f(x) + alpha = ", short_number(d),
                      "; smooth, shrinking toward 0 as f saturates at -alpha");
      }
      break;
    case UnaryOp::Selu:
      if (x > 0.0f) {
        text =
            "f' = scale = 1.0507 > 1: SELU slightly stretches positive inputs; with its "
            "negative side this keeps activations near zero mean and unit variance";
      } else if (x < 0.0f) {
        text = concat("negative side: f' = scale alpha e^x = ", short_number(d),
                      "; f saturates at -scale alpha = -1.7581");
      } else {
        text =
            "kink: slope 1.0507 on the right, 1.7581 on the left (the engine uses the left "
            "one at 0); the central difference averages them";
      }
      break;
    case UnaryOp::Sigmoid:
      if (x == 0.0f) {
        text =
            "steepest point: f'(0) = 0.25 is the maximum, so each sigmoid layer scales the "
            "gradient by 1/4 or less (0.25^10 ~ 1e-6 after ten layers: vanishing gradients)";
      } else if (d < 0.01f) {
        text = concat("saturated (f ~ ", y > 0.5f ? "1" : "0",
                      "): f' = s (1 - s) ~ 0, the gradient vanishes");
      } else {
        text = concat("f' = s (1 - s) is ", percent_of(d, 0.25f),
                      " of its maximum 0.25 (at x = 0): the sigmoid is starting to saturate and "
                      "the gradient shrinks");
      }
      break;
    case UnaryOp::Tanh:
      if (x == 0.0f) {
        text =
            "steepest point: f'(0) = 1 is the maximum (4x sigmoid's), and tanh is "
            "zero-centred";
      } else if (d < 0.01f) {
        text = concat("saturated (f ~ ", y > 0.0f ? "1" : "-1",
                      "): f' = 1 - tanh^2 ~ 0, the gradient vanishes");
      } else {
        text = concat("f' = 1 - tanh(x)^2 is ", percent_of(d, 1.0f),
                      " of its maximum 1 (at x = 0): tanh saturates as |x| grows and the gradient "
                      "shrinks");
      }
      break;
    case UnaryOp::Softplus:
      if (act.params.beta * x > 20.0f) {
        text = "linear region: PyTorch switches to f(x) = x when beta x > 20, so f' = 1";
      } else {
        text = concat("smooth ReLU: f' = sigmoid(beta x) = ", short_number(d),
                      ", strictly between 0 and 1; small for negative x but never exactly 0, so "
                      "no dead units");
      }
      break;
    default:
      if (is_self_gated(act)) {
        text = self_gated_meaning(act, x, d);
      } else {
        text = concat("f' = ", short_number(d));
      }
  }
  const std::optional<float> k = kink(act);
  if (k && x != *k && std::fabs(x - *k) < finite_difference_step(x)) {
    text += concat("; x is within h of the kink at ", short_number(*k),
                   ", so the central difference straddles it and disagrees");
  }
  return text;
}

std::vector<LessonPoint> lesson_points(const Activation& act, const std::vector<float>& xs) {
  std::vector<LessonPoint> pts;
  for (float x : xs) {
    pts.push_back(LessonPoint{x, value(act, x), slope(act, x), central_difference(act, x),
                              finite_difference_step(x), derivative_meaning(act, x)});
  }
  return pts;
}

std::vector<float> parse_points(const std::string& text) {
  std::vector<float> xs;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t first = item.find_first_not_of(" \t");
    const size_t last = item.find_last_not_of(" \t");
    const std::string s = first == std::string::npos ? "" : item.substr(first, last - first + 1);
    char* end = nullptr;
    const double v = s.empty() ? 0.0 : std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || std::fabs(v) > 1e30) {
      input_error("--x takes finite numbers separated by commas (e.g. --x -2,0,2); got '", s,
                  "' in '", text, "'");
    }
    xs.push_back(float(v));
  }
  if (xs.empty() || (!text.empty() && text.back() == ',')) {
    input_error("--x takes finite numbers separated by commas (e.g. --x -2,0,2); got '", text, "'");
  }
  return xs;
}

void print_lesson(std::ostream& out, const Activation& act, const std::vector<LessonPoint>& pts) {
  out << act.formula << '\n' << act.derivative << '\n';
  if (const std::optional<float> m = activation_minimum(act)) {
    out << "minimum at x = " << short_number(*m) << " (f = " << short_number(value(act, *m))
        << ", f' = 0)\n";
  }
  out << "f and f' come from core/math/unary.h (what the engine's kernels compute); the central "
         "difference (f(x+h) - f(x-h)) / 2h checks f'.\n\n";
  const size_t w = 12;
  out << pad_left("x", w) << pad_left("f(x)", w) << pad_left("f'(x)", w)
      << pad_left("central diff", w + 2) << pad_left("h", w) << '\n';
  for (const LessonPoint& p : pts) {
    out << pad_left(table_number(p.x), w) << pad_left(table_number(p.value), w)
        << pad_left(table_number(p.derivative), w)
        << pad_left(table_number(p.finite_difference), w + 2) << pad_left(short_number(p.step), w)
        << '\n';
    out << "    -> " << p.meaning << '\n';
  }
}

Json lesson_json(const Activation& act, const std::vector<LessonPoint>& pts) {
  Json j = Json::object();
  j["act"] = act.name;
  j["params"] = act.params_json;
  j["formula"] = act.formula;
  j["derivative"] = act.derivative;
  if (const std::optional<float> m = activation_minimum(act)) {
    j["minimum"] = Json{{"x", float_json(*m)}, {"f", float_json(value(act, *m))}};
  }
  Json points = Json::array();
  for (const LessonPoint& p : pts) {
    points.push_back(Json{{"x", float_json(p.x)},
                          {"f", float_json(p.value)},
                          {"df", float_json(p.derivative)},
                          {"fd", p.finite_difference},
                          {"h", float_json(p.step)},
                          {"meaning", p.meaning}});
  }
  j["points"] = std::move(points);
  return j;
}

void print_comparison(std::ostream& out, const std::vector<Activation>& acts,
                      const std::vector<float>& xs) {
  size_t label_width = 10;
  for (const Activation& a : acts) label_width = std::max(label_width, a.label.size() + 2);
  const size_t w = 12;
  out << pad_right("activation", label_width);
  for (float x : xs) {
    out << pad_left("f(" + short_number(x) + ")", w) << pad_left("f'(" + short_number(x) + ")", w);
  }
  out << '\n';
  for (const Activation& a : acts) {
    out << pad_right(a.label, label_width);
    for (float x : xs)
      out << pad_left(table_number(value(a, x)), w) << pad_left(table_number(slope(a, x)), w);
    out << '\n';
  }
  out << '\n';
  for (float x : xs) {
    const Activation* steepest = &acts.front();
    const Activation* flattest = &acts.front();
    for (const Activation& a : acts) {
      if (slope(a, x) > slope(*steepest, x)) steepest = &a;
      if (std::fabs(slope(a, x)) < std::fabs(slope(*flattest, x))) flattest = &a;
    }
    out << "at x = " << short_number(x) << ": largest f' " << steepest->label << " ("
        << short_number(slope(*steepest, x)) << "), smallest |f'| " << flattest->label << " ("
        << short_number(slope(*flattest, x)) << ")\n";
  }
}

Json comparison_json(const std::vector<Activation>& acts, const std::vector<float>& xs) {
  Json j = Json::object();
  Json jx = Json::array();
  for (float x : xs) jx.push_back(float_json(x));
  j["x"] = std::move(jx);
  Json rows = Json::array();
  for (const Activation& a : acts) {
    Json f = Json::array(), df = Json::array(), fd = Json::array();
    for (float x : xs) {
      f.push_back(float_json(value(a, x)));
      df.push_back(float_json(slope(a, x)));
      fd.push_back(central_difference(a, x));
    }
    rows.push_back(Json{{"act", a.name},
                        {"params", a.params_json},
                        {"f", std::move(f)},
                        {"df", std::move(df)},
                        {"fd", std::move(fd)}});
  }
  j["activations"] = std::move(rows);
  return j;
}

}  // namespace ag::explain
