"""Every op against torch in float64, forward and gradient (skipped when torch is missing)."""

import numpy as np
import pytest

import tapegrad as tg
from op_cases import CASES, as_list, to_tensors

torch = pytest.importorskip("torch")
F = torch.nn.functional

TORCH = {
    "add": lambda a, b: a + b, "add_broadcast_row": lambda a, b: a + b,
    "sub_broadcast_col": lambda a, b: a - b, "mul_broadcast": lambda a, b: a * b,
    "div": lambda a, b: a / b, "neg": lambda x: -x,
    "add_scalar": lambda x: x + 1.5, "sub_scalar": lambda x: x - 1.5,
    "rsub_scalar": lambda x: 1.5 - x, "mul_scalar": lambda x: x * -2.5,
    "div_scalar": lambda x: x / 4.0, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
    "pow": lambda x: x**3.0, "relu": torch.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1), "elu": lambda x: F.elu(x, 0.7),
    "selu": F.selu, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu, "swish": lambda x: x * torch.sigmoid(1.7 * x), "mish": F.mish,
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": lambda x: F.softplus(x, beta=2.0),
    "swiglu": lambda a, b: F.silu(a) * b,
    "swiglu_beta": lambda a, b: a * torch.sigmoid(2.0 * a) * b,
    "swiglu_unfused": lambda a, b: F.silu(a) * b, "geglu": lambda a, b: F.gelu(a) * b,
    "matmul": torch.matmul, "matmul_batched": torch.matmul,
    "matmul_shared_weight": torch.matmul,
    "transpose": lambda x: x.transpose(0, 2), "permute": lambda x: x.permute(2, 0, 1),
    "reshape": lambda x: x.reshape(4, -1), "slice": lambda x: x[:, 1:-1],
    "split": lambda x: list(torch.split(x, [2, 3], 0)),
    "split_chunks": lambda x: list(torch.split(x, 2, 1)),
    "concat": lambda a, b: torch.cat([a, b], 1), "sum": lambda x: x.sum(-1),
    "sum_dims_keepdim": lambda x: x.sum((0, 2), keepdim=True), "sum_all": lambda x: x.sum(),
    "mean": lambda x: x.mean(0), "softmax": lambda x: torch.softmax(x, -1),
    "softmax_dim0": lambda x: torch.softmax(x, 0),
    "log_softmax": lambda x: torch.log_softmax(x, -1),
    "layer_norm": lambda x, weight, bias: F.layer_norm(x, (6,), weight, bias, 1e-5),
    "layer_norm_plain": lambda x: F.layer_norm(x, (6,), eps=1e-5),
    "masked_fill": lambda x, mask: x.masked_fill(mask != 0, -3.0),
    "embedding": lambda weight, indices: F.embedding(indices.long(), weight),
    "cross_entropy": lambda logits, targets: F.cross_entropy(logits, targets.long()),
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_torch_float64(case):
    arrays = case.arrays(seed=4)
    tensors = to_tensors(case, arrays)
    ys = as_list(case.call(**tensors))
    floats = case.float_inputs()
    tt = {k: torch.tensor(v, dtype=torch.float64 if k in floats or v.dtype != np.int32
                          else torch.int32, requires_grad=k in floats)
          for k, v in arrays.items()}
    refs = as_list(TORCH[case.name](**tt))
    rng = np.random.default_rng(5)
    ups = [rng.uniform(-1, 1, size=y.shape) for y in ys]
    loss = None
    for y, u in zip(ys, ups):
        term = (y * tg.tensor(u)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    sum((r * torch.tensor(u)).sum() for r, u in zip(refs, ups)).backward()
    for y, r in zip(ys, refs):
        np.testing.assert_allclose(y.numpy(), r.detach().numpy(), rtol=2e-5, atol=2e-6)
    for k in floats:
        np.testing.assert_allclose(tensors[k].grad.numpy(), tt[k].grad.numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=f"{case.name}: d/d{k}")


def test_every_case_has_a_torch_twin():
    assert {c.name for c in CASES} == set(TORCH)
