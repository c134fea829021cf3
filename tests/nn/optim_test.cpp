// Optimizers and gradient utilities against hand-written PyTorch formulas and numbers printed
// by torch 1.13.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/optim.h"

namespace {

using ag::Tensor;
using ag::nn::AdamW;
using ag::nn::NamedParams;
using ag::nn::OptimizerState;
using ag::nn::Sgd;

const std::vector<float> kStart = {1.0f, -2.0f, 0.5f};
const std::vector<std::vector<float>> kGrads = {
    {0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, 0.05f}, {0.25f, 0.0f, -0.6f}};

Tensor make_param(const std::vector<float>& v = kStart) {
  Tensor p = Tensor::from_vector(v, {int64_t(v.size())});
  p.requires_grad_(true);
  return p;
}

void set_grad(Tensor& p, const std::vector<float>& g) {
  p.set_grad(Tensor::from_vector(g, {int64_t(g.size())}));
}

void expect_near_all(const std::vector<float>& got, const std::vector<double>& want, double tol,
                     const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol) << what << "[" << i << "]";
}

// |got - want| <= rel |want| for every element.
void expect_rel_all(const std::vector<float>& got, const std::vector<double>& want, double rel,
                    const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rel * std::abs(want[i])) << what << "[" << i << "]";
}

// Runs AdamW(lr 0.1, betas 0.9 / 0.999, eps 1e-8, wd 0.01) for two steps on kStart with kGrads
// and the same update written out in double. Returns {param, exp_avg, exp_avg_sq} of both.
struct AdamWRun {
  std::vector<float> p, m, v;
  std::vector<double> ref_p, ref_m, ref_v;
};

// torch.optim.AdamW (single-tensor path), written out in double:
//   p <- p (1 - lr wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
AdamWRun run_adamw_two_steps() {
  const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
  Tensor p = make_param();
  AdamW opt({{"p", &p}}, lr, b1, b2, eps, wd);
  AdamWRun run;
  run.ref_p.assign(kStart.begin(), kStart.end());
  run.ref_m.assign(3, 0.0);
  run.ref_v.assign(3, 0.0);
  for (int t = 1; t <= 2; ++t) {
    const std::vector<float>& g = kGrads[size_t(t - 1)];
    for (size_t i = 0; i < 3; ++i) {
      run.ref_p[i] *= 1.0 - lr * wd;
      run.ref_m[i] = b1 * run.ref_m[i] + (1.0 - b1) * g[i];
      run.ref_v[i] = b2 * run.ref_v[i] + (1.0 - b2) * double(g[i]) * g[i];
      const double denom = std::sqrt(run.ref_v[i]) / std::sqrt(1.0 - std::pow(b2, t)) + eps;
      run.ref_p[i] -= lr / (1.0 - std::pow(b1, t)) * run.ref_m[i] / denom;
    }
    set_grad(p, g);
    opt.step();
    if (t == 1) {
      // After one step each entry moves by about lr against its gradient's sign (|m_hat| =
      // sqrt(v_hat) when there is one gradient): a check of the reference itself.
      for (size_t i = 0; i < 3; ++i) {
        EXPECT_NEAR(run.ref_p[i], kStart[i] * (1.0 - lr * wd) - lr * (g[i] > 0 ? 1 : -1), 1e-6);
      }
    }
  }
  const OptimizerState st = opt.state();
  EXPECT_EQ(st.step, 2);
  EXPECT_EQ(st.tensors.size(), 2u);
  EXPECT_EQ(st.tensors[0].first, "exp_avg/p");
  EXPECT_EQ(st.tensors[1].first, "exp_avg_sq/p");
  run.p = p.to_vector();
  run.m = st.tensors[0].second.to_vector();
  run.v = st.tensors[1].second.to_vector();
  return run;
}

