#include "tests/ops/values.h"

#include <cstdio>
#include <utility>

namespace opcases {

namespace {

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace

Values normal(float stddev, float mean) {
  return {"N(" + num(mean) + ", " + num(stddev) + ")",
          [=](const Shape& s, Generator& g, const std::vector<Tensor>&) {
            return Tensor::randn(s, g, mean, stddev);
          }};
}

Values uniform(float lo, float hi) {
  return {"U[" + num(lo) + ", " + num(hi) + ")",
          [=](const Shape& s, Generator& g, const std::vector<Tensor>&) {
            return Tensor::uniform(s, g, lo, hi);
          }};
}

Values away_from_kinks(float lo, float hi, std::vector<float> kinks, float margin) {
  std::string text = "U[" + num(lo) + ", " + num(hi) + ") at least " + num(margin) + " from";
  for (float k : kinks) {
    text += ' ';  // (not `" " + str`: GCC 12 warns falsely on it, -Wrestrict)
    text += num(k);
  }
  return {text, [=](const Shape& s, Generator& g, const std::vector<Tensor>&) {
            return agtest::away_from_kinks(s, g, lo, hi, kinks, margin);
          }};
}

Values away_from_zero(float lo, float hi) {
  return away_from_kinks(lo, hi, {0.0f}, 0.05f);
}

Values signed_magnitude(float lo, float hi) {
  return {"+-U[" + num(lo) + ", " + num(hi) + ")",
          [=](const Shape& s, Generator& g, const std::vector<Tensor>&) {
            return agtest::signed_magnitude(s, g, lo, hi);
          }};
}

Values indices(int32_t limit) {
  return {"int32 [0, " + std::to_string(limit) + ")",
          [=](const Shape& s, Generator& g, const std::vector<Tensor>&) {
            return agtest::index_input(s, g, limit);
          }};
}

Values extreme(double special) {
  return {"extreme (NaN, +-inf " + num(special) + " each)",
          [=](const Shape& s, Generator& g, const std::vector<Tensor>&) {
            return parity::extreme(s, g, special);
          }};
}

Values activation_input(float stddev) {
  return {"N(0, " + num(stddev) + "), one element U[0.5, 3)",
          [=](const Shape& s, Generator& g, const std::vector<Tensor>&) {
            return ag::numel_of(s) <= 1 ? Tensor::uniform(s, g, 0.5f, 3.0f)
                                        : Tensor::randn(s, g, 0.0f, stddev);
          }};
}

Values fixed(std::string text, std::function<Tensor()> make) {
  return {std::move(text), [make = std::move(make)](const Shape&, Generator&,
                                                    const std::vector<Tensor>&) { return make(); }};
}

Values fixed_values(std::vector<float> values) {
  return {"fixed", [v = std::move(values)](const Shape& s, Generator&, const std::vector<Tensor>&) {
            return Tensor::from_vector(v, s);
          }};
}

Values fixed_indices(std::vector<int32_t> values) {
  return {"fixed int32",
          [v = std::move(values)](const Shape& s, Generator&, const std::vector<Tensor>&) {
            return Tensor::from_indices(v, s);
          }};
}

Values custom(std::string text,
              std::function<Tensor(const Shape&, Generator&, const std::vector<Tensor>&)> draw) {
  return {std::move(text), std::move(draw)};
}

Input var(Shape shape, Values values) {
  return Input{std::move(shape), std::move(values), true, 0, std::nullopt};
}
Input constant(Shape shape, Values values) {
  return Input{std::move(shape), std::move(values), false, 0, std::nullopt};
}
Input var(Shape shape, Values values, uint64_t seed) {
  return Input{std::move(shape), std::move(values), true, 0, seed};
}
Input constant(Shape shape, Values values, uint64_t seed) {
  return Input{std::move(shape), std::move(values), false, 0, seed};
}
Input misaligned(Shape shape, Values values, uint64_t seed, int64_t offset) {
  return Input{std::move(shape), std::move(values), true, offset, seed};
}

Forward unary(std::function<Tensor(const Tensor&)> f) {
  return
      [f = std::move(f)](const std::vector<Tensor>& in) { return std::vector<Tensor>{f(in[0])}; };
}
Forward binary(std::function<Tensor(const Tensor&, const Tensor&)> f) {
  return [f = std::move(f)](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{f(in[0], in[1])};
  };
}
Forward multi(std::function<Tensor(const std::vector<Tensor>&)> f) {
  return [f = std::move(f)](const std::vector<Tensor>& in) { return std::vector<Tensor>{f(in)}; };
}

std::vector<Variant> each_of_two_alone(const std::string& a_label, const std::string& b_label) {
  return {Variant{}, Variant{a_label, {true, false}}, Variant{b_label, {false, true}}};
}

std::string shape_str(const Shape& s) {
  return ag::to_string(s);
}

std::string dims_str(const std::vector<int64_t>& dims) {
  return ag::to_string(Shape(dims.begin(), dims.end()));
}

}  // namespace opcases
