"""The Python API itself: names and parameters as tools/explain gives them, NumPy round trips,
errors as Python exceptions (never a crash), no_grad, the tape and its picture, modules and
optimizers."""

import re

import numpy as np
import pytest

import tapegrad as tg


def signature_names(fn):
    """Parameter names of every overload, from pybind11's docstring signatures."""
    sigs = re.findall(r"^(?:\d+\. )?\w+\((.*)\) ->", fn.__doc__, re.M)
    return [[p.split(":")[0].strip() for p in s.split(", ") if p and p != "*"] for s in sigs]


@pytest.mark.parametrize("op", tg._C._explain_ops(), ids=lambda o: o[0])
def test_function_named_as_explain_with_its_inputs_and_params(op):
    name, inputs, params = op
    fn = getattr(tg, name)
    want = [i for i, _ in inputs] + list(params)
    assert want in signature_names(fn), f"{name}: {fn.__doc__.splitlines()[0]}"


def test_numpy_round_trip_shapes_strides_and_dtypes():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    view = base[::2, ::3].T  # non-contiguous, negative-free strides
    t = tg.tensor(view)
    assert t.shape == view.shape and t.dtype == "float32"
    np.testing.assert_array_equal(t.numpy(), view.astype(np.float32))
    assert t.numpy().flags.c_contiguous
    flipped = base[::-1, ::-2]
    np.testing.assert_array_equal(tg.tensor(flipped).numpy(), flipped)
    assert tg.tensor(np.array([1, 2, 3], dtype=np.int64)).dtype == "int32"
    assert tg.tensor([True, False]).dtype == "float32"
    assert tg.tensor(3.5).shape == () and tg.tensor(3.5).item() == 3.5
    assert tg.tensor(np.zeros((0, 3))).shape == (0, 3)
    copy = t.numpy()
    copy[0, 0] = 99  # a copy: the tensor does not change
    assert t.numpy()[0, 0] == 0
    assert np.asarray(t).shape == t.shape
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert tg.zeros([2, 3]).numpy().sum() == 0 and tg.ones([2]).numpy().sum() == 2
    r1, r2 = tg.randn([3, 4], seed=5), tg.randn([3, 4], seed=5)
    np.testing.assert_array_equal(r1.numpy(), r2.numpy())
    assert t.to("cpu").device == "cpu"


def test_wrong_dtypes_and_values_raise():
    with pytest.raises(TypeError):
        tg.tensor(np.array(["a", "b"]))
    with pytest.raises(TypeError):
        tg.tensor(np.array([1 + 2j]))
    with pytest.raises(ValueError):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(ValueError):
        tg.tensor(np.array([2**40]))
    with pytest.raises(ValueError):  # float where int32 indices are needed
        tg.embedding(tg.ones([4, 2]), tg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError):
        tg.gelu(tg.ones([2]), approximate="fast")
    with pytest.raises(TypeError):
        tg.silu(np.ones(3))
    with pytest.raises(TypeError, match="dim"):
        tg.sum(tg.ones([2]), dim="a")


def test_engine_errors_carry_the_message():
    with pytest.raises(ValueError, match=r"matmul.*\[2, 3\].*\[4, 5\]"):
        tg.matmul(tg.ones([2, 3]), tg.ones([4, 5]))
    with pytest.raises(ValueError, match="broadcast"):
        tg.ones([2]) + tg.ones([3])
    with pytest.raises(ValueError, match="cuda|CUDA"):
        if tg.cuda_available():
            raise ValueError("cuda present: nothing to check")
        tg.ones([2], device="cuda")
    with pytest.raises(ValueError):
        tg.ones([2, 2]).item()
    with pytest.raises(ValueError):
        tg.reshape(tg.ones([2, 3]), [4, 2])


def test_misuse_of_the_tape_raises_never_crashes():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.silu(x) * 2
    loss = y.sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="already freed"):
        loss.backward()
    with pytest.raises(RuntimeError, match="freed"):
        tg.relu(y)  # y belongs to a finished graph
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        tg.ones([1]).sum().backward()
    with pytest.raises(ValueError, match="not a scalar"):
        tg.silu(x).backward()
    tg.clear_tape()
    with pytest.raises(ValueError):
        tg.silu(x).backward(tg.ones([3]))
    tg.clear_tape()


def test_grad_accumulates_and_zero_grad_drops_it():
    x = tg.tensor([1.0, -1.0], requires_grad=True)
    assert x.grad is None and x.requires_grad and x.is_leaf
    for _ in range(2):
        (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6, 6])
    x.zero_grad()
    assert x.grad is None