TEST(AdamW, MatchesHandComputedTwoSteps) {
  const AdamWRun run = run_adamw_two_steps();
  expect_near_all(run.p, run.ref_p, 1e-6, "param");
  expect_near_all(run.m, run.ref_m, 1e-7, "exp_avg");
}

// exp_avg_sq with beta2 = 0.999: 1 - beta2 must be formed in double, as PyTorch does (in
// float, 1 - 0.999f = 0.00099998713 leaves v 1.3e-5 too small).
TEST(AdamW, ExpAvgSqMatchesPyTorchWithBeta2_0999) {
  const AdamWRun run = run_adamw_two_steps();
  expect_rel_all(run.v, run.ref_v, 2e-6, "exp_avg_sq");
}

// Numbers from torch 1.13: torch.optim.AdamW([p], lr=0.05, betas=(0.8, 0.99), eps=1e-6,
// weight_decay=0.1) on p = [1, -2, 0.5] with the gradients kGrads, printed with %.9g.
TEST(AdamW, MatchesTorchThreeSteps) {
  const std::vector<std::vector<double>> torch_params = {{0.94500047, -1.9400003, 0.447500169},
                                                         {0.970696688, -1.95505762, 0.407715917},
                                                         {0.966284335, -1.96322215, 0.425036043}};
  const std::vector<double> torch_exp_avg = {-0.00120000169, 0.0544000044, -0.0736000016};
  const std::vector<double> torch_exp_avg_sq = {0.00230701012, 0.00286703999, 0.00450684037};
  Tensor p = make_param();
  AdamW opt({{"p", &p}}, 0.05, 0.8, 0.99, 1e-6, 0.1);
  for (size_t s = 0; s < 3; ++s) {
    set_grad(p, kGrads[s]);
    opt.step();
    expect_near_all(p.to_vector(), torch_params[s], 1e-6, "param");
  }
  const OptimizerState st = opt.state();
  EXPECT_EQ(st.step, 3);
  expect_near_all(st.tensors[0].second.to_vector(), torch_exp_avg, 1e-8, "exp_avg");
  // Relative: v is ~1e-3, so an absolute 1e-6 would check nothing.
  expect_rel_all(st.tensors[1].second.to_vector(), torch_exp_avg_sq, 2e-6, "exp_avg_sq");
}

// torch.optim.SGD: g <- g + wd p;  buf <- g (first step) or momentum buf + g;  p <- p - lr buf
TEST(Sgd, MatchesHandComputedMomentum) {
  const double lr = 0.1, mom = 0.9, wd = 0.01;
  Tensor p = make_param();
  Sgd opt({{"p", &p}}, lr, mom, wd);
  std::vector<double> ref(kStart.begin(), kStart.end()), buf(3, 0.0);
  for (size_t s = 0; s < 3; ++s) {
    for (size_t i = 0; i < 3; ++i) {
      const double g = kGrads[s][i] + wd * ref[i];
      buf[i] = s == 0 ? g : mom * buf[i] + g;
      ref[i] -= lr * buf[i];
    }
    set_grad(p, kGrads[s]);
    opt.step();
    expect_near_all(p.to_vector(), ref, 1e-6, "param");
  }
  const OptimizerState st = opt.state();
  ASSERT_EQ(st.tensors.size(), 1u);
  EXPECT_EQ(st.tensors[0].first, "momentum_buffer/p");
  expect_near_all(st.tensors[0].second.to_vector(), buf, 1e-6, "momentum_buffer");
}

// Numbers from torch 1.13: torch.optim.SGD([p], lr=0.2, momentum=0.5, weight_decay=0.05).
TEST(Sgd, MatchesTorchThreeSteps) {
  const std::vector<std::vector<double>> torch_params = {{0.969999969, -1.93999994, 0.435000002},
                                                         {1.02530003, -1.99059999, 0.388150007},
                                                         {0.992697001, -1.99599397, 0.480843514}};
  const std::vector<double> torch_buf = {0.163015008, 0.0269699916, -0.463467509};
  Tensor p = make_param();
  Sgd opt({{"p", &p}}, 0.2f, 0.5f, 0.05f);
  for (size_t s = 0; s < 3; ++s) {
    set_grad(p, kGrads[s]);
    opt.step();
    expect_near_all(p.to_vector(), torch_params[s], 1e-6, "param");
  }
  expect_near_all(opt.state().tensors[0].second.to_vector(), torch_buf, 1e-6, "momentum_buffer");
}

