#include "tools/explain_cli/ops_table.h"

#include <algorithm>

#include "core/ops.h"
#include "tools/explain_cli/input_error.h"

namespace ag::explain {

namespace {

using math::UnaryOp;
using math::UnaryParams;
using Outputs = std::vector<Tensor>;

const std::vector<InputSlot> kX = {{"x", ValueKind::Float}};
const std::vector<InputSlot> kAB = {{"a", ValueKind::Float}, {"b", ValueKind::Float}};
const std::vector<InputSlot> kGateUp = {{"a", ValueKind::Float, false, "gate"},
                                        {"b", ValueKind::Float, false, "up"}};

Elementwise elementwise(UnaryOp op, UnaryParams p = {}) {
  return Elementwise{op, p};
}

constexpr auto scalar_param = &UnaryParams::with_scalar;
constexpr auto alpha_param = &UnaryParams::with_alpha;
constexpr auto beta_param = &UnaryParams::with_beta;

float num(const Params& p, const char* name, double fallback) {
  return float(p.number(name, fallback));
}

GeluApprox gelu_approx(const Params& p) {
  return p.choice("approximate", {"none", "tanh"}, "none") == "tanh" ? GeluApprox::Tanh
                                                                     : GeluApprox::None;
}

// Python-style negative positions for slice: -1 is the last element.
int64_t slice_position(int64_t pos, int64_t size) {
  return pos < 0 ? pos + size : pos;
}

// The elementwise unary ops: forward through `run`, derivative from the functor `fn`.
OpEntry unary_entry(const char* name, std::vector<const char*> params, const char* forward,
                    const char* backward, std::function<Tensor(const Tensor&, const Params&)> run,
                    std::function<Elementwise(const Params&)> fn) {
  return OpEntry{
      .name = name,
      .inputs = kX,
      .params = std::move(params),
      .forward = forward,
      .backward = backward,
      .run = [run](const OpArgs& a) { return Outputs{run(a["x"], a.params)}; },
      .elementwise = std::move(fn),
  };
}

OpEntry binary_entry(const char* name, const char* forward, const char* backward,
                     Tensor (*op)(const Tensor&, const Tensor&)) {
  return OpEntry{
      .name = name,
      .inputs = kAB,
      .params = {},
      .forward = forward,
      .backward = backward,
      .run = [op](const OpArgs& a) { return Outputs{op(a["a"], a["b"])}; },
  };
}

std::vector<OpEntry> make_table() {
  std::vector<OpEntry> t;

  // --- elementwise arithmetic ----------------------------------------------------------------
  t.push_back(binary_entry("add", "y = a + b (broadcasting)",
                           "da = g, db = g (each summed back over its broadcast dims)", &ag::add));
  t.push_back(
      binary_entry("sub", "y = a - b (broadcasting)", "da = g, db = -g (summed back)", &ag::sub));
  t.push_back(binary_entry("mul", "y = a * b (broadcasting)",
                           "da = g * b, db = g * a (summed back)", &ag::mul));
  t.push_back(binary_entry("div", "y = a / b (broadcasting)",
                           "da = g / b, db = -g * a / b^2 (summed back)", &ag::div));
  t.push_back(unary_entry(
      "neg", {}, "y = -x", "dx = -g", [](const Tensor& x, const Params&) { return ag::neg(x); },
      [](const Params&) { return elementwise(UnaryOp::Neg); }));
  t.push_back(unary_entry(
      "add_scalar", {"scalar"}, "y = x + scalar", "dx = g",
      [](const Tensor& x, const Params& p) {
        return ag::add(x, float(p.required_number("scalar")));
      },
      [](const Params& p) {
        return elementwise(UnaryOp::AddScalar, scalar_param(num(p, "scalar", 0)));
      }));
  t.push_back(unary_entry(
      "sub_scalar", {"scalar"}, "y = x - scalar", "dx = g",
      [](const Tensor& x, const Params& p) {
        return ag::sub(x, float(p.required_number("scalar")));
      },
      [](const Params& p) {
        return elementwise(UnaryOp::SubScalar, scalar_param(num(p, "scalar", 0)));
      }));
  t.push_back(unary_entry(
      "rsub_scalar", {"scalar"}, "y = scalar - x", "dx = -g",
      [](const Tensor& x, const Params& p) {
        return ag::rsub(float(p.required_number("scalar")), x);
      },
      [](const Params& p) {
        return elementwise(UnaryOp::RSubScalar, scalar_param(num(p, "scalar", 0)));
      }));
  t.push_back(unary_entry(
      "mul_scalar", {"scalar"}, "y = x * scalar", "dx = g * scalar",
      [](const Tensor& x, const Params& p) {
        return ag::mul(x, float(p.required_number("scalar")));
      },
      [](const Params& p) {
        return elementwise(UnaryOp::MulScalar, scalar_param(num(p, "scalar", 0)));
      }));
  t.push_back(unary_entry(
      "div_scalar", {"scalar"}, "y = x / scalar", "dx = g / scalar",
      [](const Tensor& x, const Params& p) {
        return ag::div(x, float(p.required_number("scalar")));
      },
      [](const Params& p) {
        return elementwise(UnaryOp::DivScalar, scalar_param(num(p, "scalar", 0)));
      }));
  t.push_back(unary_entry(
      "exp", {}, "y = e^x", "dx = g * e^x",
      [](const Tensor& x, const Params&) { return ag::exp(x); },
      [](const Params&) { return elementwise(UnaryOp::Exp); }));
  t.push_back(unary_entry(
      "log", {}, "y = ln x", "dx = g / x",
      [](const Tensor& x, const Params&) { return ag::log(x); },
      [](const Params&) { return elementwise(UnaryOp::Log); }));
  t.push_back(unary_entry(
      "sqrt", {}, "y = sqrt(x)", "dx = g / (2 sqrt(x))",
      [](const Tensor& x, const Params&) { return ag::sqrt(x); },
      [](const Params&) { return elementwise(UnaryOp::Sqrt); }));
  t.push_back(unary_entry(
      "pow", {"exponent"}, "y = x^p  (p = exponent)", "dx = g * p x^(p-1)  (0 when p = 0)",
      [](const Tensor& x, const Params& p) {
        return ag::pow(x, float(p.required_number("exponent")));
      },
      [](const Params& p) {
        return elementwise(UnaryOp::Pow, scalar_param(num(p, "exponent", 0)));
      }));

  // --- activations ---------------------------------------------------------------------------
  t.push_back(unary_entry(
      "relu", {}, "y = max(x, 0)", "dx = g * [x > 0]   (relu'(0) = 0, as in PyTorch)",
      [](const Tensor& x, const Params&) { return ag::relu(x); },
      [](const Params&) { return elementwise(UnaryOp::Relu); }));
  t.push_back(unary_entry(
      "leaky_relu", {"alpha"}, "y = x if x > 0 else alpha x   (alpha = 0.01 by default)",
      "dx = g * (1 if x > 0 else alpha)",
      [](const Tensor& x, const Params& p) { return ag::leaky_relu(x, num(p, "alpha", 0.01)); },
      [](const Params& p) {
        return elementwise(UnaryOp::LeakyRelu, alpha_param(num(p, "alpha", 0.01)));
      }));
  t.push_back(unary_entry(
      "elu", {"alpha"}, "y = x if x > 0 else alpha (e^x - 1)",
      "dx = g * (1 if x > 0 else alpha e^x)",
      [](const Tensor& x, const Params& p) { return ag::elu(x, num(p, "alpha", 1.0)); },
      [](const Params& p) {
        return elementwise(UnaryOp::Elu, alpha_param(num(p, "alpha", 1.0)));
      }));
  t.push_back(unary_entry(
      "selu", {}, "y = scale (x if x > 0 else alpha (e^x - 1)), scale 1.0507, alpha 1.6733",
      "dx = g * scale (1 if x > 0 else alpha e^x)",
      [](const Tensor& x, const Params&) { return ag::selu(x); },
      [](const Params&) { return elementwise(UnaryOp::Selu); }));
  t.push_back(unary_entry(
      "gelu", {"approximate"},
      "y = x Phi(x)  (\"tanh\": x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))))",
      "dx = g * (Phi(x) + x phi(x))  (or the derivative of the tanh form)",
      [](const Tensor& x, const Params& p) { return ag::gelu(x, gelu_approx(p)); },
      [](const Params& p) {
        return elementwise(gelu_approx(p) == GeluApprox::Tanh ? UnaryOp::GeluTanh
                                                              : UnaryOp::GeluErf);
      }));
  t.push_back(unary_entry(
      "silu", {}, "y = x sigmoid(x)", "dx = g * s (1 + x (1 - s)),  s = sigmoid(x)",
      [](const Tensor& x, const Params&) { return ag::silu(x); },
      [](const Params&) { return elementwise(UnaryOp::Swish, beta_param(1.0f)); }));
  t.push_back(unary_entry(
      "swish", {"beta"}, "y = x sigmoid(beta x)",
      "dx = g * s (1 + beta x (1 - s)),  s = sigmoid(beta x)",
      [](const Tensor& x, const Params& p) { return ag::swish(x, num(p, "beta", 1.0)); },
      [](const Params& p) {
        return elementwise(UnaryOp::Swish, beta_param(num(p, "beta", 1.0)));
      }));
  t.push_back(unary_entry(
      "mish", {}, "y = x tanh(softplus(x))",
      "dx = g * (tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2)),  sp = softplus(x)",
      [](const Tensor& x, const Params&) { return ag::mish(x); },
      [](const Params&) { return elementwise(UnaryOp::Mish); }));
  t.push_back(unary_entry(
      "sigmoid", {}, "y = 1 / (1 + e^-x)", "dx = g * y (1 - y)",
      [](const Tensor& x, const Params&) { return ag::sigmoid(x); },
      [](const Params&) { return elementwise(UnaryOp::Sigmoid); }));
  t.push_back(unary_entry(
      "tanh", {}, "y = tanh(x)", "dx = g * (1 - y^2)",
      [](const Tensor& x, const Params&) { return ag::tanh(x); },
      [](const Params&) { return elementwise(UnaryOp::Tanh); }));
  t.push_back(unary_entry(
      "softplus", {"beta"}, "y = ln(1 + e^(beta x)) / beta   (y = x where beta x > 20)",
      "dx = g * sigmoid(beta x)",
      [](const Tensor& x, const Params& p) { return ag::softplus(x, num(p, "beta", 1.0)); },
      [](const Params& p) {
        return elementwise(UnaryOp::Softplus, beta_param(num(p, "beta", 1.0)));
      }));
  t.push_back(
      OpEntry{"dropout",
              kX,
              {"p", "seed", "training"},
              "y = x * keep / (1 - p), keep ~ Bernoulli(1 - p) from the engine's generator (seed)",
              "dx = g * keep / (1 - p)  (the same mask)",
              [](const OpArgs& a) {
                const int64_t seed = a.params.integer("seed", 0);
                if (seed < 0) input_error("param 'seed' of dropout must be >= 0, got ", seed);
                Generator gen{static_cast<uint64_t>(seed)};
                return Outputs{ag::dropout(a["x"], num(a.params, "p", 0.5), gen,
                                           a.params.boolean("training", true))};
              }});

  // --- gated linear units --------------------------------------------------------------------
  t.push_back(OpEntry{"swiglu",
                      kGateUp,
                      {"beta"},
                      "h = swish_beta(a) * b = a sigmoid(beta a) * b  (beta = 1: silu)",
                      "da = g * b * swish'(a),  db = g * swish(a)  (fused: one kernel each way)",
                      [](const OpArgs& a) {
                        const float beta = num(a.params, "beta", 1.0);
                        if (beta == 1.0f) return Outputs{ag::swiglu(a["a"], a["b"])};
                        return Outputs{
                            ag::gated(a["a"], a["b"], UnaryOp::Swish, beta_param(beta), "swiglu")};
                      }});
  t.push_back(OpEntry{"swiglu_unfused",
                      kGateUp,
                      {"beta"},
                      "h = mul(silu(a), b): the same value as two ops",
                      "mul: dsilu = g * b, db = g * silu(a);  silu: da = dsilu * silu'(a)",
                      [](const OpArgs& a) {
                        const float beta = num(a.params, "beta", 1.0);
                        if (beta == 1.0f) return Outputs{ag::swiglu_unfused(a["a"], a["b"])};
                        AG_CHECK(a["a"].shape() == a["b"].shape(), "swiglu_unfused: gate a ",
                                 to_string(a["a"].shape()), " and up b ", to_string(a["b"].shape()),
                                 " must have the same shape");
                        return Outputs{ag::mul(ag::swish(a["a"], beta), a["b"])};
                      }});
  t.push_back(OpEntry{
      "geglu",
      kGateUp,
      {"approximate"},
      "h = gelu(a) * b",
      "da = g * b * gelu'(a),  db = g * gelu(a)  (fused)",
      [](const OpArgs& a) { return Outputs{ag::geglu(a["a"], a["b"], gelu_approx(a.params))}; }});

  // --- matrix products and layout ------------------------------------------------------------
  t.push_back(binary_entry("matmul", "C = A @ B  ([M,K] @ [K,N], batched [...,M,K] @ [...,K,N])",
                           "dA = G @ B^T,  dB = A^T @ G  (summed over the batch for a shared B)",
                           &ag::matmul));
  t.push_back(OpEntry{"transpose",
                      kX,
                      {"dim0", "dim1"},
                      "y = x with dims dim0 and dim1 swapped (default: the last two)",
                      "dx = transpose(g, dim0, dim1)",
                      [](const OpArgs& a) {
                        return Outputs{ag::transpose(a["x"], a.params.integer("dim0", -2),
                                                     a.params.integer("dim1", -1))};
                      }});
  t.push_back(OpEntry{"permute",
                      kX,
                      {"dims"},
                      "y = x with its dims reordered as `dims`",
                      "dx = permute(g, inverse of dims)",
                      [](const OpArgs& a) {
                        return Outputs{ag::permute(a["x"], a.params.required_int_list("dims"))};
                      }});
  t.push_back(OpEntry{
      "reshape",
      kX,
      {"shape"},
      "y = x viewed as `shape` (one size may be -1)",
      "dx = g viewed as x's shape",
      [](const OpArgs& a) {
        const Shape shape = a.params.required_int_list("shape");
        // The engine multiplies the sizes in int64; a product that overflows
        // could wrap around to x's element count, so refuse it here.
        int64_t product = 1;
        for (int64_t d : shape) {
          if (d < -1 || __builtin_mul_overflow(product, std::max<int64_t>(d, 1), &product) ||
              product > (int64_t(1) << 40)) {
            input_error("param 'shape' of reshape: ", to_string(shape), " is not a valid shape");
          }
        }
        return Outputs{ag::reshape(a["x"], shape)};
      }});
  t.push_back(
      OpEntry{"slice",
              kX,
              {"dim", "start", "end"},
              "y = x[start:end] along dim (default dim 0; negative positions count from the end)",
              "dx = zeros with g placed at [start:end]",
              [](const OpArgs& a) {
                const Tensor& x = a["x"];
                const int dim = normalize_dim(a.params.integer("dim", 0), x.ndim(), "slice");
                const int64_t size = x.shape()[size_t(dim)];
                const int64_t start = slice_position(a.params.integer("start", 0), size);
                const int64_t end = slice_position(a.params.integer("end", size), size);
                return Outputs{ag::slice(x, dim, start, end)};
              }});
  t.push_back(OpEntry{
      "split",
      kX,
      {"sizes", "split_size", "dim"},
      "[y0, y1, ...] = pieces of x along dim (default 0): `sizes` each, or `split_size` chunks",
      "dx = concat(g0, g1, ...) along dim",
      [](const OpArgs& a) {
        const int64_t dim = a.params.integer("dim", 0);
        if (a.params.has("sizes") == a.params.has("split_size")) {
          input_error("split needs exactly one of the params 'sizes' (a list) or 'split_size'");
        }
        if (a.params.has("sizes")) {
          const std::vector<int64_t> sizes = a.params.required_int_list("sizes");
          const int64_t n = a["x"].shape()[size_t(normalize_dim(dim, a["x"].ndim(), "split"))];
          for (int64_t s : sizes) {  // bounded sizes: their sum cannot overflow in the engine
            if (s < 0 || s > n) input_error("split: size ", s, " is outside [0, ", n, "]");
          }
          return ag::split(a["x"], sizes, dim);
        }
        return ag::split(a["x"], a.params.required_integer("split_size"), dim);
      },
      nullptr,
      true});
  t.push_back(OpEntry{"concat",
                      kAB,
                      {"dim"},
                      "y = [a | b] along dim (default 0)",
                      "da, db = the matching slices of g",
                      [](const OpArgs& a) {
                        return Outputs{ag::concat({a["a"], a["b"]}, a.params.integer("dim", 0))};
                      }});

  // --- reductions and row-wise ops -----------------------------------------------------------
  for (const bool is_mean : {false, true}) {
    t.push_back(OpEntry{is_mean ? "mean" : "sum",
                        kX,
                        {"dim", "keepdim"},
                        is_mean ? "y = mean of x over dim (int, list, or null = all; default -1)"
                                : "y = sum of x over dim (int, list, or null = all; default -1)",
                        is_mean ? "dx = g broadcast back over the reduced dims / n"
                                : "dx = g broadcast back over the reduced dims",
                        [is_mean](const OpArgs& a) {
                          const Tensor& x = a["x"];
                          const bool keepdim = a.params.boolean("keepdim", false);
                          std::optional<std::vector<int64_t>> dims = a.params.dims("dim", {-1});
                          if (!dims && !keepdim) return Outputs{is_mean ? ag::mean(x) : ag::sum(x)};
                          if (!dims) {  // all dims, kept as size 1
                            dims.emplace();
                            for (int d = 0; d < x.ndim(); ++d) dims->push_back(d);
                          }
                          return Outputs{is_mean ? ag::mean(x, *dims, keepdim)
                                                 : ag::sum(x, *dims, keepdim)};
                        }});
  }
  t.push_back(OpEntry{
      "softmax",
      kX,
      {"dim"},
      "y = e^x / sum e^x over dim (default -1)",
      "dx = y * (g - sum(g * y))",
      [](const OpArgs& a) { return Outputs{ag::softmax(a["x"], a.params.integer("dim", -1))}; }});
  t.push_back(OpEntry{"log_softmax",
                      kX,
                      {"dim"},
                      "y = x - ln sum e^x over dim (default -1)",
                      "dx = g - e^y * sum(g)",
                      [](const OpArgs& a) {
                        return Outputs{ag::log_softmax(a["x"], a.params.integer("dim", -1))};
                      }});
  t.push_back(
      OpEntry{"layer_norm",
              {{"x", ValueKind::Float},
               {"weight", ValueKind::Float, true},
               {"bias", ValueKind::Float, true}},
              {"eps"},
              "y = (x - mean) / sqrt(var + eps) * weight + bias over the last dim (eps 1e-5)",
              "dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = g weight; "
              "dweight = sum g xhat, dbias = sum g",
              [](const OpArgs& a) {
                return Outputs{ag::layer_norm(a["x"], a.optional("weight"), a.optional("bias"),
                                              num(a.params, "eps", 1e-5))};
              }});
  t.push_back(OpEntry{
      "attention",
      {{"qkv", ValueKind::Float}, {"key_mask", ValueKind::Mask, true}},
      {"n_heads", "p", "seed", "training"},
      "q, k, v = the thirds of qkv [B, T, 3D] in n_heads heads (default 1); y = merged heads of "
      "dropout_p(softmax(q k^T / sqrt(D / n_heads), keys with key_mask 0 at -inf)) v",
      "dv = A'^T dC, dA' = dC v^T, dS = A (dA - sum dA A) / sqrt(Dh), dq = dS k, dk = dS^T q "
      "(one fused softmax kernel each way)",
      [](const OpArgs& a) {
        const int64_t seed = a.params.integer("seed", 0);
        if (seed < 0) input_error("param 'seed' of attention must be >= 0, got ", seed);
        Generator gen{static_cast<uint64_t>(seed)};
        return Outputs{ag::attention(a["qkv"], a.optional("key_mask"),
                                     a.params.integer("n_heads", 1), num(a.params, "p", 0.0), gen,
                                     a.params.boolean("training", true))};
      }});
  t.push_back(OpEntry{"masked_fill",
                      {{"x", ValueKind::Float}, {"mask", ValueKind::Mask}},
                      {"value"},
                      "y = value where mask is 1, else x (mask broadcasts to x; no gradient)",
                      "dx = g where mask is 0, else 0",
                      [](const OpArgs& a) {
                        return Outputs{ag::masked_fill(a["x"], a["mask"],
                                                       float(a.params.required_number("value")))};
                      }});
  t.push_back(
      OpEntry{"embedding",
              {{"weight", ValueKind::Float}, {"indices", ValueKind::Index}},
              {},
              "y[...] = weight[indices[...]]  (rows of weight)",
              "dweight[i] += g[...] for every position that looked up row i",
              [](const OpArgs& a) { return Outputs{ag::embedding(a["weight"], a["indices"])}; }});
  t.push_back(OpEntry{
      "cross_entropy",
      {{"logits", ValueKind::Float}, {"targets", ValueKind::Index}},
      {},
      "loss = mean over n of (ln sum_c e^logits[n,c] - logits[n, targets[n]])",
      "dlogits[n,c] = g / N * (softmax(logits[n])[c] - [c == targets[n]])",
      [](const OpArgs& a) { return Outputs{ag::cross_entropy(a["logits"], a["targets"])}; }});
  return t;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<OpEntry>& all_ops() {
  static const std::vector<OpEntry> table = make_table();
  return table;
}

const OpEntry* find_op(const std::string& name) {
  for (const OpEntry& e : all_ops()) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

std::string op_names() {
  std::string s;
  for (const OpEntry& e : all_ops()) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

std::string closest_op_name(const std::string& name) {
  std::string best;
  size_t best_distance = 3;  // suggest only near misses
  for (const OpEntry& e : all_ops()) {
    const size_t d = edit_distance(name, e.name);
    if (d < best_distance) {
      best_distance = d;
      best = e.name;
    }
  }
  return best;
}

}  // namespace ag::explain
