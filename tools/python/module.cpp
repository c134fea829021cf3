// The _tapegrad extension module: the engine, the modules and the runner for Python. The
// package tools/python/tapegrad/ wraps it into the public API (tapegrad, tapegrad.nn, ...).
#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"
#include "experiments/runner/config.h"
#include "tools/explain_cli/input_error.h"
#include "tools/python/bindings.h"

namespace ag::python {

namespace {

// Engine errors are mostly about arguments (shapes, devices, dtypes, values): ValueError. The
// tape's state errors (backward twice, a tensor of a freed graph) are about the order of calls:
// RuntimeError, as in PyTorch.
bool is_tape_state_error(const char* message) {
  return std::strstr(message, "tape") != nullptr ||
         std::strstr(message, "does not require a gradient") != nullptr;
}

void translate_errors() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const RuntimeFailure& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const WriteError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const sst2::UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const explain::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const Error& e) {
      PyErr_SetString(is_tape_state_error(e.what()) ? PyExc_RuntimeError : PyExc_ValueError,
                      e.what());
    }
  });
}

}  // namespace

py::tuple shape_tuple(const Shape& shape) {
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t[i] = py::int_(shape[i]);
  return t;
}

}  // namespace ag::python

PYBIND11_MODULE(_tapegrad, m) {
  namespace py = pybind11;
  m.doc() = "tapegrad's engine, modules and SST-2 runner (use the tapegrad package)";
  ag::python::translate_errors();
  ag::python::bind_tensor(m);
  ag::python::bind_ops(m);
  ag::python::bind_tape(m);
  py::module_ nn = m.def_submodule("nn", "modules and optimizers");
  ag::python::bind_nn(nn);
  py::module_ sst2 = m.def_submodule("sst2", "the SST-2 runner");
  ag::python::bind_sst2(sst2);
}
