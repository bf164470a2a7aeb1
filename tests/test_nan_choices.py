"""A choice made at a NaN (issue 14 item 3 review): numpy.maximum, minimum, clip
and builtin max/min of two values pick one side; where the result is NaN
because an input is, no side was picked and the derivative is NaN (NaN in,
NaN out), as numpy.max gives, in both modes. Where a NaN input does not reach
the result (fmax/fmin of one NaN, Python's `max(a, nan)`, which is `a`), the
side that is the result takes the whole derivative. A zero adjoint stays zero.
"""
import math

import numpy as np
import pytest

import srcgrad

NAN = float("nan")


def _both_modes(f, args, wrt):
    """(reverse gradients, forward derivatives) of f in the arguments `wrt`."""
    with np.errstate(invalid="ignore"):
        reverse = srcgrad.grad(f, wrt=wrt)(*args)
        forward = tuple(srcgrad.jvp(f, args, tuple(np.ones_like(args[j], dtype=float) if j == i else None
                                                   for j in range(len(args))))[1]
                        for i in wrt)
    return reverse, forward


def _same(got, expected) -> bool:
    return bool(np.all((np.asarray(got) == expected) | (np.isnan(got) & np.isnan(expected))))


@pytest.mark.parametrize("fn", [np.maximum, np.minimum, max, min],
                         ids=lambda f: f"{type(f).__module__}.{f.__name__}")
def test_a_nan_result_of_a_choice_has_nan_derivatives(fn):
    def f(a, b):
        return fn(a, b) * 3.0

    for args in ((NAN, 1.0), (NAN, NAN)) + (((1.0, NAN),) if isinstance(fn, np.ufunc) else ()):
        reverse, forward = _both_modes(f, args, (0, 1))
        assert _same(reverse, (NAN, NAN)) and _same(forward, (NAN, NAN)), (args, reverse, forward)
        assert math.isnan(fn(*args))


@pytest.mark.parametrize("fn, picked", [(max, 1.0), (min, 1.0), (np.fmax, 1.0), (np.fmin, 1.0)],
                         ids=["max", "min", "fmax", "fmin"])
def test_a_nan_the_result_does_not_take_gives_the_result_the_whole_derivative(fn, picked):
    def f(a, b):
        return fn(a, b) * 3.0

    assert fn(1.0, NAN) == picked  # Python's max(a, nan) is a, as fmax(a, nan) is
    reverse, forward = _both_modes(f, (1.0, NAN), (0, 1))
    assert reverse == (3.0, 0.0) and forward == (3.0, 0.0)


def test_numpy_choices_on_arrays_give_nan_only_where_the_result_is_nan():
    x = np.array([NAN, 2.0, -1.0, 0.0])
    c = np.array([1.0, 2.0, 3.0, 4.0])
    for fn, expected in ((lambda x: np.maximum(x, 0.0), [NAN, 2.0, 0.0, 2.0]),
                         (lambda x: np.minimum(x, 0.0), [NAN, 0.0, 3.0, 2.0]),
                         (lambda x: np.clip(x, -0.5, 0.5), [NAN, 0.0, 0.0, 4.0]),
                         (lambda x: np.fmax(x, 0.0), [0.0, 2.0, 0.0, 2.0])):
        def f(x):
            return np.sum(fn(x) * c)

        reverse, forward = _both_modes(f, (x,), (0,))
        assert _same(reverse[0], expected), reverse
        # forward along all ones: the sum of the row; a NaN entry makes it NaN
        assert _same(forward[0], np.sum(expected)), forward
        _, along = srcgrad.jvp(f, (x,), (np.array([0.0, 1.0, 1.0, 1.0]),))
        assert _same(along, np.sum(expected[1:])), along  # a zero tangent on the NaN stays zero


def test_clip_at_a_nan_gives_every_argument_a_nan_derivative():
    def f(a, low, high):
        return np.clip(a, low, high) * 2.0

    for args in ((NAN, -1.0, 1.0), (0.5, NAN, 1.0), (0.5, -1.0, NAN)):
        reverse, forward = _both_modes(f, args, (0, 1, 2))
        assert _same(reverse, (NAN, NAN, NAN)) and _same(forward, (NAN, NAN, NAN)), (args, reverse, forward)


def test_choices_agree_with_numpy_max_at_a_nan():
    x = np.array([NAN, 1.0])
    for f in (lambda x: np.max(x),
              lambda x: max(x[0], x[1]),
              lambda x: np.maximum(x[0], x[1]),
              lambda x: np.maximum.reduce(x)):
        with np.errstate(invalid="ignore"):
            g = srcgrad.grad(f)(x)
        assert math.isnan(g[0]), g


def test_a_zero_adjoint_through_a_choice_at_a_nan_stays_zero():
    def f(x):
        m = np.maximum(x, 0.0)
        return np.sum(np.where(np.isnan(m), 0.0, m))

    g = srcgrad.grad(f)(np.array([NAN, 2.0, -1.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])
