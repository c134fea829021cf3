#include "tests/ops/builders.h"

#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

void small_unary(Registry& r, const std::vector<std::string>& ops, const std::string& label,
                 const UnaryFn& f, const Values& values, const agtest::GradCheckOptions& tol,
                 const std::string& group) {
  const std::vector<Shape> shapes = {{}, {1}, {7}, {33}, {129}, {1031}, {3, 5, 7}};
  uint64_t seed = 100;
  for (const Shape& s : shapes) {
    r.add({.ops = ops,
           .name = label + " " + shape_str(s) + " " + values.text,
           .inputs = {var(s, values)},
           .forward = unary(f),
           .gradcheck = tol,
           .parity = kClose,
           .seed = seed++,
           .group = group});
  }
}

void large_unary(Registry& r, const std::string& op, const std::string& label, const UnaryFn& f,
                 const Values& values, const parity::ParityOptions& tol, const std::string& group) {
  for (const Shape& s : parity::elementwise_shapes(true)) {
    const std::string name = label + " " + shape_str(s);
    r.add({.ops = {op},
           .name = name,
           .inputs = {var(s, values, parity::seed_of(name))},
           .forward = unary(f),
           .parity = tol,
           .group = group});
  }
}

}  // namespace opcases
