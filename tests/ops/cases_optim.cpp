// The helpers of core/ops.h outside the tape: argmax, sum_squares, the optimizer steps,
// append_step_outputs and the in-place utilities, compared across devices (they have no
// gradient: the registry declares why). An in-place op's case runs it on copies of its inputs
// and returns the state after each call.
#include <string>
#include <vector>

#include "tests/ops/registry.h"
#include "tests/ops/tolerances.h"
#include "tests/ops/values.h"

namespace opcases {

namespace {

using parity::seed_of;

const std::vector<Shape> kParamShapes = {{1}, {7}, {33, 65}, {4099}, {(int64_t(1) << 20) + 3}};

// An optimizer case's inputs: the parameter, then the gradients of its 3 steps.
std::vector<Input> param_and_grads(const Shape& s, const std::string& name) {
  std::vector<Input> in = {constant(s, normal(), seed_of(name))};
  for (int t = 1; t <= 3; ++t)
    in.push_back(constant(s, normal(), seed_of(name + std::to_string(t))));
  return in;
}

void adamw_cases(Registry& r) {
  struct Config {
    double lr, beta1, beta2, eps, weight_decay;
  };
  for (const Config& cfg :
       std::vector<Config>{{1e-3, 0.9, 0.999, 1e-8, 0.01}, {0.1, 0.8, 0.99, 1e-6, 0.0}}) {
    for (const Shape& s : kParamShapes) {
      const std::string name = "adamw lr " + std::to_string(cfg.lr) + " " + shape_str(s);
      r.add({.ops = {"adamw_step"},
             .name = name,
             .inputs = param_and_grads(s, name),
             // Parameter, exp_avg and exp_avg_sq after each of 3 steps.
             .forward =
                 [cfg, s](const std::vector<Tensor>& xs) {
                   Tensor p = xs[0].clone();
                   Tensor m = Tensor::zeros(s, p.device()), v = Tensor::zeros(s, p.device());
                   std::vector<Tensor> states;
                   for (int64_t t = 1; t <= 3; ++t) {
                     ag::adamw_step(p, xs[size_t(t)], m, v,
                                    ag::math::make_adamw_step(cfg.lr, cfg.beta1, cfg.beta2, cfg.eps,
                                                              cfg.weight_decay, t));
                     for (const Tensor* state : {&p, &m, &v}) states.push_back(state->clone());
                   }
                   return states;
                 },
             .parity = kClose});
    }
  }
  // adamw_step_many on a few tensors of different sizes (tests/cuda/optim_parity_test.cpp checks
  // it against adamw_step per tensor over 40 of them).
  const std::vector<Shape> shapes = {{7}, {33, 65}, {4099}};
  std::vector<Input> in;
  for (size_t i = 0; i < shapes.size(); ++i) {
    in.push_back(constant(shapes[i], normal(), seed_of("adamw_step_many p" + std::to_string(i))));
    in.push_back(constant(shapes[i], normal(), seed_of("adamw_step_many g" + std::to_string(i))));
  }
  r.add({.ops = {"adamw_step_many"},
         .name = "adamw_step_many [7], [33, 65], [4099]",
         .inputs = std::move(in),
         .forward =
             [](const std::vector<Tensor>& xs) {
               std::vector<Tensor> p, m, v, g;
               for (size_t i = 0; i < xs.size(); i += 2) {
                 p.push_back(xs[i].clone());
                 g.push_back(xs[i + 1]);
                 m.push_back(Tensor::zeros(xs[i].shape(), xs[i].device()));
                 v.push_back(Tensor::zeros(xs[i].shape(), xs[i].device()));
               }
               std::vector<Tensor*> ps, ms, vs;
               for (size_t i = 0; i < p.size(); ++i) {
                 ps.push_back(&p[i]);
                 ms.push_back(&m[i]);
                 vs.push_back(&v[i]);
               }
               ag::adamw_step_many(ps, g, ms, vs,
                                   ag::math::make_adamw_step(1e-2, 0.9, 0.999, 1e-8, 0.01, 1));
               std::vector<Tensor> out = p;
               out.insert(out.end(), m.begin(), m.end());
               out.insert(out.end(), v.begin(), v.end());
               return out;
             },
         .parity = kClose});
}

void sgd_cases(Registry& r) {
  struct Config {
    float lr, momentum, weight_decay;
  };
  for (const Config& cfg :
       std::vector<Config>{{0.1f, 0.9f, 0.01f}, {0.05f, 0.0f, 0.0f}, {0.3f, 0.5f, 0.0f}}) {
    for (const Shape& s : kParamShapes) {
      const std::string name = "sgd momentum " + std::to_string(cfg.momentum) + " " + shape_str(s);
      r.add({.ops = {"sgd_step"},
             .name = name,
             .inputs = param_and_grads(s, name),
             // The parameter (and the momentum buffer, when there is momentum) after each step.
             .forward =
                 [cfg, s](const std::vector<Tensor>& xs) {
                   Tensor p = xs[0].clone();
                   Tensor buf = Tensor::zeros(s, p.device());
                   std::vector<Tensor> states;
                   for (int t = 1; t <= 3; ++t) {
                     ag::sgd_step(
                         p, xs[size_t(t)], buf,
                         ag::math::SgdStep{cfg.lr, cfg.momentum, cfg.weight_decay, t == 1});
                     states.push_back(p.clone());
                     if (cfg.momentum != 0.0f) states.push_back(buf.clone());
                   }
                   return states;
                 },
             .parity = kClose});
    }
  }
}

// The in-place utilities on every elementwise shape: scale_ (to 1e-5), fill_ and copy_ (bit for
// bit). Each input is drawn from seed_of(its shape).
void in_place_cases(Registry& r) {
  for (const Shape& s : parity::elementwise_shapes(true)) {
    const uint64_t seed = seed_of(shape_str(s));
    r.add({.ops = {"scale_"},
           .name = "scale_ 0.37 " + shape_str(s),
           .inputs = {constant(s, normal(), seed)},
           .forward = unary([](const Tensor& x) {
             Tensor y = x.clone();
             ag::scale_(y, 0.37f);
             return y;
           }),
           .parity = kClose});
    r.add({.ops = {"fill_"},
           .name = "fill_ -2.5 " + shape_str(s),
           .inputs = {constant(s, normal(), seed)},
           .forward = unary([](const Tensor& x) {
             Tensor y = x.clone();
             ag::fill_(y, -2.5f);
             return y;
           }),
           .parity = kExact});
    r.add({.ops = {"copy_"},
           .name = "copy_ on one device " + shape_str(s),
           .inputs = {constant(s, normal(), seed)},
           .forward = unary([](const Tensor& x) {
             Tensor y = Tensor::zeros(x.shape(), x.device());
             ag::copy_(y, x);
             return y;
           }),
           .parity = kExact});
  }
}

void step_outputs_cases(Registry& r) {
  // Two training steps' outputs into slots 0 and 1 of 3 (losses, predictions, counter).
  r.add(
      {.ops = {"append_step_outputs"},
       .name = "append_step_outputs two steps, rows 5 of 6, 4 classes",
       .inputs = {constant({1}, normal(), 1), constant({5, 4}, normal(), 2),
                  constant({1}, normal(), 3), constant({5, 4}, normal(), 4)},
       .forward =
           [](const std::vector<Tensor>& xs) {
             const ag::Device d = xs[0].device();
             Tensor losses = Tensor::zeros({3}, d);
             Tensor predictions = Tensor::from_indices(std::vector<int32_t>(18, -1), {3, 6}).to(d);
             Tensor counter = Tensor::from_indices({0}, {1}).to(d);
             ag::append_step_outputs(xs[0], xs[1], losses, predictions, counter);
             ag::append_step_outputs(xs[2], xs[3], losses, predictions, counter);
             return std::vector<Tensor>{losses, predictions, counter};
           },
       .parity = kClose});
}

}  // namespace

void optim_cases(Registry& r) {
  // argmax: the first of equal maxima, like torch.argmax (special_parity_test.cpp has ties and
  // NaN); compared exactly (int32).
  for (const Shape& s : std::vector<Shape>{
           {1, 1}, {7}, {7, 33}, {3, 5, 1025}, {1000, 2}, {4, 4099}, {2, 1}, {129, 255}}) {
    const std::string name = "argmax " + shape_str(s);
    r.add({.ops = {"argmax"},
           .name = name,
           .inputs = {constant(s, normal(), seed_of(name))},
           .forward = unary([](const Tensor& x) { return ag::argmax(x); }),
           .parity = kClose});
  }
  for (const Shape& s : parity::elementwise_shapes(true)) {
    const std::string name = "sum_squares " + shape_str(s);
    r.add({.ops = {"sum_squares"},
           .name = name,
           .inputs = {constant(s, normal(), seed_of(name))},
           .forward = unary([](const Tensor& x) { return ag::sum_squares(x); }),
           .parity = kClose});
  }
  adamw_cases(r);
  sgd_cases(r);
  in_place_cases(r);
  step_outputs_cases(r);

  using E = Registry::Exemption;
  r.declare("argmax", E::NoGradient, "integer indices: nothing to differentiate");
  r.declare("sum_squares", E::NoGradient,
            "records no backward: it measures gradients (their norm), outside the tape");
  for (const char* op : {"adamw_step", "adamw_step_many", "sgd_step", "append_step_outputs",
                         "scale_", "fill_", "copy_"}) {
    r.declare(op, E::NoGradient, "updates its arguments in place, outside the tape");
  }
  r.declare("set_num_threads", E::NotAnOp, "a setting of the CPU backend (OpenMP threads)");
  r.declare("num_threads", E::NotAnOp, "reads a setting of the CPU backend");
}

}  // namespace opcases
