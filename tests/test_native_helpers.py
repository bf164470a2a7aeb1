"""srcgrad/native/helpers/: each numba version, compiled, against the runtime helper of its name.

The helpers are those every numba derivative module imports (the process's
helpers module, srcgrad/native/library.py: every function under
`numba.njit`), and each helper runs on Python floats and ints, float arrays
of several shapes, broadcasting pairs (axes of length 1, leading axes),
zeros, infs and NaNs where the helper guards them; its value must be the
runtime helper's to 1e-12 (the same NaNs and infs). numba compiles once per
type signature, so the cases of a helper share a few signatures (ndims),
with many shapes each.
"""
import math

import numpy as np
import pytest

from srcgrad import runtime
from srcgrad.native import helpers

numba = pytest.importorskip("numba")

INF, NAN = math.inf, math.nan
RNG = np.random.default_rng(17)


def arr(*shape):
    return RNG.normal(size=shape)


W = arr(3, 4)
T3 = arr(2, 3, 4)
TIED = np.array([[1.0, 5.0, 5.0, 2.0], [7.0, 0.0, 7.0, 7.0], [3.0, -1.0, 2.0, 0.5]])
GUARDED = np.array([0.0, 1.5, -2.0, 0.0, INF, NAN, -0.5])  # zeros, an inf and a NaN
FACTORS = np.array([INF, 2.0, 0.0, NAN, 3.0, 1.0, -INF])
ZEROS = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 0.0, 3.0, 1.0], [2.0, -1.0, 0.5, 4.0]])  # slices with 0, 1, 2 zeros

