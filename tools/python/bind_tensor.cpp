// Tensor and Generator for Python: creation from NumPy arrays, copies back to NumPy, autograd
// entry points and the arithmetic operators (NumPy broadcasting, as the engine's ops).
#include <cstring>
#include <optional>

#include "core/backend.h"
#include "core/ops.h"
#include "tools/python/bindings.h"

namespace ag::python {

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
using IntArray = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

Shape array_shape(const py::array& a) {
  Shape s;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s.push_back(int64_t(a.shape(i)));
  return s;
}

// One copy from the (contiguous, converted) array into a CPU tensor, then to the device.
Tensor from_float_array(const FloatArray& a, const std::string& device, bool requires_grad) {
  Tensor t = Tensor::empty(array_shape(a), Device::CPU, DType::F32);
  if (t.numel() > 0) std::memcpy(t.data(), a.data(), size_t(t.numel()) * sizeof(float));
  t = t.to(parse_device(device));
  if (requires_grad) t.requires_grad_(true);
  return t;
}

Tensor from_int_array(const IntArray& a, const std::string& device) {
  Tensor t = Tensor::empty(array_shape(a), Device::CPU, DType::I32);
  if (t.numel() > 0) std::memcpy(t.idata(), a.data(), size_t(t.numel()) * sizeof(int32_t));
  return t.to(parse_device(device));
}

py::array to_numpy(const Tensor& t) {
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  if (t.dtype() == DType::I32) {
    const std::vector<int32_t> v = t.to_int_vector();
    py::array_t<int32_t> out(shape);
    if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(int32_t));
    return out;
  }
  const std::vector<float> v = t.to_vector();
  py::array_t<float> out(shape);
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(float));
  return out;
}

Shape to_shape(const std::vector<int64_t>& dims) {
  return Shape(dims.begin(), dims.end());
}

Tensor with_grad(Tensor t, bool requires_grad) {
  if (requires_grad) t.requires_grad_(true);
  return t;
}

std::string repr(const Tensor& t) {
  std::string s = "tapegrad.Tensor(" + t.describe();
  if (t.requires_grad()) s += ", requires_grad=True";
  return s + ")";
}

// s / x as one op of the tape: a broadcast scalar tensor over x.
Tensor scalar_div(float s, const Tensor& x) {
  return ag::div(Tensor::full({}, s, x.device()), x);
}

}  // namespace

