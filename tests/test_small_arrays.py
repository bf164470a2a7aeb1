"""Small-array overhead removed where shapes settle statically (issue 15, item 2).

A `keepdims=True` reduction has the shape of its operand with the reduced axes
1 (`shapes.Reduced`), so `unbroadcast` to it is a plain `.sum(axis, keepdims=True)`
and `unreduce` back over its operand is broadcasting (optimize/sameshape.py); a
scalar seed times an operand of another shape is `unbroadcast_against`
(optimize/seeds.py). Each case is checked against the plain lowering (every
helper kept) and central differences, at shapes that broadcast, 0-d arrays and
floats, and NaN where a selection leaves it out.
"""
import warnings

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.options import unoptimized


def _central(f, args, wrt, eps=1e-6):
    x = np.array(args[wrt], dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        lo = list(args)
        hi = list(args)
        hi[wrt], lo[wrt] = up, down
        g[i] = (f(*hi) - f(*lo)) / (2 * eps)
    return g


def _both(f, args, wrt=0):
    """(optimised gradient, plain lowering's gradient, its source)."""
    g = srcgrad.grad(f, wrt)
    got = g(*args)
    with unoptimized():
        plain = srcgrad.grad(f, wrt)(*args)
    return got, plain, srcgrad.source(g)


def softmax_loss(logits, Y):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum((z - lse) * Y) / logits.shape[0]


def centred(x, c):
    return np.sum((x - np.mean(x, axis=(0, 1), keepdims=True)) ** 2 * c)


def whole(x, c):
    return np.sum((x - np.max(x, axis=None, keepdims=True)) * c)


def negative_axis(x, c):
    return np.sum(np.exp(x - np.max(x, axis=-1, keepdims=True)) * c)


RNG = np.random.default_rng(5)
CASES = [
    (softmax_loss, (RNG.normal(size=(5, 3)), np.eye(3)[[0, 2, 1, 1, 0]])),
    (softmax_loss, (RNG.normal(size=(5, 3)), np.array([[0.2, 0.5, 0.3]]))),  # Y broadcasts over rows
    (softmax_loss, (RNG.normal(size=(5, 3)), np.array([0.1, 0.0, 0.9]))),   # Y of one axis
    (softmax_loss, (RNG.normal(size=(4, 1)), np.ones((4, 3)))),           # logits broadcast by Y
    (centred, (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(3, 4)))),
    (whole, (RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2)))),
    (whole, (np.array(1.5), 2.0)),                                         # 0-d array and a float
    (negative_axis, (RNG.normal(size=(2, 4)), RNG.normal(size=4))),
]
IDS = ["onehot", "row", "vector", "narrow", "centred", "whole", "zero_d", "negative_axis"]


@pytest.mark.parametrize("f, args", CASES, ids=IDS)
def test_settled_shapes_give_the_plain_lowerings_gradient(f, args):
    got, plain, _ = _both(f, args)
    assert np.shape(got) == np.shape(args[0])
    np.testing.assert_allclose(got, plain, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got, _central(f, args, 0), rtol=1e-6, atol=1e-8)


def test_softmax_adjoint_reads_like_hand_written_code():
    _, _, source = _both(softmax_loss, CASES[0][1])
    assert "-_dt10.sum(axis=1, keepdims=True)" in source or ".sum(axis=1, keepdims=True)" in source
    assert "unreduce(" not in source  # the lse adjoint is broadcast by the product itself
    assert "unbroadcast(" not in source.split("def ")[1].split("backward of line")[1]  # z - m, z - lse
    assert "unreduce_extreme(" in source  # the max adjoint is kept (zero only in exact arithmetic)


def test_a_scalar_seed_times_an_operand_of_another_shape():
    # the seed -1/n times Y is broadcast against z - lse, not computed at (z - lse) * Y's shape
    _, _, source = _both(softmax_loss, CASES[0][1])
    assert "unbroadcast_against(" in source
    for args in (CASES[1][1], CASES[2][1], CASES[3][1]):
        got, plain, _ = _both(softmax_loss, args)
        np.testing.assert_allclose(got, plain, rtol=1e-12)


def test_shapes_that_do_not_broadcast_still_raise():
    with pytest.raises(ValueError):
        srcgrad.grad(softmax_loss)(np.ones((5, 3)), np.ones((5, 4)))


