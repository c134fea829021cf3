// CUDA vs CPU: layout ops. Tensors are always contiguous, so transpose/permute/slice/concat copy
// (permute is the API's way to make "non-contiguous" data: every permutation of 3-D and 4-D
// tensors is tested) and reshape is a view. Forward and backward are pure copies, so the results
// must be bitwise equal.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "tests/cuda/parity.h"

namespace {

using ag::Shape;
using ag::Tensor;
using parity::check;
using parity::check_multi;
using parity::constant;
using parity::exact_copies;
using parity::seed_of;
using parity::shape_str;
using parity::var;

std::string dims_str(const std::vector<int64_t>& dims) {
  return shape_str(Shape(dims.begin(), dims.end()));
}

TEST(CudaParityLayout, permute_every_permutation) {
  SKIP_WITHOUT_CUDA();
  const std::vector<Shape> shapes = {{3, 5, 7}, {17, 33, 65}, {2, 3, 5, 7}, {3, 4, 33, 17}};
  for (const Shape& s : shapes) {
    const Tensor x = parity::randn(s, seed_of("permute " + shape_str(s)));
    std::vector<int64_t> perm(s.size());
    std::iota(perm.begin(), perm.end(), 0);
    int count = 0;
    do {
      const std::string what = "permute " + shape_str(s) + " by " + dims_str(perm);
      check(
          what, [perm](const std::vector<Tensor>& xs) { return ag::permute(xs[0], perm); },
          {var(x)}, exact_copies());
      ++count;
    } while (std::next_permutation(perm.begin(), perm.end()));
    EXPECT_EQ(count, s.size() == 3 ? 6 : 24);
  }
  // Negative dims.
  check(
      "permute [3, 5, 7] by [-1, 0, -2]",
      [](const std::vector<Tensor>& xs) {
        return ag::permute(xs[0], {-1, 0, -2});
      },
      {var(parity::randn({3, 5, 7}, 11))}, exact_copies());
}

TEST(CudaParityLayout, transpose) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    Shape shape;
    int64_t d0, d1;
  };
  const std::vector<Case> cases = {{{33, 65}, 0, 1},     {{1, 4099}, 0, 1},    {{1025, 3}, 0, 1},
                                   {{3, 5, 7}, 0, 2},    {{3, 5, 7}, 1, 2},    {{3, 5, 7}, 0, 1},
                                   {{3, 5, 7}, -1, -2},  {{2, 3, 5, 7}, 1, 3}, {{2, 3, 5, 7}, 0, 3},
                                   {{4, 129, 33}, 1, 2}, {{5, 5}, 1, 1}};
  for (const Case& c : cases) {
    const std::string what =
        "transpose " + shape_str(c.shape) + " " + std::to_string(c.d0) + " " + std::to_string(c.d1);
    check(
        what, [c](const std::vector<Tensor>& xs) { return ag::transpose(xs[0], c.d0, c.d1); },
        {var(parity::randn(c.shape, seed_of(what)))}, exact_copies());
  }
}

TEST(CudaParityLayout, reshape) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = parity::randn({3, 5, 7}, 21);
  for (const Shape& to :
       std::vector<Shape>{{15, 7}, {-1}, {7, -1, 3}, {105, 1}, {1, 1, 105}, {3, 35}}) {
    check(
        "reshape [3, 5, 7] to " + shape_str(to),
        [to](const std::vector<Tensor>& xs) { return ag::reshape(xs[0], to); }, {var(x)},
        exact_copies());
  }
  // A reshape between two ops: the view shares the first op's output.
  check("exp, reshape, permute",
        [](const std::vector<Tensor>& xs) {
          return ag::permute(ag::reshape(ag::exp(xs[0]), {7, 15}), {1, 0});
        },
        {var(x)});
}

