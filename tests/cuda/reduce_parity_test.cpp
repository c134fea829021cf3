// CUDA vs CPU: sum and mean over one dim, several dims, with and without keepdim, and over all
// elements; expand and sum_to (the broadcast adjoints). Summation order differs between the
// backends (the CPU adds in order, vectorised; a GPU reduces in a tree): inputs have a non-zero
// mean (Normal(1, 1)), so that no sum cancels to a small number, and the sizes keep a float sum's
// rounding far below 1e-5 of the result's norm.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::Shape;
using ag::Tensor;
using parity::check;
using parity::seed_of;
using parity::shape_str;
using parity::var;

std::string dims_str(const std::vector<int64_t>& dims) {
  return shape_str(Shape(dims.begin(), dims.end()));
}

struct Reduction {
  Shape shape;
  std::vector<int64_t> dims;
};

// Single dims (first, middle, last, negative), several dims, all dims, long rows (4099) and long
// columns (1025), and a 4-D shape reduced over non-adjacent dims.
const std::vector<Reduction> kReductions = {{{7, 33, 65}, {0}},
                                            {{7, 33, 65}, {1}},
                                            {{7, 33, 65}, {2}},
                                            {{7, 33, 65}, {-1}},
                                            {{7, 33, 65}, {0, 2}},
                                            {{7, 33, 65}, {2, 0}},
                                            {{7, 33, 65}, {1, 2}},
                                            {{7, 33, 65}, {0, 1, 2}},
                                            {{3, 4099}, {1}},
                                            {{1025, 3}, {0}},
                                            {{2, 3, 5, 7}, {1, 3}},
                                            {{2, 3, 5, 7}, {0, 2, 3}},
                                            {{1}, {0}},
                                            {{255}, {0}},
                                            {{5, 1, 7}, {1}}};

TEST(CudaParityReduce, sum_over_dims) {
  SKIP_WITHOUT_CUDA();
  for (const Reduction& r : kReductions) {
    for (bool keepdim : {false, true}) {
      const std::string what =
          "sum " + shape_str(r.shape) + " over " + dims_str(r.dims) + (keepdim ? " keepdim" : "");
      const std::vector<int64_t> dims = r.dims;
      check(
          what,
          [dims, keepdim](const std::vector<Tensor>& xs) { return ag::sum(xs[0], dims, keepdim); },
          {var(parity::randn(r.shape, seed_of(what), 1.0f, 1.0f))});
    }
  }
}

TEST(CudaParityReduce, mean_over_dims) {
  SKIP_WITHOUT_CUDA();
  for (const Reduction& r : kReductions) {
    for (bool keepdim : {false, true}) {
      const std::string what =
          "mean " + shape_str(r.shape) + " over " + dims_str(r.dims) + (keepdim ? " keepdim" : "");
      const std::vector<int64_t> dims = r.dims;
      check(
          what,
          [dims, keepdim](const std::vector<Tensor>& xs) { return ag::mean(xs[0], dims, keepdim); },
          {var(parity::randn(r.shape, seed_of(what), 1.0f, 1.0f))});
    }
  }
}

TEST(CudaParityReduce, sum_and_mean_of_all) {
  SKIP_WITHOUT_CUDA();
  // Normal(shift, 1) inputs: the result is about n * shift, not a cancellation.
  for (const Shape& s :
       std::vector<Shape>{{}, {1}, {7}, {255}, {257}, {1000}, {4099}, {3, 5, 7}, {7, 33, 65}}) {
    for (float shift : {1.0f, -2.0f}) {
      const std::string what = shape_str(s) + " shift " + std::to_string(shift);
      const Tensor x = ag::add(parity::randn(s, seed_of(what)), shift);
      check("sum " + what, [](const std::vector<Tensor>& xs) { return ag::sum(xs[0]); }, {var(x)});
      check("mean " + what, [](const std::vector<Tensor>& xs) { return ag::mean(xs[0]); },
            {var(x)});
    }
  }
}

TEST(CudaParityReduce, expand) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    Shape from, to;
  };
  const std::vector<Case> cases = {{{1, 5, 1}, {3, 5, 7}}, {{7}, {4, 5, 7}},
                                   {{}, {3, 4}},           {{3, 1}, {3, 129}},
                                   {{1}, {4099}},          {{2, 1, 33}, {2, 65, 33}},
                                   {{3, 5, 7}, {3, 5, 7}}, {{1, 1025}, {3, 1025}}};
  for (const Case& c : cases) {
    const std::string what = "expand " + shape_str(c.from) + " to " + shape_str(c.to);
    const Shape to = c.to;
    // The forward is a copy; the backward sums over the broadcast dims.
    parity::ParityOptions opts;
    opts.forward.exact = true;
    check(
        what, [to](const std::vector<Tensor>& xs) { return ag::expand(xs[0], to); },
        {var(parity::randn(c.from, seed_of(what), 1.0f, 1.0f))}, opts);
  }
}

TEST(CudaParityReduce, sum_to) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    Shape from, to;
  };
  const std::vector<Case> cases = {
      {{3, 5, 7}, {5, 1}},  {{3, 5, 7}, {7}},       {{3, 5, 7}, {1}},
      {{3, 5, 7}, {}},      {{3, 5, 7}, {3, 1, 7}}, {{3, 5, 7}, {3, 5, 7}},
      {{4, 129, 33}, {33}}, {{1025, 3}, {1, 3}},    {{2, 3, 4, 5}, {3, 1, 5}}};
  for (const Case& c : cases) {
    const std::string what = "sum_to " + shape_str(c.from) + " to " + shape_str(c.to);
    const Shape to = c.to;
    // The forward sums; the backward is a broadcast copy.
    parity::ParityOptions opts;
    opts.grads.exact = true;
    check(
        what, [to](const std::vector<Tensor>& xs) { return ag::sum_to(xs[0], to); },
        {var(parity::randn(c.from, seed_of(what), 1.0f, 1.0f))}, opts);
  }
}

}  // namespace
