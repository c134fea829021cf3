// Layout ops: reshape (a view), transpose, permute, slice, split and concat (copies: tensors are
// always contiguous, and permute is the API's way to make "non-contiguous" data). Forward and
// backward move values without arithmetic: gradients are exact (gradcheck's tolerances only
// absorb the rounding of its host-side weighted sum) and the devices agree bit for bit.
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

const char* kSplitSizes = "split(Tensor, vector<int64_t>, int64_t)";
const char* kSplitEqual = "split(Tensor, int64_t, int64_t)";

// A gradcheck case (compared bit for bit across devices too) of one or more N(0, 1) inputs.
void small_layout(Registry& r, const std::vector<std::string>& ops, const std::string& name,
                  const std::vector<Shape>& shapes, Forward f, const std::string& group = "",
                  bool parity = true) {
  std::vector<Input> inputs;
  for (const Shape& s : shapes) inputs.push_back(var(s, normal()));
  r.add({.ops = ops,
         .name = name,
         .inputs = std::move(inputs),
         .forward = std::move(f),
         .gradcheck = kLinear,
         .parity = parity ? std::optional<parity::ParityOptions>(kExact) : std::nullopt,
         .group = group});
}

// A parity case: pure copies, bit for bit.
void large_layout(Registry& r, const std::vector<std::string>& ops, const std::string& name,
                  std::vector<Input> inputs, Forward f, const std::string& group = "",
                  std::vector<Variant> variants = {Variant{}}) {
  r.add({.ops = ops,
         .name = name,
         .inputs = std::move(inputs),
         .forward = std::move(f),
         .parity = kExact,
         .variants = std::move(variants),
         .group = group});
}

std::string part_str(size_t part) {
  return " part " + std::to_string(part);
}

}  // namespace

