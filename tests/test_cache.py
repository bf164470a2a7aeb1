"""The compile cache (SPEC 1 and 7): one compile per (code object, options, kinds).

`srcgrad.cache.compile_count` counts the derivatives built; every test reads
it before and after. Gradients are checked against hand derivatives so that
a cache hit that serves the wrong code cannot pass.
"""
import importlib
import sys

import numpy as np
import pytest

import srcgrad
from srcgrad import cache


def compiles():
    return cache.compile_count


def cubic(x, y):
    return np.sum(x * x * x * y)


def make_scaled(c):
    def scaled(x):
        return c * x * x
    return scaled


def make_variant(which):
    if which == "square":
        def variant(x):
            return x * x
    else:
        def variant(x):
            return x * x * x
    return variant


def kinds(x):
    return np.sum(3.0 * x * x)


# --- repeated calls -----------------------------------------------------------


def test_second_call_does_not_compile():
    def local_cubic(x):
        return x * x * x

    df = srcgrad.grad(local_cubic)
    before = compiles()
    assert df(2.0) == pytest.approx(12.0)
    assert compiles() == before + 1
    assert df(3.0) == pytest.approx(27.0)
    assert df(-1.0) == pytest.approx(3.0)
    assert compiles() == before + 1


def test_second_grad_object_for_the_same_function_does_not_compile():
    x = np.array([1.0, 2.0])
    y = np.array([0.5, -1.0])
    srcgrad.grad(cubic, wrt=(0, 1))(x, y)  # warm
    before = compiles()
    dx, dy = srcgrad.grad(cubic, wrt=(0, 1))(x, y)
    assert compiles() == before
    np.testing.assert_allclose(dx, 3 * x * x * y)
    np.testing.assert_allclose(dy, x ** 3)


def test_different_wrt_is_a_different_derivative():
    x = np.array([1.0, 2.0])
    y = np.array([0.5, -1.0])
    dx = srcgrad.grad(cubic, wrt=0)(x, y)
    dy = srcgrad.grad(cubic, wrt=1)(x, y)
    np.testing.assert_allclose(dx, 3 * x * x * y)
    np.testing.assert_allclose(dy, x ** 3)


def test_value_and_grad_does_not_serve_grad_code():
    x = np.array([1.0, 2.0])
    y = np.array([0.5, -1.0])
    g = srcgrad.grad(cubic)(x, y)
    value, g2 = srcgrad.value_and_grad(cubic)(x, y)
    assert float(value) == pytest.approx(float(np.sum(x ** 3 * y)))
    np.testing.assert_allclose(g, g2)


def test_new_shapes_and_dtypes_do_not_recompile():
    df = srcgrad.grad(kinds)
    df(np.ones(3))
    before = compiles()
    for x in (np.arange(4.0), np.ones((2, 5)), np.ones(3, dtype=np.float32), np.arange(3)):
        g = df(x)
        assert g.shape == x.shape
        np.testing.assert_allclose(g, 6.0 * x, rtol=1e-6)
    assert compiles() == before


# --- redefinition -------------------------------------------------------------

_VERSION_1 = '''
def model(x):
    return x * x
'''

_VERSION_2 = '''
def model(x):
    y = x * x
    return y * x + 1.0
'''


def test_redefined_function_compiles_afresh(tmp_path, monkeypatch):
    path = tmp_path / "redefined_mod.py"
    path.write_text(_VERSION_1)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("redefined_mod", None)
    module = importlib.import_module("redefined_mod")
    try:
        before = compiles()
        assert srcgrad.grad(module.model)(3.0) == pytest.approx(6.0)
        assert compiles() == before + 1

        path.write_text(_VERSION_2)
        module = importlib.reload(module)
        before = compiles()
        assert srcgrad.grad(module.model)(3.0) == pytest.approx(27.0)
        assert compiles() == before + 1
    finally:
        sys.modules.pop("redefined_mod", None)


def _replaced_helper(z, c=1.0):
    return c * z ** 2


def _replacement(z, c=1.0):
    return c * z ** 3


