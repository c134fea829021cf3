// Reductions: sum and mean over dims and over all elements, expand and sum_to (the broadcast
// adjoints).
#include <string>
#include <vector>

#include "tests/ops/builders.h"
#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

const char* kSumDims = "sum(Tensor, vector<int64_t>, bool)";
const char* kMeanDims = "mean(Tensor, vector<int64_t>, bool)";

// Gradcheck: sums are linear (exact differences); a summed output of n normals has magnitude
// ~sqrt(n) and ulp-level rounding. Compared across devices too.
void small_reduce(Registry& r, const std::string& op, const std::string& name, const Shape& shape,
                  const UnaryFn& f, const std::string& group = "") {
  r.add({.ops = {op},
         .name = name + " N(0, 1)",
         .inputs = {var(shape, normal())},
         .forward = unary(f),
         .gradcheck = kLinear,
         .parity = kClose,
         .group = group});
}

// Parity. The summation order differs between the backends (the CPU adds in order, vectorised; a
// GPU reduces in a tree): inputs have a non-zero mean (N(1, 1)), so that no sum cancels to a
// small number, and the sizes keep a float sum's rounding far below 1e-5 of the result's norm.
void large_reduce(Registry& r, const std::string& op, const std::string& name, const Shape& shape,
                  const UnaryFn& f, const parity::ParityOptions& tol = kClose,
                  const std::string& group = "", const Values& values = normal(1.0f, 1.0f)) {
  r.add({.ops = {op},
         .name = name,
         .inputs = {var(shape, values, parity::seed_of(name))},
         .forward = unary(f),
         .parity = tol,
         .group = group});
}

std::string over(const Shape& s, const std::vector<int64_t>& dims, bool keepdim) {
  std::string text = " ";  // (not `" " + str`: GCC 12 warns falsely on it, -Wrestrict)
  text += shape_str(s) + " over " + dims_str(dims);
  if (keepdim) text += " keepdim";
  return text;
}

}  // namespace

