// One small, valid spec per op of tools/explain, with values away from kinks (no exact zeros
// for relu & co., positive inputs for log/sqrt/pow) so finite differences are meaningful.
// ops_gradcheck_test.cpp runs every one of them; a new op without an example fails there.
#pragma once

#include <map>
#include <string>

namespace explain_test {

// Shapes and data shared by many examples.
#define X23 R"({"shape": [2, 3], "data": [0.3, -1.2, 0.7, 1.5, -0.4, 2.1]})"
#define Y23 R"({"shape": [2, 3], "data": [1.1, -0.6, 0.4, -2.0, 0.9, 0.3]})"
#define P23 R"({"shape": [2, 3], "data": [0.5, 1.2, 2.0, 0.8, 3.0, 1.7]})"
#define X232 \
  R"({"shape": [2, 3, 2], "data": [0.3, -1.2, 0.7, 1.5, -0.4, 2.1, 0.9, -0.8, 1.3, 0.2, -1.7, 0.6]})"

inline const std::map<std::string, std::string>& op_examples() {
  static const std::map<std::string, std::string> examples = {
      {"add", R"({"op": "add", "inputs": {"a": )" X23
              R"(, "b": {"shape": [3], "data": [0.5, -1.5, 2.0]}}})"},
      {"sub", R"({"op": "sub", "inputs": {"a": )" X23
              R"(, "b": {"shape": [3], "data": [0.5, -1.5, 2.0]}}})"},
      {"mul", R"({"op": "mul", "inputs": {"a": )" X23
              R"(, "b": {"shape": [3], "data": [0.5, -1.5, 2.0]}}})"},
      {"div", R"({"op": "div", "inputs": {"a": )" X23
              R"(, "b": {"shape": [3], "data": [0.5, -1.5, 2.0]}}})"},
      {"neg", R"({"op": "neg", "inputs": {"x": )" X23 R"(}})"},
      {"add_scalar",
       R"({"op": "add_scalar", "inputs": {"x": )" X23 R"(}, "params": {"scalar": 1.5}})"},
      {"sub_scalar",
       R"({"op": "sub_scalar", "inputs": {"x": )" X23 R"(}, "params": {"scalar": 1.5}})"},
      {"rsub_scalar",
       R"({"op": "rsub_scalar", "inputs": {"x": )" X23 R"(}, "params": {"scalar": 1.5}})"},
      {"mul_scalar",
       R"({"op": "mul_scalar", "inputs": {"x": )" X23 R"(}, "params": {"scalar": -2.5}})"},
      {"div_scalar",
       R"({"op": "div_scalar", "inputs": {"x": )" X23 R"(}, "params": {"scalar": 2.5}})"},
      {"exp", R"({"op": "exp", "inputs": {"x": )" X23 R"(}})"},
      {"log", R"({"op": "log", "inputs": {"x": )" P23 R"(}})"},
      {"sqrt", R"({"op": "sqrt", "inputs": {"x": )" P23 R"(}})"},
      {"pow", R"({"op": "pow", "inputs": {"x": )" P23 R"(}, "params": {"exponent": 2.5}})"},
      {"relu", R"({"op": "relu", "inputs": {"x": )" X23 R"(}})"},
      {"leaky_relu",
       R"({"op": "leaky_relu", "inputs": {"x": )" X23 R"(}, "params": {"alpha": 0.1}})"},
      {"elu", R"({"op": "elu", "inputs": {"x": )" X23 R"(}, "params": {"alpha": 0.8}})"},
      {"selu", R"({"op": "selu", "inputs": {"x": )" X23 R"(}})"},
      {"gelu", R"({"op": "gelu", "inputs": {"x": )" X23 R"(}, "params": {"approximate": "tanh"}})"},
      {"silu", R"({"op": "silu", "inputs": {"x": )" X23 R"(}})"},
      {"swish", R"({"op": "swish", "inputs": {"x": )" X23 R"(}, "params": {"beta": 1.7}})"},
      {"mish", R"({"op": "mish", "inputs": {"x": )" X23 R"(}})"},
      {"sigmoid", R"({"op": "sigmoid", "inputs": {"x": )" X23 R"(}})"},
      {"tanh", R"({"op": "tanh", "inputs": {"x": )" X23 R"(}})"},
      {"softplus", R"({"op": "softplus", "inputs": {"x": )" X23 R"(}, "params": {"beta": 2}})"},
      {"dropout",
       R"({"op": "dropout", "inputs": {"x": )" X23 R"(}, "params": {"p": 0.3, "seed": 7}})"},
      {"swiglu", R"({"op": "swiglu", "inputs": {"a": )" X23 R"(, "b": )" Y23
                 R"(}, "params": {"beta": 1.3}})"},
      {"swiglu_unfused",
       R"({"op": "swiglu_unfused", "inputs": {"a": )" X23 R"(, "b": )" Y23 R"(}})"},
      {"geglu", R"({"op": "geglu", "inputs": {"a": )" X23 R"(, "b": )" Y23 R"(}})"},
      {"matmul", R"({"op": "matmul", "inputs": {"a": )" X23
                 R"(, "b": {"shape": [3, 2], "data": [0.2, -0.7, 1.1, 0.4, -0.9, 0.6]}}})"},
      {"transpose",
       R"({"op": "transpose", "inputs": {"x": )" X232 R"(}, "params": {"dim0": 0, "dim1": 2}})"},
      {"permute",
       R"({"op": "permute", "inputs": {"x": )" X232 R"(}, "params": {"dims": [2, 0, 1]}})"},
      {"reshape",
       R"({"op": "reshape", "inputs": {"x": )" X23 R"(}, "params": {"shape": [3, -1]}})"},
      {"slice", R"({"op": "slice", "inputs": {"x": )" X23
                R"(}, "params": {"dim": 1, "start": 1, "end": 3}})"},
      {"split",
       R"({"op": "split", "inputs": {"x": )" X23 R"(}, "params": {"sizes": [1, 2], "dim": 1}})"},
      {"concat", R"({"op": "concat", "inputs": {"a": )" X23
                 R"(, "b": {"shape": [1, 3], "data": [0.4, -0.1, 0.8]}}, "params": {"dim": 0}})"},
      {"sum", R"({"op": "sum", "inputs": {"x": )" X232
              R"(}, "params": {"dim": [0, 2], "keepdim": true}})"},
      {"mean", R"({"op": "mean", "inputs": {"x": )" X23 R"(}, "params": {"dim": null}})"},
      {"softmax", R"({"op": "softmax", "inputs": {"x": )" X23 R"(}, "params": {"dim": 0}})"},
      {"log_softmax", R"({"op": "log_softmax", "inputs": {"x": )" X23 R"(}})"},
      {"layer_norm",
       R"({"op": "layer_norm", "inputs": {"x": {"shape": [2, 4], "data": [0.3, -1.2, 0.7, 1.5, -0.4, 2.1, 0.9, -0.8]},
          "weight": {"shape": [4], "data": [1.2, 0.7, -0.5, 1.0]}, "bias": {"shape": [4], "data": [0.1, -0.2, 0.0, 0.3]}}})"},
      {"attention",
       R"({"op": "attention", "inputs": {"qkv": {"shape": [2, 2, 6], "data": [0.3, -1.2, 0.7, 1.5, -0.4, 2.1,
          0.9, -0.8, 1.3, 0.2, -1.7, 0.6, -0.5, 1.1, 0.4, -2.0, 0.8, 0.3, 1.4, -0.6, -0.9, 0.5, 1.2, -1.3]},
          "key_mask": {"shape": [2, 2], "data": [1, 1, 1, 0]}},
          "params": {"n_heads": 2, "p": 0.25, "seed": 3}})"},
      {"masked_fill",
       R"({"op": "masked_fill", "inputs": {"x": )" X23
       R"(, "mask": {"shape": [1, 3], "data": [0, 1, 0]}}, "params": {"value": -2}})"},
      {"embedding",
       R"({"op": "embedding", "inputs": {"weight": {"shape": [3, 2], "data": [0.3, -1.2, 0.7, 1.5, -0.4, 2.1]},
          "indices": {"shape": [2, 2], "data": [0, 2, 2, 1]}}})"},
      {"cross_entropy",
       R"({"op": "cross_entropy", "inputs": {"logits": {"shape": [3, 4], "data": [0.3, -1.2, 0.7, 1.5, -0.4, 2.1, 0.9, -0.8, 1.3, 0.2, -1.7, 0.6]},
          "targets": {"shape": [3], "data": [0, 3, 1]}}})"},
  };
  return examples;
}

#undef X23
#undef Y23
#undef P23
#undef X232

}  // namespace explain_test
