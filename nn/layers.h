// Basic layers: Linear, Embedding, positional encodings, LayerNorm.
#pragma once

#include "core/generator.h"
#include "core/ops.h"
#include "nn/module.h"

namespace ag::nn {

// How a Linear layer's weight is initialised. The bias is U(-1/sqrt(in), 1/sqrt(in)) with
// PyTorchDefault and zeros with the other two. Who uses which:
//   attention q/k/v projection: XavierUniform, zero bias (torch.nn.MultiheadAttention);
//   attention output projection: PyTorchDefault weight, bias then zeroed (the same);
//   FFN projections (w1, w2, w_gate, w_up, w_down) and the classifier head: PyTorchDefault.
// Weights draw in row-major [in, out] order from the generator, then the bias.
enum class Init {
  PyTorchDefault,  // nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform, a=sqrt 5)
  XavierUniform,   // U(-sqrt(6/(in+out)), +): keeps variance through linear/tanh-like maps
  KaimingUniform,  // U(-sqrt(6/in), +): He init for ReLU (gain sqrt 2)
};

// y = x W + b over the last dim. W is stored [in, out] (the transpose of PyTorch's layout) so
// the forward is one matmul without a transpose.
class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, Generator& gen, bool bias = true,
         Init init = Init::PyTorchDefault);
  Tensor forward(const Tensor& x) const;
  Tensor weight;  // [in, out]
  Tensor bias;    // [out] or undefined
};

class Embedding : public Module {
 public:
  // weight ~ N(0, std^2) (PyTorch's nn.Embedding default std = 1)
  Embedding(int64_t vocab, int64_t dim, Generator& gen, float std = 1.0f);
  Tensor forward(const Tensor& indices) const;  // int32 [...] -> [..., dim]
  Tensor weight;                                // [vocab, dim]
};

// Adds position information to x [B, T, D].
class PositionalEncoding : public Module {
 public:
  virtual Tensor forward(const Tensor& x) const = 0;
};

// The fixed sin/cos table of "Attention Is All You Need" (a buffer, not trained).
class SinusoidalPositionalEncoding : public PositionalEncoding {
 public:
  SinusoidalPositionalEncoding(int64_t max_len, int64_t dim);
  Tensor forward(const Tensor& x) const override;
  Tensor table;  // [max_len, dim]
};

// A trained table, N(0, 0.02^2) initialised.
class LearnedPositionalEncoding : public PositionalEncoding {
 public:
  LearnedPositionalEncoding(int64_t max_len, int64_t dim, Generator& gen);
  Tensor forward(const Tensor& x) const override;
  Tensor table;  // [max_len, dim]
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dim, float eps = 1e-5f);
  Tensor forward(const Tensor& x) const;
  Tensor weight;  // ones
  Tensor bias;    // zeros
  float eps;
};

}  // namespace ag::nn
