// tapegrad.nn: the modules of nn/ and the optimizers. Constructors take `seed` (or an explicit
// Generator) for the initial weights; forward passes that may drop out take an optional
// Generator, else they draw from one process-wide generator (reset by manual_seed).
#include <memory>

#include "nn/attention.h"
#include "nn/ffn.h"
#include "nn/layers.h"
#include "nn/optim.h"
#include "nn/transformer.h"
#include "tools/python/bindings.h"

namespace ag::python {

namespace {

using namespace ag::nn;
using OptGen = Generator*;  // None from Python: nullptr

Generator& global_generator() {
  static Generator gen{0};
  return gen;
}

Generator& pick(OptGen g) {
  return g ? *g : global_generator();
}

// The generator for initial weights: the caller's, or a fresh Generator(seed).
struct InitGen {
  InitGen(uint64_t seed, OptGen given) : own(seed), gen(given ? *given : own) {}
  Generator own;
  Generator& gen;
};

Init parse_init(const std::string& name) {
  if (name == "default") return Init::PyTorchDefault;
  if (name == "xavier") return Init::XavierUniform;
  if (name == "kaiming") return Init::KaimingUniform;
  fail("Linear: init must be \"default\", \"xavier\" or \"kaiming\", got \"", name, "\"");
}

py::list named_list(Module& m) {
  py::list out;
  for (const auto& [name, p] : m.named_parameters()) out.append(py::make_tuple(name, *p));
  return out;
}

py::list param_list(Module& m) {
  py::list out;
  for (Tensor* p : m.parameters()) out.append(*p);
  return out;
}

// An optimizer over handles it owns: nn::Optimizer keeps Tensor pointers, and these handles
// (aliases of the modules' parameters) live exactly as long as it does.
class PyOptimizer {
 public:
  explicit PyOptimizer(const py::iterable& params) {
    std::vector<std::pair<std::string, Tensor>> items;
    for (const py::handle& item : params) {
      if (py::isinstance<Tensor>(item)) {
        items.emplace_back(std::to_string(items.size()), item.cast<Tensor>());
      } else {
        auto pair = item.cast<std::pair<std::string, Tensor>>();
        items.push_back(std::move(pair));
      }
    }
    handles_.reserve(items.size());  // no reallocation: the optimizer points into it
    for (auto& [name, t] : items) {
      AG_CHECK(t.dtype() == DType::F32 && t.is_leaf(), "optimizer: parameter '", name, "' (",
               t.describe(), ") must be a float32 leaf tensor");
      handles_.push_back(t);
      named_.emplace_back(name, &handles_.back());
    }
  }
  NamedParams& named() { return named_; }
  std::unique_ptr<Optimizer> opt;

