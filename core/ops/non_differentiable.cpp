// Non-differentiable tensor utilities: optimizer steps, in-place scaling and filling, norms,
// argmax, copies, the step outputs kept on the device.
#include "core/ops/op_util.h"

namespace ag {

using detail::be;

namespace {

void check_state(const Tensor& p, const Tensor& other, const char* op, const char* what) {
  check_float(other, op, what);
  check_same_device(p, other, op);
  AG_CHECK(other.shape() == p.shape(), op, ": ", what, " ", to_string(other.shape()),
           " does not match the parameter ", to_string(p.shape()));
}

}  // namespace

Tensor sum_squares(const Tensor& x) {
  check_float(x, "sum_squares", "x");
  Tensor y = Tensor::empty({}, x.device());
  be(x).sum_squares(x.data(), x.numel(), y.data());
  return y;
}

Tensor argmax(const Tensor& x) {
  check_float(x, "argmax", "x");
  AG_CHECK(x.ndim() >= 1 && x.shape().back() > 0, "argmax: needs a non-empty last dim, got ",
           to_string(x.shape()));
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  Tensor out = Tensor::empty(out_shape, x.device(), DType::I32);
  const int64_t cols = x.shape().back();
  be(x).argmax_rows(x.data(), out.idata(), x.numel() / cols, cols);
  return out;
}

void adamw_step(Tensor& p, const Tensor& grad, Tensor& m, Tensor& v, const math::AdamWStep& s) {
  check_float(p, "adamw", "param");
  check_state(p, grad, "adamw", "grad");
  check_state(p, m, "adamw", "exp_avg");
  check_state(p, v, "adamw", "exp_avg_sq");
  be(p).adamw(p.data(), grad.data(), m.data(), v.data(), p.numel(), s);
}

void adamw_step_many(const std::vector<Tensor*>& params, const std::vector<Tensor>& grads,
                     const std::vector<Tensor*>& exp_avg, const std::vector<Tensor*>& exp_avg_sq,
                     const math::AdamWStep& s, const Tensor& device_step) {
  AG_CHECK(grads.size() == params.size() && exp_avg.size() == params.size() &&
               exp_avg_sq.size() == params.size(),
           "adamw_step_many: ", params.size(), " params, ", grads.size(), " grads, ",
           exp_avg.size(), " exp_avg, ", exp_avg_sq.size(), " exp_avg_sq");
  if (params.empty()) return;
  std::vector<math::AdamWSpan> spans;
  spans.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor& p = *params[i];
    check_float(p, "adamw", "param");
    check_same_device(*params[0], p, "adamw_step_many");
    check_state(p, grads[i], "adamw", "grad");
    check_state(p, *exp_avg[i], "adamw", "exp_avg");
    check_state(p, *exp_avg_sq[i], "adamw", "exp_avg_sq");
    spans.push_back(
        {p.data(), grads[i].data(), exp_avg[i]->data(), exp_avg_sq[i]->data(), p.numel()});
  }
  const math::AdamWStep* on_device = nullptr;
  if (device_step.defined()) {
    check_float(device_step, "adamw_step_many", "device_step");
    check_same_device(*params[0], device_step, "adamw_step_many");
    static_assert(sizeof(math::AdamWStep) == 7 * sizeof(float));
    AG_CHECK(device_step.numel() == 7,
             "adamw_step_many: device_step must hold the 7 floats of "
             "one AdamWStep, got ",
             to_string(device_step.shape()));
    on_device = reinterpret_cast<const math::AdamWStep*>(device_step.data());
  }
  be(*params[0]).adamw_many(spans.data(), int64_t(spans.size()), s, on_device);
}

void append_step_outputs(const Tensor& loss, const Tensor& logits, Tensor& losses,
                         Tensor& predictions, Tensor& counter) {
  check_float(loss, "append_step_outputs", "loss");
  check_float(logits, "append_step_outputs", "logits");
  check_float(losses, "append_step_outputs", "losses");
  check_int(predictions, "append_step_outputs", "predictions");
  check_int(counter, "append_step_outputs", "counter");
  for (const Tensor* t :
       {&logits, static_cast<const Tensor*>(&losses), static_cast<const Tensor*>(&predictions),
        static_cast<const Tensor*>(&counter)})
    check_same_device(loss, *t, "append_step_outputs");
  AG_CHECK(loss.numel() == 1 && counter.numel() == 1 && logits.ndim() == 2 &&
               predictions.ndim() == 2 && predictions.shape()[0] == losses.numel() &&
               losses.numel() > 0 && logits.shape()[0] <= predictions.shape()[1],
           "append_step_outputs: loss ", to_string(loss.shape()), ", logits ",
           to_string(logits.shape()), ", losses ", to_string(losses.shape()), ", predictions ",
           to_string(predictions.shape()), ", counter ", to_string(counter.shape()),
           " (want one loss, logits [rows, C], losses [n], predictions [n, >= rows], counter [1])");
  be(loss).append_step_outputs(loss.data(), logits.data(), logits.shape()[0], logits.shape()[1],
                               losses.data(), predictions.idata(), predictions.shape()[1],
                               counter.idata(), losses.numel());
}

void sgd_step(Tensor& p, const Tensor& grad, Tensor& buf, const math::SgdStep& s) {
  check_float(p, "sgd", "param");
  check_state(p, grad, "sgd", "grad");
  check_state(p, buf, "sgd", "momentum_buffer");
  be(p).sgd(p.data(), grad.data(), buf.data(), p.numel(), s);
}

void scale_(Tensor& x, float s) {
  check_float(x, "scale_", "x");
  be(x).scale_inplace(x.data(), s, x.numel());
}

void fill_(Tensor& x, float value) {
  check_float(x, "fill_", "x");
  be(x).fill(x.data(), x.numel(), value);
}

void copy_(Tensor& dst, const Tensor& src) {
  check_defined(dst, "copy_", "dst");
  check_defined(src, "copy_", "src");
  AG_CHECK(dst.shape() == src.shape() && dst.dtype() == src.dtype(), "copy_: ", src.describe(),
           " into ", dst.describe());
  const Tensor moved = src.to(dst.device());
  const size_t bytes = size_t(dst.numel()) * dtype_size(dst.dtype());
  if (bytes == 0) return;
  const void* from = dst.dtype() == DType::F32 ? static_cast<const void*>(moved.data())
                                               : static_cast<const void*>(moved.idata());
  void* to =
      dst.dtype() == DType::F32 ? static_cast<void*>(dst.data()) : static_cast<void*>(dst.idata());
  be(dst).copy(to, from, bytes);
}

}  // namespace ag
