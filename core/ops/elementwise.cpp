// Elementwise arithmetic with broadcasting. The formulas and their partial derivatives live in
// core/math/binary.h and unary.h; here each op checks its inputs, runs the kernel and records a
// backward that multiplies the upstream gradient by the local derivative, then sums it back to
// each input's shape (broadcasting forward = summing backward).
#include "core/ops/op_util.h"

namespace ag {

using math::BinaryOp;
using math::UnaryOp;

namespace detail {

Tensor view_as_shape(const Tensor& x, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.impl()->storage;
  impl->offset = x.impl()->offset;
  impl->shape = shape;
  impl->dtype = x.dtype();
  return Tensor(std::move(impl));
}

Tensor reduce_to_shape(Tensor g, const Shape& shape) {
  if (g.shape() == shape) return g;
  Shape keep(g.shape().size(), 1);  // `shape` right-aligned against g, padded with 1s
  const size_t lead = g.shape().size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) keep[lead + i] = shape[i];
  Tensor out = Tensor::empty(shape, g.device());
  be(g).reduce_sum(make_reduce_plan(g.shape(), keep), g.data(), out.data());
  return out;
}

}  // namespace detail

using detail::be;

namespace {

Tensor binary_op(const char* name, BinaryOp op, float scalar, const Tensor& a, const Tensor& b) {
  check_float(a, name, "a");
  check_float(b, name, "b");
  check_same_device(a, b, name);
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  const math::BroadcastPlan plan = make_broadcast_plan(a.shape(), b.shape(), out_shape);
  Tensor y = Tensor::empty(out_shape, a.device());
  be(a).binary(op, scalar, plan, a.data(), b.data(), y.data());

  // backward: ga = reduce(gy * d op/da), gb = reduce(gy * d op/db)
  record(name, {a, b}, y, [a, b, op, scalar, plan, out_shape](const Tensor& gy) {
    const bool need_a = needs_grad(a);
    const bool need_b = needs_grad(b) && op != BinaryOp::MaskedFill;  // a mask has no gradient
    if (op == BinaryOp::Add) {  // both partials are 1: pass gy through, no kernel
      if (need_a) accumulate_grad(a, detail::reduce_to_shape(gy, a.shape()));
      if (need_b) accumulate_grad(b, detail::reduce_to_shape(gy, b.shape()));
      return;
    }
    Tensor ga = need_a ? Tensor::empty(out_shape, a.device()) : Tensor();
    Tensor gb = need_b ? Tensor::empty(out_shape, b.device()) : Tensor();
    be(a).binary_backward(op, scalar, plan, a.data(), b.data(), gy.data(),
                          need_a ? ga.data() : nullptr, need_b ? gb.data() : nullptr);
    if (need_a) accumulate_grad(a, detail::reduce_to_shape(std::move(ga), a.shape()));
    if (need_b) accumulate_grad(b, detail::reduce_to_shape(std::move(gb), b.shape()));
  });
  return y;
}

Tensor unary_named(const Tensor& x, UnaryOp op, float scalar, const char* name) {
  math::UnaryParams p;
  p.scalar = scalar;
  return unary(x, op, p, name);
}

}  // namespace

Tensor unary(const Tensor& x, UnaryOp op, const math::UnaryParams& prm, const char* name) {
  check_float(x, name, "x");
  Tensor y = detail::empty_like(x);
  be(x).unary(op, prm, x.data(), y.data(), x.numel());
  // backward: gx = gy * f'(x), f' from core/math/unary.h (recomputed from x, nothing saved)
  record(name, {x}, y, [x, op, prm](const Tensor& gy) {
    Tensor gx = detail::empty_like(x);
    be(x).unary_backward(op, prm, x.data(), gy.data(), gx.data(), x.numel());
    accumulate_grad(x, std::move(gx));
  });
  return y;
}

// d(a+b)/da = 1,        d(a+b)/db = 1
Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op("add", BinaryOp::Add, 0, a, b);
}
// d(a-b)/da = 1,        d(a-b)/db = -1
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_op("sub", BinaryOp::Sub, 0, a, b);
}
// d(ab)/da = b,         d(ab)/db = a
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_op("mul", BinaryOp::Mul, 0, a, b);
}
// d(a/b)/da = 1/b,      d(a/b)/db = -a/b^2
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_op("div", BinaryOp::Div, 0, a, b);
}
// d/dx = 1 where the mask is 0, else 0
Tensor masked_fill(const Tensor& x, const Tensor& mask, float value) {
  check_float(mask, "masked_fill", "mask");
  AG_CHECK(broadcast_shapes(x.shape(), mask.shape(), "masked_fill") == x.shape(),
           "masked_fill: mask ", to_string(mask.shape()), " must broadcast to x ",
           to_string(x.shape()));
  return binary_op("masked_fill", BinaryOp::MaskedFill, value, x, mask.detach());
}

// d(x+s)/dx = 1
Tensor add(const Tensor& x, float s) {
  return unary_named(x, UnaryOp::AddScalar, s, "add_scalar");
}
// d(x-s)/dx = 1
Tensor sub(const Tensor& x, float s) {
  return unary_named(x, UnaryOp::SubScalar, s, "sub_scalar");
}
// d(s-x)/dx = -1
Tensor rsub(float s, const Tensor& x) {
  return unary_named(x, UnaryOp::RSubScalar, s, "rsub_scalar");
}
// d(xs)/dx = s
Tensor mul(const Tensor& x, float s) {
  return unary_named(x, UnaryOp::MulScalar, s, "mul_scalar");
}
// d(x/s)/dx = 1/s
Tensor div(const Tensor& x, float s) {
  return unary_named(x, UnaryOp::DivScalar, s, "div_scalar");
}
// d(-x)/dx = -1
Tensor neg(const Tensor& x) {
  return unary_named(x, UnaryOp::Neg, 0, "neg");
}
// d e^x/dx = e^x
Tensor exp(const Tensor& x) {
  return unary_named(x, UnaryOp::Exp, 0, "exp");
}
// d log x/dx = 1/x
Tensor log(const Tensor& x) {
  return unary_named(x, UnaryOp::Log, 0, "log");
}
// d sqrt(x)/dx = 1/(2 sqrt(x))
Tensor sqrt(const Tensor& x) {
  return unary_named(x, UnaryOp::Sqrt, 0, "sqrt");
}
// d x^p/dx = p x^(p-1)
Tensor pow(const Tensor& x, float exponent) {
  return unary_named(x, UnaryOp::Pow, exponent, "pow");
}

}  // namespace ag