 private:
  std::vector<Tensor> handles_;
  NamedParams named_;
};

template <class M, class Base = Module>
py::class_<M, Base> module_class(py::module_& m, const char* name, const char* doc) {
  return py::class_<M, Base>(m, name, doc);
}

void bind_modules(py::module_& m) {
  py::class_<Module>(m, "Module", "A named tree of parameters")
      .def("parameters", &param_list)
      .def("named_parameters", &named_list)
      .def("parameter_count", &Module::parameter_count)
      .def("zero_grad", &Module::zero_grad)
      .def("train", &Module::train, py::arg("mode") = true)
      .def("eval", [](Module& mod) { mod.train(false); })
      .def_property_readonly("training", &Module::is_training)
      .def(
          "to", [](Module& mod, const std::string& d) { mod.to(parse_device(d)); },
          py::arg("device"),
          "Moves every parameter: take parameters() (and build optimizers) after moving");

  module_class<Linear>(m, "Linear", "y = x W + b, W stored [in, out]")
      .def(py::init([](int64_t in, int64_t out, bool bias, const std::string& init, uint64_t seed,
                       OptGen gen) {
             InitGen g(seed, gen);
             return new Linear(in, out, g.gen, bias, parse_init(init));
           }),
           py::arg("in_features"), py::arg("out_features"), py::arg("bias") = true, py::kw_only(),
           py::arg("init") = "default", py::arg("seed") = 0, py::arg("generator") = py::none())
      .def("forward", &Linear::forward, py::arg("x"))
      .def("__call__", &Linear::forward, py::arg("x"))
      .def_readonly("weight", &Linear::weight)
      .def_property_readonly("bias", [](const Linear& l) -> py::object {
        return l.bias.defined() ? py::cast(l.bias) : py::none();
      });

  module_class<Embedding>(m, "Embedding", "Rows of a [vocab, dim] table, N(0, std^2) initialised")
      .def(py::init([](int64_t vocab, int64_t dim, float std, uint64_t seed, OptGen gen) {
             InitGen g(seed, gen);
             return new Embedding(vocab, dim, g.gen, std);
           }),
           py::arg("num_embeddings"), py::arg("dim"), py::kw_only(), py::arg("std") = 1.0f,
           py::arg("seed") = 0, py::arg("generator") = py::none())
      .def("forward", &Embedding::forward, py::arg("indices"))
      .def("__call__", &Embedding::forward, py::arg("indices"))
      .def_readonly("weight", &Embedding::weight);

  module_class<LayerNorm>(m, "LayerNorm", "Normalisation over the last dim, weight 1, bias 0")
      .def(py::init<int64_t, float>(), py::arg("dim"), py::arg("eps") = 1e-5f)
      .def("forward", &LayerNorm::forward, py::arg("x"))
      .def("__call__", &LayerNorm::forward, py::arg("x"))
      .def_readonly("weight", &LayerNorm::weight)
      .def_readonly("bias", &LayerNorm::bias);

  auto mha_forward = [](const MultiHeadSelfAttention& a, const Tensor& x,
                        std::optional<Tensor> mask,
                        OptGen gen) { return a.forward(x, mask.value_or(Tensor()), pick(gen)); };
  module_class<MultiHeadSelfAttention>(m, "MultiHeadAttention",
                                       "Self-attention with a key-padding mask (1 real, 0 pad)")
      .def(py::init([](int64_t d_model, int64_t heads, float dropout, uint64_t seed, OptGen gen) {
             InitGen g(seed, gen);
             return new MultiHeadSelfAttention(d_model, heads, dropout, g.gen);
           }),
           py::arg("d_model"), py::arg("n_heads"), py::kw_only(), py::arg("dropout") = 0.0f,
           py::arg("seed") = 0, py::arg("generator") = py::none())
      .def("forward", mha_forward, py::arg("x"), py::arg("key_padding_mask") = py::none(),
           py::arg("generator") = py::none())
      .def("__call__", mha_forward, py::arg("x"), py::arg("key_padding_mask") = py::none(),
           py::arg("generator") = py::none());

  auto ffn_forward = [](const FeedForward& f, const Tensor& x, OptGen gen) {
    return f.forward(x, pick(gen));
  };
  module_class<FeedForward>(m, "FeedForward", "relu/swish/gelu or gated swiglu/geglu FFN")
      .def(py::init([](const std::string& kind, int64_t d_model, int64_t hidden, float dropout,
                       bool fused, uint64_t seed, OptGen gen) {
             InitGen g(seed, gen);
             return new FeedForward(d_model, hidden, parse_ffn_kind(kind), g.gen, dropout, fused);
           }),
           py::arg("kind"), py::arg("d_model"), py::arg("hidden"), py::kw_only(),
           py::arg("dropout") = 0.0f, py::arg("fused") = true, py::arg("seed") = 0,
           py::arg("generator") = py::none())
      .def("forward", ffn_forward, py::arg("x"), py::arg("generator") = py::none())
      .def("__call__", ffn_forward, py::arg("x"), py::arg("generator") = py::none())
      .def_property_readonly("kind", [](const FeedForward& f) { return ffn_kind_name(f.kind); })
      .def_readonly("hidden", &FeedForward::hidden);

  auto layer_forward = [](const EncoderLayer& l, const Tensor& x, std::optional<Tensor> mask,
                          OptGen gen) { return l.forward(x, mask.value_or(Tensor()), pick(gen)); };
  module_class<EncoderLayer>(m, "EncoderLayer", "Attention + FFN with residuals, pre- or post-LN")
      .def(py::init([](int64_t d_model, int64_t heads, int64_t hidden, const std::string& kind,
                       float dropout, bool norm_first, bool fused, uint64_t seed, OptGen gen) {
             InitGen g(seed, gen);
             return new EncoderLayer(d_model, heads, hidden, parse_ffn_kind(kind), g.gen, dropout,
                                     norm_first, fused);
           }),
           py::arg("d_model"), py::arg("n_heads"), py::arg("ffn_hidden"),
           py::arg("ffn_kind") = "relu", py::kw_only(), py::arg("dropout") = 0.1f,
           py::arg("norm_first") = true, py::arg("fused_ffn") = true, py::arg("seed") = 0,
           py::arg("generator") = py::none())
      .def("forward", layer_forward, py::arg("x"), py::arg("key_padding_mask") = py::none(),
           py::arg("generator") = py::none())
      .def("__call__", layer_forward, py::arg("x"), py::arg("key_padding_mask") = py::none(),
           py::arg("generator") = py::none());

  auto clf_forward = [](const TransformerClassifier& c, const Tensor& ids,
                        std::optional<Tensor> mask,
                        OptGen gen) { return c.forward(ids, mask.value_or(Tensor()), pick(gen)); };
  module_class<TransformerClassifier>(m, "Classifier",
                                      "Embedding + positions -> encoder layers -> pool -> head")
      .def(py::init([](int64_t vocab, int64_t max_len, int64_t d_model, int64_t heads,
                       int64_t layers, int64_t hidden, const std::string& kind, bool fused,
                       bool norm_first, float dropout, const std::string& pooling,
                       const std::string& positions, int64_t classes, float emb_std, uint64_t seed,
                       OptGen gen) {
             ClassifierConfig c;
             c.vocab_size = vocab;
             c.max_len = max_len;
             c.d_model = d_model;
             c.n_heads = heads;
             c.n_layers = layers;
             c.ffn_hidden = hidden;
             c.ffn_kind = parse_ffn_kind(kind);
             c.fused_ffn = fused;
             c.norm_first = norm_first;
             c.dropout = dropout;
             c.pooling = parse_pooling(pooling);
             c.positions = parse_position_kind(positions);
             c.num_classes = classes;
             c.embedding_std = emb_std;
             InitGen g(seed, gen);
             return new TransformerClassifier(c, g.gen);
           }),
           py::kw_only(), py::arg("vocab_size") = 30522, py::arg("max_len") = 32,
           py::arg("d_model") = 64, py::arg("n_heads") = 4, py::arg("n_layers") = 1,
           py::arg("ffn_hidden") = 128, py::arg("ffn_kind") = "relu", py::arg("fused_ffn") = true,
           py::arg("norm_first") = true, py::arg("dropout") = 0.1f, py::arg("pooling") = "mean",
           py::arg("positions") = "learned", py::arg("num_classes") = 2,
           py::arg("embedding_std") = 1.0f, py::arg("seed") = 0, py::arg("generator") = py::none())
      .def("forward", clf_forward, py::arg("ids"), py::arg("mask") = py::none(),
           py::arg("generator") = py::none())
      .def("__call__", clf_forward, py::arg("ids"), py::arg("mask") = py::none(),
           py::arg("generator") = py::none())
      .def("ffn_parameter_count", &TransformerClassifier::ffn_parameter_count);

  m.def(
      "manual_seed", [](uint64_t seed) { global_generator().set_state(seed, 0); }, py::arg("seed"),
      "Resets the generator that forward passes without one draw from");
  m.def("matched_gated_hidden", &matched_gated_hidden, py::arg("hidden"));
}

void bind_optimizers(py::module_& m) {
  py::class_<PyOptimizer>(m, "Optimizer", "Updates the parameters it was given from their .grad")
      .def("step", [](PyOptimizer& o) { o.opt->step(); })
      .def("zero_grad", [](PyOptimizer& o) { o.opt->zero_grad(); })
      .def_property(
          "lr", [](const PyOptimizer& o) { return o.opt->lr; },
          [](PyOptimizer& o, double lr) { o.opt->lr = lr; });
  m.def(
      "AdamW",
      [](const py::iterable& params, double lr, std::pair<double, double> betas, double eps,
         double weight_decay) {
        auto o = std::make_unique<PyOptimizer>(params);
        o->opt =
            std::make_unique<AdamW>(o->named(), lr, betas.first, betas.second, eps, weight_decay);
        return o;
      },
      py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
      py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.01,
      "torch.optim.AdamW semantics over Tensors or (name, Tensor) pairs");
  m.def(
      "SGD",
      [](const py::iterable& params, double lr, double momentum, double weight_decay) {
        auto o = std::make_unique<PyOptimizer>(params);
        o->opt = std::make_unique<Sgd>(o->named(), lr, momentum, weight_decay);
        return o;
      },
      py::arg("params"), py::arg("lr"), py::arg("momentum") = 0.9, py::arg("weight_decay") = 0.0,
      "torch.optim.SGD semantics (momentum buffer = first gradient, no dampening)");
}

}  // namespace

void bind_nn(py::module_& m) {
  bind_modules(m);
  bind_optimizers(m);
}

}  // namespace ag::python
