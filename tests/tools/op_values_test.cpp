// explain's answers for a handful of ops against references computed here, in double, from the
// formulas (not through the engine): SwiGLU, GeGLU, matmul (2-D, batched, shared weight), layer
// norm, cross-entropy, softmax, embedding, split; and the per-element table of a unary op.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "tests/tools/cli_helpers.h"

namespace {

using explain_test::expect_close;
using explain_test::Json;
using explain_test::run_spec_json;
using explain_test::tensor;
using explain_test::values_of;
using Vec = std::vector<double>;

constexpr double kRel = 1e-5;  // float32 engine vs double reference
constexpr double kAbs = 1e-6;  // for values near zero

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

const Vec kA = {0.7, -1.3, 2.1, -0.2, 0.05, -3.0};
const Vec kB = {1.5, -0.4, 0.8, 2.2, -1.1, 0.6};
const Vec kG = {1.0, 0.5, -2.0, 1.5, -0.3, 0.9};

Json gated_spec(const char* op) {
  return Json{{"op", op},
              {"inputs", {{"a", tensor({2, 3}, kA)}, {"b", tensor({2, 3}, kB)}}},
              {"grad_output", tensor({2, 3}, kG)}};
}

TEST(ExplainValues, swiglu_forward_and_grads_match_the_formulas) {
  for (const char* op : {"swiglu", "swiglu_unfused"}) {
    SCOPED_TRACE(op);
    const Json j = run_spec_json(gated_spec(op));
    Vec h, da, db;
    for (size_t i = 0; i < kA.size(); ++i) {
      const double s = sigmoid(kA[i]), silu = kA[i] * s;
      const double dsilu = s * (1 + kA[i] * (1 - s));  // silu'(a)
      h.push_back(silu * kB[i]);
      da.push_back(kG[i] * kB[i] * dsilu);  // dL/da = g * b * silu'(a)
      db.push_back(kG[i] * silu);           // dL/db = g * silu(a)
    }
    expect_close(values_of(j["output"]), h, kRel, kAbs, "h");
    expect_close(values_of(j["grads"]["a"]), da, kRel, kAbs, "da");
    expect_close(values_of(j["grads"]["b"]), db, kRel, kAbs, "db");
    EXPECT_EQ(j["output"]["shape"], Json::array({2, 3}));
  }
}

TEST(ExplainValues, swiglu_beta_param_scales_the_gate) {
  Json spec = gated_spec("swiglu");
  const double beta = 1.7;
  spec["params"] = Json{{"beta", beta}};
  const Json j = run_spec_json(spec);
  Vec h, da;
  for (size_t i = 0; i < kA.size(); ++i) {
    const double s = sigmoid(beta * kA[i]);
    h.push_back(kA[i] * s * kB[i]);
    da.push_back(kG[i] * kB[i] * s * (1 + beta * kA[i] * (1 - s)));
  }
  expect_close(values_of(j["output"]), h, kRel, kAbs, "h");
  expect_close(values_of(j["grads"]["a"]), da, kRel, kAbs, "da");
}

TEST(ExplainValues, geglu_erf_and_tanh_match_the_formulas) {
  for (const char* approx : {"none", "tanh"}) {
    SCOPED_TRACE(approx);
    Json spec = gated_spec("geglu");
    spec["params"] = Json{{"approximate", approx}};
    const Json j = run_spec_json(spec);
    Vec h, da, db;
    for (size_t i = 0; i < kA.size(); ++i) {
      const double x = kA[i];
      double gelu, dgelu;
      if (std::string(approx) == "none") {
        const double cdf = 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
        const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
        gelu = x * cdf;
        dgelu = cdf + x * pdf;
      } else {
        const double k = std::sqrt(2 / M_PI), u = k * (x + 0.044715 * x * x * x);
        const double t = std::tanh(u);
        gelu = 0.5 * x * (1 + t);
        dgelu = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
      }
      h.push_back(gelu * kB[i]);
      da.push_back(kG[i] * kB[i] * dgelu);
      db.push_back(kG[i] * gelu);
    }
    expect_close(values_of(j["output"]), h, kRel, kAbs, "h");
    expect_close(values_of(j["grads"]["a"]), da, kRel, kAbs, "da");
    expect_close(values_of(j["grads"]["b"]), db, kRel, kAbs, "db");
  }
}

// C[b] = A[b] B[b];  dA[b] = G[b] B[b]^T;  dB[b] = A[b]^T G[b] (summed over b when B is shared).
void matmul_reference(const Vec& a, const Vec& b, const Vec& g, int batch, int m, int k, int n,
                      bool shared_b, Vec& c, Vec& da, Vec& db) {
  c.assign(size_t(batch * m * n), 0.0);
  da.assign(a.size(), 0.0);
  db.assign(b.size(), 0.0);
  for (int p = 0; p < batch; ++p) {
    const size_t ao = size_t(p * m * k), bo = shared_b ? 0 : size_t(p * k * n),
                 co = size_t(p * m * n);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        for (int q = 0; q < k; ++q) {
          c[co + size_t(i * n + j)] += a[ao + size_t(i * k + q)] * b[bo + size_t(q * n + j)];
          da[ao + size_t(i * k + q)] += g[co + size_t(i * n + j)] * b[bo + size_t(q * n + j)];
          db[bo + size_t(q * n + j)] += a[ao + size_t(i * k + q)] * g[co + size_t(i * n + j)];
        }
      }
    }
  }
}