TEST(Sgd, WithoutMomentumIsPlainGradientDescentAndKeepsNoState) {
  Tensor p = make_param();
  Sgd opt({{"p", &p}}, 0.5f, 0.0f);
  set_grad(p, kGrads[0]);
  opt.step();
  expect_near_all(p.to_vector(), {1.0 - 0.05, -2.0 + 0.1, 0.5 - 0.15}, 1e-7, "param");
  EXPECT_TRUE(opt.state().tensors.empty());
  EXPECT_EQ(opt.state().step, 1);
}

TEST(Optimizer, SkipsParametersWithoutGradientAndCreatesStateLazily) {
  Tensor a = make_param(), b = make_param({3.0f, 4.0f});
  AdamW opt({{"a", &a}, {"b", &b}}, 0.1f);
  set_grad(a, kGrads[0]);
  opt.step();
  EXPECT_EQ(b.to_vector(), std::vector<float>({3.0f, 4.0f}));  // untouched, not even decayed
  const OptimizerState st = opt.state();
  ASSERT_EQ(st.tensors.size(), 2u);  // only a's exp_avg / exp_avg_sq
  EXPECT_EQ(st.tensors[0].first, "exp_avg/a");
  EXPECT_EQ(st.tensors[1].first, "exp_avg_sq/a");
}

TEST(Optimizer, ZeroGradDropsGradients) {
  Tensor a = make_param();
  Sgd opt({{"a", &a}}, 0.1f);
  set_grad(a, kGrads[0]);
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  opt.step();  // no gradient: nothing happens
  EXPECT_EQ(a.to_vector(), kStart);
}

TEST(Optimizer, LoadStateContinuesExactly) {
  Tensor a = make_param(), a2 = make_param();
  AdamW opt({{"a", &a}}, 0.05f), opt2({{"a", &a2}}, 0.05f);
  for (size_t s = 0; s < 2; ++s) {
    set_grad(a, kGrads[s]);
    opt.step();
  }
  OptimizerState st = opt.state();
  for (auto& [name, t] : st.tensors) t = t.clone();  // as if read back from a file
  ag::copy_(a2, a);
  opt2.load_state(st);
  set_grad(a, kGrads[2]);
  set_grad(a2, kGrads[2]);
  opt.step();
  opt2.step();
  EXPECT_EQ(a.to_vector(), a2.to_vector());  // bit-exact: same state, same step count
  EXPECT_EQ(opt2.state().step, 3);
}

