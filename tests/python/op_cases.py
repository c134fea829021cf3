"""Every op of tools/explain's table as a test case: how to make its inputs, how to call it
through tapegrad, and a float64 NumPy reference. test_ops.py checks forward values and
gradients (central differences of the reference); test_torch.py compares with torch."""

import math

import numpy as np

import tapegrad as tg

SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772
_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    return _erf(x).astype(np.float64)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softplus(x, beta=1.0):
    return np.where(beta * x > 20, x, np.log1p(np.exp(np.minimum(beta * x, 20))) / beta)


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def softmax(x, dim=-1):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def attention(qkv, key_mask, heads):
    b, t, d3 = qkv.shape
    d = d3 // 3
    dh = d // heads
    q, k, v = (qkv[..., i * d:(i + 1) * d].reshape(b, t, heads, dh).transpose(0, 2, 1, 3)
               for i in range(3))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh)
    scores = np.where(key_mask[:, None, None, :] != 0, scores, -np.inf)
    return (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(b, t, d)


def log_softmax(x, dim=-1):
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def layer_norm(x, w=None, b=None, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def cross_entropy(logits, targets):
    return -log_softmax(logits)[np.arange(len(targets)), targets].mean()


class Case:
    """inputs: name -> ("float", shape, (lo, hi)) | ("index", shape, n) | ("mask", shape) |
    ("const", array). call(**tensors) runs tapegrad; ref(**arrays) is the float64 reference."""

    def __init__(self, op, inputs, call, ref, name=None):
        self.op, self.inputs, self.call, self.ref = op, inputs, call, ref
        self.name = name or op

    def arrays(self, seed=0):
        rng = np.random.default_rng(seed)
        out = {}
        for key, spec in self.inputs.items():
            kind = spec[0]
            if kind == "float":
                lo, hi = spec[2] if len(spec) > 2 else (-2.0, 2.0)
                out[key] = rng.uniform(lo, hi, size=spec[1]).astype(np.float32).astype(np.float64)
            elif kind == "index":
                out[key] = rng.integers(0, spec[2], size=spec[1]).astype(np.int32)
            elif kind == "mask":
                out[key] = (rng.uniform(size=spec[1]) < 0.4).astype(np.float64)
            else:
                out[key] = np.asarray(spec[1])
        return out

    def float_inputs(self):
        return [k for k, s in self.inputs.items() if s[0] == "float"]


F = "float"
POS = (0.5, 2.0)
AWAY = (0.5, 2.0)


def _unary(op, ref, rng_=None, name=None, **params):
    spec = (F, (3, 5)) + ((rng_,) if rng_ else ())
    return Case(op, {"x": spec}, lambda x: getattr(tg, op)(x, **params),
                lambda x: ref(x), name=name)


def _binary(op, ref, b_shape=(3, 5), b_range=None, name=None):
    b_spec = (F, b_shape) + ((b_range,) if b_range else ())
    return Case(op, {"a": (F, (3, 5)), "b": b_spec}, lambda a, b: getattr(tg, op)(a, b), ref,
                name=name)


def _neg_exp(x, alpha):
    return alpha * (np.exp(x) - 1)


CASES = [
    _binary("add", lambda a, b: a + b),
    _binary("add", lambda a, b: a + b, b_shape=(5,), name="add_broadcast_row"),
    _binary("sub", lambda a, b: a - b, b_shape=(3, 1), name="sub_broadcast_col"),
    _binary("mul", lambda a, b: a * b, b_shape=(1, 5), name="mul_broadcast"),
    _binary("div", lambda a, b: a / b, b_range=AWAY),
    _unary("neg", lambda x: -x),
    _unary("add_scalar", lambda x: x + 1.5, scalar=1.5),
    _unary("sub_scalar", lambda x: x - 1.5, scalar=1.5),
    _unary("rsub_scalar", lambda x: 1.5 - x, scalar=1.5),
    _unary("mul_scalar", lambda x: x * -2.5, scalar=-2.5),
    _unary("div_scalar", lambda x: x / 4.0, scalar=4.0),
    _unary("exp", np.exp),
    _unary("log", np.log, POS),
    _unary("sqrt", np.sqrt, POS),
    _unary("pow", lambda x: x**3.0, POS, exponent=3.0),
    _unary("relu", lambda x: np.maximum(x, 0)),
    _unary("leaky_relu", lambda x: np.where(x > 0, x, 0.1 * x), alpha=0.1),
    _unary("elu", lambda x: np.where(x > 0, x, _neg_exp(x, 0.7)), alpha=0.7),
    _unary("selu", lambda x: SELU_SCALE * np.where(x > 0, x, _neg_exp(x, SELU_ALPHA))),
    _unary("gelu", gelu),
    _unary("gelu", lambda x: gelu(x, "tanh"), name="gelu_tanh", approximate="tanh"),
    _unary("silu", lambda x: x * sigmoid(x)),
    _unary("swish", lambda x: x * sigmoid(1.7 * x), beta=1.7),
    _unary("mish", lambda x: x * np.tanh(softplus(x))),
    _unary("sigmoid", sigmoid),
    _unary("tanh", np.tanh),
    _unary("softplus", lambda x: softplus(x, 2.0), beta=2.0),
    _binary("swiglu", lambda a, b: a * sigmoid(a) * b),
    Case("swiglu", {"a": (F, (3, 5)), "b": (F, (3, 5))},
         lambda a, b: tg.swiglu(a, b, beta=2.0), lambda a, b: a * sigmoid(2.0 * a) * b,
         name="swiglu_beta"),
    _binary("swiglu_unfused", lambda a, b: a * sigmoid(a) * b),
    _binary("geglu", lambda a, b: gelu(a) * b),
    Case("matmul", {"a": (F, (3, 4)), "b": (F, (4, 5))}, tg.matmul, lambda a, b: a @ b),
    Case("matmul", {"a": (F, (2, 3, 4)), "b": (F, (2, 4, 5))}, tg.matmul, lambda a, b: a @ b,
         name="matmul_batched"),
    Case("matmul", {"a": (F, (2, 3, 4)), "b": (F, (4, 5))}, tg.matmul, lambda a, b: a @ b,
         name="matmul_shared_weight"),
    Case("transpose", {"x": (F, (2, 3, 4))}, lambda x: tg.transpose(x, 0, 2),
         lambda x: np.swapaxes(x, 0, 2)),
    Case("permute", {"x": (F, (2, 3, 4))}, lambda x: tg.permute(x, [2, 0, 1]),
         lambda x: np.transpose(x, (2, 0, 1))),
    Case("reshape", {"x": (F, (2, 3, 4))}, lambda x: tg.reshape(x, [4, -1]),
         lambda x: x.reshape(4, -1)),
    Case("slice", {"x": (F, (4, 5))}, lambda x: tg.slice(x, dim=1, start=1, end=-1),
         lambda x: x[:, 1:-1]),
    Case("split", {"x": (F, (5, 3))}, lambda x: tg.split(x, sizes=[2, 3], dim=0),
         lambda x: [x[:2], x[2:]]),
    Case("split", {"x": (F, (3, 4))}, lambda x: tg.split(x, split_size=2, dim=1),
         lambda x: [x[:, :2], x[:, 2:]], name="split_chunks"),
    Case("concat", {"a": (F, (2, 3)), "b": (F, (2, 4))}, lambda a, b: tg.concat(a, b, dim=1),
         lambda a, b: np.concatenate([a, b], axis=1)),
    Case("sum", {"x": (F, (3, 4))}, lambda x: tg.sum(x), lambda x: x.sum(axis=-1)),
    Case("sum", {"x": (F, (2, 3, 4))}, lambda x: tg.sum(x, dim=[0, 2], keepdim=True),
         lambda x: x.sum(axis=(0, 2), keepdims=True), name="sum_dims_keepdim"),
    Case("sum", {"x": (F, (2, 3))}, lambda x: tg.sum(x, dim=None), lambda x: x.sum(),
         name="sum_all"),
    Case("mean", {"x": (F, (3, 4))}, lambda x: tg.mean(x, dim=0), lambda x: x.mean(axis=0)),
    Case("softmax", {"x": (F, (3, 5))}, lambda x: tg.softmax(x, dim=-1), softmax),
    Case("softmax", {"x": (F, (3, 5))}, lambda x: tg.softmax(x, dim=0),
         lambda x: softmax(x, 0), name="softmax_dim0"),
    Case("log_softmax", {"x": (F, (3, 5))}, tg.log_softmax, log_softmax),
    Case("layer_norm", {"x": (F, (3, 6)), "weight": (F, (6,)), "bias": (F, (6,))},
         lambda x, weight, bias: tg.layer_norm(x, weight, bias, eps=1e-5),
         lambda x, weight, bias: layer_norm(x, weight, bias)),
    Case("layer_norm", {"x": (F, (3, 6))}, lambda x: tg.layer_norm(x),
         lambda x: layer_norm(x), name="layer_norm_plain"),
    Case("masked_fill", {"x": (F, (3, 5)), "mask": ("mask", (3, 5))},
         lambda x, mask: tg.masked_fill(x, mask, value=-3.0),
         lambda x, mask: np.where(mask != 0, -3.0, x)),
    Case("attention", {"qkv": (F, (2, 4, 12)),
                       "key_mask": ("const", np.array([[1, 1, 1, 0], [1, 1, 0, 0]], np.float32))},
         lambda qkv, key_mask: tg.attention(qkv, key_mask, n_heads=2),
         lambda qkv, key_mask: attention(qkv, key_mask, 2)),
    Case("embedding", {"weight": (F, (7, 4)), "indices": ("index", (2, 3), 7)}, tg.embedding,
         lambda weight, indices: weight[indices]),
    Case("cross_entropy", {"logits": (F, (4, 3)), "targets": ("index", (4,), 3)},
         tg.cross_entropy, cross_entropy),
]

# dropout has no deterministic reference: test_ops.py checks it on its own.
UNCOVERED = {"dropout"}


def to_tensors(case, arrays, requires_grad=True):
    out = {}
    for key, value in arrays.items():
        kind = case.inputs[key][0]
        out[key] = tg.tensor(value, requires_grad=requires_grad and kind == "float")
    return out


def as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]