Vec sequence(size_t n, double start, double step) {
  Vec v;
  for (size_t i = 0; i < n; ++i) v.push_back(start + step * double(i) - 0.37 * double(i % 3));
  return v;
}

TEST(ExplainValues, matmul_2d_batched_and_shared_weight_match_loops) {
  struct Case {
    std::vector<int64_t> a_shape, b_shape, c_shape;
    int batch, m, k, n;
    bool shared;
  };
  const std::vector<Case> cases = {
      {{2, 3}, {3, 4}, {2, 4}, 1, 2, 3, 4, false},
      {{2, 2, 3}, {2, 3, 2}, {2, 2, 2}, 2, 2, 3, 2, false},
      {{2, 2, 3}, {3, 2}, {2, 2, 2}, 2, 2, 3, 2, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.batch);
    const Vec a = sequence(size_t(c.batch * c.m * c.k), -1.1, 0.31);
    const Vec b = sequence(size_t((c.shared ? 1 : c.batch) * c.k * c.n), 0.9, -0.23);
    const Vec g = sequence(size_t(c.batch * c.m * c.n), 0.5, 0.17);
    Vec out, da, db;
    matmul_reference(a, b, g, c.batch, c.m, c.k, c.n, c.shared, out, da, db);
    const Json j =
        run_spec_json(Json{{"op", "matmul"},
                           {"inputs", {{"a", tensor(c.a_shape, a)}, {"b", tensor(c.b_shape, b)}}},
                           {"grad_output", tensor(c.c_shape, g)}});
    EXPECT_EQ(j["output"]["shape"], Json(c.c_shape));
    expect_close(values_of(j["output"]), out, kRel, kAbs, "C");
    expect_close(values_of(j["grads"]["a"]), da, kRel, kAbs, "dA");
    expect_close(values_of(j["grads"]["b"]), db, kRel, kAbs, "dB");
  }
}

TEST(ExplainValues, layer_norm_matches_a_double_reference) {
  const int rows = 3, cols = 5;
  const Vec x = sequence(rows * cols, -1.4, 0.27);
  const Vec w = {1.2, 0.7, -0.5, 1.0, 0.3};
  const Vec b = {0.1, -0.2, 0.0, 0.3, 0.05};
  const Vec g = sequence(rows * cols, 0.8, -0.11);
  const double eps = 1e-3;
  Vec y(x.size()), dx(x.size()), dw(cols, 0.0), db(cols, 0.0);
  for (int r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int c = 0; c < cols; ++c) mean += x[size_t(r * cols + c)] / cols;
    for (int c = 0; c < cols; ++c) var += std::pow(x[size_t(r * cols + c)] - mean, 2) / cols;
    const double rstd = 1 / std::sqrt(var + eps);
    Vec xhat(cols), dxhat(cols);
    double mean_dxhat = 0, mean_dxhat_xhat = 0;
    for (int c = 0; c < cols; ++c) {
      const size_t i = size_t(r * cols + c);
      xhat[size_t(c)] = (x[i] - mean) * rstd;
      y[i] = xhat[size_t(c)] * w[size_t(c)] + b[size_t(c)];
      dxhat[size_t(c)] = g[i] * w[size_t(c)];
      mean_dxhat += dxhat[size_t(c)] / cols;
      mean_dxhat_xhat += dxhat[size_t(c)] * xhat[size_t(c)] / cols;
      dw[size_t(c)] += g[i] * xhat[size_t(c)];
      db[size_t(c)] += g[i];
    }
    for (int c = 0; c < cols; ++c) {
      dx[size_t(r * cols + c)] =
          rstd * (dxhat[size_t(c)] - mean_dxhat - xhat[size_t(c)] * mean_dxhat_xhat);
    }
  }
  const Json j = run_spec_json(Json{{"op", "layer_norm"},
                                    {"inputs",
                                     {{"x", tensor({rows, cols}, x)},
                                      {"weight", tensor({cols}, w)},
                                      {"bias", tensor({cols}, b)}}},
                                    {"grad_output", tensor({rows, cols}, g)},
                                    {"params", {{"eps", eps}}}});
  expect_close(values_of(j["output"]), y, 1e-5, 1e-5, "y");
  expect_close(values_of(j["grads"]["x"]), dx, 1e-4, 1e-5, "dx");
  expect_close(values_of(j["grads"]["weight"]), dw, 1e-5, 1e-5, "dweight");
  expect_close(values_of(j["grads"]["bias"]), db, 1e-5, 1e-5, "dbias");

  // weight and bias are optional: without them y = xhat and only x gets a gradient
  const Json plain = run_spec_json(Json{{"op", "layer_norm"},
                                        {"inputs", {{"x", tensor({rows, cols}, x)}}},
                                        {"params", {{"eps", eps}}}});
  EXPECT_EQ(plain["grads"].size(), 1u);
  EXPECT_TRUE(plain["grads"].contains("x"));
}

