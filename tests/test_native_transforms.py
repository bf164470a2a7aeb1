"""backend= on vjp, jacobian, hessian and hvp, and the user functions a derivative calls, in numba.

Every result is compared with the Python backend's on the same arguments (to
1e-12 relative). numba compiles each derivative once per process (about a
second each): the programs are few, and each compiled derivative is reused
across backend="numba" and backend="auto" and across cotangents.
"""
import numpy as np
import pytest

import srcgrad

numba = pytest.importorskip("numba")


def decay(k, c):
    x = 1.0
    v = 0.0
    for _ in range(20):
        a = -k * x - c * v
        v = v + 0.05 * a
        x = x + 0.05 * v
    return x * x + v


def fill(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] * x[i] + (x[i - 1] if i > 0 else 0.0)
    return out


def weighted(x, c):
    s = 0.0
    for i in range(len(x)):
        s += c * x[i] * x[i]
    return s


def doubled_in_place(x):
    for i in range(len(x)):
        x[i] = x[i] * 2.0 + 1.0
    return np.sum(x * x)


def spread(x):
    out = np.zeros(2 * len(x))
    for i in range(len(x)):
        out[2 * i] = np.sin(x[i])
        out[2 * i + 1] = x[i] * x[i]
    return out


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def sq(v):
    return v * v


def sum_sq(x):
    s = 0.0
    for i in range(len(x)):
        s += sq(x[i])
    return s


def inner(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x[i]) * x[i]
    return s


def outer(x):
    return inner(x, len(x)) * 2.0


def scaled(a, b=2.0):
    return a * b + np.cos(a)


def uses_defaults(x, y):
    s = 0.0
    for _ in range(3):
        s += scaled(x) * scaled(y, 3.0)
    return s


def typed(x):
    s = 0.0
    for i in range(len(x)):
        if type(x) is list:
            s = s + x[i]
        s = s + x[i] * x[i]
    return s


TYPED_LINE = typed.__code__.co_firstlineno + 3  # `if type(x) is list:`
X = np.array([0.5, -1.0, 1.5])


def close(a, b, rtol=1e-12):
    if isinstance(b, (tuple, list)) and not isinstance(b, list) or isinstance(b, tuple):
        return isinstance(a, tuple) and len(a) == len(b) and all(close(u, v, rtol) for u, v in zip(a, b))
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=1e-300)


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))


@pytest.mark.parametrize("fun, args, wrt, cotangents", [
    (decay, (0.7, 0.3), (0, 1), [1.0, -2.5]),  # numbers
    (fill, (X,), 0, [np.array([1.0, -2.0, 0.5]), np.array([0.0, 3.0, 1.0])]),  # an array, written entry by entry
    (weighted, ([0.5, -1.0, 1.5, 2.0], 1.5), (0, 1), [2.0]),  # a list of floats
])
def test_vjp_compiles_with_numba_and_gives_pythons_pullback(fun, args, wrt, cotangents):
    value, pullback = srcgrad.vjp(fun, *args, wrt=wrt)
    for backend in ("numba", "auto"):
        got_value, got = srcgrad.vjp(fun, *args, wrt=wrt, backend=backend)
        assert close(got_value, value)
        for cotangent in cotangents + cotangents:  # a pullback runs again with the same result
            want = pullback(cotangent)
            out = got(cotangent)
            assert close(out, want), (backend, cotangent, out, want)
            if fun is weighted:  # a list's gradient is a list, as the Python backend gives it
                assert type(out[0]) is list and all(type(v) is float for v in out[0])
        assert got.backend == "numba" and got.refusal is None
        assert "# backend: numba" in got.source


def test_vjp_of_a_function_writing_into_its_argument_writes_it_and_pulls_back_from_before():
    x, y = X.copy(), X.copy()
    value, pullback = srcgrad.vjp(doubled_in_place, x)
    got_value, got = srcgrad.vjp(doubled_in_place, y, backend="numba")
    assert close(got_value, value) and close(y, x) and not close(y, X)  # written, as calling it writes
    y[:] = 7.0  # changed after vjp: the pullback still starts from the arguments as they were
    assert close(got(1.0), pullback(1.0)) and close(got(0.5), pullback(0.5))
    assert got.backend == "numba"


def test_jacobian_by_rows_and_by_columns_compiles_with_numba():
    for fun in (fill, spread):  # vjp rows (output no larger), jvp columns (output larger)
        want = srcgrad.jacobian(fun)(X)
        for backend in ("numba", "auto"):
            jac = srcgrad.jacobian(fun, backend=backend)
            assert close(jac(X), want)
            assert jac.backend == "numba" and jac.refusal is None
    with pytest.raises(srcgrad.SrcGradError, match="takes a number or a NumPy array"):
        srcgrad.jacobian(weighted, backend="numba")([0.5, 1.0], 2.0)
    assert close(srcgrad.jacobian(weighted, backend="auto")([0.5, 1.0], 2.0),
                 srcgrad.jacobian(weighted)([0.5, 1.0], 2.0))


def test_hessian_and_hvp_compile_forward_over_reverse_with_numba():
    want = srcgrad.hessian(rosenbrock)(X)
    v = np.array([1.0, 2.0, -0.5])
    for backend in ("numba", "auto"):
        hessian, hvp = srcgrad.hessian(rosenbrock, backend=backend), srcgrad.hvp(rosenbrock, backend=backend)
        assert close(hessian(X), want) and close(hvp(X, v), want @ v)
        assert hessian.backend == hvp.backend == "numba" and hessian.refusal is None


def test_user_functions_it_calls_compile_into_the_numba_module():
    # a helper of numbers; a helper with a loop over the array (its split pair's tape, lists and
    # all, passes between two compiled functions)
    for fun, callee in ((sum_sq, "sq"), (outer, "inner")):
        df = srcgrad.grad(fun, backend="numba")
        assert close(df(X), srcgrad.grad(fun)(X)) and df.backend == "numba"
        assert f"def _{callee}_forward(" in df.native.text and f"def _{callee}_backward(" in df.native.text
        value, pullback = srcgrad.vjp(fun, X, backend="numba")
        assert close(value, fun(X)) and close(pullback(2.0), 2.0 * srcgrad.grad(fun)(X))
    # a callee's tangent function called without its default argument (numba takes no
    # keyword-only parameter: the tangents are positional, after the defaults)
    assert close(srcgrad.jvp(uses_defaults, (0.3, 0.7), (1.0, 0.5), backend="numba"),
                 srcgrad.jvp(uses_defaults, (0.3, 0.7), (1.0, 0.5)))


def test_what_numba_refuses_is_a_located_error_and_auto_runs_python():
    def at_line(err):
        return err.value.location is not None and err.value.location.lineno == TYPED_LINE

    with pytest.raises(srcgrad.SrcGradError, match="type()") as err:
        srcgrad.vjp(typed, X, backend="numba")
    assert at_line(err)
    for transform, args in ((srcgrad.jacobian, (X,)), (srcgrad.hessian, (X,)), (srcgrad.hvp, (X, X))):
        with pytest.raises(srcgrad.SrcGradError, match="type()") as err:
            transform(typed, backend="numba")(*args)
        assert at_line(err), transform
        auto = transform(typed, backend="auto")
        assert close(auto(*args), transform(typed)(*args))
        assert auto.backend == "python" and "type()" in str(auto.refusal)
    value, pullback = srcgrad.vjp(typed, X, backend="auto")
    assert close(pullback(1.5), srcgrad.vjp(typed, X)[1](1.5))
    assert pullback.backend == "python" and "type()" in str(pullback.refusal)
