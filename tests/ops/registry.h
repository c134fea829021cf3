// The registry of op cases (op_case.h) and what the mode drivers need from it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "tests/ops/op_case.h"

namespace opcases {

// Every case, built on first use (cases_*.cpp fill it; registry.cpp lists them).
const Registry& registry();

enum class Mode { GradCheck, Parity };

// The cases of one gtest test: those of one group that run in the mode, in registry order.
struct Group {
  std::string name;
  std::vector<const OpCase*> cases;
};
// One group per group name with at least one case in `mode`, in order of first appearance.
std::vector<Group> groups(Mode mode);
// gtest prints a test's parameter on failure.
void PrintTo(const Group& group, std::ostream* os);

// The case's group name (OpCase::group, or its first op's name), and its seed (OpCase::seed, or
// one derived from its name).
std::string group_of(const OpCase& c);
uint64_t seed_of(const OpCase& c);

// The inputs of a case on the CPU: those with a seed from Generator(seed), the others from
// `shared`, in order. Leaves `shared` where gradcheck continues (its upstream weights).
std::vector<Tensor> draw_inputs(const OpCase& c, Generator& shared);

// "add" for "add(Tensor, float)".
std::string base_name(const std::string& op);

// The gradcheck tolerances of the first case about `op` (its first op; nullptr if none), for
// checks elsewhere that differentiate the op (tests/tools/ops_gradcheck_test.cpp).
const agtest::GradCheckOptions* gradcheck_tolerance(const std::string& op);

}  // namespace opcases
