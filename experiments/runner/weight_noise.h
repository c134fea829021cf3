// Sensitivity to weight changes (METRICS.md `weight_perturbation`): how much the dev loss rises
// when every weight matrix is perturbed by Gaussian noise scaled to that matrix's own size.
// The seed's claim 2 says a smooth activation makes the model "insensitive to weight changes";
// this is the measurement that claim can be tested against.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "experiments/runner/config.h"
#include "nn/optim.h"

namespace sst2 {

// Relative noise sizes, fixed so that runs stay comparable. The draws per size are a setting
// (--weight-noise-draws): draw d's noise is the same whatever their number.
inline const std::vector<double> kWeightNoiseSizes = {0.01, 0.02, 0.05};

struct LossAndAccuracy {
  double loss = 0.0;
  double acc = 0.0;
};

// For each size s and draw d: every parameter with two or more dimensions (the linear weights,
// the token embedding and the learned position table; biases and norm gains stay) becomes
// W + s * rms(W) * N(0, 1), elementwise, so the noise has about s times W's Frobenius norm;
// `evaluate` measures the perturbed model; the weights are then restored bit for bit. The
// noise is a pure function of (seed, size index, draw, parameter index), identical on every
// device and every rank. Returns the METRICS.md record:
// {"sizes", "draws", "base_dev_loss", "base_dev_acc", "dev_loss_increase": [[per draw] per size],
//  "dev_acc_change": [[...]], "mean_dev_loss_increase": [per size]}.
// Requires draws >= 1.
Json measure_weight_perturbation(const ag::nn::NamedParams& params, uint64_t seed, int draws,
                                 const std::function<LossAndAccuracy()>& evaluate);

}  // namespace sst2
