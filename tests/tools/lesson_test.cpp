// Lesson mode (--act): f and f' against the closed forms, written here again in double (not
// through the engine's functors), the finite-difference column against f', and the sentences
// that say what the derivative means.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "tests/tools/cli_helpers.h"
#include "tools/explain_cli/lesson.h"

namespace {

using ag::explain::ActivationOptions;
using ag::explain::lesson_points;
using ag::explain::make_activation;
using explain_test::Json;
using explain_test::run_cli;
using ::testing::HasSubstr;

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}
double softplus(double x) {
  return std::log1p(std::exp(x));
}
double normal_cdf(double x) {
  return 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
}
double normal_pdf(double x) {
  return std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
}

constexpr double kSeluAlpha = 1.6732632423543772848;
constexpr double kSeluScale = 1.0507009873554804934;

struct Reference {
  std::string name;
  ActivationOptions options;
  std::function<double(double)> f, df;
  std::vector<double> kinks;  // where f' does not exist (the finite difference straddles it)
};

// The closed forms, with PyTorch's conventions at the kinks (relu'(0) = 0, leaky'(0) = alpha,
// selu'(0) = the left slope).
std::vector<Reference> references() {
  const double alpha = 0.05, elu_alpha = 0.7, beta = 1.5, sp_beta = 2.0;
  const double k = std::sqrt(2 / M_PI);
  auto gelu_tanh = [k](double x) {
    return 0.5 * x * (1 + std::tanh(k * (x + 0.044715 * x * x * x)));
  };
  auto dgelu_tanh = [k](double x) {
    const double t = std::tanh(k * (x + 0.044715 * x * x * x));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
  };
  ActivationOptions leaky, elu, swish, sp;
  leaky.alpha = alpha;
  elu.alpha = elu_alpha;
  swish.beta = beta;
  sp.beta = sp_beta;
  return {
      {"relu",
       {},
       [](double x) { return x > 0 ? x : 0; },
       [](double x) { return x > 0 ? 1.0 : 0.0; },
       {0}},
      {"leaky_relu",
       leaky,
       [=](double x) { return x > 0 ? x : alpha * x; },
       [=](double x) { return x > 0 ? 1.0 : alpha; },
       {0}},
      {"elu",
       elu,
       [=](double x) { return x > 0 ? x : elu_alpha * (std::exp(x) - 1); },
       [=](double x) { return x > 0 ? 1.0 : elu_alpha * std::exp(x); },
       {0}},
      {"selu",
       {},
       [](double x) { return kSeluScale * (x > 0 ? x : kSeluAlpha * (std::exp(x) - 1)); },
       [](double x) { return x > 0 ? kSeluScale : kSeluScale * kSeluAlpha * std::exp(x); },
       {0}},
      {"gelu",
       {},
       [](double x) { return x * normal_cdf(x); },
       [](double x) { return normal_cdf(x) + x * normal_pdf(x); },
       {}},
      {"gelu_tanh", {}, gelu_tanh, dgelu_tanh, {}},
      {"silu",
       {},
       [](double x) { return x * sigmoid(x); },
       [](double x) { return sigmoid(x) * (1 + x * (1 - sigmoid(x))); },
       {}},
      {"swish",
       swish,
       [=](double x) { return x * sigmoid(beta * x); },
       [=](double x) {
         return sigmoid(beta * x) + beta * x * sigmoid(beta * x) * (1 - sigmoid(beta * x));
       },
       {}},
      {"mish",
       {},
       [](double x) { return x * std::tanh(softplus(x)); },
       [](double x) {
         const double t = std::tanh(softplus(x));
         return t + x * sigmoid(x) * (1 - t * t);
       },
       {}},
      {"sigmoid", {}, sigmoid, [](double x) { return sigmoid(x) * (1 - sigmoid(x)); }, {}},
      {"tanh",
       {},
       [](double x) { return std::tanh(x); },
       [](double x) { return 1 - std::tanh(x) * std::tanh(x); },
       {}},
      {"softplus",
       sp,
       [=](double x) { return sp_beta * x > 20 ? x : softplus(sp_beta * x) / sp_beta; },
       [=](double x) { return sp_beta * x > 20 ? 1.0 : sigmoid(sp_beta * x); },
       {10}},
  };
}

const std::vector<double> kPoints = {-2, 0, 2, -6, -3.5, -1.25, -0.5, 0.3, 0.7, 1.3, 4, 12};

