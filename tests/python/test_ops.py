"""Every op's forward against NumPy and its gradient against central differences of the
float64 NumPy reference, through the Python module."""

import numpy as np
import pytest

import tapegrad as tg
from op_cases import CASES, UNCOVERED, as_list, to_tensors

H = 1e-6  # central-difference step on the float64 reference


def numeric_grads(case, arrays, upstream):
    """d/dinput of sum_k <ref_k(inputs), upstream_k>, by central differences."""
    grads = {}
    for key in case.float_inputs():
        x = arrays[key]
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            saved = x[i]
            total = []
            for step in (H, -H):
                x[i] = saved + step
                ys = as_list(case.ref(**arrays))
                total.append(sum(float(np.sum(y * u)) for y, u in zip(ys, upstream)))
            x[i] = saved
            g[i] = (total[0] - total[1]) / (2 * H)
        grads[key] = g
    return grads


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_matches_numpy(case):
    arrays = case.arrays()
    ys = as_list(case.call(**to_tensors(case, arrays, requires_grad=False)))
    refs = as_list(case.ref(**arrays))
    assert len(ys) == len(refs)
    for y, ref in zip(ys, refs):
        assert y.shape == np.shape(ref)
        np.testing.assert_allclose(y.numpy(), ref, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradient_matches_central_differences(case):
    arrays = case.arrays(seed=1)
    rng = np.random.default_rng(2)
    tensors = to_tensors(case, arrays)
    ys = as_list(case.call(**tensors))
    upstream = [rng.uniform(-1, 1, size=y.shape) for y in ys]
    loss = None
    for y, u in zip(ys, upstream):
        term = tg.sum(y * tg.tensor(u), dim=None)
        loss = term if loss is None else loss + term
    loss.backward()
    expected = numeric_grads(case, arrays, upstream)
    for key, g in expected.items():
        got = tensors[key].grad
        assert got is not None, f"{case.name}: no gradient reached {key}"
        np.testing.assert_allclose(got.numpy(), g, rtol=1e-3, atol=1e-4,
                                   err_msg=f"{case.name}: d/d{key}")
    for key, t in tensors.items():  # index and mask inputs take no gradient
        if key not in expected:
            assert t.grad is None


def test_every_explain_op_has_a_case():
    covered = {c.op for c in CASES} | UNCOVERED
    names = {name for name, _, _ in tg._C._explain_ops()}
    assert names == covered


def test_dropout_scales_kept_elements_and_routes_gradient():
    x = tg.tensor(np.linspace(1, 2, 4000).reshape(40, 100), requires_grad=True)
    y = tg.dropout(x, p=0.25, seed=3)
    kept = y.numpy() != 0
    assert 0.70 < kept.mean() < 0.80
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / 0.75, rtol=1e-6)
    y.backward(tg.ones(list(y.shape)))
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75, rtol=1e-6)
    # the same seed draws the same mask; eval mode and p = 0 are the identity
    same = tg.dropout(x, p=0.25, seed=3).numpy() != 0
    assert (same == kept).all()
    np.testing.assert_array_equal(tg.dropout(x, p=0.25, training=False).numpy(), x.numpy())
    np.testing.assert_array_equal(tg.dropout(x, p=0.0).numpy(), x.numpy())


def test_operators_broadcast_like_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3,))
    ta, tb = tg.tensor(a), tg.tensor(b)
    for got, want in [(ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta / tb, a / b),
                      (-ta, -a), (ta + 2, a + 2), (2 - ta, 2 - a), (3 * ta, 3 * a),
                      (1 / tb, 1 / b), (ta @ tg.tensor(a.T), a @ a.T)]:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_silu_derivative_at_minus_two_zero_two():
    x = tg.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    tg.silu(x).sum().backward()
    v = np.array([-2.0, 0.0, 2.0])
    s = 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(x.grad.numpy(), s * (1 + v * (1 - s)), rtol=1e-6)
