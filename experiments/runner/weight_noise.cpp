#include "experiments/runner/weight_noise.h"

#include <cmath>

#include "core/generator.h"
#include "core/ops.h"
#include "core/tape.h"
#include "experiments/runner/batches.h"

namespace sst2 {

Json measure_weight_perturbation(const ag::nn::NamedParams& params, uint64_t seed, int draws,
                                 const std::function<LossAndAccuracy()>& evaluate) {
  ag::NoGradGuard no_grad;
  struct Saved {
    ag::Tensor* param;
    std::vector<float> values;
    double rms;
  };
  std::vector<Saved> matrices;
  for (const auto& [name, p] : params) {
    if (p->ndim() < 2) continue;
    std::vector<float> values = p->to_vector();
    double sum_sq = 0.0;
    for (float v : values) sum_sq += double(v) * double(v);
    const double rms = values.empty() ? 0.0 : std::sqrt(sum_sq / double(values.size()));
    matrices.push_back({p, std::move(values), rms});
  }
  auto restore = [&] {
    for (const Saved& m : matrices) {
      ag::copy_(*m.param, ag::Tensor::from_vector(m.values, m.param->shape(), m.param->device()));
    }
  };

  const LossAndAccuracy base = evaluate();
  Json increase = Json::array(), acc_change = Json::array(), mean_increase = Json::array();
  for (size_t s = 0; s < kWeightNoiseSizes.size(); ++s) {
    const double size = kWeightNoiseSizes[s];
    Json per_draw = Json::array(), acc_per_draw = Json::array();
    double sum = 0.0;
    for (int d = 0; d < draws; ++d) {
      for (size_t i = 0; i < matrices.size(); ++i) {
        const Saved& m = matrices[i];
        // One stream per (seed, size, draw, matrix): "NOISE" mixed in keeps it apart from the
        // init and dropout streams of the same seed.
        ag::Generator gen(mix64(seed ^ 0x4E4F495345ull) ^
                          mix64((s << 40) ^ (uint64_t(d) << 20) ^ i));
        std::vector<float> noisy(m.values.size());
        for (size_t k = 0; k < noisy.size(); ++k) {
          noisy[k] = float(double(m.values[k]) + size * m.rms * double(gen.normal()));
        }
        ag::copy_(*m.param, ag::Tensor::from_vector(noisy, m.param->shape(), m.param->device()));
      }
      const LossAndAccuracy r = evaluate();
      per_draw.push_back(r.loss - base.loss);
      acc_per_draw.push_back(r.acc - base.acc);
      sum += r.loss - base.loss;
    }
    increase.push_back(per_draw);
    acc_change.push_back(acc_per_draw);
    mean_increase.push_back(sum / draws);
  }
  restore();
  return Json{{"sizes", kWeightNoiseSizes},
              {"draws", draws},
              {"scope", "every parameter with 2 or more dimensions"},
              {"base_dev_loss", base.loss},
              {"base_dev_acc", base.acc},
              {"dev_loss_increase", increase},
              {"dev_acc_change", acc_change},
              {"mean_dev_loss_increase", mean_increase}};
}

}  // namespace sst2
