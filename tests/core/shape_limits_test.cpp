// Shapes given by a caller (tensor creation, reshape) are checked against the documented limits
// of core/shape.h: every size >= 0 and at most 2^60, and at most 2^60 elements per tensor. A
// size that is too large is reported as too large, with the limit, never as a negative one or as
// a C++ library error. The expected numbers are powers of two written out by hand:
// 2^60 = 1152921504606846976, 2^61 = 2305843009213693952, 2^62 = 4611686018427387904.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>

#include "core/generator.h"
#include "core/ops.h"
#include "tests/core/error_message.h"

namespace {

using ag::Tensor;
using agtest::error_message;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t k2_30 = int64_t(1) << 30, k2_31 = int64_t(1) << 31, k2_40 = int64_t(1) << 40;
constexpr int64_t k2_61 = int64_t(1) << 61, k2_62 = int64_t(1) << 62;

TEST(ShapeLimits, the_limit_is_2_to_the_60) {
  EXPECT_EQ(ag::kMaxNumel, 1152921504606846976);
}

TEST(ShapeLimits, a_negative_size_is_named_with_its_dim) {
  EXPECT_THAT(error_message([] {
                Tensor::empty({2, -3});
              }),
              AllOf(HasSubstr("tensor: shape [2, -3]"), HasSubstr("negative size -3 at dim 1")));
  ag::Generator gen(1);
  // These built a std::vector of size_t(-5) before any check: a std::length_error.
  EXPECT_THAT(error_message([&] {
                Tensor::uniform({-1, 5}, gen);
              }),
              AllOf(HasSubstr("uniform: shape [-1, 5]"), HasSubstr("negative size -1 at dim 0")));
  EXPECT_THAT(error_message([&] {
                Tensor::randn({5, -1}, gen);
              }),
              AllOf(HasSubstr("randn: shape [5, -1]"), HasSubstr("negative size -1 at dim 1")));
  EXPECT_THAT(error_message([] {
                ag::reshape(Tensor::ones({4}), {-1, -2});
              }),
              AllOf(HasSubstr("reshape: shape [-1, -2]"), HasSubstr("negative size -2 at dim 1")));
}

TEST(ShapeLimits, a_size_above_the_limit_is_too_large_not_negative) {
  for (const auto& make : {+[] {
                             Tensor::empty({3, k2_61});
                           },
                           +[] {
                             Tensor::zeros({3, k2_61});
                           },
                           +[] {
                             Tensor::from_vector({1}, {3, k2_61});
                           },
                           +[] {
                             Tensor::from_indices({1}, {3, k2_61});
                           }}) {
    const std::string msg = error_message(make);
    EXPECT_THAT(msg, AllOf(HasSubstr("shape [3, 2305843009213693952]"),
                           HasSubstr("the size 2305843009213693952 at dim 1"),
                           HasSubstr("more than the limit of 1152921504606846976 (2^60) per "
                                     "dimension")));
    EXPECT_THAT(msg, ::testing::Not(HasSubstr("negative")));
  }
  EXPECT_THAT(error_message([] {
                ag::reshape(Tensor::ones({0}), {k2_62, 0});
              }),
              AllOf(HasSubstr("reshape"), HasSubstr("the size 4611686018427387904 at dim 0"),
                    HasSubstr("per dimension")));
}

TEST(ShapeLimits, too_many_elements_names_the_count_and_the_limit) {
  EXPECT_THAT(error_message([] {
                Tensor::empty({k2_31, k2_30});
              }),
              AllOf(HasSubstr("shape [2147483648, 1073741824] has 2305843009213693952 elements"),
                    HasSubstr("more than the limit of 1152921504606846976 (2^60) per tensor")));
  ag::Generator gen(1);
  // 2^80 elements: the product does not fit in 64 bits.
  EXPECT_THAT(error_message([&] {
                Tensor::uniform({k2_40, k2_40}, gen);
              }),
              AllOf(HasSubstr("uniform: shape [1099511627776, 1099511627776]"),
                    HasSubstr("more than 9223372036854775807 elements"),
                    HasSubstr("limit of 1152921504606846976 (2^60) per tensor")));
  // 2^64 wrapped to 0 in the unchecked product, which matched an empty tensor's 0 elements.
  EXPECT_THAT(error_message([] {
                ag::reshape(Tensor::ones({0}), {int64_t(1) << 32, int64_t(1) << 32});
              }),
              AllOf(HasSubstr("reshape: shape [4294967296, 4294967296]"),
                    HasSubstr("more than 9223372036854775807 elements")));
}

TEST(ShapeLimits, shapes_within_the_limits_are_accepted) {
  // A size of 0 makes the tensor empty whatever the other sizes, up to the per-dimension limit.
  const Tensor e = Tensor::empty({k2_40, k2_40, 0});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(Tensor::empty({ag::kMaxNumel, 0}).numel(), 0);
  EXPECT_EQ(ag::checked_numel({2, 3, 4}, "test"), 24);
  EXPECT_EQ(ag::checked_numel({}, "test"), 1);
  EXPECT_EQ(ag::checked_numel({k2_30, k2_30}, "test"), ag::kMaxNumel);  // 2^60 exactly
  EXPECT_EQ(ag::reshape(Tensor::ones({6}), {-1, 3}).shape(), (ag::Shape{2, 3}));
}

}  // namespace
