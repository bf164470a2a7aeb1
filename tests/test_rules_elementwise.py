"""The elementwise table (srcgrad/rules/elementwise.py), read row by row.

Every function of every row needs a rule case (tests/rule_cases) in both
modes, which checks it against central differences: a row without one fails
here. Every point in a row's `at` (where its formula has no finite value, or a
kink convention) is checked exactly, in both modes and in both namespaces, so
`math.sqrt` at 0 has the derivative `numpy.sqrt` has there (inf), and a zero
adjoint or tangent stays zero through it (docs/rules.md, "Singular points").
"""
import math

import numpy as np
import pytest

import srcgrad
from srcgrad.rules import elementwise
from rule_cases import CASES

FUNCTIONS = [(row, module, fn) for row in elementwise.ROWS for module in ("numpy", "math")
             for fn in row.primitives(module)]
POINTS = [(row, module, fn, x, expected) for row, module, fn in FUNCTIONS
          for x, expected in row.at.items()]


def _id(item):
    row, module, fn = item[:3]
    return f"{module}.{fn.__name__}" + (f"@{item[3]}" if len(item) > 3 else "")


@pytest.mark.parametrize("item", FUNCTIONS, ids=[_id(i) for i in FUNCTIONS])
def test_every_row_has_a_rule_case_in_both_modes(item):
    _, module, fn = item
    for mode in ("reverse", "forward"):
        assert any(any(p is fn for p in c.primitives) and mode in c.modes for c in CASES), \
            f"{module}.{fn.__name__} is a row of the elementwise table with no {mode} case in tests/rule_cases"


def _raises_at(fn, x):
    """The exception type `fn(x)` raises (math's domain error), or None."""
    try:
        with np.errstate(all="ignore"):
            fn(x)
    except (ValueError, OverflowError, ZeroDivisionError) as err:
        return type(err)
    return None


def _apply(fn):
    def f(x):
        return fn(x)
    return f


def _scaled(fn):
    def f(x, c):
        return c * fn(x)
    return f


def _scaled_sum(fn):
    def f(x, c):
        return np.sum(c * fn(x))
    return f


def _summed(fn):
    def f(x):
        return np.sum(fn(x))
    return f


def _ones(a):
    """A unit tangent of `a`'s shape (a number for a number)."""
    return np.ones_like(a, dtype=float) if np.shape(a) else 1.0


def _derivatives(f, args):
    """(reverse, forward) derivative of f in its first argument at `args`."""
    tangents = (_ones(args[0]),) + (None,) * (len(args) - 1)
    with np.errstate(all="ignore"):
        return srcgrad.grad(f)(*args), srcgrad.jvp(f, args, tangents)[1]


@pytest.mark.parametrize("item", POINTS, ids=[_id(i) for i in POINTS])
def test_derivative_at_a_singular_point_or_kink(item):
    row, module, fn, x, expected = item
    error = _raises_at(fn, x)
    if error is not None:  # math.log(0.0): the forward sweep raises math's own error first
        with pytest.raises(error):
            srcgrad.grad(_apply(fn))(x)
        with pytest.raises(error):
            srcgrad.jvp(_apply(fn), (x,), (1.0,))
        return
    for number in (x, np.float64(x)) if module == "numpy" else (x,):
        reverse, forward = _derivatives(_apply(fn), (number,))
        assert reverse == expected and forward == expected, (number, reverse, forward, expected)
    if module == "numpy":
        reverse, forward = _derivatives(_summed(fn), (np.array([x, x]),))
        assert list(reverse) == [expected, expected] and forward == 2 * expected


DEFINED = [p for p in POINTS if _raises_at(p[2], p[3]) is None]  # not math.log(0.0)


@pytest.mark.parametrize("item", DEFINED, ids=[_id(i) for i in DEFINED])
def test_zero_adjoint_stays_zero_at_a_singular_point(item):
    row, module, fn, x, _ = item
    with np.errstate(all="ignore"):
        points = [(_scaled(fn), x)]
        if module == "numpy":
            points += [(_scaled(fn), np.float64(x)), (_scaled_sum(fn), np.array([x, x]))]
        for f, at in points:
            assert np.all(srcgrad.grad(f)(at, 0.0) == 0.0), at
            if not row.overflows:  # a tangent's factor is infinite only where the result is
                assert np.all(srcgrad.jvp(f, (at, 1.0), (0.0 * at, None))[1] == 0.0), at


def test_math_sqrt_at_zero_is_numpy_sqrt_at_zero():
    for f in (_apply(math.sqrt), _apply(np.sqrt)):
        reverse, forward = _derivatives(f, (0.0,))
        assert reverse == np.inf and forward == np.inf


def test_numpy_log_of_a_python_float_at_zero_is_inf_not_zero_division():
    # the optimiser wrote the rule's guard as `c / x` on Python numbers: ZeroDivisionError
    reverse, forward = _derivatives(_apply(np.log), (0.0,))
    assert reverse == np.inf and forward == np.inf
    with np.errstate(all="ignore"):
        assert srcgrad.grad(_scaled(np.arctanh))(1.0, 0.0) == 0.0  # and a zero adjoint stays zero


