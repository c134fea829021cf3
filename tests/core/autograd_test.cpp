// The tape and backward(): gradient accumulation, graph shapes, NoGradGuard, gradient lifetimes,
// and the errors that misuse must produce.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "core/ops.h"
#include "tests/core/error_message.h"

namespace {

using ag::Tensor;
using agtest::error_message;
using ::testing::HasSubstr;

// A fresh leaf that requires a gradient.
Tensor leaf(const std::vector<float>& v, const ag::Shape& shape) {
  Tensor t = Tensor::from_vector(v, shape);
  t.requires_grad_(true);
  return t;
}

class Autograd : public ::testing::Test {
 protected:
  // Each test starts and ends with an empty tape (a failed assertion may leave nodes behind).
  void SetUp() override { ag::clear_tape(); }
  void TearDown() override { ag::clear_tape(); }
};

// --- accumulation and graph shapes ---------------------------------------------------------------

TEST_F(Autograd, tensor_used_twice_accumulates) {
  // y = x*x + x: dy/dx = 2x + 1. x feeds mul twice and add once.
  Tensor x = leaf({-1.5f, 0.0f, 2.0f, 3.25f}, {4});
  ag::backward(ag::sum(x * x + x));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{-2.0f, 1.0f, 5.0f, 7.5f}));
}

TEST_F(Autograd, same_tensor_as_both_operands) {
  Tensor x = leaf({1.0f, -2.0f, 0.5f}, {3});
  ag::backward(ag::sum(ag::add(x, x)));  // d(2x)/dx = 2
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2.0f, 2.0f, 2.0f}));
}

// add's backward hands the same gradient buffer to both of its inputs, h and h2 (neither gets a
// copy). h then receives a second contribution, from q; adding it into the shared buffer would
// change h2's gradient too. loss = sum(h + h2) + sum(3h), h = 2a, h2 = 5a:
// d loss/da = 2 (1 + 3) + 5 * 1 = 13 (28 if h2 saw h's sum).
TEST_F(Autograd, shared_gradient_buffer_is_not_added_into) {
  Tensor a = leaf({1.0f, -2.0f, 0.5f}, {3});
  const Tensor h = ag::mul(a, 2.0f), h2 = ag::mul(a, 5.0f);
  const Tensor q = ag::mul(h, 3.0f);  // recorded before the add: its backward runs after it
  const Tensor loss = ag::add(ag::sum(ag::add(h, h2)), ag::sum(q));
  ag::backward(loss);
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{13.0f, 13.0f, 13.0f}));
  // The same with retain_grads, where every intermediate keeps a gradient of its own.
  const Tensor h_r = ag::mul(a, 2.0f), h2_r = ag::mul(a, 5.0f), q_r = ag::mul(h_r, 3.0f);
  a.zero_grad();
  ag::BackwardOptions keep;
  keep.retain_grads = true;
  ag::backward(ag::add(ag::sum(ag::add(h_r, h2_r)), ag::sum(q_r)), Tensor(), keep);
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{13.0f, 13.0f, 13.0f}));
  EXPECT_EQ(h2_r.grad().to_vector(), (std::vector<float>{1.0f, 1.0f, 1.0f}));
  EXPECT_EQ(h_r.grad().to_vector(), (std::vector<float>{4.0f, 4.0f, 4.0f}));
}

TEST_F(Autograd, diamond_graph) {
  // u = exp(x); v = 3u; w = u*u; y = sum(v + w)  =>  dy/dx = (3 + 2u) u
  Tensor x = leaf({-1.0f, 0.0f, 0.5f}, {3});
  const Tensor u = ag::exp(x);
  ag::backward(ag::sum(u * 3.0f + u * u));
  const std::vector<float> g = x.grad().to_vector();
  const double xs[] = {-1.0, 0.0, 0.5};
  for (size_t i = 0; i < 3; ++i) {
    const double e = std::exp(xs[i]);
    EXPECT_NEAR(g[i], (3 + 2 * e) * e, 1e-6 * (3 + 2 * e) * e) << i;
  }
}

TEST_F(Autograd, wide_fan_out_and_broadcast) {
  // x [3] is broadcast into three consumers of different shapes; the gradient sums them all:
  // y = sum(x + m) + sum(x * 2) + sum(mean(x)) with m [2, 3]  =>  dy/dx = 2 + 2 + 1/3
  Tensor x = leaf({1.0f, 2.0f, 3.0f}, {3});
  const Tensor m = Tensor::ones({2, 3});
  ag::backward(ag::sum(x + m) + ag::sum(x * 2.0f) + ag::mean(x));
  for (float g : x.grad().to_vector()) EXPECT_NEAR(g, 4.0f + 1.0f / 3.0f, 1e-6);
}

