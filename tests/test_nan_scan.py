"""The cheap NaN scans of the fast path (runtime.checks._holds_nan, behind `nan_free` and
`has_nan`) and the max/min adjoint's test for ties (runtime.reductions.unreduce_extreme).

`_holds_nan` reads `a.item(a.argmax())` on small arrays: NumPy's argmax returns the
index of the first NaN when there is one. These tests pin that for every float dtype
and memory layout, so a NumPy that changed it fails here, not in a user's gradient.
The max adjoint's untied shortcut must give the general formula's values bit for bit,
ties shared evenly, NaN slots and infinite adjoints included.
"""
import numpy as np
import pytest

from srcgrad import runtime
from srcgrad.runtime.checks import _SMALL, _holds_nan, has_nan, nan_free

FLOATS = [np.float16, np.float32, np.float64, np.longdouble]


def _layouts(a):
    """`a` (2-D) and views of it in other memory layouts."""
    return [a, a.T, a[::2], a[:, ::3], a.T[::-1], a[1:, 1:]]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (32, 10), (40, 30), (80, 70)])  # the last: > _SMALL
def test_holds_nan_agrees_with_isnan_any(dtype, shape):
    rng = np.random.default_rng(sum(shape))
    assert np.prod(shape) <= _SMALL or shape == (80, 70)
    for where in ("none", "first", "last", "random", "all", "beside_inf"):
        a = rng.normal(size=shape).astype(dtype)
        if where == "first":
            a.flat[0] = np.nan
        elif where == "last":
            a.flat[-1] = np.nan
        elif where == "random":
            a.flat[rng.integers(a.size)] = np.nan
        elif where == "all":
            a[...] = np.nan
        elif where == "beside_inf":
            a.flat[0] = np.inf
            a.flat[-1] = -np.inf
            if a.size > 2:
                a.flat[a.size // 2] = np.nan
        for view in _layouts(a):
            if view.size == 0:
                continue
            expected = bool(np.isnan(view).any())
            assert _holds_nan(view) == expected
            # what `_holds_nan` relies on: argmax points at a NaN whenever there is one
            if expected and view.size <= _SMALL:
                assert np.isnan(view.item(view.argmax()))
            assert has_nan(view) == expected
            if expected:
                with pytest.raises(FloatingPointError):
                    nan_free(view)
            else:
                assert nan_free(view) is view


@pytest.mark.parametrize("dtype", FLOATS)
def test_holds_nan_of_numpy_scalars_and_0d_arrays(dtype):
    for value in (dtype(1.5), dtype("inf"), np.array(2.0, dtype)):
        assert not _holds_nan(value) and not has_nan(value) and nan_free(value) is value
    for value in (dtype("nan"), np.array(np.nan, dtype)):
        assert _holds_nan(value) and has_nan(value)
        with pytest.raises(FloatingPointError):
            nan_free(value)


def test_inf_alone_is_no_nan():
    for a in (np.array([np.inf, -np.inf]), np.full(5000, np.inf), np.array([[-np.inf]])):
        assert not _holds_nan(a) and nan_free(a) is a and not has_nan(a)


# --- the max adjoint -------------------------------------------------------------------


def _general(g, a, z, axis, keepdims):
    """The adjoint by its defining formula: g shared evenly among the entries hitting z."""
    if axis is not None and not keepdims:
        z, g = np.expand_dims(z, axis), np.expand_dims(g, axis)
    hit = np.equal(a, z)
    return hit * (g / hit.sum(axis=axis, keepdims=True))


def _cases():
    rng = np.random.default_rng(7)
    base = rng.normal(size=(6, 5))
    tied = base.copy()
    tied[1, 3] = tied[1].max()  # a tie of two in row 1
    tied[4, :] = 2.0  # a whole row tied
    nan_row = base.copy()
    nan_row[2, 1] = np.nan
    nan_and_tie = base.copy()
    nan_and_tie[1, 3] = nan_and_tie[1].max()
    nan_and_tie[0, 0] = np.nan  # along axis 1, as many hits as slots: the NaN slot hides row 1's tie
    infs = base.copy()
    infs[3, 2] = np.inf
    infs[5, :] = -np.inf
    return {"untied": base, "tied": tied, "nan_row": nan_row, "nan_and_tie": nan_and_tie, "infs": infs}


@pytest.mark.parametrize("name", list(_cases()))
@pytest.mark.parametrize("axis, keepdims", [(1, True), (1, False), (0, True), (0, False), (None, False),
                                            (-1, True)])
@pytest.mark.parametrize("extreme", [np.max, np.min])
def test_unreduce_extreme_gives_the_general_formulas_values(name, axis, keepdims, extreme):
    a = _cases()[name]
    z = extreme(a, axis=axis, keepdims=keepdims)
    rng = np.random.default_rng(3)
    shape = np.shape(z)
    gs = [rng.normal(size=shape), np.zeros(shape), np.full(shape, -0.0)]
    if shape:
        special = rng.normal(size=shape)
        special.flat[0] = np.inf
        special.flat[-1] = np.nan
        gs.append(special)
    if keepdims or axis is None:
        gs.append(2.5)  # a Python float adjoint (of a slot kept as an axis, or of the whole)
    for g in gs:
        with np.errstate(all="ignore"):
            expected = _general(g, a, z, axis, keepdims)
            got = runtime.unreduce_extreme(g, a, z, axis, keepdims)
        assert got.shape == a.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_ties_share_the_adjoint_evenly():
    a = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, 1.0, 1.0, 1.0]])
    got = runtime.unreduce_extreme(np.array([[6.0], [8.0], [1.0]]), a, a.max(axis=1, keepdims=True), 1, True)
    np.testing.assert_array_equal(got, [[0.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [1.0, 0.0, 0.0, 0.0]])


def test_an_infinite_adjoint_raises_under_the_fast_paths_settings_as_before():
    # 0 * inf where an entry is not hit: the fast path hands over to its twin on this error
    a = np.array([[1.0, 2.0]])
    with runtime.raise_float_errors():
        with pytest.raises(FloatingPointError):
            runtime.unreduce_extreme(np.array([[np.inf]]), a, a.max(axis=1, keepdims=True), 1, True)


@pytest.mark.parametrize("a, axis", [(np.float64(3.0), 0), (np.array(2.0), None), (4.0, None),
                                     (np.arange(6).reshape(2, 3), 1), (np.array([[3, 3, 1]]), 1),
                                     (np.array([1.0, 2.0], np.float32), 0)])
def test_unreduce_extreme_of_0d_values_ints_and_float32(a, axis):
    z = np.max(a, axis=axis, keepdims=True) if np.ndim(a) else a
    g = np.ones(np.shape(z))
    got = runtime.unreduce_extreme(g, a, z, axis, True)
    with np.errstate(all="ignore"):
        expected = _general(g, a, z, None if np.ndim(a) == 0 else axis, True)
    np.testing.assert_array_equal(got, expected)