def test_no_grad_records_nothing():
    tg.clear_tape()
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        assert not tg.grad_enabled()
        y = tg.relu(x)
        with tg.no_grad():
            pass
        assert not tg.grad_enabled()
    assert tg.grad_enabled()
    assert not y.requires_grad and tg.tape() == []


def test_tape_lists_nodes_and_to_dot_draws_them():
    tg.clear_tape()
    x = tg.randn([2, 4], seed=1, requires_grad=True)
    w = tg.randn([4, 3], seed=2, requires_grad=True)
    loss = tg.mean(tg.swiglu(x @ w, x @ w), dim=None)
    nodes = tg.tape()
    assert [n["op"] for n in nodes] == ["matmul", "matmul", "swiglu", "mean"]
    assert nodes[0]["inputs"] == [(2, 4), (4, 3)] and nodes[2]["output"] == (2, 3)
    dot = tg.to_dot(loss)
    assert dot.startswith("digraph tape {") and dot.count("shape=ellipse") == 4
    assert "grad: none" in dot
    drawn = tg.to_dot(loss, backward=True)
    assert "grad: none" not in drawn and x.grad is not None
    with pytest.raises(RuntimeError, match="not on the current tape"):
        tg.to_dot(loss)


def test_modules_and_their_parameters():
    lin = tg.nn.Linear(4, 3, seed=0)
    names = [n for n, _ in lin.named_parameters()]
    assert names == ["weight", "bias"] and lin.weight.shape == (4, 3)
    assert len(lin.parameters()) == 2 and lin.parameter_count() == 15
    y = lin(tg.ones([2, 4]))
    np.testing.assert_allclose(y.numpy(), (np.ones((2, 4)) @ lin.weight.numpy()
                                           + lin.bias.numpy()), rtol=1e-6)
    emb = tg.nn.Embedding(10, 4, seed=1)
    assert emb(tg.tensor([[1, 2]])).shape == (1, 2, 4)
    ln = tg.nn.LayerNorm(4)
    assert ln(tg.randn([3, 4])).shape == (3, 4)
    mha = tg.nn.MultiHeadAttention(8, 2, seed=0)
    mask = tg.tensor([[1, 1, 0]] * 2, requires_grad=False)
    assert mha(tg.randn([2, 3, 8]), tg.tensor(np.ones((2, 3)))).shape == (2, 3, 8)
    assert mask.dtype == "int32"
    for kind in ["relu", "swish", "gelu", "swiglu", "geglu"]:
        ffn = tg.nn.FeedForward(kind, 8, 16)
        assert ffn(tg.randn([2, 8])).shape == (2, 8) and ffn.kind in kind
    layer = tg.nn.EncoderLayer(8, 2, 16, "swiglu", dropout=0.0)
    assert layer(tg.randn([2, 3, 8])).shape == (2, 3, 8)
    clf = tg.nn.Classifier(vocab_size=50, max_len=6, d_model=8, n_heads=2, ffn_hidden=16,
                           ffn_kind="swiglu")
    logits = clf(tg.tensor(np.ones((3, 6), dtype=np.int32)), tg.tensor(np.ones((3, 6))),
                 generator=tg.Generator(1))
    assert logits.shape == (3, 2)
    assert "encoder.0.ffn.w_gate.weight" in [n for n, _ in clf.named_parameters()]
    clf.eval()
    assert not clf.training
    with pytest.raises(ValueError):
        tg.nn.FeedForward("tanhglu", 8, 16)


def test_optimizers_update_parameters_like_their_formulas():
    w = tg.tensor([1.0, -2.0], requires_grad=True)
    sgd = tg.optim.SGD([w], lr=0.1, momentum=0.0)
    (w * w).sum().backward()
    sgd.step()
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.1 * 2, -2.0 + 0.1 * 4], rtol=1e-6)
    sgd.zero_grad()
    assert w.grad is None
    lin = tg.nn.Linear(3, 2, seed=0)
    opt = tg.optim.AdamW(lin.named_parameters(), lr=0.01, weight_decay=0.0)
    before = lin.weight.numpy()
    lin(tg.ones([1, 3])).sum().backward()
    opt.step()
    # AdamW's first step moves every weight with a gradient by lr (times sign)
    np.testing.assert_allclose(np.abs(lin.weight.numpy() - before), 0.01, rtol=1e-3)
    assert opt.lr == 0.01
    with pytest.raises(ValueError):
        tg.optim.AdamW([tg.tensor([1, 2])])