TEST(ExplainValues, cross_entropy_matches_log_softmax_by_hand) {
  const int n = 3, c = 4;
  const Vec logits = sequence(n * c, -0.9, 0.4);
  const std::vector<int> targets = {2, 0, 3};
  const double upstream = 2.0;
  double loss = 0;
  Vec grad(logits.size());
  for (int r = 0; r < n; ++r) {
    double mx = -1e300, z = 0;
    for (int k = 0; k < c; ++k) mx = std::max(mx, logits[size_t(r * c + k)]);
    for (int k = 0; k < c; ++k) z += std::exp(logits[size_t(r * c + k)] - mx);
    const double lse = mx + std::log(z);
    loss += (lse - logits[size_t(r * c + targets[size_t(r)])]) / n;
    for (int k = 0; k < c; ++k) {
      const double p = std::exp(logits[size_t(r * c + k)] - lse);
      grad[size_t(r * c + k)] = upstream / n * (p - (k == targets[size_t(r)] ? 1.0 : 0.0));
    }
  }
  const Json j = run_spec_json(Json{
      {"op", "cross_entropy"},
      {"inputs",
       {{"logits", tensor({n, c}, logits)}, {"targets", Json{{"shape", {n}}, {"data", targets}}}}},
      {"grad_output", tensor({}, {upstream})}});
  EXPECT_EQ(j["output"]["shape"], Json::array());
  expect_close(values_of(j["output"]), {loss}, kRel, kAbs, "loss");
  expect_close(values_of(j["grads"]["logits"]), grad, kRel, kAbs, "dlogits");
  EXPECT_FALSE(j["grads"].contains("targets"));  // integers take no gradient
}

TEST(ExplainValues, softmax_over_dim_0_matches_by_hand) {
  const Vec x = {0.3, -1.2, 0.7, 1.5, -0.4, 2.1};  // [3, 2]: softmax down each column
  const Vec g = {1.0, -0.5, 0.25, 2.0, -1.0, 0.5};
  Vec y(6), dx(6);
  for (int col = 0; col < 2; ++col) {
    double z = 0, gy = 0;
    for (int r = 0; r < 3; ++r) z += std::exp(x[size_t(r * 2 + col)]);
    for (int r = 0; r < 3; ++r) y[size_t(r * 2 + col)] = std::exp(x[size_t(r * 2 + col)]) / z;
    for (int r = 0; r < 3; ++r) gy += g[size_t(r * 2 + col)] * y[size_t(r * 2 + col)];
    for (int r = 0; r < 3; ++r)
      dx[size_t(r * 2 + col)] = y[size_t(r * 2 + col)] * (g[size_t(r * 2 + col)] - gy);
  }
  const Json j = run_spec_json(Json{{"op", "softmax"},
                                    {"inputs", {{"x", tensor({3, 2}, x)}}},
                                    {"grad_output", tensor({3, 2}, g)},
                                    {"params", {{"dim", 0}}}});
  expect_close(values_of(j["output"]), y, kRel, kAbs, "y");
  expect_close(values_of(j["grads"]["x"]), dx, kRel, kAbs, "dx");
}

TEST(ExplainValues, embedding_scatter_adds_repeated_rows) {
  const Vec w = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};  // [3, 2]
  const Json j =
      run_spec_json(Json{{"op", "embedding"},
                         {"inputs",
                          {{"weight", tensor({3, 2}, w)},
                           {"indices", Json{{"shape", {2, 2}}, {"data", {0, 2, 2, 2}}}}}},
                         {"grad_output", tensor({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})}});
  EXPECT_EQ(j["output"]["shape"], Json::array({2, 2, 2}));
  expect_close(values_of(j["output"]), {0.1, 0.2, 0.5, 0.6, 0.5, 0.6, 0.5, 0.6}, kRel, kAbs, "y");
  // row 0 looked up once, row 1 never, row 2 three times
  expect_close(values_of(j["grads"]["weight"]), {1, 2, 0, 0, 3 + 5 + 7, 4 + 6 + 8}, kRel, kAbs,
               "dW");
}

