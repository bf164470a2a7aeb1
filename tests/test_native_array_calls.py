"""The numba backend on matrix products, `take` along an axis and `prod`, end to end.

numba has no `numpy.matmul` (forward mode writes it for `a @ b`) and no stack
of matrices under `@`, and its `numpy.take` along an axis reads an index array
of two axes as 1-D (a ValueError at run time: `backend="auto"` crashed instead
of running); the numba build calls srcgrad/native/helpers' `matmul` and
`take_axis` instead (native/lowering.py). `prod`'s and `take`'s adjoints and
tangents have njit versions. Each program below puts several of these in one
function, so that a handful of numba compiles cover them: with
`backend="auto"`, numba must run (not fall back) and agree with the Python
backend to 1e-12 (tests/native_translation.py), and the tangent must match
central differences.
"""
import numpy as np
import pytest

import srcgrad

import native_translation

numba = pytest.importorskip("numba")

RNG = np.random.default_rng(1717)


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))


def products(A, x, B, S, T):
    y = A @ x                      # matrix-vector
    u = x @ B                      # vector-matrix
    M = A @ B                      # matrix-matrix
    s = x @ x                      # 1-D dot
    P = S @ B                      # a stack of matrices times a matrix
    Q = np.matmul(S, x)            # a stack times a vector, by name
    R = np.matmul(S, T)            # stack times stack, T's stack axis broadcast
    return np.sum(np.tanh(y)) + np.sum(u * u) + np.sum(np.sin(M)) + s + np.sum(P ** 2) \
        + np.sum(np.cos(Q)) + 0.1 * np.sum(R)


def take_and_prod(a, i, w):
    t = np.take(a, i, axis=0)      # an index array of two axes along axis 0
    r = np.take(a, i[0], axis=-1)  # a 1-D index along the last axis
    # prod of a whole array (numba has no prod along an axis): a[0, :, 0] holds a zero
    return np.sum(t * w) + np.sum(r ** 2) + np.prod(a[1]) + np.prod(a[0, :, 0])


def _central_tangent(fn, args, tangents, h=1e-6):
    plus = [a + h * t if t is not None else a for a, t in zip(args, tangents)]
    minus = [a - h * t if t is not None else a for a, t in zip(args, tangents)]
    return (fn(*plus) - fn(*minus)) / (2 * h)


CASES = {
    "products": (products, (RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=(4, 2)),
                            RNG.normal(size=(2, 3, 4)), RNG.normal(size=(1, 4, 3))), (0, 1, 2, 3, 4)),
    # a zero in `a`: prod's adjoint without dividing by it
    "take_and_prod": (take_and_prod, (np.array([[[0.5, 1.5], [0.0, -2.0], [1.2, 0.7]],
                                                [[-0.4, 2.0], [1.1, 0.3], [0.9, -1.3]],
                                                [[1.4, 0.2], [-0.6, 1.0], [0.8, 0.5]],
                                                [[0.3, -0.9], [1.7, 0.6], [-1.1, 0.4]]]),
                                      np.array([[1, 1], [3, 0]]), RNG.normal(size=(2, 2, 3, 2))), 0),
}
# numba compiles take_and_prod's tangent in about 45 s of CPU (3-D take with a 2-D
# index, two prods): the long profile's (--fuzz-n above 200); prod's, take's and the
# matmul helpers' tangents are checked one by one in tests/test_native_helpers.py
LONG_ONLY = {("take_and_prod", "jvp")}


def pytest_generate_tests(metafunc):
    if "program" in metafunc.fixturenames:
        long = metafunc.config.getoption("--fuzz-n") > 200
        items = [(name, transform) for name in CASES for transform in ("grad", "jvp")
                 if long or (name, transform) not in LONG_ONLY]
        metafunc.parametrize("program, transform", items, ids=[f"{n}-{t}" for n, t in items])


def test_numba_runs_and_agrees_with_the_python_backend(program, transform):
    fn, args, wrt = CASES[program]
    outcomes = native_translation.compare_native(fn, args, wrt, transforms=(transform,))
    assert {name: o.ran for name, o in outcomes.items()} == {transform: "numba"}, \
        {name: (o.ran, o.refusal) for name, o in outcomes.items()}
    if transform == "jvp":  # and the tangent the numba build gives is the function's (central differences)
        positions = wrt if isinstance(wrt, tuple) else (wrt,)
        tangents = [RNG.normal(size=np.shape(a)) if k in positions else None for k, a in enumerate(args)]
        _, tangent = srcgrad.jvp(fn, args, tangents, backend="numba")
        assert tangent == pytest.approx(_central_tangent(fn, args, tangents), rel=1e-6, abs=1e-8)


def four_axes(A, B):
    return np.sum(np.tanh(A @ B))


def test_a_product_numba_cannot_take_is_refused_when_compiling():
    """A stack of four axes: refused while compiling (auto runs Python), not at run time."""
    A, B = RNG.normal(size=(2, 2, 3, 4)), RNG.normal(size=(4, 2))
    with pytest.raises(srcgrad.SrcGradError, match="numba cannot compile the derivative of four_axes"):
        srcgrad.grad(four_axes, backend="numba")(A, B)
    df = srcgrad.grad(four_axes, backend="auto")
    np.testing.assert_allclose(df(A, B), srcgrad.grad(four_axes)(A, B), rtol=1e-12)
    assert df.backend == "python"
