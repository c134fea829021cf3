// The model of one run: the classifier of one FFN variant, initialised from its seed and moved
// to the configured device, with its parameters (and their gradient-norm groups), its optimizer
// and, with --data-parallel over several ranks, the gradient sync.
#pragma once

#include <cstdint>
#include <memory>

#include "experiments/runner/config.h"
#include "experiments/runner/data_parallel.h"
#include "nn/optim.h"
#include "nn/transformer.h"

namespace sst2 {

struct RunModel {
  ag::nn::FfnKind kind = ag::nn::FfnKind::Relu;
  int64_t hidden = 0;  // the FFN width this variant uses (ffn_hidden)
  std::unique_ptr<ag::nn::TransformerClassifier> net;
  std::unique_ptr<ag::nn::Optimizer> optimizer;
  // Every parameter; the encoder's ("encoder.<i>.<block>...") and the others' (token_embedding,
  // positions, final_norm, head), the groups of METRICS.md's layer_grad_norms.
  ag::nn::NamedParams params, encoder_params, other_params;
  std::unique_ptr<GradientSync> sync;  // null unless --data-parallel with more than one rank
};

// --ffn-dim, or for gated variants under --swiglu-match-params matched_gated_hidden(--ffn-dim).
int64_t ffn_hidden(const RunConfig& config, ag::nn::FfnKind kind);

// The model as configured: weights drawn from Generator(seed), on config.device, with the
// configured optimizer over every parameter.
RunModel build_run_model(const RunConfig& config, ag::nn::FfnKind kind, int64_t vocab_size,
                         int64_t seed);

}  // namespace sst2