TEST_F(Autograd, leaf_loss_gets_gradient_one) {
  Tensor x = leaf({2.0f}, {});
  ag::backward(x);
  EXPECT_EQ(x.grad().item(), 1.0f);
}

TEST_F(Autograd, upstream_gradient_seeds_the_pass) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  const Tensor y = x * 3.0f;
  ag::backward(y, Tensor::from_vector({0.5f, -1.0f}, {2}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{1.5f, -3.0f}));
}

// --- NoGradGuard ---------------------------------------------------------------------------------

TEST_F(Autograd, no_grad_guard_records_nothing) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  {
    ag::NoGradGuard guard;
    const Tensor y = ag::exp(x * x);
    EXPECT_TRUE(ag::tape_nodes().empty());
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    EXPECT_THAT(error_message([&] { ag::backward(ag::sum(y)); }),
                HasSubstr("does not require a gradient"));
  }
  // Recording resumes after the guard.
  const Tensor z = x * x;
  EXPECT_TRUE(z.requires_grad());
  EXPECT_EQ(ag::tape_nodes().size(), 1u);
}

TEST_F(Autograd, nested_no_grad_guards_restore_state) {
  EXPECT_TRUE(ag::grad_enabled());
  {
    ag::NoGradGuard outer;
    EXPECT_FALSE(ag::grad_enabled());
    {
      ag::NoGradGuard inner;
      EXPECT_FALSE(ag::grad_enabled());
    }
    EXPECT_FALSE(ag::grad_enabled()) << "the inner guard must restore 'off', not 'on'";
  }
  EXPECT_TRUE(ag::grad_enabled());
}

TEST_F(Autograd, no_grad_guard_is_per_thread) {
  ag::NoGradGuard guard;
  bool enabled_in_other_thread = false;
  std::thread([&] { enabled_in_other_thread = ag::grad_enabled(); }).join();
  EXPECT_TRUE(enabled_in_other_thread);
  EXPECT_FALSE(ag::grad_enabled());
}

// --- gradient lifetimes --------------------------------------------------------------------------

TEST_F(Autograd, zero_grad_drops_the_gradient) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  ag::backward(ag::sum(x * x));
  ASSERT_TRUE(x.grad().defined());
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  ag::backward(ag::sum(x * x));  // a fresh gradient, not added to the old one
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2.0f, 4.0f}));
}

TEST_F(Autograd, gradients_accumulate_across_backward_passes) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  ag::backward(ag::sum(x * x));
  ag::backward(ag::sum(x * 3.0f));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2.0f + 3.0f, 4.0f + 3.0f}));
}

TEST_F(Autograd, gradient_is_not_aliased_with_upstream_or_other_leaves) {
  // a and b both receive gy unchanged from add; each must own its buffer, or a later
  // accumulation into one would show up in the other (and in the caller's upstream tensor).
  Tensor a = leaf({1.0f, 2.0f}, {2}), b = leaf({3.0f, 4.0f}, {2});
  const Tensor upstream = Tensor::from_vector({1.0f, 1.0f}, {2});
  ag::backward(a + b, upstream);
  ag::backward(ag::sum(a * 10.0f));
  EXPECT_EQ(a.grad().to_vector(), (std::vector<float>{11.0f, 11.0f}));
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{1.0f, 1.0f}));
  EXPECT_EQ(upstream.to_vector(), (std::vector<float>{1.0f, 1.0f}));
}

TEST_F(Autograd, only_inputs_that_need_a_gradient_get_one) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  const Tensor c = Tensor::from_vector({3.0f, 4.0f}, {2});  // a constant
  ag::backward(ag::sum(x * c + c));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{3.0f, 4.0f}));
  EXPECT_FALSE(c.grad().defined());
  EXPECT_FALSE(c.requires_grad());
}

TEST_F(Autograd, intermediate_gradients_are_freed) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  const Tensor u = x * 2.0f;
  const Tensor loss = ag::sum(u * u);
  ag::backward(loss);
  EXPECT_FALSE(u.grad().defined());
  EXPECT_FALSE(loss.grad().defined());
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{8.0f, 16.0f}));  // 2 * 2u
}