# helper name -> argument tuples; several shapes per type signature (numba compiles per ndim)
CASES = {
    "zeros_like": [(2.0,), (W,)],
    "copy_stack": [([1.5, -2.0, 3.0],)],
    "shape_of": [(W,)],
    "unbroadcast": [
        (2.5, 1.0), (W, 1.0),
        (W, W), (W, arr(3, 1)), (W, arr(1, 4)), (W, arr(1, 1)),
        (W, arr(4)), (W, arr(1)), (arr(5, 4), arr(4)),
    ],
    "unbroadcast_to": [
        (W, ()), (T3, (4,)), (T3, (1,)),
        (W, (3, 4)), (W, (1, 4)), (W, (3, 1)), (W, (1, 1)),
    ],
    "unbroadcast_against": [
        (2.0, W), (arr(4), W), (arr(1), W),
        (arr(3, 1), arr(1, 4)), (W, arr(3, 1)), (W, W),
    ],
    "broadcast_like": [
        (1.5, 2.0), (1.5, W), (arr(4), W), (arr(1), W),
        (arr(3, 1), W), (arr(1, 4), W), (W, W), (arr(1, 1), W),
    ],
    "unreduce": [
        (2.0, 1.5, None, False), (2.0, W, None, False),
        (arr(4), W, 0, False), (arr(3), W, 1, False), (arr(3), W, -1, False),
        (arr(3, 1), W, 1, True), (arr(1, 4), W, 0, True), (arr(1, 1), W, None, True),
        (arr(4), T3, (0, 1), False), (arr(3), T3, (0, 2), False), (arr(2), T3, (-1, 1), False),
    ],
    "reduced_size": [(2.0, None), (W, None), (W, 1), (W, -2), (T3, (0, 2)), (T3, (1,))],
    "unreduce_extreme": [
        (1.5, TIED, TIED.max(), None, False), (1.5, TIED, TIED.min(), None, False),
        (arr(4), TIED, TIED.max(axis=0), 0, False), (arr(3), TIED, TIED.max(axis=1), 1, False),
        (arr(3), TIED, TIED.min(axis=-1), -1, False),
    ],
    "extreme_tangent_helper": [
        (W, TIED, TIED.max(axis=1), 1, False), (W, TIED, TIED.min(axis=0), 0, False),
        (W, TIED, TIED.min(axis=-1), -1, False),
    ],
    "var_adjoint_helper": [
        (1.5, W, None, 0, False), (1.5, W, None, 1, False),
        (arr(4), W, 0, 0, False), (arr(3), W, 1, 1, False), (arr(3), W, -1, 0, False),
    ],
    "std_adjoint_helper": [
        (1.5, W, W.std(), None, 0, False), (INF, np.ones((2, 3)), 0.0, None, 0, False),
        (arr(4), W, W.std(axis=0), 0, 0, False), (arr(4), np.ones((2, 4)), np.zeros(4), 0, 0, False),
        (np.array([1.5, INF, NAN, 2.0]), np.ones((2, 4)), np.zeros(4), 0, 0, False),
        (arr(3), TIED * [1, 1, 1, 0], (TIED * [1, 1, 1, 0]).std(axis=1), 1, 1, False),
        (arr(3), np.vstack([W[:2], np.ones(4)]), np.vstack([W[:2], np.ones(4)]).std(axis=1), 1, 0, False),
    ],
    "var_tangent_helper": [(W, TIED, TIED.var(axis=1), 1, 1, False), (W, TIED, TIED.var(axis=0), 0, 0, False)],
    "std_tangent_helper": [
        (W, TIED, TIED.std(axis=0), 0, 1, False),
        (W, np.vstack([W[:2], np.ones(4)]), np.vstack([W[:2], np.ones(4)]).std(axis=1), 1, 0, False),
    ],
    "prod_adjoint_helper": [
        (1.5, 2.0, 2.0, None, False), (1.5, 0.0, 0.0, None, False),
        (1.5, W, W.prod(), None, False), (arr(3), ZEROS, ZEROS.prod(axis=1), 1, False),
        (arr(1, 4), ZEROS, ZEROS.prod(axis=0, keepdims=True), 0, True), (1.5, ZEROS, 0.0, None, False),
    ],
    "prod_tangent_helper": [(W, W, W.prod(axis=-1), -1, False), (W, ZEROS, ZEROS.prod(axis=0), 0, False)],
    "take_adjoint_helper": [
        (arr(3, 4), W, np.array([2, 0, 2]), 0, "raise"), (arr(3, 3), W, np.array([2, -1, 2]), -1, "raise"),
        (arr(2, 2, 4), W, np.array([[1, 1], [2, 0]]), 0, "raise"), (arr(3), W, 1, -1, "raise"),
        (arr(3, 3), W, np.array([5, -1, 2]), 1, "wrap"), (arr(3, 3), W, np.array([5, -1, 2]), 1, "clip"),
        (arr(2, 2), W, np.array([[11, 0], [3, 3]]), None, "raise"),
    ],
    "cumsum_adjoint_helper": [
        (arr(5), arr(5), None), (arr(1), 1.5, None),
        (W, W, 0), (W, W, 1), (W, W, -1), (T3, T3, 1), (T3, T3, -3),
    ],
    "matmul_adjoint_left": [
        (1.5, arr(4), arr(4)),
        (arr(3), W, arr(4)), (arr(2), arr(4), arr(4, 2)),
        (arr(3, 2), W, arr(4, 2)), (arr(1, 2), arr(1, 4), arr(4, 2)), (arr(3, 2), arr(1, 4), arr(4, 2)),
        (arr(5, 3, 2), W, arr(4, 2)),
        # stacks of matrices: the stack axis broadcast, a matrix or a vector against a stack
        (arr(2, 3, 2), arr(2, 3, 4), arr(2, 4, 2)), (arr(2, 3, 2), arr(1, 3, 4), arr(2, 4, 2)),
        (arr(2, 3, 2), arr(2, 3, 4), arr(4, 2)), (arr(2, 3, 2), W, arr(2, 4, 2)),
        (arr(2, 3), arr(2, 3, 4), arr(4)), (arr(2, 2), arr(4), arr(2, 4, 2)),
    ],
    "matmul_adjoint_right": [
        (1.5, arr(4), arr(4)),
        (arr(3), W, arr(4)), (arr(2), arr(4), arr(4, 2)),
        (arr(3, 2), W, arr(4, 2)), (arr(3, 2), W, arr(4, 1)),
        (arr(2, 3, 2), arr(2, 3, 4), arr(1, 4, 2)), (arr(2, 3, 2), arr(1, 3, 4), arr(2, 4, 2)),
        (arr(2, 3, 2), arr(2, 3, 4), arr(4, 2)), (arr(2, 3, 2), W, arr(2, 4, 2)),
        (arr(2, 3), arr(2, 3, 4), arr(4)), (arr(2, 2), arr(4), arr(2, 4, 2)),
    ],
    "dot_adjoint_left": [(arr(3, 2), W, arr(4, 2)), (arr(3, 3), arr(3, 4), arr(4, 3)), (W, W, 2.0)],
    "dot_adjoint_right": [(arr(3, 2), W, arr(4, 2)), (arr(3), W, arr(4)), (W, 2.0, W)],
    "unindex": [
        (1.5, W, (1, 2)), (1.5, W, (-1, 0)),
        (arr(3), W, (slice(None), 0)), (arr(2), W, (slice(1, 3), 2)),
        (arr(3, 4), W, np.array([0, 0, 2])), (arr(2, 4), W, np.array([2, 0])), (arr(1, 4), W, np.array([1])),
    ],
    "written_adjoint": [
        (W, (1, 2), 1.0), (W, (0, -1), 2.0),
        (W, 1, arr(4)), (W, 2, arr(1)), (W, (slice(None), 1), 2.0), (W, (slice(0, 2), 3), 1.0),
        (W, np.array([0, 0, 2]), arr(3, 4)), (W, np.array([2, 0, 2]), arr(4)),
    ],
    "zero_at": [(W, (1, 2)), (W, (0, -1)), (W, (slice(None), 2)), (W, np.array([0, 0]))],
    "copy_slice": [(W, (slice(None), 1)), (W, (1, 2))],
    "owned": [(W,), (2.0,)],
    "owned_adjoint": [(W,), (2.0,)],
    "owned_tangent": [(W,), (2.0,)],
    "masked_product": [
        (2.0, 3.0), (0.0, INF), (0.0, NAN), (-1.5, INF),
        (0.0, FACTORS), (2.0, FACTORS),
        (GUARDED, FACTORS), (GUARDED, np.full(7, INF)),
        (arr(3, 1), arr(4)), (np.zeros((3, 1)), np.full(4, INF)), (arr(3, 4), arr(1)),
    ],
    "selected_product": [(2.0, 3.0), (0.0, INF), (GUARDED, FACTORS), (0.0, FACTORS)],
    "tangent_ratio": [
        (1.0, 2.0), (0.0, 0.0), (-2.0, 0.0), (3.0, -0.0), (0.0, INF), (2, 4),
        (GUARDED, FACTORS), (GUARDED, 0.0), (1.5, np.array([0.0, 2.0, -0.0, INF])),
    ],
    "pole_ratio": [
        (1.0, 2.0), (0.0, 0.0), (-2.0, 0.0), (3.0, -0.0),
        (GUARDED, FACTORS), (GUARDED, np.zeros(7)),
    ],
    "sign_of": [(2.0,), (-0.5,), (0.0,), (NAN,), (GUARDED,)],
    "log_or_zero": [(2.0,), (0.0,), (0.5,), (np.array([0.0, 2.0, 1e-300, INF]),)],
    "exponent_tangent": [(0.0, 3.0, -2.0), (0.5, 3.0, 2.0), (1.5, -0.25, 0.5), (0.0, 4.0, 0.0),
                         (np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]), np.array([0.5, 2.0, 1.0]))],
    "power_derivative": [
        (2.0, 3), (0.0, 0.5), (0.0, -1.0), (0.0, 2), (3.0, 0), (-1.5, 2), (2.0, 0.5),
        (np.array([0.0, 1.0, 2.5, 4.0]), 0.5), (np.array([0.0, 1.0, -2.5]), 3), (np.array([0.0, 2.0]), 0),
    ],
    "choice_share": [
        (1.5, 2.0, 1.0, 2.0), (1.5, 1.0, 2.0, 2.0), (1.5, 2.0, 2.0, 2.0), (1.5, NAN, 2.0, NAN),
        (0.0, NAN, 2.0, NAN), (1.5, 2.0, NAN, 2.0),
        (GUARDED, GUARDED, FACTORS, np.maximum(GUARDED, FACTORS)),
        (GUARDED, FACTORS, GUARDED, np.maximum(GUARDED, FACTORS)),
        (GUARDED, GUARDED, FACTORS[::-1].copy(), np.fmax(GUARDED, FACTORS[::-1])),
    ],
    "tie_share": [
        (1.5, 2.0, 1.0), (1.5, 1.0, 2.0), (1.5, 2.0, 2.0), (1.5, NAN, 2.0), (0.0, 2.0, NAN),
        (1.5, GUARDED, FACTORS), (GUARDED, FACTORS, GUARDED), (GUARDED, GUARDED, FACTORS[::-1].copy()),
    ],
    "clip_share": [
        (1.5, 0.7, -0.5, 0.5, "a"), (1.5, 0.5, -0.5, 0.5, "a_max"), (1.5, -0.5, -0.5, 0.5, "a_min"),
        (1.5, NAN, -0.5, 0.5, "a"), (1.5, -0.5, -0.5, 0.5, "a_max"),
        (GUARDED, GUARDED, -0.5, 0.0, "a"), (GUARDED, GUARDED, -0.5, 0.0, "a_min"),
        (GUARDED, GUARDED, -0.5, 0.0, "a_max"),
        (GUARDED, GUARDED, None, 0.0, "a"), (GUARDED, GUARDED, None, 0.0, "a_max"),
        (GUARDED, GUARDED, 0.0, None, "a"), (GUARDED, GUARDED, 0.0, None, "a_min"),
    ],
    "reshape_adjoint_helper": [
        (arr(12), W, "C"), (arr(12), W, "F"), (arr(12), np.asfortranarray(W), "A"),
        (arr(12), np.asfortranarray(W), "K"), (arr(12), W, "A"),
    ],
    "transpose_adjoint_helper": [
        (W, None), (W, (1, 0)), (T3, (1, 2, 0)), (T3, (2, 0, 1)), (T3, (-1, 0, 1)), (T3, (0, 2, 1)), (T3, (0, 1, 2)),
    ],
    "reshape_tangent_helper": [(W, W, arr(2, 6), "C"), (W, W, arr(6, 2), "F")],
    "radial_share": [
        (1.5, 3.0, 5.0), (1.5, 0.0, 0.0), (0.0, 1.0, 2.0),
        (GUARDED, FACTORS, np.array([0.0, 1.0, 2.0, 0.0, 3.0, 1.0, 2.0])), (1.5, W, np.abs(W)),
    ],
}


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    """The helpers as every derivative module calls them: the process's helpers module
    (srcgrad/native/library.py), every function compiled by numba, once per argument
    types for all the numba tests of this process."""
    import sys

    from srcgrad.native.library import library

    with pytest.MonkeyPatch.context() as patch:  # where the other numba tests keep their modules
        patch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))
        made = library()
    module = sys.modules[made.module_name]
    return {name: getattr(module, made.names[id(getattr(helpers, name))]) for name in helpers.NAMES}


