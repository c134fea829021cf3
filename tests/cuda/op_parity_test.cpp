// Parity mode of the op-case registry (tests/ops/op_case.h): every case with a parity tolerance,
// run on the CPU (the reference) and on CUDA (real, or the emulated device), outputs and every
// input's gradient compared (tests/ops/parity.h). One test per group of cases, named after the op
// (Registry/Parity.op/<op>). Skipped without a CUDA device; in the PARITY_SELF_TEST build the CPU
// stands in for CUDA (parity.h).
#include <gtest/gtest.h>

#include "tests/ops/registry.h"

namespace {

using opcases::Group;
using opcases::OpCase;

class Parity : public ::testing::TestWithParam<Group> {};

TEST_P(Parity, op) {
  SKIP_WITHOUT_CUDA();
  for (const OpCase* c : GetParam().cases) {
    ag::Generator gen(opcases::seed_of(*c));
    const std::vector<ag::Tensor> values = opcases::draw_inputs(*c, gen);
    for (const opcases::Variant& v : c->variants) {
      std::vector<parity::Input> inputs;
      for (size_t i = 0; i < values.size(); ++i) {
        const bool grad = c->inputs[i].grad && (v.vars.empty() || v.vars[i]);
        inputs.push_back(parity::Input{values[i], grad, c->inputs[i].misalign});
      }
      parity::ParityOptions options = *c->parity;
      parity::check_multi(c->name + v.label, c->forward, inputs, options);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, Parity,
                         ::testing::ValuesIn(opcases::groups(opcases::Mode::Parity)),
                         [](const ::testing::TestParamInfo<Group>& info) {
                           return info.param.name;
                         });

}  // namespace