def test_math_rows_keep_python_floats():
    for fn in (math.sqrt, math.asin, math.acos, math.acosh, math.fabs):
        g = srcgrad.grad(_apply(fn))(0.5 if fn is not math.acosh else 1.5)
        assert type(g) is float


# --- the functions of two arguments shared by math and NumPy: one policy too -----


def _pair(fn):
    def f(x, y, c):
        return c * fn(x, y)
    return f


@pytest.mark.parametrize("fn", [math.atan2, np.arctan2], ids=["math.atan2", "numpy.arctan2"])
def test_atan2_at_the_origin_has_no_derivative_but_a_zero_adjoint_stays_zero(fn):
    with np.errstate(all="ignore"):
        dx, dy = srcgrad.grad(_pair(fn), wrt=(0, 1))(0.0, 0.0, 1.0)
        assert np.isnan(dx) and np.isnan(dy)  # the angle jumps there: NaN, not ZeroDivisionError
        assert np.isnan(srcgrad.jvp(_pair(fn), (0.0, 0.0, 1.0), (1.0, None, None))[1])
        assert srcgrad.grad(_pair(fn), wrt=(0, 1))(0.0, 0.0, 0.0) == (0.0, 0.0)
        assert srcgrad.jvp(_pair(fn), (0.0, 0.0, 1.0), (0.0, 0.0, None))[1] == 0.0


def test_atan2_where_the_origin_is_not_selected_keeps_the_gradient_finite():
    def f(x):
        return np.sum(np.where(x > 0.0, np.arctan2(x, x), 0.0))

    with np.errstate(all="ignore"):
        g = srcgrad.grad(f)(np.array([0.0, 2.0]))
    assert g[0] == 0.0 and g[1] == 0.0  # d/dx atan2(x, x) = 0 for x > 0


@pytest.mark.parametrize("fn", [math.pow, np.power, pow], ids=["math.pow", "numpy.power", "pow"])
def test_power_at_zero_with_an_exponent_below_one_is_inf(fn):
    dx, dy = srcgrad.grad(_pair(fn), wrt=(0, 1))(0.0, 0.5, 1.0)
    assert dx == np.inf and dy == 0.0
    assert srcgrad.jvp(_pair(fn), (0.0, 0.5, 1.0), (1.0, None, None))[1] == np.inf


@pytest.mark.parametrize("fn", [math.hypot, np.hypot], ids=["math.hypot", "numpy.hypot"])
def test_hypot_at_the_origin_has_zero_gradient_in_both_modes(fn):
    assert srcgrad.grad(_pair(fn), wrt=(0, 1))(0.0, 0.0, 1.0) == (0.0, 0.0)
    assert srcgrad.jvp(_pair(fn), (0.0, 0.0, 1.0), (1.0, 1.0, None))[1] == 0.0


# --- the table's pairs: functions of two arguments, one row each ------------------

PAIR_FUNCTIONS = [(pair, module, fn) for pair in elementwise.PAIRS for module in ("numpy", "math")
                  for fn in pair.primitives(module)]
PAIR_POINTS = [(pair, module, fn, point, expected) for pair, module, fn in PAIR_FUNCTIONS
               for point, expected in pair.at.items()]


def _pair_id(item):
    pair, module, fn = item[:3]
    return f"{module}.{fn.__name__}" + (f"@{item[3]}" if len(item) > 3 else "")


@pytest.mark.parametrize("item", PAIR_FUNCTIONS, ids=[_pair_id(i) for i in PAIR_FUNCTIONS])
def test_every_pair_has_a_rule_case_in_both_modes(item):
    test_every_row_has_a_rule_case_in_both_modes(item)


# Sample arguments away from each pair's jumps and ties: magnitudes in (low, high),
# signs drawn at random; fmod's quotient x1 / x2 between 2 and 3 in size.
_RANGES = {"fmod": ((2.5, 2.9), (1.05, 1.2))}


def _samples(pair, shapes, rng):
    ranges = _RANGES.get(pair.name, ((0.5, 1.5), (0.5, 1.5)))
    out = []
    for (low, high), shape in zip(ranges, shapes):
        sign = rng.choice([-1.0, 1.0], size=shape)
        value = rng.uniform(low, high, size=shape) * sign
        out.append(float(value) if shape == () else value)
    return out


def _central(f, args, i, h=1e-6):
    """Central differences of the scalar f in argument i, entry by entry."""
    x = np.array(args[i], dtype=float)
    grad = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[k] += h
        lo[k] -= h
        grad[k] = (f(*args[:i], hi if x.shape else float(hi), *args[i + 1:])
                   - f(*args[:i], lo if x.shape else float(lo), *args[i + 1:])) / (2 * h)
    return grad if x.shape else float(grad)