TEST_F(Autograd, retain_grads_keeps_intermediate_gradients) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  const Tensor u = x * 2.0f;
  const Tensor loss = ag::sum(u * u);
  ag::backward(loss, Tensor(), ag::BackwardOptions{.retain_grads = true});
  ASSERT_TRUE(u.grad().defined());
  EXPECT_EQ(u.grad().to_vector(), (std::vector<float>{4.0f, 8.0f}));  // 2u
  EXPECT_EQ(loss.grad().item(), 1.0f);
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{8.0f, 16.0f}));
}

TEST_F(Autograd, backward_frees_the_tape) {
  Tensor x = leaf({1.0f}, {1});
  ag::backward(ag::sum(ag::exp(x)));
  EXPECT_TRUE(ag::tape_nodes().empty());
}

TEST_F(Autograd, detach_and_clone_leave_the_graph) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  const Tensor y = x * 2.0f;
  const Tensor d = y.detach(), c = y.clone();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_FALSE(c.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  // Only the path through y (not d or c) carries a gradient: d(y + d*c)/dx = 2.
  ag::backward(ag::sum(y + d * c));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2.0f, 2.0f}));
}

// --- misuse --------------------------------------------------------------------------------------

TEST_F(Autograd, backward_twice_on_the_same_loss_throws) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  const Tensor loss = ag::sum(x * x);
  ag::backward(loss);
  EXPECT_THAT(error_message([&] { ag::backward(loss); }), HasSubstr("freed"));
  // The failed call changed nothing.
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{2.0f, 4.0f}));
}

TEST_F(Autograd, backward_after_clear_tape_throws) {
  Tensor x = leaf({1.0f}, {1});
  const Tensor loss = ag::sum(x * x);
  ag::clear_tape();
  EXPECT_THAT(error_message([&] { ag::backward(loss); }), HasSubstr("freed"));
}

TEST_F(Autograd, backward_on_non_scalar_without_upstream_throws) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  const Tensor y = x * 2.0f;
  const std::string msg = error_message([&] { ag::backward(y); });
  EXPECT_THAT(msg, HasSubstr("not a scalar"));
  EXPECT_THAT(msg, HasSubstr("[2]"));
}

TEST_F(Autograd, backward_with_wrong_upstream_shape_throws) {
  Tensor x = leaf({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});
  const Tensor y = x * 2.0f;
  const std::string msg = error_message([&] { ag::backward(y, Tensor::ones({4})); });
  EXPECT_THAT(msg, HasSubstr("[4]"));
  EXPECT_THAT(msg, HasSubstr("[2, 2]"));
}

TEST_F(Autograd, backward_on_tensor_without_gradient_throws) {
  const Tensor c = Tensor::from_vector({1.0f}, {});
  EXPECT_THAT(error_message([&] { ag::backward(ag::exp(c)); }),
              HasSubstr("does not require a gradient"));
  EXPECT_THAT(error_message([&] { ag::backward(Tensor()); }), HasSubstr("undefined"));
}

TEST_F(Autograd, input_from_a_freed_tape_throws_in_a_new_op) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  const Tensor y = x * 2.0f;
  ag::backward(ag::sum(y));
  const std::string msg = error_message([&] { (void)(y * 3.0f); });
  EXPECT_THAT(msg, HasSubstr("freed"));
  EXPECT_THAT(msg, HasSubstr("mul_scalar"));
  // A detached copy is fine: it is a new leaf.
  const Tensor z = y.detach() * 3.0f;
  EXPECT_FALSE(z.requires_grad());
}

TEST_F(Autograd, requires_grad_on_non_leaf_throws) {
  Tensor x = leaf({1.0f}, {1});
  Tensor y = x * 2.0f;
  EXPECT_THAT(error_message([&] { y.requires_grad_(true); }), HasSubstr("leaf"));
  EXPECT_THAT(error_message([&] { y.requires_grad_(false); }), HasSubstr("leaf"));
}

TEST_F(Autograd, requires_grad_on_int_tensor_throws) {
  Tensor idx = Tensor::from_indices({1, 2}, {2});
  EXPECT_THAT(error_message([&] { idx.requires_grad_(true); }), HasSubstr("int"));
}

TEST_F(Autograd, set_grad_checks_the_shape) {
  Tensor x = leaf({1.0f, 2.0f}, {2});
  EXPECT_THAT(error_message([&] { x.set_grad(Tensor::ones({3})); }), HasSubstr("[3]"));
  x.set_grad(Tensor::ones({2}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{1.0f, 1.0f}));
}

}  // namespace
