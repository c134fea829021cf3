#include "nn/layers.h"

#include <cmath>
#include <vector>

namespace ag::nn {

namespace {

float weight_bound(Init init, int64_t in, int64_t out) {
  switch (init) {
    case Init::PyTorchDefault:  // kaiming_uniform(a = sqrt 5): gain^2 = 2 / 6 -> bound 1/sqrt(in)
      return 1.0f / std::sqrt(float(in));
    case Init::XavierUniform:
      return std::sqrt(6.0f / float(in + out));
    case Init::KaimingUniform:
      return std::sqrt(6.0f / float(in));
  }
  fail("Linear: unknown init");
}

// x [B, T, D] with T <= max_len: the table rows to add, as [T, D] (the whole table, without a
// copy, when T == max_len, which is the usual case with fixed-length batches).
Tensor rows_for(const Tensor& table, const Tensor& x, const char* who) {
  AG_CHECK(x.ndim() == 3, who, ": x must be [B, T, D], got ", to_string(x.shape()));
  const int64_t max_len = table.shape()[0], dim = table.shape()[1];
  const int64_t len = x.shape()[1];
  AG_CHECK(x.shape()[2] == dim, who, ": x ", to_string(x.shape()), " has feature size ",
           x.shape()[2], ", the table has ", dim);
  AG_CHECK(len <= max_len, who, ": sequence length ", len, " exceeds max_len ", max_len);
  return len == max_len ? table : slice(table, 0, 0, len);
}

}  // namespace

// --- Linear --------------------------------------------------------------------------------

Linear::Linear(int64_t in, int64_t out, Generator& gen, bool with_bias, Init init) {
  AG_CHECK(in >= 0 && out >= 0, "Linear: sizes must be >= 0, got ", in, " x ", out);
  if (in == 0 || out == 0) {  // an unused slot (e.g. the gated weights of a ReLU FFN)
    weight = Tensor::empty({in, out});
    if (with_bias) bias = Tensor::empty({out});
  } else {
    const float bound = weight_bound(init, in, out);
    weight = Tensor::uniform({in, out}, gen, -bound, bound);
    if (with_bias) {
      // nn.Linear's bias is U(+-1/sqrt(in)); Xavier / Kaiming layers (attention) start at zero.
      if (init == Init::PyTorchDefault) {
        const float b = 1.0f / std::sqrt(float(in));
        bias = Tensor::uniform({out}, gen, -b, b);
      } else {
        bias = Tensor::zeros({out});
      }
    }
  }
  register_parameter("weight", weight);
  if (with_bias) register_parameter("bias", bias);
}

Tensor Linear::forward(const Tensor& x) const {
  check_float(x, "Linear", "x");
  AG_CHECK(x.ndim() >= 1 && x.shape().back() == weight.shape()[0], "Linear: input ",
           to_string(x.shape()), " does not end in the layer's input size ", weight.shape()[0],
           " (weight ", to_string(weight.shape()), ")");
  Tensor y = matmul(x.ndim() == 1 ? reshape(x, {1, x.shape()[0]}) : x, weight);
  if (x.ndim() == 1) y = reshape(y, {weight.shape()[1]});
  return bias.defined() ? add(y, bias) : y;
}

// --- Embedding -----------------------------------------------------------------------------

Embedding::Embedding(int64_t vocab, int64_t dim, Generator& gen, float std) {
  AG_CHECK(vocab > 0 && dim > 0, "Embedding: vocab and dim must be positive, got ", vocab, ", ",
           dim);
  weight = Tensor::randn({vocab, dim}, gen, 0.0f, std);
  register_parameter("weight", weight);
}

Tensor Embedding::forward(const Tensor& indices) const {
  return embedding(weight, indices);
}

// --- positions -----------------------------------------------------------------------------

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int64_t max_len, int64_t dim) {
  AG_CHECK(max_len > 0 && dim > 0,
           "SinusoidalPositionalEncoding: max_len and dim must be "
           "positive, got ",
           max_len, ", ", dim);
  // PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same angle); in double so the
  // table does not depend on float rounding of large angles.
  std::vector<float> v(size_t(max_len * dim));
  for (int64_t pos = 0; pos < max_len; ++pos) {
    for (int64_t i = 0; i < dim; ++i) {
      const double freq = std::pow(10000.0, -double(i - i % 2) / double(dim));
      const double angle = double(pos) * freq;
      v[size_t(pos * dim + i)] = float(i % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  table = Tensor::from_vector(v, {max_len, dim});
  register_buffer("table", table);
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x) const {
  return add(x, rows_for(table, x, "SinusoidalPositionalEncoding"));
}

LearnedPositionalEncoding::LearnedPositionalEncoding(int64_t max_len, int64_t dim, Generator& gen) {
  AG_CHECK(max_len > 0 && dim > 0,
           "LearnedPositionalEncoding: max_len and dim must be "
           "positive, got ",
           max_len, ", ", dim);
  table = Tensor::randn({max_len, dim}, gen, 0.0f, 0.02f);
  register_parameter("table", table);
}

Tensor LearnedPositionalEncoding::forward(const Tensor& x) const {
  return add(x, rows_for(table, x, "LearnedPositionalEncoding"));
}

// --- LayerNorm -----------------------------------------------------------------------------

LayerNorm::LayerNorm(int64_t dim, float eps_) : eps(eps_) {
  AG_CHECK(dim > 0, "LayerNorm: dim must be positive, got ", dim);
  weight = Tensor::ones({dim});
  bias = Tensor::zeros({dim});
  register_parameter("weight", weight);
  register_parameter("bias", bias);
}

Tensor LayerNorm::forward(const Tensor& x) const {
  return layer_norm(x, weight, bias, eps);
}

}  // namespace ag::nn
