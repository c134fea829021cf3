#include "experiments/runner/run_model.h"

#include "experiments/runner/distributed.h"

namespace sst2 {

namespace {

ag::nn::ClassifierConfig classifier_config(const RunConfig& c, ag::nn::FfnKind kind,
                                           int64_t vocab_size, int64_t hidden) {
  ag::nn::ClassifierConfig m;
  m.vocab_size = vocab_size;
  m.max_len = c.max_len;
  m.d_model = c.d_model;
  m.n_heads = c.heads;
  m.n_layers = c.layers;
  m.ffn_hidden = hidden;
  m.ffn_kind = kind;
  m.fused_ffn = !c.unfused;
  m.norm_first = c.norm == NormPlacement::Pre;
  m.dropout = float(c.dropout);
  m.pooling = c.pooling;
  m.positions = c.positions;
  m.num_classes = 2;
  return m;
}

// A gradient-norm group: "encoder.<i>.<block>" inside the encoder, else the top-level module.
bool in_encoder(const std::string& name) {
  return name.rfind("encoder.", 0) == 0;
}

}  // namespace

int64_t ffn_hidden(const RunConfig& config, ag::nn::FfnKind kind) {
  if (ag::nn::is_gated(kind) && config.swiglu_match_params) {
    return ag::nn::matched_gated_hidden(config.ffn_dim);
  }
  return config.ffn_dim;
}

RunModel build_run_model(const RunConfig& config, ag::nn::FfnKind kind, int64_t vocab_size,
                         int64_t seed) {
  RunModel m;
  m.kind = kind;
  m.hidden = ffn_hidden(config, kind);
  ag::Generator init_gen{uint64_t(seed)};
  m.net = std::make_unique<ag::nn::TransformerClassifier>(
      classifier_config(config, kind, vocab_size, m.hidden), init_gen);
  m.net->to(config.device);
  m.params = m.net->named_parameters();
  for (const auto& named : m.params) {
    (in_encoder(named.first) ? m.encoder_params : m.other_params).push_back(named);
  }
  if (config.data_parallel && dist::multi_rank()) {
    m.sync = std::make_unique<GradientSync>(config.device, m.params);
  }
  switch (config.optimizer) {
    case OptimizerKind::Sgd:
      m.optimizer =
          std::make_unique<ag::nn::Sgd>(m.params, config.lr, config.momentum, config.weight_decay);
      break;
    case OptimizerKind::AdamW:
      m.optimizer = std::make_unique<ag::nn::AdamW>(m.params, config.lr, config.beta1, config.beta2,
                                                    config.eps, config.weight_decay);
      break;
  }
  return m;
}

}  // namespace sst2