_SHAPES = {"numpy": [((3,), (3,)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((2, 3), (2, 3))],
           "math": [((), ())] * 3}


@pytest.mark.parametrize("item", PAIR_FUNCTIONS, ids=[_pair_id(i) for i in PAIR_FUNCTIONS])
def test_pair_matches_central_differences_in_both_modes(item):
    pair, module, fn = item
    rng = np.random.default_rng(len(pair.name))
    wrt = tuple(i for i, share in enumerate(pair.shares) if share is not None)
    for shapes in _SHAPES[module]:
        x1, x2 = _samples(pair, shapes, rng)
        if module == "numpy":
            c = rng.normal(size=np.broadcast_shapes(*shapes))

            def f(x1, x2, c):
                return np.sum(fn(x1, x2) * c)
        else:
            c = float(rng.normal())

            def f(x1, x2, c):
                return fn(x1, x2) * c
        args = (x1, x2, c)
        grads = srcgrad.grad(f, wrt=wrt)(*args)
        grads = grads if isinstance(grads, tuple) else (grads,)
        for i, g in zip(wrt, grads):
            expected = _central(f, args, i)
            np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
            if module == "math":
                assert type(g) is float  # math's rules stay on Python floats
            tangent = rng.normal(size=np.shape(args[i])) if np.shape(args[i]) else float(rng.normal())
            tangents = tuple(tangent if j == i else None for j in range(3))
            forward = srcgrad.jvp(f, args, tangents)[1]
            np.testing.assert_allclose(forward, np.sum(expected * tangent), rtol=1e-6, atol=1e-8)


def _pair_derivatives(f, args):
    """(reverse, forward) derivatives of f in its first two arguments at `args`."""
    with np.errstate(all="ignore"):
        reverse = srcgrad.grad(f, wrt=(0, 1))(*args)
        forward = tuple(srcgrad.jvp(f, args, tuple(_ones(a) if j == i else None for j, a in enumerate(args)))[1]
                        for i in (0, 1))
    return reverse, forward


def _apply2(fn):
    def f(x, y):
        return fn(x, y)
    return f


def _same(a, b) -> bool:
    return bool(np.all((np.asarray(a) == b) | (np.isnan(a) & np.isnan(b))))


@pytest.mark.parametrize("item", PAIR_POINTS, ids=[_pair_id(i) for i in PAIR_POINTS])
def test_pair_at_a_pole_kink_or_tie_in_both_modes_and_namespaces(item):
    pair, module, fn, (a, b), expected = item
    kinds = [float] + ([np.float64] if module == "numpy" else [])
    for kind in kinds:
        reverse, forward = _pair_derivatives(_apply2(fn), (kind(a), kind(b)))
        for got in (reverse, forward):
            assert all(_same(g, e) for g, e in zip(got, expected)), (kind, reverse, forward, expected)
    if module == "numpy":
        def summed(x, y):
            return np.sum(fn(x, y))
        reverse, _ = _pair_derivatives(summed, (np.array([a, a]), np.array([b, b])))
        assert all(_same(g, [e, e]) for g, e in zip(reverse, expected)), (reverse, expected)


def test_math_and_numpy_pairs_agree_at_their_special_points():
    for pair in elementwise.PAIRS:
        if not (pair.primitives("math") and pair.primitives("numpy")):
            continue
        for (a, b) in pair.at:
            got = [_pair_derivatives(_apply2(fn), (a, b)) for fn in (pair.math, pair.numpy)]
            assert all(_same(m, n) for m, n in zip(got[0][0] + got[0][1], got[1][0] + got[1][1])), \
                (pair.name, got)


def _pairs_of_arrays(x):
    return np.sum(np.arctan2(x, x ** 2 + 1.0) * x + np.copysign(x ** 2, x - 3.0)
                  + np.fmod(3.0 * x, 1.1) * x + np.logaddexp2(x, 2.0 * x) + np.hypot(x, 0.5) ** 2)


def _pairs_of_floats(x):
    return math.atan2(x, x * x + 1.0) * x + math.copysign(x * x, x - 3.0) \
        + math.fmod(3.0 * x, 1.1) * x + math.hypot(x, 0.5) * x


def test_pairs_have_second_derivatives_in_both_namespaces():
    # generated from shares written with differentiable operations: hessian and jvp of grad
    x = np.array([0.3, 0.55, -0.45, 0.8])  # 3x stays away from fmod's jumps (multiples of 1.1)
    grad = srcgrad.grad(_pairs_of_arrays)
    eps = 1e-5
    columns = [(grad(x + eps * e) - grad(x - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(srcgrad.hessian(_pairs_of_arrays)(x), np.stack(columns, axis=-1),
                               rtol=1e-5, atol=1e-6)
    grad = srcgrad.grad(_pairs_of_floats)
    for at in (0.3, 0.55, -0.45):
        second = srcgrad.jvp(grad, (at,), (1.0,))[1]
        assert second == pytest.approx((grad(at + eps) - grad(at - eps)) / (2 * eps), rel=1e-5, abs=1e-7)