TEST(CudaParityLayout, slice) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    Shape shape;
    int64_t dim, start, end;
  };
  const std::vector<Case> cases = {
      {{7, 33, 65}, 0, 1, 6},   {{7, 33, 65}, 0, 0, 7},  {{7, 33, 65}, 1, 3, 30},
      {{7, 33, 65}, 1, 32, 33}, {{7, 33, 65}, 2, 1, 64}, {{7, 33, 65}, -1, 0, 1},
      {{7, 33, 65}, -1, 5, 65}, {{4099}, 0, 1, 4098},    {{3, 1025}, 1, 1, 1024},
      {{1, 1}, 0, 0, 1},        {{2, 3, 5, 7}, 2, 1, 4}};
  for (const Case& c : cases) {
    const std::string what = "slice " + shape_str(c.shape) + " dim " + std::to_string(c.dim) +
                             " [" + std::to_string(c.start) + ", " + std::to_string(c.end) + ")";
    check(
        what,
        [c](const std::vector<Tensor>& xs) { return ag::slice(xs[0], c.dim, c.start, c.end); },
        {var(parity::randn(c.shape, seed_of(what)))}, exact_copies());
  }
}

TEST(CudaParityLayout, split) {
  SKIP_WITHOUT_CUDA();
  // The backward of several outputs goes through sum(part * upstream): mul and sum are exact
  // here (an upstream times 1), so the gradient is still a pure copy.
  const Tensor x = parity::randn({7, 33, 65}, 31);
  struct BySizes {
    std::vector<int64_t> sizes;
    int64_t dim;
  };
  for (const BySizes& c : std::vector<BySizes>{
           {{1, 15, 17}, 1}, {{3, 4}, 0}, {{64, 1}, -1}, {{1, 1, 1, 1, 1, 1, 1}, 0}}) {
    const std::string what = "split sizes " + dims_str(c.sizes) + " dim " + std::to_string(c.dim);
    check_multi(
        what, [c](const std::vector<Tensor>& xs) { return ag::split(xs[0], c.sizes, c.dim); },
        {var(x)}, exact_copies());
  }
  struct Equal {
    int64_t size, dim;
  };
  for (const Equal& c : std::vector<Equal>{{8, 2}, {2, 0}, {33, 1}, {5, -2}, {65, -1}}) {
    const std::string what =
        "split size " + std::to_string(c.size) + " dim " + std::to_string(c.dim);
    check_multi(
        what, [c](const std::vector<Tensor>& xs) { return ag::split(xs[0], c.size, c.dim); },
        {var(x)}, exact_copies());
  }
}

TEST(CudaParityLayout, concat) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    std::vector<Shape> shapes;
    int64_t dim;
  };
  const std::vector<Case> cases = {{{{2, 3, 5}, {3, 3, 5}, {1, 3, 5}}, 0},
                                   {{{4, 1, 33}, {4, 7, 33}, {4, 2, 33}}, 1},
                                   {{{5, 7, 1}, {5, 7, 33}, {5, 7, 64}}, -1},
                                   {{{5, 7, 1}, {5, 7, 33}, {5, 7, 64}}, 2},
                                   {{{1}, {4099}, {7}}, 0},
                                   {{{3, 129, 2}, {3, 1, 2}}, -2},
                                   {{{1025, 3}}, 1},
                                   {{{2, 3}, {2, 3}, {2, 3}, {2, 3}}, 0}};
  for (const Case& c : cases) {
    std::string what = "concat dim " + std::to_string(c.dim);
    for (const Shape& s : c.shapes) {
      what += ' ';  // (not `" " + str`: GCC 12 warns falsely on it, -Wrestrict)
      what += shape_str(s);
    }
    std::vector<parity::Input> all_vars, some_constant;
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      const Tensor t = parity::randn(c.shapes[i], seed_of(what + std::to_string(i)));
      all_vars.push_back(var(t));
      some_constant.push_back(i % 2 ? constant(t) : var(t));  // inputs without a gradient
    }
    const int64_t dim = c.dim;
    const parity::Fn fn = [dim](const std::vector<Tensor>& xs) { return ag::concat(xs, dim); };
    check(what, fn, all_vars, exact_copies());
    check(what + " (odd inputs constant)", fn, some_constant, exact_copies());
  }
}

}  // namespace