void reduce_cases(Registry& r) {
  // --- gradcheck (and parity) on small tensors ---------------------------------------------------
  for (const bool mean : {false, true}) {
    const std::string op = mean ? kMeanDims : kSumDims, word = mean ? "mean" : "sum";
    const auto reduce = [mean](const std::vector<int64_t>& dims, bool keepdim) -> UnaryFn {
      return [mean, dims, keepdim](const Tensor& t) {
        return mean ? ag::mean(t, dims, keepdim) : ag::sum(t, dims, keepdim);
      };
    };
    for (int64_t d : {0, 1, 2, -1}) {
      for (bool keepdim : {false, true}) {
        small_reduce(r, op, word + over({3, 4, 5}, {d}, keepdim), {3, 4, 5}, reduce({d}, keepdim),
                     word);
      }
    }
    struct Several {
      std::vector<int64_t> dims;
      bool keepdim;
    };
    const std::vector<Several> several =
        mean ? std::vector<Several>{{{0, 2}, false}, {{-1, 1}, true}}
             : std::vector<Several>{{{0, 2}, false}, {{1, 3}, true}, {{0, 1, 2, 3}, false}};
    for (const Several& c : several) {
      small_reduce(r, op, word + over({3, 4, 5, 2}, c.dims, c.keepdim), {3, 4, 5, 2},
                   reduce(c.dims, c.keepdim), word);
    }
  }
  small_reduce(
      r, kSumDims, "sum" + over({5, 17}, {1}, false), {5, 17},
      [](const Tensor& t) { return ag::sum(t, {1}); }, "sum");
  for (const Shape& s : std::vector<Shape>{{3, 4, 5}, {1031}, {}}) {
    small_reduce(
        r, "sum(Tensor)", "sum of all " + shape_str(s), s,
        [](const Tensor& t) { return ag::sum(t); }, "sum_all");
  }
  for (const Shape& s : std::vector<Shape>{{3, 4, 5}, {1031}}) {
    small_reduce(
        r, "mean(Tensor)", "mean of all " + shape_str(s), s,
        [](const Tensor& t) { return ag::mean(t); }, "mean_all");
  }
  struct Broadcast {
    Shape from, to;
  };
  for (const Broadcast& c : std::vector<Broadcast>{
           {{3, 1, 5}, {2, 3, 4, 5}}, {{5}, {3, 5}}, {{}, {2, 3}}, {{4, 7}, {4, 7}}}) {
    const Shape to = c.to;
    small_reduce(r, "expand", "expand " + shape_str(c.from) + " to " + shape_str(to), c.from,
                 [to](const Tensor& t) { return ag::expand(t, to); });
  }
  for (const Broadcast& c : std::vector<Broadcast>{
           {{2, 3, 4, 5}, {3, 1, 5}}, {{4, 5}, {5}}, {{2, 3}, {}}, {{2, 3}, {2, 3}}}) {
    const Shape to = c.to;
    small_reduce(r, "sum_to", "sum_to " + shape_str(c.from) + " to " + shape_str(to), c.from,
                 [to](const Tensor& t) { return ag::sum_to(t, to); });
  }

  // --- parity on larger tensors ------------------------------------------------------------------
  // Single dims (first, middle, last, negative), several dims, all dims, long rows (4099) and long
  // columns (1025), and a 4-D shape reduced over non-adjacent dims.
  struct Reduction {
    Shape shape;
    std::vector<int64_t> dims;
  };
  const std::vector<Reduction> reductions = {{{7, 33, 65}, {0}},
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
  for (const bool mean : {false, true}) {
    for (const Reduction& c : reductions) {
      for (bool keepdim : {false, true}) {
        const std::vector<int64_t> dims = c.dims;
        large_reduce(
            r, mean ? kMeanDims : kSumDims, (mean ? "mean" : "sum") + over(c.shape, dims, keepdim),
            c.shape,
            [mean, dims, keepdim](const Tensor& x) {
              return mean ? ag::mean(x, dims, keepdim) : ag::sum(x, dims, keepdim);
            },
            kClose, mean ? "mean" : "sum");
      }
    }
  }
  // N(shift, 1) inputs: the result is about n * shift, not a cancellation.
  for (const Shape& s :
       std::vector<Shape>{{}, {1}, {7}, {255}, {257}, {1000}, {4099}, {3, 5, 7}, {7, 33, 65}}) {
    for (float shift : {1.0f, -2.0f}) {
      const std::string what = shape_str(s) + " shift " + std::to_string(shift);
      for (const bool mean : {false, true}) {
        r.add(
            {.ops = {mean ? "mean(Tensor)" : "sum(Tensor)"},
             .name = (mean ? "mean " : "sum ") + what,
             .inputs = {var(s, normal(1.0f, shift), parity::seed_of(what))},
             .forward = unary([mean](const Tensor& x) { return mean ? ag::mean(x) : ag::sum(x); }),
             .parity = kClose,
             .group = mean ? "mean_all" : "sum_all"});
      }
    }
  }
  // expand: the forward is a copy; the backward sums over the broadcast dims.
  parity::ParityOptions copy_forward;
  copy_forward.forward.exact = true;
  for (const Broadcast& c : std::vector<Broadcast>{{{1, 5, 1}, {3, 5, 7}},
                                                   {{7}, {4, 5, 7}},
                                                   {{}, {3, 4}},
                                                   {{3, 1}, {3, 129}},
                                                   {{1}, {4099}},
                                                   {{2, 1, 33}, {2, 65, 33}},
                                                   {{3, 5, 7}, {3, 5, 7}},
                                                   {{1, 1025}, {3, 1025}}}) {
    const Shape to = c.to;
    large_reduce(
        r, "expand", "expand " + shape_str(c.from) + " to " + shape_str(to), c.from,
        [to](const Tensor& x) { return ag::expand(x, to); }, copy_forward);
  }
  // sum_to: the forward sums; the backward is a broadcast copy.
  parity::ParityOptions copy_backward;
  copy_backward.grads.exact = true;
  for (const Broadcast& c : std::vector<Broadcast>{{{3, 5, 7}, {5, 1}},
                                                   {{3, 5, 7}, {7}},
                                                   {{3, 5, 7}, {1}},
                                                   {{3, 5, 7}, {}},
                                                   {{3, 5, 7}, {3, 1, 7}},
                                                   {{3, 5, 7}, {3, 5, 7}},
                                                   {{4, 129, 33}, {33}},
                                                   {{1025, 3}, {1, 3}},
                                                   {{2, 3, 4, 5}, {3, 1, 5}}}) {
    const Shape to = c.to;
    large_reduce(
        r, "sum_to", "sum_to " + shape_str(c.from) + " to " + shape_str(to), c.from,
        [to](const Tensor& x) { return ag::sum_to(x, to); }, copy_backward);
  }
}

}  // namespace opcases
