// GradCheck mode of the op-case registry (tests/ops/op_case.h): every case with a gradcheck
// tolerance, checked by finite differences (tests/ops/gradcheck.h). One test per group of cases,
// named after the op (Registry/GradCheck.op/<op>), so `ctest -R 'GradCheck.op/softmax'` runs one
// op's. Zeroing, deleting or misrouting any op's backward makes its test here fail.
#include <gtest/gtest.h>

#include "tests/ops/registry.h"

namespace {

using opcases::Group;
using opcases::OpCase;

class GradCheck : public ::testing::TestWithParam<Group> {};

// Runs each variant of each case: the inputs drawn from the case's generator, then gradcheck's
// upstream weights from the same generator, variant after variant.
TEST_P(GradCheck, op) {
  for (const OpCase* c : GetParam().cases) {
    SCOPED_TRACE(c->name);
    ag::Generator gen(opcases::seed_of(*c));
    const std::vector<ag::Tensor> inputs = opcases::draw_inputs(*c, gen);
    const opcases::Forward forward = c->forward;
    const agtest::MultiFn f = [forward, name = c->name](const std::vector<ag::Tensor>& in) {
      std::vector<ag::Tensor> out = forward(in);
      if (out.size() != 1) {
        throw std::logic_error("gradcheck of '" + name + "': one output expected, got " +
                               std::to_string(out.size()));
      }
      return out[0];
    };
    for (const opcases::Variant& v : c->variants) {
      SCOPED_TRACE(c->name + v.label);
      agtest::GradCheckOptions opt = *c->gradcheck;
      for (size_t i = 0; i < inputs.size(); ++i) {
        opt.wrt.push_back(c->inputs[i].grad && (v.vars.empty() || v.vars[i]));
      }
      EXPECT_TRUE(agtest::gradcheck(f, inputs, gen, opt));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, GradCheck,
                         ::testing::ValuesIn(opcases::groups(opcases::Mode::GradCheck)),
                         [](const ::testing::TestParamInfo<Group>& info) {
                           return info.param.name;
                         });

}  // namespace