def _same(got, want) -> bool:
    if isinstance(want, tuple):
        return isinstance(got, tuple) and got == want
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return got.shape == want.shape and np.array_equal(np.isnan(got), np.isnan(want)) \
        and np.allclose(got, want, rtol=1e-12, atol=1e-300, equal_nan=True)


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def test_every_helper_has_cases():
    assert set(helpers.NAMES) - {"float_zeros", "require_scalar", "scatter_add", "restore_entry",
                                 "take_axis", "matmul"} == set(CASES)
    assert all(name in vars(runtime) for name in CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_compiled_helper_gives_the_runtime_helpers_value(native, name):
    compiled, python = native[name], getattr(runtime, name)
    for args in CASES[name]:
        with np.errstate(all="ignore"):
            want = python(*map(_copy, args))
            got = compiled(*map(_copy, args))
        assert _same(got, want), (name, [np.shape(a) for a in args], got, want)


def test_scatter_add_and_restore_entry_write_in_place_as_the_runtime_does(native):
    cases = [((1, 2), 1.5), (1, arr(4)), ((slice(None), 0), arr(3)), (np.array([0, 2, 0]), arr(3, 4)),
             (np.array([1, 1]), 2.0)]
    for index, v in cases:
        want, got = W.copy(), W.copy()
        runtime.scatter_add(want, index, v)
        native["scatter_add"](got, index, v)
        assert _same(got, want), index
    for index in [1, (slice(None), 2), (0, 3)]:
        want, got = W.copy(), W.copy()
        old = runtime.copy_slice(W, index)
        want[index] = 0.0
        got[index] = 0.0
        runtime.restore_entry(want, index, old)
        native["restore_entry"](got, index, native["copy_slice"](W, index))
        assert _same(got, want) and _same(got, W), index


def test_float_zeros_and_require_scalar(native):
    assert _same(native["float_zeros"](4), [0.0] * 4)
    assert native["require_scalar"](2.0) is None and native["require_scalar"](np.float64(2.0)) is None
    with pytest.raises(Exception, match="scalar output"):
        native["require_scalar"](W)


def test_a_copy_is_not_the_original(native):
    for name in ("owned", "owned_adjoint", "owned_tangent", "zero_at"):
        x = W.copy()
        out = native[name](x, 0) if name == "zero_at" else native[name](x)
        out[...] = 7.0
        assert _same(x, W), name


def test_take_axis_is_numpys_take_along_an_axis(native):
    """numba's own numpy.take along an axis reads an index array of two or more axes as
    1-D (a ValueError at run time, or another shape): the lowering calls take_axis."""
    t3 = arr(4, 3, 2)
    cases = [(W, np.array([2, 0, 2]), 0), (W, np.array([[1, 1], [2, 0]]), 0), (W, np.array([[3, -1]]), 1),
             (W, 2, -1), (t3, np.array([[1, 1], [3, 0]]), 0), (t3, np.array([[2], [0]]), 1),
             (t3, np.array([[1, 0, 1]]), -1), (arr(5), np.array([[4, 0], [1, -2]]), 0)]
    for a, index, axis in cases:
        want = np.take(a, index, axis=axis)
        got = native["take_axis"](a, index, axis)
        assert _same(got, want), (a.shape, index, axis)


def test_matmul_is_numpys_matmul(native):
    """The lowering calls `matmul` for `@` and numpy.matmul: numba's `@` for one and two
    axes, a loop over the matrices of a stack of three."""
    cases = [(W, arr(4)), (arr(3), W), (W, arr(4, 2)), (arr(4), arr(4)), (arr(2, 3, 4), arr(2, 4, 2)),
             (arr(1, 3, 4), arr(2, 4, 2)), (arr(2, 3, 4), arr(1, 4, 2)), (arr(2, 3, 4), arr(4, 2)),
             (W, arr(2, 4, 2)), (arr(2, 3, 4), arr(4)), (arr(3), arr(2, 3, 2))]
    for a, b in cases:
        assert _same(native["matmul"](a, b), np.matmul(a, b)), (a.shape, b.shape)
