// Bad input must raise ag::Error with a message that says what went wrong in the caller's terms:
// the op, the shapes, the offending value and where it is. Each test checks the message, not only
// that something was thrown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/ops.h"
#include "tests/core/error_message.h"

namespace {

using ag::Tensor;
using agtest::error_message;
using ::testing::AllOf;
using ::testing::HasSubstr;

using BinaryOpFn = std::function<Tensor(const Tensor&, const Tensor&)>;

Tensor ones(const ag::Shape& s) {
  return Tensor::ones(s);
}

// --- shape mismatches ----------------------------------------------------------------------------

TEST(Errors, binary_ops_name_the_op_and_both_shapes) {
  const std::vector<std::pair<const char*, BinaryOpFn>> ops = {
      {"add", [](const Tensor& a, const Tensor& b) { return ag::add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return ag::sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return ag::mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return ag::div(a, b); }},
      {"masked_fill", [](const Tensor& a, const Tensor& b) { return ag::masked_fill(a, b, 0); }},
      {"swiglu", [](const Tensor& a, const Tensor& b) { return ag::swiglu(a, b); }},
      {"swiglu_unfused", [](const Tensor& a, const Tensor& b) { return ag::swiglu_unfused(a, b); }},
      {"geglu", [](const Tensor& a, const Tensor& b) { return ag::geglu(a, b); }},
  };
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    EXPECT_THAT(error_message([&] {
                  op(ones({2, 3}), ones({4}));
                }),
                AllOf(HasSubstr(name), HasSubstr("[2, 3]"), HasSubstr("[4]")));
    EXPECT_THAT(error_message([&] {
                  op(ones({4}), ones({2, 3}));
                }),
                AllOf(HasSubstr(name), HasSubstr("[2, 3]"), HasSubstr("[4]")));
  }
  // Operators go through the same ops.
  EXPECT_THAT(error_message([] {
                (void)(ones({2, 3}) + ones({4}));
              }),
              AllOf(HasSubstr("add"), HasSubstr("[2, 3]"), HasSubstr("[4]")));
}

TEST(Errors, masked_fill_mask_must_broadcast_to_x) {
  // [2, 1] and [3] broadcast together to [2, 3], but that is not x's shape.
  EXPECT_THAT(error_message([] {
                ag::masked_fill(ones({2, 1}), ones({3}), 0.0f);
              }),
              AllOf(HasSubstr("masked_fill"), HasSubstr("[3]"), HasSubstr("[2, 1]")));
}

TEST(Errors, matmul_names_both_shapes) {
  EXPECT_THAT(error_message([] {
                ag::matmul(ones({2, 3}), ones({4, 5}));
              }),
              AllOf(HasSubstr("matmul"), HasSubstr("[2, 3]"), HasSubstr("[4, 5]")));
  EXPECT_THAT(error_message([] {
                ag::matmul(ones({2, 2, 3}), ones({3, 3, 5}));
              }),
              AllOf(HasSubstr("matmul"), HasSubstr("[2, 2, 3]"), HasSubstr("[3, 3, 5]")));
  EXPECT_THAT(error_message([] {
                ag::matmul(ones({3}), ones({3, 5}));
              }),
              AllOf(HasSubstr("matmul"), HasSubstr("[3]"), HasSubstr("[3, 5]")));
}

TEST(Errors, reshape_to_wrong_numel) {
  EXPECT_THAT(error_message([] {
                ag::reshape(ones({2, 3}), {4, 2});
              }),
              AllOf(HasSubstr("reshape"), HasSubstr("[2, 3]"), HasSubstr("[4, 2]")));
  EXPECT_THAT(error_message([] {
                ag::reshape(ones({2, 3}), {4, -1});
              }),
              AllOf(HasSubstr("reshape"), HasSubstr("[2, 3]"), HasSubstr("[4, -1]")));
  EXPECT_THAT(error_message([] {
                ag::reshape(ones({2, 3}), {-1, -1});
              }),
              HasSubstr("more than one -1"));
}

TEST(Errors, concat_mismatch) {
  EXPECT_THAT(error_message([] {
                ag::concat({ones({2, 3}), ones({3, 3})}, 1);
              }),
              AllOf(HasSubstr("concat"), HasSubstr("[2, 3]"), HasSubstr("[3, 3]")));
  EXPECT_THAT(error_message([] {
                ag::concat({ones({2, 3}), ones({2, 3, 1})}, 0);
              }),
              AllOf(HasSubstr("concat"), HasSubstr("[2, 3, 1]")));
  EXPECT_THAT(error_message([] { ag::concat({}, 0); }), HasSubstr("concat"));
}

