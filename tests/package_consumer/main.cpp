// Trains one Linear layer a few SGD steps through the installed headers and libraries, and
// checks SiLU's derivative at 0 (= 1/2): exit status 0 when both behave.
#include <cmath>
#include <cstdio>

#include "core/ops.h"
#include "nn/layers.h"
#include "nn/optim.h"

int main() {
  ag::Tensor x = ag::Tensor::from_vector({0.0f}, {1});
  x.requires_grad_(true);
  ag::backward(ag::sum(ag::silu(x)));
  const float dsilu = x.grad().item();

  ag::Generator gen(0);
  ag::nn::Linear layer(3, 1, gen);
  ag::nn::Sgd sgd(layer.named_parameters(), 0.1, 0.0);
  const ag::Tensor input = ag::Tensor::ones({4, 3});
  float first = 0.0f, last = 0.0f;
  for (int step = 0; step < 20; ++step) {
    sgd.zero_grad();
    const ag::Tensor y = layer.forward(input);
    const ag::Tensor loss = ag::mean(ag::mul(y, y));
    ag::backward(loss);
    sgd.step();
    (step == 0 ? first : last) = loss.item();
  }
  std::printf("silu'(0) = %.4f, loss %.4f -> %.6f\n", dsilu, first, last);
  return std::fabs(dsilu - 0.5f) < 1e-6f && last < first ? 0 : 1;
}
