// Elementwise binary functions and their partial derivatives (shared by both backends).
#pragma once

#include "core/math/hd.h"

namespace ag::math {

enum class BinaryOp : int { Add, Sub, Mul, Div, MaskedFill };

struct AddFn {
  AG_HD float forward(float a, float b) const { return a + b; }
  AG_HD float da(float, float) const { return 1.0f; }  // d(a+b)/da = 1
  AG_HD float db(float, float) const { return 1.0f; }  // d(a+b)/db = 1
};
struct SubFn {
  AG_HD float forward(float a, float b) const { return a - b; }
  AG_HD float da(float, float) const { return 1.0f; }   // d(a-b)/da = 1
  AG_HD float db(float, float) const { return -1.0f; }  // d(a-b)/db = -1
};
struct MulFn {
  AG_HD float forward(float a, float b) const { return a * b; }
  AG_HD float da(float, float b) const { return b; }  // d(ab)/da = b
  AG_HD float db(float a, float) const { return a; }  // d(ab)/db = a
};
struct DivFn {
  AG_HD float forward(float a, float b) const { return a / b; }
  AG_HD float da(float, float b) const { return 1.0f / b; }        // d(a/b)/da = 1/b
  AG_HD float db(float a, float b) const { return -a / (b * b); }  // d(a/b)/db = -a/b^2
};
// masked_fill(a, mask, value): value where mask != 0, else a. The mask gets no gradient.
struct MaskedFillFn {
  float value;
  AG_HD float forward(float a, float m) const { return m != 0.0f ? value : a; }
  AG_HD float da(float, float m) const { return m != 0.0f ? 0.0f : 1.0f; }  // 1 where kept
  AG_HD float db(float, float) const { return 0.0f; }
};

template <class F>
inline void visit_binary(BinaryOp op, float scalar, F&& f) {
  switch (op) {
    case BinaryOp::Add:
      return f(AddFn{});
    case BinaryOp::Sub:
      return f(SubFn{});
    case BinaryOp::Mul:
      return f(MulFn{});
    case BinaryOp::Div:
      return f(DivFn{});
    case BinaryOp::MaskedFill:
      return f(MaskedFillFn{scalar});
  }
}

}  // namespace ag::math