TEST(Errors, slice_out_of_range) {
  EXPECT_THAT(error_message([] {
                ag::slice(ones({4, 5}), 1, 2, 6);
              }),
              AllOf(HasSubstr("slice"), HasSubstr("[2, 6)"), HasSubstr("[4, 5]")));
  EXPECT_THAT(error_message([] { ag::slice(ones({4, 5}), 0, 3, 2); }), HasSubstr("slice"));
  EXPECT_THAT(error_message([] { ag::slice(ones({4, 5}), 0, -1, 2); }), HasSubstr("slice"));
  EXPECT_THAT(error_message([] {
                ag::slice(ones({4, 5}), 2, 0, 1);
              }),
              AllOf(HasSubstr("slice"), HasSubstr("dim 2")));
}

TEST(Errors, split_sizes_must_add_up) {
  EXPECT_THAT(error_message([] {
                ag::split(ones({4, 5}), {2, 2}, 1);
              }),
              AllOf(HasSubstr("split"), HasSubstr("4"), HasSubstr("[4, 5]")));
  EXPECT_THAT(error_message([] { ag::split(ones({4, 5}), int64_t(0), 1); }), HasSubstr("split"));
}

TEST(Errors, expand_and_sum_to_incompatible_shapes) {
  EXPECT_THAT(error_message([] {
                ag::expand(ones({3, 2}), {3, 4});
              }),
              AllOf(HasSubstr("expand"), HasSubstr("[3, 2]"), HasSubstr("[3, 4]")));
  EXPECT_THAT(error_message([] {
                ag::expand(ones({3, 4}), {4});
              }),
              AllOf(HasSubstr("expand"), HasSubstr("[3, 4]"), HasSubstr("[4]")));
  EXPECT_THAT(error_message([] {
                ag::sum_to(ones({3, 4}), {5});
              }),
              AllOf(HasSubstr("sum_to"), HasSubstr("[3, 4]"), HasSubstr("[5]")));
}

TEST(Errors, layer_norm_weight_of_wrong_size) {
  EXPECT_THAT(
      error_message([] {
        ag::layer_norm(ones({2, 5}), ones({4}), Tensor());
      }),
      AllOf(HasSubstr("layer_norm"), HasSubstr("weight"), HasSubstr("[4]"), HasSubstr("[2, 5]")));
  EXPECT_THAT(error_message([] {
                ag::layer_norm(ones({2, 5}), ones({5}), ones({5, 1}));
              }),
              AllOf(HasSubstr("layer_norm"), HasSubstr("bias"), HasSubstr("[5, 1]")));
  EXPECT_THAT(error_message([] {
                ag::layer_norm(ones({2, 5}), Tensor(), Tensor(), -1.0f);
              }),
              AllOf(HasSubstr("layer_norm"), HasSubstr("eps")));
}

TEST(Errors, gated_ops_need_equal_shapes) {
  EXPECT_THAT(error_message([] {
                ag::gated(ones({2, 3}), ones({3, 2}), ag::math::UnaryOp::Relu);
              }),
              AllOf(HasSubstr("gated"), HasSubstr("[2, 3]"), HasSubstr("[3, 2]")));
}

// --- dims ----------------------------------------------------------------------------------------