def _calls_replaced_helper(x):
    return np.sum(_replaced_helper(x))


def _cube(x, c=np.array([1.0, 1.0])):
    return np.sum(c * x ** 3)


@pytest.fixture
def restore_helpers():
    saved = [(f, f.__code__, f.__defaults__) for f in (_replaced_helper, _calls_replaced_helper, _cube)]
    yield
    for f, code, defaults in saved:
        f.__code__, f.__defaults__ = code, defaults


def test_a_helper_whose_code_is_replaced_in_place_is_differentiated_anew(restore_helpers):
    """A hand-rolled reload (`helper.__code__ = ...`): the object is the same, the code
    Python runs is not. Both the derivative already made and a new one follow it."""
    x = np.array([1.0, 2.0])
    df = srcgrad.grad(_calls_replaced_helper)
    assert np.allclose(df(x), 2 * x)
    _replaced_helper.__code__ = _replacement.__code__
    assert np.allclose(df(x), 3 * x ** 2)
    assert np.allclose(srcgrad.grad(_calls_replaced_helper)(x), 3 * x ** 2)
    assert srcgrad.jvp(_calls_replaced_helper, (x,), (np.array([1.0, 0.0]),))[1] == pytest.approx(3.0)


def test_a_helpers_defaults_replaced_in_place_are_seen(restore_helpers):
    x = np.array([1.0, 2.0])
    df = srcgrad.grad(_calls_replaced_helper)
    assert np.allclose(df(x), 2 * x)
    _replaced_helper.__defaults__ = (5.0,)
    assert np.allclose(df(x), 10 * x)
    assert np.allclose(srcgrad.grad(_calls_replaced_helper)(x), 10 * x)


def test_the_functions_own_code_and_defaults_replaced_in_place(restore_helpers):
    x = np.array([1.0, 2.0])
    df = srcgrad.grad(_cube)
    assert np.allclose(df(x), 3 * x ** 2)
    _cube.__defaults__ = (np.array([2.0, -1.0]),)
    assert np.allclose(df(x), np.array([2.0, -1.0]) * 3 * x ** 2)
    dh = srcgrad.grad(_replaced_helper)
    assert dh(1.5) == pytest.approx(3.0)
    _replaced_helper.__code__ = _replacement.__code__
    assert dh(1.5) == pytest.approx(3 * 1.5 ** 2)
    assert dh(1.5, 2.0) == pytest.approx(6 * 1.5 ** 2)


def test_two_code_objects_from_one_factory_compile_separately():
    square = make_variant("square")
    cube = make_variant("cube")
    assert square.__code__ is not cube.__code__
    before = compiles()
    assert srcgrad.grad(square)(2.0) == pytest.approx(4.0)
    assert srcgrad.grad(cube)(2.0) == pytest.approx(12.0)
    assert compiles() == before + 2


# --- closures bind per function object ----------------------------------------


def test_closures_from_one_factory_get_their_own_constants():
    two = make_scaled(2.0)
    five = make_scaled(5.0)
    assert two.__code__ is five.__code__
    d_two = srcgrad.grad(two)
    d_five = srcgrad.grad(five)
    assert d_two(3.0) == pytest.approx(12.0)
    assert d_five(3.0) == pytest.approx(30.0)
    assert d_two(3.0) == pytest.approx(12.0)


def test_closures_with_the_same_code_share_one_compile():
    first = make_scaled(7.0)
    second = make_scaled(-1.0)
    srcgrad.grad(first)(1.0)
    before = compiles()
    assert srcgrad.grad(second)(1.0) == pytest.approx(-2.0)
    assert compiles() == before


# --- specialisation by kind (Python number or array), never by shape ----------


def test_float_then_array_both_correct():
    df = srcgrad.grad(kinds)
    g = df(2.0)
    assert type(g) is float and g == pytest.approx(12.0)
    x = np.array([1.0, -2.0, 0.5])
    ga = df(x)
    assert isinstance(ga, np.ndarray)
    np.testing.assert_allclose(ga, 6.0 * x)
    assert df(2.0) == pytest.approx(12.0)


