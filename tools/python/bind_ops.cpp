// Every op of core/ops.h as a module function, named as tools/explain names it, with explain's
// input names as parameter names and its params as keyword arguments (and the same defaults).
// tests/python/test_api.py checks the names against explain's table (_explain_ops).
#include "core/ops.h"
#include "tools/explain_cli/ops_table.h"
#include "tools/python/bindings.h"

namespace ag::python {

namespace {

GeluApprox gelu_approx(const std::string& name) {
  if (name == "none") return GeluApprox::None;
  if (name == "tanh") return GeluApprox::Tanh;
  fail("gelu: approximate must be \"none\" or \"tanh\", got \"", name, "\"");
}

// Python-style negative positions (-1 is the last element), as explain's slice.
int64_t position(int64_t pos, int64_t size) {
  return pos < 0 ? pos + size : pos;
}

Tensor swish_gated(const Tensor& a, const Tensor& b, float beta, bool fused) {
  if (beta == 1.0f) return fused ? ag::swiglu(a, b) : ag::swiglu_unfused(a, b);
  if (fused)
    return ag::gated(a, b, math::UnaryOp::Swish, math::UnaryParams::with_beta(beta), "swiglu");
  AG_CHECK(a.shape() == b.shape(), "swiglu_unfused: gate a ", to_string(a.shape()), " and up b ",
           to_string(b.shape()), " must have the same shape");
  return ag::mul(ag::swish(a, beta), b);
}

void bind_arithmetic(py::module_& m) {
  using Binary = Tensor (*)(const Tensor&, const Tensor&);
  using WithScalar = Tensor (*)(const Tensor&, float);
  m.def("add", static_cast<Binary>(&ag::add), py::arg("a"), py::arg("b"));
  m.def("add", static_cast<WithScalar>(&ag::add), py::arg("a"), py::arg("b"));
  m.def("sub", static_cast<Binary>(&ag::sub), py::arg("a"), py::arg("b"));
  m.def("sub", static_cast<WithScalar>(&ag::sub), py::arg("a"), py::arg("b"));
  m.def("mul", static_cast<Binary>(&ag::mul), py::arg("a"), py::arg("b"));
  m.def("mul", static_cast<WithScalar>(&ag::mul), py::arg("a"), py::arg("b"));
  m.def("div", static_cast<Binary>(&ag::div), py::arg("a"), py::arg("b"));
  m.def("div", static_cast<WithScalar>(&ag::div), py::arg("a"), py::arg("b"));
  m.def("neg", &ag::neg, py::arg("x"));
  m.def("add_scalar", static_cast<WithScalar>(&ag::add), py::arg("x"), py::kw_only(),
        py::arg("scalar"));
  m.def("sub_scalar", static_cast<WithScalar>(&ag::sub), py::arg("x"), py::kw_only(),
        py::arg("scalar"));
  m.def(
      "rsub_scalar", [](const Tensor& x, float s) { return ag::rsub(s, x); }, py::arg("x"),
      py::kw_only(), py::arg("scalar"));
  m.def("mul_scalar", static_cast<WithScalar>(&ag::mul), py::arg("x"), py::kw_only(),
        py::arg("scalar"));
  m.def("div_scalar", static_cast<WithScalar>(&ag::div), py::arg("x"), py::kw_only(),
        py::arg("scalar"));
  m.def("exp", &ag::exp, py::arg("x"));
  m.def("log", &ag::log, py::arg("x"));
  m.def("sqrt", &ag::sqrt, py::arg("x"));
  m.def("pow", &ag::pow, py::arg("x"), py::kw_only(), py::arg("exponent"));
  m.def("masked_fill", &ag::masked_fill, py::arg("x"), py::arg("mask"), py::kw_only(),
        py::arg("value"));
}

void bind_activations(py::module_& m) {
  m.def("relu", &ag::relu, py::arg("x"));
  m.def("leaky_relu", &ag::leaky_relu, py::arg("x"), py::kw_only(), py::arg("alpha") = 0.01f);
  m.def("elu", &ag::elu, py::arg("x"), py::kw_only(), py::arg("alpha") = 1.0f);
  m.def("selu", &ag::selu, py::arg("x"));
  m.def(
      "gelu", [](const Tensor& x, const std::string& a) { return ag::gelu(x, gelu_approx(a)); },
      py::arg("x"), py::kw_only(), py::arg("approximate") = "none");
  m.def("silu", &ag::silu, py::arg("x"));
  m.def("swish", &ag::swish, py::arg("x"), py::kw_only(), py::arg("beta") = 1.0f);
  m.def("mish", &ag::mish, py::arg("x"));
  m.def("sigmoid", &ag::sigmoid, py::arg("x"));
  m.def("tanh", &ag::tanh, py::arg("x"));
  m.def("softplus", &ag::softplus, py::arg("x"), py::kw_only(), py::arg("beta") = 1.0f);
  m.def(
      "dropout",
      [](const Tensor& x, float p, int64_t seed, bool training) {
        AG_CHECK(seed >= 0, "dropout: seed must be >= 0, got ", seed);
        Generator gen{uint64_t(seed)};
        return ag::dropout(x, p, gen, training);
      },
      py::arg("x"), py::kw_only(), py::arg("p") = 0.5f, py::arg("seed") = 0,
      py::arg("training") = true, "Dropout with a mask drawn from Generator(seed)");
  m.def(
      "swiglu",
      [](const Tensor& a, const Tensor& b, float beta) { return swish_gated(a, b, beta, true); },
      py::arg("a"), py::arg("b"), py::kw_only(), py::arg("beta") = 1.0f);
  m.def(
      "swiglu_unfused",
      [](const Tensor& a, const Tensor& b, float beta) { return swish_gated(a, b, beta, false); },
      py::arg("a"), py::arg("b"), py::kw_only(), py::arg("beta") = 1.0f);
  m.def(
      "geglu",
      [](const Tensor& a, const Tensor& b, const std::string& approx) {
        return ag::geglu(a, b, gelu_approx(approx));
      },
      py::arg("a"), py::arg("b"), py::kw_only(), py::arg("approximate") = "none");
}

void bind_layout(py::module_& m) {
  m.def("matmul", &ag::matmul, py::arg("a"), py::arg("b"));
  m.def("transpose", &ag::transpose, py::arg("x"), py::arg("dim0") = -2, py::arg("dim1") = -1);
  m.def("permute", &ag::permute, py::arg("x"), py::arg("dims"));
  m.def(
      "reshape",
      [](const Tensor& x, const std::vector<int64_t>& shape) {
        return ag::reshape(x, Shape(shape.begin(), shape.end()));
      },
      py::arg("x"), py::arg("shape"));
  m.def(
      "slice",
      [](const Tensor& x, int64_t dim, int64_t start, std::optional<int64_t> end) {
        const int d = normalize_dim(dim, x.ndim(), "slice");
        const int64_t size = x.shape()[size_t(d)];
        return ag::slice(x, d, position(start, size), position(end.value_or(size), size));
      },
      py::arg("x"), py::kw_only(), py::arg("dim") = 0, py::arg("start") = 0,
      py::arg("end") = py::none());
  m.def(
      "split",
      [](const Tensor& x, std::optional<std::vector<int64_t>> sizes,
         std::optional<int64_t> split_size, int64_t dim) {
        AG_CHECK(sizes.has_value() != split_size.has_value(),
                 "split needs exactly one of 'sizes' (a list) or 'split_size'");
        return sizes ? ag::split(x, *sizes, dim) : ag::split(x, *split_size, dim);
      },
      py::arg("x"), py::kw_only(), py::arg("sizes") = py::none(),
      py::arg("split_size") = py::none(), py::arg("dim") = 0);
  m.def(
      "concat",
      [](const Tensor& a, const Tensor& b, int64_t dim) {
        return ag::concat({a, b}, dim);
      },
      py::arg("a"), py::arg("b"), py::kw_only(), py::arg("dim") = 0);
}

void bind_rows(py::module_& m) {
  // explain's default dim is -1 (the last); None sums every dim.
  m.def(
      "sum",
      [](const Tensor& x, const py::object& dim, bool keepdim) {
        return reduce(x, dims_arg(dim), keepdim, false);
      },
      py::arg("x"), py::kw_only(), py::arg("dim") = -1, py::arg("keepdim") = false);
  m.def(
      "mean",
      [](const Tensor& x, const py::object& dim, bool keepdim) {
        return reduce(x, dims_arg(dim), keepdim, true);
      },
      py::arg("x"), py::kw_only(), py::arg("dim") = -1, py::arg("keepdim") = false);
  m.def("softmax", &ag::softmax, py::arg("x"), py::kw_only(), py::arg("dim") = -1);
  m.def("log_softmax", &ag::log_softmax, py::arg("x"), py::kw_only(), py::arg("dim") = -1);
  m.def(
      "layer_norm",
      [](const Tensor& x, std::optional<Tensor> w, std::optional<Tensor> b, float eps) {
        return ag::layer_norm(x, w.value_or(Tensor()), b.value_or(Tensor()), eps);
      },
      py::arg("x"), py::arg("weight") = py::none(), py::arg("bias") = py::none(), py::kw_only(),
      py::arg("eps") = 1e-5f);
  m.def(
      "attention",
      [](const Tensor& qkv, std::optional<Tensor> key_mask, int64_t n_heads, float p, int64_t seed,
         bool training) {
        AG_CHECK(seed >= 0, "attention: seed must be >= 0, got ", seed);
        Generator gen{uint64_t(seed)};
        return ag::attention(qkv, key_mask.value_or(Tensor()), n_heads, p, gen, training);
      },
      py::arg("qkv"), py::arg("key_mask") = py::none(), py::kw_only(), py::arg("n_heads") = 1,
      py::arg("p") = 0.0f, py::arg("seed") = 0, py::arg("training") = true,
      "Multi-head self-attention's core from the packed projection qkv [B, T, 3D]");
  m.def("embedding", &ag::embedding, py::arg("weight"), py::arg("indices"));
  m.def("cross_entropy", &ag::cross_entropy, py::arg("logits"), py::arg("targets"));
  m.def("argmax", &ag::argmax, py::arg("x"));
}

}  // namespace

std::optional<std::vector<int64_t>> dims_arg(const py::object& dim) {
  if (dim.is_none()) return std::nullopt;
  if (py::isinstance<py::int_>(dim)) return std::vector<int64_t>{dim.cast<int64_t>()};
  try {
    return dim.cast<std::vector<int64_t>>();
  } catch (const py::cast_error&) {
    throw py::type_error("dim must be None, an int or a sequence of ints, got " +
                         std::string(py::str(py::type::of(dim).attr("__name__"))));
  }
}

Tensor reduce(const Tensor& t, const std::optional<std::vector<int64_t>>& dims, bool keepdim,
              bool mean) {
  if (!dims && !keepdim) return mean ? ag::mean(t) : ag::sum(t);
  std::vector<int64_t> d;
  if (dims) {
    d = *dims;
  } else {
    for (int i = 0; i < t.ndim(); ++i) d.push_back(i);
  }
  return mean ? ag::mean(t, d, keepdim) : ag::sum(t, d, keepdim);
}

void bind_ops(py::module_& m) {
  bind_arithmetic(m);
  bind_activations(m);
  bind_layout(m);
  bind_rows(m);
  // explain's op table: (name, [(input, kind, optional)], [params]), for the API test.
  m.def("_explain_ops", [] {
    py::list ops;
    for (const explain::OpEntry& e : explain::all_ops()) {
      py::list inputs;
      for (const explain::InputSlot& s : e.inputs)
        inputs.append(py::make_tuple(s.name, s.optional));
      py::list params;
      for (const char* p : e.params) params.append(p);
      ops.append(py::make_tuple(e.name, inputs, params));
    }
    return ops;
  });
}

}  // namespace ag::python