TEST(ExplainLesson, values_and_derivatives_match_closed_forms) {
  for (const Reference& ref : references()) {
    SCOPED_TRACE(ref.name);
    const auto act = make_activation(ref.name, ref.options);
    std::vector<float> xs(kPoints.begin(), kPoints.end());
    const auto pts = lesson_points(act, xs);
    ASSERT_EQ(pts.size(), xs.size());
    for (const auto& p : pts) {
      const double x = p.x;
      EXPECT_NEAR(p.value, ref.f(x), 2e-6 * std::max(1.0, std::fabs(ref.f(x)))) << "f at " << x;
      EXPECT_NEAR(p.derivative, ref.df(x), 2e-6 * std::max(1.0, std::fabs(ref.df(x))))
          << "f' at " << x;
    }
  }
}

TEST(ExplainLesson, finite_differences_agree_with_the_derivative_away_from_kinks) {
  size_t checked = 0;
  for (const Reference& ref : references()) {
    SCOPED_TRACE(ref.name);
    const auto act = make_activation(ref.name, ref.options);
    std::vector<float> xs(kPoints.begin(), kPoints.end());
    for (const auto& p : lesson_points(act, xs)) {
      bool near_kink = false;
      for (double k : ref.kinks) near_kink = near_kink || std::fabs(p.x - k) <= p.step;
      if (near_kink) continue;
      EXPECT_NEAR(p.finite_difference, ref.df(p.x), 5e-5 * std::max(1.0, std::fabs(ref.df(p.x))))
          << "at x = " << p.x << " (h = " << p.step << ")";
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
}

TEST(ExplainLesson, at_a_kink_the_difference_averages_the_two_sides) {
  const auto relu = lesson_points(make_activation("relu", {}), {0.0f});
  EXPECT_EQ(relu[0].derivative, 0.0f);  // PyTorch's convention
  EXPECT_NEAR(relu[0].finite_difference, 0.5, 1e-6);
  EXPECT_THAT(relu[0].meaning, HasSubstr("kink"));
  const auto near = lesson_points(make_activation("relu", {}), {0.001f});
  EXPECT_THAT(near[0].meaning, HasSubstr("straddles"));
}

TEST(ExplainLesson, meanings_name_dead_units_saturation_and_the_minimum) {
  auto meaning = [](const char* act, float x) {
    return lesson_points(make_activation(act, {}), {x})[0].meaning;
  };
  EXPECT_THAT(meaning("relu", -2), HasSubstr("dead"));
  EXPECT_THAT(meaning("relu", 2), HasSubstr("f' = 1"));
  EXPECT_THAT(meaning("leaky_relu", -2), HasSubstr("alpha = 0.01"));
  EXPECT_THAT(meaning("sigmoid", 0), HasSubstr("0.25"));
  EXPECT_THAT(meaning("sigmoid", 8), HasSubstr("saturated"));
  EXPECT_THAT(meaning("sigmoid", 8), HasSubstr("vanishes"));
  EXPECT_THAT(meaning("tanh", -4), HasSubstr("saturated"));
  EXPECT_THAT(meaning("silu", -2), HasSubstr("left of the minimum at x = -1.27846"));
  EXPECT_THAT(meaning("silu", -1.2784645f), HasSubstr("at the minimum"));
  EXPECT_THAT(meaning("silu", -0.5), HasSubstr("negative but rising"));
  EXPECT_THAT(meaning("silu", 2), HasSubstr("f' > 1"));
  EXPECT_THAT(meaning("gelu", -2), HasSubstr("left of the minimum at x = -0.75179"));
  EXPECT_THAT(meaning("softplus", -3), HasSubstr("never exactly 0"));
}

TEST(ExplainLesson, minima_of_the_self_gated_activations) {
  // x* solves f'(x*) = 0; reference values from the closed forms (Newton's method in double).
  auto newton = [](const Reference& r, double x) {
    for (int i = 0; i < 50; ++i) {
      const double h = 1e-6, d2 = (r.df(x + h) - r.df(x - h)) / (2 * h);
      x -= r.df(x) / d2;
    }
    return x;
  };
  for (const Reference& ref : references()) {
    if (ref.name != "silu" && ref.name != "gelu" && ref.name != "mish" && ref.name != "swish")
      continue;
    SCOPED_TRACE(ref.name);
    const auto m = ag::explain::activation_minimum(make_activation(ref.name, ref.options));
    ASSERT_TRUE(m.has_value());
    EXPECT_NEAR(*m, newton(ref, -1.0), 1e-5);
  }
  EXPECT_NEAR(*ag::explain::activation_minimum(make_activation("silu", {})), -1.2784645, 1e-5);
  EXPECT_FALSE(ag::explain::activation_minimum(make_activation("relu", {})).has_value());
}

// seeds/004, practice question 2: sigmoid, tanh and relu at z = -2, 0, 2 (values and
// derivatives), and which of the three is steepest at z = 2 (relu).
TEST(ExplainLesson, act_all_json_answers_seed_004_question_2) {
  const auto r = run_cli({"--act", "all", "--x", "-2,0,2", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = ag::explain::parse_json_text(r.out, "output");
  EXPECT_EQ(j["x"], Json::parse("[-2.0, 0.0, 2.0]"));
  ASSERT_EQ(j["activations"].size(), ag::explain::activation_names().size());
  std::map<std::string, Json> rows;
  for (const Json& row : j["activations"]) rows[row["act"].get<std::string>()] = row;
  const std::vector<double> z = {-2, 0, 2};
  for (size_t i = 0; i < z.size(); ++i) {
    const double s = sigmoid(z[i]), t = std::tanh(z[i]);
    EXPECT_NEAR(rows["sigmoid"]["f"][i].get<double>(), s, 1e-7);
    EXPECT_NEAR(rows["sigmoid"]["df"][i].get<double>(), s * (1 - s), 1e-7);
    EXPECT_NEAR(rows["tanh"]["f"][i].get<double>(), t, 1e-7);
    EXPECT_NEAR(rows["tanh"]["df"][i].get<double>(), 1 - t * t, 1e-7);
    EXPECT_EQ(rows["relu"]["f"][i].get<double>(), std::max(0.0, z[i]));
    EXPECT_EQ(rows["relu"]["df"][i].get<double>(), z[i] > 0 ? 1.0 : 0.0);
  }
  // at z = 2: relu 1 > sigmoid 0.105 > tanh 0.0707
  EXPECT_GT(rows["relu"]["df"][2].get<double>(), rows["sigmoid"]["df"][2].get<double>());
  EXPECT_GT(rows["sigmoid"]["df"][2].get<double>(), rows["tanh"]["df"][2].get<double>());
}

TEST(ExplainLesson, act_all_table_has_a_row_per_activation_and_two_columns_per_point) {
  const auto r = run_cli({"--act", "all", "--x", "-2,0,2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("f(-2)"));
  EXPECT_THAT(r.out, HasSubstr("f'(2)"));
  for (const std::string& name : ag::explain::activation_names()) {
    EXPECT_THAT(r.out, HasSubstr("\n" + name)) << name;
  }
  // sigmoid's row: f(-2) f'(-2) f(0) f'(0) f(2) f'(2)
  EXPECT_THAT(r.out,
              HasSubstr("0.119203    0.104994    0.500000    0.250000    0.880797    0.104994"));
}

TEST(ExplainLesson, single_activation_text_and_json_carry_the_same_numbers) {
  const auto text = run_cli({"--act", "silu", "--x", "-2,0,2"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("silu(x) = x sigmoid(x)"));
  EXPECT_THAT(text.out, HasSubstr("-0.238406   -0.090784"));
  EXPECT_THAT(text.out, HasSubstr("minimum at x = -1.27846"));
  const auto json = run_cli({"--json", "--act", "silu", "--x=-2,0,2"});
  ASSERT_EQ(json.code, 0) << json.err;
  const Json j = ag::explain::parse_json_text(json.out, "output");
  ASSERT_EQ(j["points"].size(), 3u);
  EXPECT_NEAR(j["points"][0]["f"].get<double>(), -0.238406, 1e-6);
  EXPECT_NEAR(j["points"][0]["df"].get<double>(), -0.090784, 1e-6);
  EXPECT_NEAR(j["points"][0]["fd"].get<double>(), -0.090784, 5e-5);
  EXPECT_THAT(j["points"][0]["meaning"].get<std::string>(), HasSubstr("minimum"));
  EXPECT_NEAR(j["minimum"]["x"].get<double>(), -1.2784645, 1e-5);
}

TEST(ExplainLesson, options_that_do_not_fit_are_errors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--act", "silu", "--alpha", "0.1"},
           {"--act", "relu", "--beta", "2"},
           {"--act", "nope"},
           {"--act", "silu", "--x", "1,,2"},
           {"--act", "silu", "--x", "1,inf"},
           {"--act", "silu", "--device", "cpu"},
           {"--act", "swish", "--beta", "fast"},
       }) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args[1];
    EXPECT_THAT(r.err, ::testing::StartsWith("explain: "));
    EXPECT_EQ(explain_test::line_count(r.err), 1u) << r.err;
  }
  // beta does apply to swish
  const auto r = run_cli({"--act", "swish", "--beta", "2", "--json", "--x", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = ag::explain::parse_json_text(r.out, "output");
  EXPECT_NEAR(j["points"][0]["f"].get<double>(), sigmoid(2.0), 1e-6);
}

}  // namespace