def test_nan_in_an_unselected_entry_stays_out_of_the_gradient():
    def f(x):
        m = np.max(x, axis=1, keepdims=True)
        safe = np.where(x > -1e9, x - m, -1e9)
        return np.sum(np.where(x > 0.0, np.log(np.sum(np.exp(safe), axis=1, keepdims=True)), 0.0))

    x = np.array([[1.0, 2.0, -np.inf], [0.5, -0.5, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, plain, _ = _both(f, (x,))
    np.testing.assert_array_equal(got, plain)
    assert got[0, 2] == 0.0 and np.all(np.isfinite(got))


def test_a_nan_row_gives_nan_where_it_did():
    x = np.array([[1.0, np.nan, 2.0], [3.0, 3.0, 1.0]])
    c = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def f(x):
        return np.sum(np.max(x, axis=1, keepdims=True) * c[:, :1])

    with np.errstate(all="ignore"):
        got, plain, _ = _both(f, (x,))
    np.testing.assert_array_equal(got, plain)
    assert np.all(np.isnan(got[0])) and list(got[1]) == [2.0, 2.0, 0.0]  # a tie shares evenly


@pytest.mark.parametrize("g", [np.array([[2.0], [-1.0]]), np.array([[0.0], [np.inf]]), np.array([[-0.0], [np.nan]])])
def test_unreduce_extreme_gives_the_old_formulas_values(g):
    a = np.array([[1.0, np.nan, 2.0], [3.0, 3.0, 1.0]])
    z = np.max(a, axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        hit = np.equal(a, z)
        old = g * hit / hit.sum(axis=1, keepdims=True)
        new = runtime.unreduce_extreme(g, a, z, 1, True)
    np.testing.assert_array_equal(new, old)
    assert np.array_equal(np.signbit(new), np.signbit(old))


@pytest.mark.parametrize("gshape, xshape, expected", [
    ((3, 4), (3, 4), (3, 4)), ((1, 4), (3, 4), (3, 4)), ((4,), (3, 1), (3, 1)), ((), (2, 3), (2, 3)),
    ((2, 3), (), ()), ((2, 1), (1, 3), (1, 3))])
def test_unbroadcast_against(gshape, xshape, expected):
    g = np.arange(1.0, 1.0 + np.prod(gshape)).reshape(gshape)
    x = np.zeros(xshape)
    out = runtime.unbroadcast_against(g, x)
    reference = runtime.unbroadcast(np.broadcast_to(g, np.broadcast_shapes(gshape, xshape)) + 0.0, x)
    assert np.shape(out) == expected
    np.testing.assert_array_equal(out, reference)
    if np.shape(out) != gshape:  # a new array the caller may write into
        assert np.asarray(out).flags.writeable
    assert runtime.unbroadcast_against(2.5, 1.0) == 2.5


def test_guards_return_arrays_not_views():
    g, f = np.array([0.0, 1.0]), np.array([np.inf, 2.0])
    with np.errstate(all="ignore"):
        for out in (runtime.masked_product(g, f), runtime.tangent_ratio(g, f), runtime.masked_product(g, 2.0)):
            assert out.base is None
    assert type(runtime.masked_product(np.array(2.0), np.array(3.0))) is np.float64  # 0-d: a scalar


def test_no_del_just_before_the_return():
    g = srcgrad.grad(softmax_loss)
    g(*CASES[0][1])
    lines = [line.strip() for line in srcgrad.source(g).splitlines() if line.strip()]
    returns = [i for i, line in enumerate(lines) if line.startswith("return ")]
    assert returns and all(not lines[i - 1].startswith("del ") for i in returns)


def test_reductions_of_arrays_are_called_as_methods_in_the_forward_sweep():
    def f(x, xs):
        s = np.sum(np.asarray(xs))  # a list: kept as np.sum
        return np.max(x, axis=0, keepdims=True).sum() + np.mean(x * x) + np.std(x, ddof=1) + s * np.sum(x)

    x, xs = np.array([[1.0, -2.0], [0.5, 3.0]]), [1.0, 2.0]
    g = srcgrad.grad(f)
    got = g(x, xs)
    source = srcgrad.source(g)
    assert "= x.max(axis=0, keepdims=True)" in source and "= x.std(ddof=1)" in source
    assert "s = np.sum(_t1)" in source  # of np.asarray(xs): no kind known, the call stays
    with unoptimized():
        plain = srcgrad.grad(f)(x, xs)
    np.testing.assert_allclose(got, plain, rtol=1e-13)
    for zero_d in (np.array(2.0), np.float64(2.0)):
        assert srcgrad.grad(lambda_sum)(zero_d) == 4.0


def lambda_sum(x):
    return np.sum(x * x)