void layout_cases(Registry& r) {
  using parity::seed_of;
  // --- gradcheck (and parity) on small tensors ---------------------------------------------------
  const Shape x345 = {3, 4, 5};
  for (const Shape& to : std::vector<Shape>{{5, -1}, {60}, {2, 1, 30}}) {
    small_layout(r, {"reshape"}, "reshape [3, 4, 5] to " + shape_str(to), {x345},
                 unary([to](const Tensor& t) { return ag::reshape(t, to); }));
  }
  // A reshape followed by an op that writes a new tensor: the view's gradient must reach x.
  small_layout(r, {"reshape", "mul(Tensor, float)"}, "reshape [3, 4, 5] to [12, 5] then * 2",
               {x345}, unary([](const Tensor& t) {
                 return ag::mul(ag::reshape(t, {12, 5}), 2.0f);
               }));

  struct Swap {
    Shape shape;
    int64_t d0, d1;
  };
  for (const Swap& c : std::vector<Swap>{
           {{2, 3, 4}, 0, 2}, {{2, 3, 4}, -1, -2}, {{2, 3, 4}, 1, 1}, {{5, 17}, 0, 1}}) {
    small_layout(r, {"transpose"},
                 "transpose " + shape_str(c.shape) + " " + std::to_string(c.d0) + " " +
                     std::to_string(c.d1) + " N(0, 1)",
                 {c.shape}, unary([c](const Tensor& t) { return ag::transpose(t, c.d0, c.d1); }));
  }
  struct Perm {
    Shape shape;
    std::vector<int64_t> dims;
  };
  for (const Perm& c : std::vector<Perm>{{{2, 3, 4}, {2, 0, 1}},
                                         {{2, 3, 4}, {1, 2, 0}},
                                         {{2, 3, 1, 5}, {0, 2, 1, 3}},
                                         {{2, 3, 1, 5}, {3, 1, 0, 2}}}) {
    small_layout(r, {"permute"},
                 "permute " + shape_str(c.shape) + " by " + dims_str(c.dims) + " N(0, 1)",
                 {c.shape}, unary([c](const Tensor& t) { return ag::permute(t, c.dims); }));
  }
  struct Slice {
    Shape shape;
    int64_t dim, start, end;
  };
  for (const Slice& c : std::vector<Slice>{{{4, 5, 6}, 0, 1, 3},
                                           {{4, 5, 6}, 1, 0, 5},
                                           {{4, 5, 6}, -1, 2, 5},
                                           {{4, 5, 6}, 2, 5, 6},
                                           {{1031}, 0, 17, 1000}}) {
    small_layout(r, {"slice"},
                 "slice " + shape_str(c.shape) + " dim " + std::to_string(c.dim) + " [" +
                     std::to_string(c.start) + ", " + std::to_string(c.end) + ") N(0, 1)",
                 {c.shape},
                 unary([c](const Tensor& t) { return ag::slice(t, c.dim, c.start, c.end); }));
  }
  // One part of a split at a time (gradcheck differentiates one output).
  for (size_t part = 0; part < 3; ++part) {
    small_layout(r, {kSplitSizes}, "split [3, 6, 4] sizes [2, 3, 1] dim 1" + part_str(part),
                 {{3, 6, 4}}, unary([part](const Tensor& t) {
                   return ag::split(t, {2, 3, 1}, 1)[part];
                 }),
                 "split_sizes");
  }
  // Parts 0, 1 and 0 again (another upstream weight).
  for (size_t part = 0; part < 3; ++part) {
    small_layout(
        r, {kSplitSizes},
        "split [3, 6, 4] sizes [1, 2] dim 0" + part_str(part % 2) + (part == 2 ? " again" : ""),
        {{3, 6, 4}}, unary([part](const Tensor& t) {
          return ag::split(t, {1, 2}, 0)[part % 2];
        }),
        "split_sizes");
  }
  // Empty parts (a split size of 0, concat with an empty input) are legal and must work forward
  // and backward (gradcheck_test.cpp checks their shapes). Parity compares non-empty tensors only.
  for (size_t part : {0, 2}) {
    small_layout(r, {kSplitSizes}, "split [3, 6, 4] sizes [1, 0, 2] dim 0" + part_str(part),
                 {{3, 6, 4}}, unary([part](const Tensor& t) {
                   return ag::split(t, {1, 0, 2}, 0)[part];
                 }),
                 "split_sizes");
  }
  small_layout(r, {"concat"}, "concat [2, 3], [2, 0], [2, 3] dim 1", {{2, 3}, {2, 0}},
               multi([](const std::vector<Tensor>& in) {
                 return ag::concat({in[0], in[1], in[0]}, 1);
               }),
               "", false);
  for (size_t part = 0; part < 3; ++part) {  // 5 rows in chunks of 2: 2, 2, 1
    small_layout(r, {kSplitEqual}, "split [5, 7] size 2 dim 0" + part_str(part), {{5, 7}},
                 unary([part](const Tensor& t) { return ag::split(t, 2, 0)[part]; }),
                 "split_equal");
    small_layout(r, {kSplitEqual}, "split [5, 7] size 3 dim -1" + part_str(part), {{5, 7}},
                 unary([part](const Tensor& t) { return ag::split(t, 3, -1)[part]; }),
                 "split_equal");
  }
  struct Cat {
    std::vector<Shape> shapes;
    int64_t dim;
  };
  for (const Cat& c : std::vector<Cat>{{{{1, 3, 4}, {2, 3, 4}, {3, 3, 4}}, 0},
                                       {{{2, 1, 4}, {2, 5, 4}, {2, 2, 4}}, 1},
                                       {{{2, 3, 3}, {2, 3, 1}, {2, 3, 7}}, -1}}) {
    std::vector<Input> inputs;
    std::string name = "concat dim " + std::to_string(c.dim) + " N(0, 1)";
    for (const Shape& s : c.shapes) {
      inputs.push_back(var(s, normal()));
      name += ' ';
      name += shape_str(s);
    }
    // A constant among the inputs gets no gradient; the others still do.
    std::vector<Variant> variants = {Variant{}};
    if (c.dim == 1) variants.push_back(Variant{" (middle input constant)", {true, false, true}});
    const int64_t dim = c.dim;
    r.add({.ops = {"concat"},
           .name = name,
           .inputs = std::move(inputs),
           .forward = multi([dim](const std::vector<Tensor>& in) { return ag::concat(in, dim); }),
           .gradcheck = kLinear,
           .parity = kExact,
           .variants = std::move(variants)});
  }

  // --- parity on larger tensors ------------------------------------------------------------------
  // Every permutation of 3-D and 4-D tensors, and negative dims.
  for (const Shape& s : std::vector<Shape>{{3, 5, 7}, {17, 33, 65}, {2, 3, 5, 7}, {3, 4, 33, 17}}) {
    const uint64_t seed = seed_of("permute " + shape_str(s));
    std::vector<int64_t> perm(s.size());
    std::iota(perm.begin(), perm.end(), 0);
    do {
      large_layout(r, {"permute"}, "permute " + shape_str(s) + " by " + dims_str(perm),
                   {var(s, normal(), seed)},
                   unary([perm](const Tensor& x) { return ag::permute(x, perm); }));
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
  large_layout(r, {"permute"}, "permute [3, 5, 7] by [-1, 0, -2]", {var({3, 5, 7}, normal(), 11)},
               unary([](const Tensor& x) {
                 return ag::permute(x, {-1, 0, -2});
               }));

  const std::vector<Swap> swaps = {{{33, 65}, 0, 1},     {{1, 4099}, 0, 1},    {{1025, 3}, 0, 1},
                                   {{3, 5, 7}, 0, 2},    {{3, 5, 7}, 1, 2},    {{3, 5, 7}, 0, 1},
                                   {{3, 5, 7}, -1, -2},  {{2, 3, 5, 7}, 1, 3}, {{2, 3, 5, 7}, 0, 3},
                                   {{4, 129, 33}, 1, 2}, {{5, 5}, 1, 1}};
  for (const Swap& c : swaps) {
    const std::string name =
        "transpose " + shape_str(c.shape) + " " + std::to_string(c.d0) + " " + std::to_string(c.d1);
    large_layout(r, {"transpose"}, name, {var(c.shape, normal(), seed_of(name))},
                 unary([c](const Tensor& x) { return ag::transpose(x, c.d0, c.d1); }));
  }

  for (const Shape& to :
       std::vector<Shape>{{15, 7}, {-1}, {7, -1, 3}, {105, 1}, {1, 1, 105}, {3, 35}}) {
    large_layout(r, {"reshape"}, "reshape [3, 5, 7] to " + shape_str(to),
                 {var({3, 5, 7}, normal(), 21)},
                 unary([to](const Tensor& x) { return ag::reshape(x, to); }));
  }
  // A reshape between two ops: the view shares the first op's output.
  r.add({.ops = {"reshape", "exp", "permute"},
         .name = "exp, reshape, permute",
         .inputs = {var({3, 5, 7}, normal(), 21)},
         .forward = unary([](const Tensor& x) {
           return ag::permute(ag::reshape(ag::exp(x), {7, 15}), {1, 0});
         }),
         .parity = kClose});

  const std::vector<Slice> slices = {
      {{7, 33, 65}, 0, 1, 6},   {{7, 33, 65}, 0, 0, 7},  {{7, 33, 65}, 1, 3, 30},
      {{7, 33, 65}, 1, 32, 33}, {{7, 33, 65}, 2, 1, 64}, {{7, 33, 65}, -1, 0, 1},
      {{7, 33, 65}, -1, 5, 65}, {{4099}, 0, 1, 4098},    {{3, 1025}, 1, 1, 1024},
      {{1, 1}, 0, 0, 1},        {{2, 3, 5, 7}, 2, 1, 4}};
  for (const Slice& c : slices) {
    const std::string name = "slice " + shape_str(c.shape) + " dim " + std::to_string(c.dim) +
                             " [" + std::to_string(c.start) + ", " + std::to_string(c.end) + ")";
    large_layout(r, {"slice"}, name, {var(c.shape, normal(), seed_of(name))},
                 unary([c](const Tensor& x) { return ag::slice(x, c.dim, c.start, c.end); }));
  }

  // Every part at once: the backward of several outputs goes through sum(part * upstream), and
  // mul and sum are exact there (an upstream times 1), so the gradient is still a pure copy.
  struct BySizes {
    std::vector<int64_t> sizes;
    int64_t dim;
  };
  for (const BySizes& c : std::vector<BySizes>{
           {{1, 15, 17}, 1}, {{3, 4}, 0}, {{64, 1}, -1}, {{1, 1, 1, 1, 1, 1, 1}, 0}}) {
    large_layout(
        r, {kSplitSizes}, "split sizes " + dims_str(c.sizes) + " dim " + std::to_string(c.dim),
        {var({7, 33, 65}, normal(), 31)},
        [c](const std::vector<Tensor>& xs) { return ag::split(xs[0], c.sizes, c.dim); },
        "split_sizes");
  }
  struct Equal {
    int64_t size, dim;
  };
  for (const Equal& c : std::vector<Equal>{{8, 2}, {2, 0}, {33, 1}, {5, -2}, {65, -1}}) {
    large_layout(
        r, {kSplitEqual}, "split size " + std::to_string(c.size) + " dim " + std::to_string(c.dim),
        {var({7, 33, 65}, normal(), 31)},
        [c](const std::vector<Tensor>& xs) { return ag::split(xs[0], c.size, c.dim); },
        "split_equal");
  }

  const std::vector<Cat> cats = {{{{2, 3, 5}, {3, 3, 5}, {1, 3, 5}}, 0},
                                 {{{4, 1, 33}, {4, 7, 33}, {4, 2, 33}}, 1},
                                 {{{5, 7, 1}, {5, 7, 33}, {5, 7, 64}}, -1},
                                 {{{5, 7, 1}, {5, 7, 33}, {5, 7, 64}}, 2},
                                 {{{1}, {4099}, {7}}, 0},
                                 {{{3, 129, 2}, {3, 1, 2}}, -2},
                                 {{{1025, 3}}, 1},
                                 {{{2, 3}, {2, 3}, {2, 3}, {2, 3}}, 0}};
  for (const Cat& c : cats) {
    std::string name = "concat dim " + std::to_string(c.dim);
    for (const Shape& s : c.shapes) {
      name += ' ';  // (not `" " + str`: GCC 12 warns falsely on it, -Wrestrict)
      name += shape_str(s);
    }
    std::vector<Input> inputs;
    std::vector<bool> odd_constant;
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      inputs.push_back(var(c.shapes[i], normal(), seed_of(name + std::to_string(i))));
      odd_constant.push_back(i % 2 == 0);
    }
    const int64_t dim = c.dim;
    large_layout(r, {"concat"}, name, std::move(inputs),
                 multi([dim](const std::vector<Tensor>& xs) { return ag::concat(xs, dim); }), "",
                 {Variant{}, Variant{" (odd inputs constant)", odd_constant}});
  }
}

}  // namespace opcases
