"""jacobian of a function whose value is a dict, list or tuple: the output's
structure, each leaf a block of shape out_leaf.shape + x.shape (as in JAX), in
both modes: reverse-mode rows (vjp, when the output has no more entries than the
argument) and forward-mode columns (jvp, otherwise), checked against central
differences of the function's values."""
import numpy as np
import pytest

import srcgrad
from srcgrad.compose.plan import leaves_of


def _differenced(fn, x, eps=1e-6):
    """fn's output structure, each leaf's Jacobian block by central differences."""
    x = np.asarray(x, dtype=float)
    columns = []
    for i in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[i] = eps
        up, down = fn(x + step if x.shape else float(x + step)), fn(x - step if x.shape else float(x - step))
        columns.append([(np.asarray(u) - np.asarray(d)) / (2 * eps)
                        for u, d in zip(leaves_of(up), leaves_of(down))])
    out = fn(x if x.shape else float(x))
    return [np.stack([c[j] for c in columns], axis=-1).reshape(np.shape(leaf) + x.shape)
            for j, leaf in enumerate(leaves_of(out))]


def norm_and_sines(a):
    return np.sum(a ** 2), np.sin(a)


def named(a):
    return {"s": np.sum(a ** 2), "v": np.sin(a)}


def same_shapes(a):
    return np.sin(a), np.cos(a)


def small_nested(a):
    return np.prod(a[:2]), {"m": np.array([a[0] * a[3], np.sum(np.exp(a))]), "l": [a[2] ** 3]}


def of_a_number(t):
    return t ** 2, np.array([t, np.sin(t)]), {"c": np.cos(t)}


X = np.array([0.3, -0.4, 1.0, 0.7, -1.2])
CASES = [  # (function, argument, the mode the entry counts select)
    (norm_and_sines, X[:3], "forward"),
    (named, X[:3], "forward"),
    (same_shapes, X[:3], "forward"),
    (small_nested, X, "reverse"),
    (norm_and_sines, X[:1], "forward"),
    (lambda a: (np.sum(a), {"d": np.dot(a, a)}), X, "reverse"),
    (of_a_number, 0.4, "forward"),
    (lambda t: [t ** 3], 0.4, "reverse"),
]


@pytest.mark.parametrize("fn,x,mode", CASES, ids=[f"{c[0].__name__}-{c[2]}-{np.size(c[1])}" for c in CASES])
def test_jacobian_keeps_the_output_structure(fn, x, mode):
    J = srcgrad.jacobian(fn)(x)
    out = fn(x)
    # the same containers as the output, in the same order
    assert type(J) is type(out)
    if isinstance(out, dict):
        assert list(J) == list(out)
    blocks = leaves_of(J)
    expected = _differenced(fn, x)
    assert len(blocks) == len(expected)
    for block, want, leaf in zip(blocks, expected, leaves_of(out)):
        assert np.shape(block) == np.shape(leaf) + np.shape(x)
        np.testing.assert_allclose(block, want, rtol=1e-6, atol=1e-8)
    out_entries = sum(np.size(leaf) for leaf in leaves_of(out))
    assert (mode == "reverse") == (out_entries <= np.size(x))


def test_jacobian_of_a_structured_output_for_a_dict_argument():
    """A dict argument: each output leaf holds a dict of blocks (out_leaf.shape + x_leaf.shape)."""
    def f(p):
        return np.sum(p["w"] ** 2) * p["b"], np.sin(p["w"])

    w = np.array([0.3, -0.4, 1.0])
    J = srcgrad.jacobian(f)({"w": w, "b": 2.0})
    np.testing.assert_allclose(J[0]["w"], 2 * w * 2.0, rtol=1e-12)
    assert J[0]["b"] == pytest.approx(np.sum(w ** 2), rel=1e-12)
    np.testing.assert_allclose(J[1]["w"], np.diag(np.cos(w)), rtol=1e-12)
    np.testing.assert_allclose(J[1]["b"], np.zeros(3))