def test_array_then_float_both_correct():
    def local(x, w):
        return np.sum(w * x * x)

    df = srcgrad.grad(local)
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(df(x, 3.0), 6.0 * x)
    assert df(1.5, 3.0) == pytest.approx(9.0)
    assert df(1.5, np.array([1.0, 2.0])) == pytest.approx(3.0 * 3.0)


def test_kinds_compile_at_most_once_each():
    def local(x):
        return np.sum(x * x)

    df = srcgrad.grad(local)
    before = compiles()
    df(1.0)
    df(np.ones(2))
    df(2)
    df(np.ones((3, 3)))
    assert compiles() - before <= 2


def test_grad_and_the_first_call_read_the_source_once(monkeypatch):
    from srcgrad import frontend

    reads = []
    real = frontend._read
    monkeypatch.setattr(frontend, "_read", lambda fn: reads.append(fn) or real(fn))

    def quartic(x):
        return x * x * x * x

    df = srcgrad.grad(quartic)
    assert df(2.0) == 32.0
    assert srcgrad.value_and_grad(quartic)(2.0) == (16.0, 32.0)
    assert reads == [quartic]


def _decorated(fn):
    return fn


@_decorated
def multi_line_tail(x, w):
    def inner(v):
        return v * 2.0
    y = [inner(x),
         w]
    return (y[0] * y[1]
            + np.sum(x))


def ends_in_a_branch(x):
    if np.sum(x) > 0.0:
        return np.sum(x * x)
    else:
        return np.sum(
            x)


@pytest.mark.parametrize("fn", [multi_line_tail, ends_in_a_branch])
def test_source_lines_from_code_positions_are_those_inspect_finds(fn):
    import inspect
    import sys

    from srcgrad import frontend

    found = frontend._recorded_lines(fn, inspect.getsourcefile(fn))
    if sys.version_info < (3, 11):
        assert found is None  # no co_positions: inspect.getsourcelines does it
        return
    lines, first, _ = found
    assert (lines, first) == tuple(inspect.getsourcelines(fn))


_WATCHED = '''
import numpy as np

SCALE = 3.0


def helper(x):
    return x * FACTOR


def model(x):
    return np.sum(helper(x) * SCALE)
'''


def test_derivatives_whose_checks_share_one_form_each_watch_their_own_names(tmp_path, monkeypatch):
    """Two modules of the same text: their derivatives' staleness checks have one form
    (one compiled check, `watch.Watch.check`), each over its own module's names."""
    monkeypatch.syspath_prepend(str(tmp_path))
    modules = []
    for name, factor in (("watched_a", 2.0), ("watched_b", 5.0)):
        (tmp_path / f"{name}.py").write_text(_WATCHED.replace("FACTOR", repr(factor)))
        sys.modules.pop(name, None)
        modules.append(importlib.import_module(name))
    a, b = modules
    x = np.array([1.0, 2.0])
    try:
        ga, gb = srcgrad.grad(a.model), srcgrad.grad(b.model)
        for _ in range(2):  # the second call runs through the planned check
            assert np.allclose(ga(x), 6.0) and np.allclose(gb(x), 15.0)
        planned = [next(iter(g._bound.values()))[2] for g in (ga, gb)]
        assert planned[0] is not planned[1] and planned[0].__code__ is planned[1].__code__
        b.helper = lambda v: v * 7.0
        assert np.allclose(ga(x), 6.0) and np.allclose(gb(x), 21.0)
        a.SCALE = 10  # a number of another type: built again for it
        assert np.allclose(ga(x), 20.0) and np.allclose(gb(x), 21.0)
        a.SCALE = 0.5
        assert np.allclose(ga(x), 1.0) and np.allclose(gb(x), 21.0)
        del b.SCALE
        with pytest.raises(NameError):
            gb(x)
        assert np.allclose(ga(x), 1.0)
    finally:
        for name in ("watched_a", "watched_b"):
            sys.modules.pop(name, None)
