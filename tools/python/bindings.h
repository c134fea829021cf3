// The pieces of the tapegrad Python extension (_tapegrad): each bind_*.cpp adds one part of the
// API to the module; module.cpp calls them in order and maps C++ errors to Python exceptions.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "core/tensor.h"

namespace ag::python {

namespace py = pybind11;

// A run or a computation that failed at run time (divergence, misuse of the tape): raised in
// Python as RuntimeError.
class RuntimeFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void bind_tensor(py::module_& m);  // Tensor, Generator, creation, NumPy conversion
void bind_ops(py::module_& m);     // every op of core/ops.h, under explain's names
void bind_tape(py::module_& m);    // no_grad, tape(), to_dot()
void bind_nn(py::module_& m);      // modules and optimizers
void bind_sst2(py::module_& m);    // the SST-2 runner

// A `dim` argument: None (all dims), an int, or a sequence of ints.
std::optional<std::vector<int64_t>> dims_arg(const py::object& dim);
// sum or mean of t over `dims`; all of them when nullopt (a scalar, or size-1 dims with keepdim).
Tensor reduce(const Tensor& t, const std::optional<std::vector<int64_t>>& dims, bool keepdim,
              bool mean);

// The shape as a Python tuple.
py::tuple shape_tuple(const Shape& shape);

}  // namespace ag::python