TEST(Optimizer, LoadStateRejectsMismatchesNamingThem) {
  Tensor a = make_param();
  AdamW opt({{"enc.w", &a}}, 0.1f);
  auto expect_error = [&](const OptimizerState& st, const std::string& needle) {
    try {
      opt.load_state(st);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const ag::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  OptimizerState bad_shape{
      1, {{"exp_avg/enc.w", Tensor::zeros({2})}, {"exp_avg_sq/enc.w", Tensor::zeros({3})}}};
  expect_error(bad_shape, "exp_avg/enc.w");
  OptimizerState unknown{1, {{"exp_avg/other", Tensor::zeros({3})}}};
  expect_error(unknown, "exp_avg/other");
  OptimizerState half{1, {{"exp_avg/enc.w", Tensor::zeros({3})}}};
  expect_error(half, "enc.w");
  OptimizerState negative{-1, {}};
  expect_error(negative, "step");
  Sgd sgd({{"enc.w", &a}}, 0.1f);
  try {
    sgd.load_state({1, {{"exp_avg/enc.w", Tensor::zeros({3})}}});
    ADD_FAILURE() << "Sgd accepted AdamW state";
  } catch (const ag::Error& e) {
    EXPECT_NE(std::string(e.what()).find("exp_avg/enc.w"), std::string::npos) << e.what();
  }
  // A failed load changes nothing: the optimizer still has no state.
  EXPECT_EQ(opt.state().step, 0);
  EXPECT_TRUE(opt.state().tensors.empty());
}

TEST(Optimizer, RejectsBadHyperparameters) {
  Tensor a = make_param();
  EXPECT_THROW(AdamW({{"a", &a}}, 0.1f, 1.0f), ag::Error);
  EXPECT_THROW(AdamW({{"a", &a}}, -0.1f), ag::Error);
  EXPECT_THROW(Sgd({{"a", &a}}, 0.1f, -0.5f), ag::Error);
  EXPECT_THROW(Sgd({{"a", &a}, {"a", &a}}, 0.1f), ag::Error);  // duplicate name
}

// --- gradient norms ------------------------------------------------------------------------

struct ThreeParams {
  Tensor w1 = make_param(), b1 = make_param({0.0f}), w2 = make_param({0.0f, 0.0f});
  NamedParams named() { return {{"enc.0.ffn.w", &w1}, {"enc.0.ffn.b", &b1}, {"head.weight", &w2}}; }
  ThreeParams() {
    set_grad(w1, {1.0f, 2.0f, 2.0f});  // squares sum to 9
    set_grad(b1, {4.0f});              // 16
    set_grad(w2, {0.0f, 12.0f});       // 144
  }
};

TEST(GradNorm, GlobalNormIsTheL2NormOfAllGradients) {
  ThreeParams p;
  EXPECT_NEAR(ag::nn::global_grad_norm(p.named()), 13.0f, 1e-5);  // sqrt(9 + 16 + 144)
  p.w2.zero_grad();                                               // missing grads are skipped
  EXPECT_NEAR(ag::nn::global_grad_norm(p.named()), 5.0f, 1e-6);
}

TEST(GradNorm, ByPrefixGroupsNamesCutAfterDepthDots) {
  ThreeParams p;
  const auto d3 = ag::nn::grad_norms_by_prefix(p.named(), 3);
  ASSERT_EQ(d3.size(), 2u);
  EXPECT_NEAR(d3.at("enc.0.ffn"), 5.0f, 1e-6);
  EXPECT_NEAR(d3.at("head.weight"), 12.0f, 1e-6);  // fewer dots than depth: the whole name
  const auto d1 = ag::nn::grad_norms_by_prefix(p.named(), 1);
  ASSERT_EQ(d1.size(), 2u);
  EXPECT_NEAR(d1.at("enc"), 5.0f, 1e-6);
  EXPECT_NEAR(d1.at("head"), 12.0f, 1e-6);
  EXPECT_THROW(ag::nn::grad_norms_by_prefix(p.named(), 0), ag::Error);
}

TEST(GradNorm, ClipScalesToMaxNormAndReturnsTheNormBefore) {
  ThreeParams p;
  const float before = ag::nn::clip_grad_norm(p.named(), 6.5f);
  EXPECT_NEAR(before, 13.0f, 1e-5);
  const double coef = 6.5 / (13.0 + 1e-6);  // torch's clip coefficient
  expect_near_all(p.w1.grad().to_vector(), {coef, 2 * coef, 2 * coef}, 1e-6, "w1.grad");
  EXPECT_NEAR(ag::nn::global_grad_norm(p.named()), 6.5f, 1e-5);
  // Below the threshold: untouched.
  const float again = ag::nn::clip_grad_norm(p.named(), 100.0f);
  EXPECT_NEAR(again, 6.5f, 1e-5);
  EXPECT_NEAR(p.b1.grad().to_vector()[0], 4 * coef, 1e-6);
}

}  // namespace