void bind_tensor(py::module_& m) {
  py::class_<Generator>(m, "Generator",
                        "A seeded, counter-based random source (dropout masks, initialisation)")
      .def(py::init<uint64_t>(), py::arg("seed") = 0)
      .def_property_readonly("seed", &Generator::seed)
      .def_property_readonly("offset", &Generator::offset)
      .def("set_state", &Generator::set_state, py::arg("seed"), py::arg("offset"));

  py::class_<Tensor>(m, "Tensor", "An n-dimensional float32 (or int32) array on one device")
      .def_property_readonly("shape", [](const Tensor& t) { return shape_tuple(t.shape()); })
      .def_property_readonly("ndim", &Tensor::ndim)
      .def_property_readonly("device", [](const Tensor& t) { return device_name(t.device()); })
      .def_property_readonly("dtype", [](const Tensor& t) { return dtype_name(t.dtype()); })
      .def_property_readonly("requires_grad", &Tensor::requires_grad)
      .def_property_readonly("is_leaf", &Tensor::is_leaf)
      .def_property_readonly("grad",
                             [](const Tensor& t) -> py::object {
                               const Tensor g = t.grad();
                               return g.defined() ? py::cast(g) : py::none();
                             })
      .def_property(
          "name", [](const Tensor& t) { return t.name(); },
          [](Tensor& t, const std::string& n) { t.set_name(n); })
      .def("numel", &Tensor::numel)
      .def("__len__",
           [](const Tensor& t) {
             if (t.ndim() == 0) throw py::type_error("len() of a 0-d tensor");
             return t.shape()[0];
           })
      .def("numpy", &to_numpy, "A copy of the values as a NumPy array (float32 or int32)")
      .def(
          "__array__",
          [](const Tensor& t, const py::object& dtype) -> py::object {
            py::array a = to_numpy(t);
            return dtype.is_none() ? py::object(a) : a.attr("astype")(dtype);
          },
          py::arg("dtype") = py::none())
      .def("item", &Tensor::item)
      .def(
          "to", [](const Tensor& t, const std::string& d) { return t.to(parse_device(d)); },
          py::arg("device"))
      .def("detach", &Tensor::detach)
      .def("clone", &Tensor::clone)
      .def("requires_grad_", &Tensor::requires_grad_, py::arg("requires_grad") = true,
           py::return_value_policy::reference_internal)
      .def(
          "backward",
          [](const Tensor& t, std::optional<Tensor> grad, bool retain_grads) {
            BackwardOptions options;
            options.retain_grads = retain_grads;
            ag::backward(t, grad ? *grad : Tensor(), options);
          },
          py::arg("grad") = py::none(), py::arg("retain_grads") = false)
      .def("zero_grad", &Tensor::zero_grad)
      .def(
          "sum",
          [](const Tensor& t, const py::object& dim, bool keepdim) {
            return reduce(t, dims_arg(dim), keepdim, false);
          },
          py::arg("dim") = py::none(), py::arg("keepdim") = false,
          "Sum over `dim` (an int or a list); over all elements when None, as NumPy's sum")
      .def(
          "mean",
          [](const Tensor& t, const py::object& dim, bool keepdim) {
            return reduce(t, dims_arg(dim), keepdim, true);
          },
          py::arg("dim") = py::none(), py::arg("keepdim") = false)
      .def("reshape", [](const Tensor& t,
                         const std::vector<int64_t>& s) { return ag::reshape(t, to_shape(s)); })
      .def("reshape",
           [](const Tensor& t, py::args dims) {
             return ag::reshape(t, to_shape(dims.cast<std::vector<int64_t>>()));
           })
      .def(
          "__add__", [](const Tensor& a, const Tensor& b) { return a + b; }, py::is_operator())
      .def(
          "__add__", [](const Tensor& a, float s) { return a + s; }, py::is_operator())
      .def(
          "__radd__", [](const Tensor& a, float s) { return a + s; }, py::is_operator())
      .def(
          "__sub__", [](const Tensor& a, const Tensor& b) { return a - b; }, py::is_operator())
      .def(
          "__sub__", [](const Tensor& a, float s) { return a - s; }, py::is_operator())
      .def(
          "__rsub__", [](const Tensor& a, float s) { return s - a; }, py::is_operator())
      .def(
          "__mul__", [](const Tensor& a, const Tensor& b) { return a * b; }, py::is_operator())
      .def(
          "__mul__", [](const Tensor& a, float s) { return a * s; }, py::is_operator())
      .def(
          "__rmul__", [](const Tensor& a, float s) { return a * s; }, py::is_operator())
      .def(
          "__truediv__", [](const Tensor& a, const Tensor& b) { return a / b; }, py::is_operator())
      .def(
          "__truediv__", [](const Tensor& a, float s) { return a / s; }, py::is_operator())
      .def(
          "__rtruediv__", [](const Tensor& a, float s) { return scalar_div(s, a); },
          py::is_operator())
      .def(
          "__matmul__", [](const Tensor& a, const Tensor& b) { return ag::matmul(a, b); },
          py::is_operator())
      .def("__neg__", [](const Tensor& a) { return -a; })
      .def("__repr__", &repr);

  // Creation. The Python package's tensor() picks the dtype and calls one of these two.
  m.def("_from_float_array", &from_float_array, py::arg("array"), py::arg("device") = "cpu",
        py::arg("requires_grad") = false);
  m.def("_from_int_array", &from_int_array, py::arg("array"), py::arg("device") = "cpu");
  m.def(
      "zeros",
      [](const std::vector<int64_t>& shape, uint64_t, bool requires_grad, const std::string& d) {
        return with_grad(Tensor::zeros(to_shape(shape), parse_device(d)), requires_grad);
      },
      py::arg("shape"), py::arg("seed") = 0, py::arg("requires_grad") = false,
      py::arg("device") = "cpu");
  m.def(
      "ones",
      [](const std::vector<int64_t>& shape, uint64_t, bool requires_grad, const std::string& d) {
        return with_grad(Tensor::ones(to_shape(shape), parse_device(d)), requires_grad);
      },
      py::arg("shape"), py::arg("seed") = 0, py::arg("requires_grad") = false,
      py::arg("device") = "cpu");
  m.def(
      "randn",
      [](const std::vector<int64_t>& shape, uint64_t seed, bool requires_grad,
         const std::string& d) {
        Generator gen(seed);
        return with_grad(Tensor::randn(to_shape(shape), gen, 0.0f, 1.0f, parse_device(d)),
                         requires_grad);
      },
      py::arg("shape"), py::arg("seed") = 0, py::arg("requires_grad") = false,
      py::arg("device") = "cpu", "Standard normal draws from Generator(seed)");
  m.def("cuda_available", &cuda_available);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("num_threads", &num_threads);
}

}  // namespace ag::python