TEST(Errors, bad_dims) {
  EXPECT_THAT(error_message([] {
                ag::softmax(ones({2, 3}), 2);
              }),
              AllOf(HasSubstr("softmax"), HasSubstr("dim 2")));
  EXPECT_THAT(error_message([] {
                ag::log_softmax(ones({2, 3}), -3);
              }),
              AllOf(HasSubstr("log_softmax"), HasSubstr("dim -3")));
  EXPECT_THAT(error_message([] { ag::softmax(ones({}), 0); }), HasSubstr("softmax"));
  EXPECT_THAT(error_message([] {
                ag::transpose(ones({2, 3}), 0, 5);
              }),
              AllOf(HasSubstr("transpose"), HasSubstr("dim 5")));
  EXPECT_THAT(error_message([] {
                ag::sum(ones({2, 3}), {3});
              }),
              AllOf(HasSubstr("sum"), HasSubstr("dim 3")));
  EXPECT_THAT(error_message([] {
                ag::mean(ones({2, 3}), {-4});
              }),
              AllOf(HasSubstr("mean"), HasSubstr("dim -4")));
  EXPECT_THAT(error_message([] {
                ag::sum(ones({2, 3}), {1, -1});
              }),
              AllOf(HasSubstr("sum"), HasSubstr("twice")));
  EXPECT_THAT(error_message([] {
                ag::permute(ones({2, 3, 4}), {0, 1});
              }),
              AllOf(HasSubstr("permute"), HasSubstr("[2, 3, 4]")));
  EXPECT_THAT(error_message([] {
                ag::permute(ones({2, 3, 4}), {0, 1, 1});
              }),
              AllOf(HasSubstr("permute"), HasSubstr("repeated")));
  EXPECT_THAT(error_message([] { ones({2, 3}).size(2); }), HasSubstr("dim 2"));
}

// --- dtypes and undefined tensors ----------------------------------------------------------------

TEST(Errors, int_tensor_into_float_op) {
  const Tensor idx = Tensor::from_indices({1, 2, 3}, {3});
  EXPECT_THAT(error_message([&] { ag::exp(idx); }),
              AllOf(HasSubstr("exp"), HasSubstr("float32"), HasSubstr("int32")));
  EXPECT_THAT(error_message([&] { ag::add(ones({3}), idx); }),
              AllOf(HasSubstr("add"), HasSubstr("int32")));
  EXPECT_THAT(error_message([&] {
                ag::matmul(ag::reshape(idx, {1, 3}), ones({3, 1}));
              }),
              AllOf(HasSubstr("matmul"), HasSubstr("int32")));
  EXPECT_THAT(error_message([&] { ag::softmax(idx); }),
              AllOf(HasSubstr("softmax"), HasSubstr("int32")));
  EXPECT_THAT(error_message([&] { ag::relu(idx); }), AllOf(HasSubstr("relu"), HasSubstr("int32")));
  EXPECT_THAT(error_message([&] { ag::sum(idx); }), AllOf(HasSubstr("sum"), HasSubstr("int32")));
  EXPECT_THAT(error_message([&] { idx.data(); }), HasSubstr("int32"));
  EXPECT_THAT(error_message([] { ones({2}).idata(); }), HasSubstr("float32"));
}

TEST(Errors, float_tensor_where_indices_are_expected) {
  EXPECT_THAT(error_message([] {
                ag::embedding(ones({5, 2}), ones({3}));
              }),
              AllOf(HasSubstr("embedding"), HasSubstr("int32")));
  EXPECT_THAT(error_message([] {
                ag::cross_entropy(ones({2, 3}), ones({2}));
              }),
              AllOf(HasSubstr("cross_entropy"), HasSubstr("int32")));
}

TEST(Errors, undefined_tensor_argument) {
  EXPECT_THAT(error_message([] { ag::exp(Tensor()); }),
              AllOf(HasSubstr("exp"), HasSubstr("undefined")));
  EXPECT_THAT(error_message([] { ag::add(ones({2}), Tensor()); }),
              AllOf(HasSubstr("add"), HasSubstr("undefined")));
  EXPECT_THAT(error_message([] { Tensor().shape(); }), HasSubstr("undefined"));
}

// --- indices -------------------------------------------------------------------------------------

TEST(Errors, embedding_index_out_of_range_names_value_and_position) {
  const Tensor weight = ones({5, 2});
  EXPECT_THAT(
      error_message([&] {
        ag::embedding(weight, Tensor::from_indices({0, 4, 7, 1}, {4}));
      }),
      AllOf(HasSubstr("embedding"), HasSubstr("7"), HasSubstr("position 2"), HasSubstr("[0, 5)")));
  EXPECT_THAT(error_message([&] { ag::embedding(weight, Tensor::from_indices({-1}, {1})); }),
              AllOf(HasSubstr("-1"), HasSubstr("position 0")));
  EXPECT_THAT(error_message([] { ag::embedding(ones({5}), Tensor::from_indices({0}, {1})); }),
              AllOf(HasSubstr("embedding"), HasSubstr("[5]")));
}

