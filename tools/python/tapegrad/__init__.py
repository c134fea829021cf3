"""tapegrad: a tape-based autograd engine (C++, CPU and CUDA) for Python.

    import tapegrad as tg
    x = tg.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    tg.silu(x).sum().backward()
    print(x.grad.numpy())

Tensors are float32 (int32 for indices and targets), always contiguous; every op of the
engine is a function of this module, named as `tools/explain` names it. See
tools/python/README.md for a tutorial.
"""

import sys as _sys

from . import _build_info


def _numpy_importable():
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


# The extension was built against one CPython (the interpreter CMake found with NumPy, e.g.
# Debian's /usr/bin/python3). Another interpreter of the same version (pyenv, a venv) can load
# it but may lack NumPy; Debian's NumPy for that version is ABI-compatible, so its
# dist-packages is appended (last, so it never shadows the interpreter's own packages), only
# when NumPy is missing and the versions match.
if not _numpy_importable() and tuple(_sys.version_info[:2]) == _build_info.PYTHON_VERSION:
    for _path in _build_info.NUMPY_FALLBACK_PATHS:
        if _path not in _sys.path:
            _sys.path.append(_path)

import numpy as _np  # noqa: E402

from . import _tapegrad as _C  # noqa: E402
from ._tapegrad import (  # noqa: E402,F401
    Generator, Tensor, zeros, ones, randn, cuda_available, set_num_threads, num_threads,
    add, sub, mul, div, neg, add_scalar, sub_scalar, rsub_scalar, mul_scalar, div_scalar,
    exp, log, sqrt, pow, masked_fill,
    relu, leaky_relu, elu, selu, gelu, silu, swish, mish, sigmoid, tanh, softplus, dropout,
    swiglu, swiglu_unfused, geglu,
    matmul, transpose, permute, reshape, slice, split, concat,
    sum, mean, softmax, log_softmax, layer_norm, attention, embedding, cross_entropy, argmax,
    grad_enabled, tape, clear_tape, to_dot,
)
from . import nn, optim, sst2  # noqa: E402,F401

__all__ = [name for name in dir() if not name.startswith("_")]

_INT32 = _np.iinfo(_np.int32)


def tensor(data, requires_grad=False, device="cpu"):
    """A tensor from anything NumPy can turn into an array: floats and booleans become float32,
    integers int32 (indices, targets). Strided and non-contiguous arrays are copied."""
    if isinstance(data, Tensor):
        data = data.numpy()
    arr = _np.asarray(data)
    kind = arr.dtype.kind
    if kind in "iu":
        if requires_grad:
            raise ValueError("tensor: an integer tensor (indices, targets) cannot require a "
                             "gradient; pass floats, e.g. np.asarray(data, dtype=np.float32)")
        if arr.dtype != _np.int32 and arr.size and (arr.min() < _INT32.min
                                                    or arr.max() > _INT32.max):
            raise ValueError("tensor: integer values outside int32's range")
        return _C._from_int_array(_np.asarray(arr, dtype=_np.int32, order="C"), device)
    if kind not in "fb":
        raise TypeError(f"tensor: cannot make a float32 or int32 tensor from dtype {arr.dtype}")
    return _C._from_float_array(_np.asarray(arr, dtype=_np.float32, order="C"), device,
                                requires_grad)


class no_grad:
    """Context manager: ops inside record nothing on the tape (evaluation, updates)."""

    def __enter__(self):
        self._guard = _C._NoGrad()
        self._guard.__enter__()
        return self

    def __exit__(self, *exc):
        self._guard.__exit__(*exc)
        return False


def manual_seed(seed):
    """Resets the generator that dropout in module forward passes uses when given none."""
    _C.nn.manual_seed(seed)