TEST(ExplainValues, reductions_default_to_the_last_dim_and_take_lists_and_null) {
  const Vec x = {1, 2, 3, 4, 5, 6};
  const Json last = run_spec_json(Json{{"op", "sum"}, {"inputs", {{"x", tensor({2, 3}, x)}}}});
  EXPECT_EQ(last["output"]["shape"], Json::array({2}));
  expect_close(values_of(last["output"]), {6, 15}, kRel, kAbs, "sum over -1");
  const Json all = run_spec_json(
      Json{{"op", "mean"}, {"inputs", {{"x", tensor({2, 3}, x)}}}, {"params", {{"dim", nullptr}}}});
  EXPECT_EQ(all["output"]["shape"], Json::array());
  expect_close(values_of(all["output"]), {3.5}, kRel, kAbs, "mean of all");
  expect_close(values_of(all["grads"]["x"]), Vec(6, 1.0 / 6), kRel, kAbs, "dmean");
  const Json kept = run_spec_json(Json{{"op", "sum"},
                                       {"inputs", {{"x", tensor({2, 3}, x)}}},
                                       {"params", {{"dim", {0}}, {"keepdim", true}}}});
  EXPECT_EQ(kept["output"]["shape"], Json::array({1, 3}));
}

TEST(ExplainValues, split_returns_outputs_and_takes_one_gradient_per_piece) {
  const Vec x = {1, 2, 3, 4, 5, 6};  // [2, 3] split along dim 1 into [2, 1] and [2, 2]
  Json spec = {{"op", "split"},
               {"inputs", {{"x", tensor({2, 3}, x)}}},
               {"params", {{"sizes", {1, 2}}, {"dim", 1}}},
               {"grad_output", {tensor({2, 1}, {10, 40}), tensor({2, 2}, {20, 30, 50, 60})}}};
  const Json j = run_spec_json(spec);
  ASSERT_EQ(j["outputs"].size(), 2u);
  EXPECT_FALSE(j.contains("output"));
  EXPECT_EQ(values_of(j["outputs"][0]), (Vec{1, 4}));
  EXPECT_EQ(values_of(j["outputs"][1]), (Vec{2, 3, 5, 6}));
  EXPECT_EQ(values_of(j["grads"]["x"]), (Vec{10, 20, 30, 40, 50, 60}));
  // the same gradient given whole, shaped like x, is cut the same way
  spec["grad_output"] = tensor({2, 3}, {10, 20, 30, 40, 50, 60});
  EXPECT_EQ(values_of(run_spec_json(spec)["grads"]["x"]), (Vec{10, 20, 30, 40, 50, 60}));
}

TEST(ExplainValues, grad_output_defaults_to_ones) {
  const Json j = run_spec_json(Json{
      {"op", "mul"}, {"inputs", {{"a", tensor({3}, {1, 2, 3})}, {"b", tensor({3}, {4, 5, 6})}}}});
  EXPECT_EQ(values_of(j["grads"]["a"]), (Vec{4, 5, 6}));
  EXPECT_EQ(values_of(j["grads"]["b"]), (Vec{1, 2, 3}));
}

// Human mode of an elementwise op: one row per element, downstream = upstream * local.
TEST(ExplainValues, unary_table_shows_the_chain_rule_per_element) {
  const Vec x = {-2.0, 0.5, 3.0};
  const Vec g = {2.0, -1.0, 0.5};
  const explain_test::CliResult r = explain_test::run_cli(
      {},
      ag::explain::dump_json(Json{
          {"op", "silu"}, {"inputs", {{"x", tensor({3}, x)}}}, {"grad_output", tensor({3}, g)}}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("local f'(x)"));
  std::istringstream lines(r.out);
  std::string line;
  size_t rows = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("[", 0) != 0) continue;  // table rows start with the element index
    std::istringstream cells(line);
    std::string index;
    double xi, y, local, up, down;
    cells >> index >> xi >> y >> local >> up >> down;
    ASSERT_TRUE(cells) << line;
    const double s = sigmoid(xi);
    EXPECT_NEAR(y, xi * s, 2e-6) << line;
    EXPECT_NEAR(local, s * (1 + xi * (1 - s)), 2e-6) << line;
    EXPECT_NEAR(up, g[rows], 1e-6) << line;
    EXPECT_NEAR(down, up * local, 2e-6) << line;
    ++rows;
  }
  EXPECT_EQ(rows, x.size());
}

}  // namespace