TEST(Errors, cross_entropy_target_out_of_range_names_value_and_position) {
  EXPECT_THAT(error_message([] {
                ag::cross_entropy(ones({3, 4}), Tensor::from_indices({0, 3, 4}, {3}));
              }),
              AllOf(HasSubstr("cross_entropy"), HasSubstr("target 4"), HasSubstr("position 2"),
                    HasSubstr("[0, 4)")));
  EXPECT_THAT(error_message([] {
                ag::cross_entropy(ones({3, 4}), Tensor::from_indices({-2, 0, 0}, {3}));
              }),
              AllOf(HasSubstr("-2"), HasSubstr("position 0")));
  EXPECT_THAT(error_message([] {
                ag::cross_entropy(ones({3, 4}), Tensor::from_indices({0, 1}, {2}));
              }),
              AllOf(HasSubstr("cross_entropy"), HasSubstr("[2]"), HasSubstr("[3, 4]")));
  EXPECT_THAT(error_message([] { ag::cross_entropy(ones({4}), Tensor::from_indices({0}, {1})); }),
              AllOf(HasSubstr("cross_entropy"), HasSubstr("[4]")));
}

// --- scalars and creation ------------------------------------------------------------------------

TEST(Errors, dropout_p_outside_unit_interval) {
  ag::Generator gen(1);
  for (float p : {-0.1f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    SCOPED_TRACE(p);
    EXPECT_THAT(error_message([&] { ag::dropout(ones({4}), p, gen); }),
                AllOf(HasSubstr("dropout"), HasSubstr("[0, 1]")));
  }
}

TEST(Errors, from_vector_size_mismatch) {
  EXPECT_THAT(error_message([] {
                Tensor::from_vector({1, 2, 3}, {2, 2});
              }),
              AllOf(HasSubstr("from_vector"), HasSubstr("3"), HasSubstr("[2, 2]")));
  EXPECT_THAT(error_message([] {
                Tensor::from_indices({1, 2, 3}, {4});
              }),
              AllOf(HasSubstr("from_indices"), HasSubstr("[4]")));
  EXPECT_THAT(error_message([] { Tensor::zeros({2, -3}); }), HasSubstr("[2, -3]"));
}

TEST(Errors, item_and_at_misuse) {
  EXPECT_THAT(error_message([] {
                ones({2, 3}).item();
              }),
              AllOf(HasSubstr("item"), HasSubstr("[2, 3]"), HasSubstr("6 elements")));
  EXPECT_THAT(error_message([] {
                ones({2, 3}).at({1, 3});
              }),
              AllOf(HasSubstr("at"), HasSubstr("[2, 3]")));
  EXPECT_THAT(error_message([] { ones({2, 3}).at({1}); }), HasSubstr("[2, 3]"));
}

TEST(Errors, cuda_without_cuda) {
  if (ag::cuda_available()) GTEST_SKIP() << "a CUDA device is present: nothing to refuse";
  EXPECT_THAT(error_message([] { Tensor::zeros({2}, ag::Device::CUDA); }), HasSubstr("CUDA"));
  EXPECT_THAT(error_message([] { ones({2}).to(ag::Device::CUDA); }), HasSubstr("CUDA"));
}

TEST(Errors, unknown_device_name) {
  EXPECT_THAT(error_message([] { ag::parse_device("tpu"); }),
              AllOf(HasSubstr("tpu"), HasSubstr("cpu"), HasSubstr("cuda")));
}

// --- in-place helpers ----------------------------------------------------------------------------

TEST(Errors, optimizer_state_shape_mismatch) {
  Tensor p = ones({3}), m = ones({3}), v = ones({2});
  const ag::math::AdamWStep step{};  // the values do not matter: the shapes are checked first
  EXPECT_THAT(error_message([&] { ag::adamw_step(p, ones({3}), m, v, step); }),
              AllOf(HasSubstr("adamw"), HasSubstr("[2]"), HasSubstr("[3]")));
  Tensor dst = ones({2, 2});
  EXPECT_THAT(error_message([&] { ag::copy_(dst, ones({4})); }),
              AllOf(HasSubstr("copy_"), HasSubstr("[4]"), HasSubstr("[2, 2]")));
  EXPECT_THAT(error_message([] {
                ag::argmax(ones({3, 0}));
              }),
              AllOf(HasSubstr("argmax"), HasSubstr("[3, 0]")));
}

}  // namespace
