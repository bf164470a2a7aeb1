"""In-place operations as NumPy runs them (FINDINGS25 #2, #3).

`a op= e` on an array, a ufunc's `out=a` and `np.copyto(a, v)` write into `a`:
NumPy keeps a's shape and dtype (a float32 accumulator rounds each step) and
raises where it cannot (a result of more axes than `a`: ValueError; floats into an
int array: its casting error). The derivative computes the result anew, so it
must check and cast it as NumPy does (`runtime.in_place_result`): every
derivative raises what the function raises (the same exception type), the values
and their dtypes are NumPy's, and the gradient through the rounding is the
identity (as for `astype`). Where the compiler knows nothing can fail (a Python
number into an array of floats, `np.copyto` into one), nothing is checked.
"""
import numpy as np
import pytest

import srcgrad

X = np.array([1.3, 2.2, 3.7])


# --- what NumPy refuses --------------------------------------------------------

def copyto_into_ints(x):
    a = np.zeros(3, dtype=int)
    np.copyto(a, x * 2.5)
    return np.sum(a * x)


def out_into_ints(x):
    a = np.zeros(3, dtype=int)
    np.multiply(x, 2.5, out=a)
    return np.sum(a * x)


def clip_out_into_ints(x):
    a = np.zeros(3, dtype=int)
    np.clip(x * 2.5, 0.0, 8.0, out=a)
    return np.sum(a * x)


def add_out_into_itself(x):
    a = np.arange(3)
    np.add(a, x, out=a)
    return np.sum(a * x)


def copyto_where_into_ints(x):
    a = np.zeros(3, dtype=int)
    np.copyto(a, x * 2.5, where=x > 2.0)
    return np.sum(a * x)


def positional_out_into_ints(x):
    a = np.zeros(3, dtype=np.int32)
    np.exp(x, a)
    return np.sum(a * x)


def iadd_into_ints(x):
    a = np.arange(3)
    a += x
    return np.sum(a * x)


def idiv_into_ints(x):
    a = np.arange(3)
    a /= 2.0
    return np.sum(a * x)


def imul_into_bools(x):
    a = np.ones(3, dtype=bool)
    a *= x
    return np.sum(a * x)


def iadd_broadcasting(x):
    a = np.zeros(3)
    a += np.outer(np.ones(2), x)
    return np.sum(a * x)


def imul_broadcasting(x):
    a = np.ones(3)
    a *= np.ones((2, 1)) * x
    return np.sum(a)


def isub_broadcasting(x):
    a = x * 1.0
    a -= x[:, None] * x
    return np.sum(a)


def isub_after_unpacking(x):
    a, b = x * 1.0, x          # a tuple display on the right: `a` holds an array, not a tuple
    a -= np.outer(b, b)
    return np.sum(a)


def idiv_broadcasting(x):
    a = np.ones(3)
    for _ in range(2):
        a /= x.reshape(1, 3) + 1.0
    return np.sum(a * x)


def iadd_into_the_argument(x, y):
    x += y
    return np.sum(x ** 2)


def out_broadcasting(x):
    a = np.zeros(3)
    np.sin(x.reshape(1, 3), out=a)
    return np.sum(a * x)


REFUSED = [copyto_into_ints, out_into_ints, clip_out_into_ints, add_out_into_itself, copyto_where_into_ints,
           positional_out_into_ints, iadd_into_ints,
           idiv_into_ints, imul_into_bools, iadd_broadcasting, imul_broadcasting, isub_broadcasting,
           isub_after_unpacking, idiv_broadcasting, out_broadcasting]


def _numpy_error(f, *args):
    with pytest.raises(Exception) as caught:
        f(*[np.array(a, copy=True) for a in args])
    return caught.value


def _modes(f, args, wrt=0):
    """Each transform's call of f at args (fresh copies), by name."""
    fresh = lambda: [np.array(a, copy=True) for a in args]  # noqa: E731
    t = [np.ones_like(np.asarray(a, dtype=float)) for a in args]
    return {
        "grad": lambda: srcgrad.grad(f, wrt=wrt)(*fresh()),
        "value_and_grad": lambda: srcgrad.value_and_grad(f, wrt=wrt)(*fresh()),
        "vjp": lambda: srcgrad.vjp(f, *fresh(), wrt=wrt)[1](1.0),
        "jvp": lambda: srcgrad.jvp(f, tuple(fresh()), tuple(t)),
        "hvp": lambda: srcgrad.hvp(f, wrt=wrt)(*fresh(), t[wrt]),
    }


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "vjp", "jvp", "hvp"])
@pytest.mark.parametrize("f", REFUSED, ids=lambda f: f.__name__)
def test_each_derivative_raises_numpys_error(f, mode):
    expected = _numpy_error(f, X)
    assert isinstance(expected, (TypeError, ValueError))
    with pytest.raises(Exception) as caught:
        _modes(f, [X])[mode]()
    assert type(caught.value) is type(expected), (caught.value, expected)
    assert str(caught.value) == str(expected)  # NumPy's own message (NumPy made it)


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "vjp", "jvp", "hvp"])
def test_an_argument_added_into_in_place_broadcasting(mode):
    y = np.ones((2, 3))
    expected = _numpy_error(iadd_into_the_argument, X, y)
    assert type(expected) is ValueError
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        _modes(iadd_into_the_argument, [X, y])[mode]()


def test_an_int_array_argument_added_into():
    """A data argument of ints (not differentiated) added into with floats: NumPy's
    casting error; the same values as floats run."""
    def f(x, counts):
        counts += x
        return np.sum(counts * x)
    with pytest.raises(TypeError) as numpy_error:
        f(X.copy(), np.arange(3))
    with pytest.raises(type(numpy_error.value)):
        srcgrad.grad(f)(X.copy(), np.arange(3))
    g = srcgrad.grad(f)(X.copy(), np.arange(3.0))
    np.testing.assert_allclose(g, 2 * X + np.arange(3.0))


def test_the_users_own_error_passes_through():
    def f(x):
        a = np.zeros(3)
        a += x[5]
        return np.sum(a)
    for mode, call in _modes(f, [X]).items():
        with pytest.raises(IndexError, match="out of bounds"):
            call()


def test_copyto_unsafe_is_refused_when_built():
    def f(x):
        a = np.zeros(3, dtype=int)
        np.copyto(a, x * 2.5, casting="unsafe")
        return np.sum(a * x)
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(f)(X.copy())


# --- narrower dtypes: NumPy rounds each step -------------------------------------

def _accumulate(dtype):
    def f(x):
        acc = np.ones(3, dtype=dtype)
        for i in range(4):
            acc += 1e-3 * x * x + 0.25 * i
            acc *= 1.0 + 1e-2 * x
        return acc
    return f


def _fd(f, x, eps):
    """Central differences of the scalar f at x."""
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float16, 2e-2)])
def test_a_narrow_accumulator_keeps_numpys_values_and_dtype(dtype, rtol):
    f = _accumulate(dtype)
    expected = f(X.copy())
    assert expected.dtype == dtype
    value, pullback = srcgrad.vjp(f, X.copy())
    assert value.dtype == dtype and np.array_equal(value, expected)  # rounded at each step, as NumPy does
    primal, tangent = srcgrad.jvp(f, (X.copy(),), (np.ones(3),))
    assert primal.dtype == dtype and np.array_equal(primal, expected)

    def loss(x):
        return float(np.sum(f(x).astype(np.float64) * x))

    wide = _accumulate(np.float64)  # the same program in float64: the rounding's gradient is the identity

    def wide_loss(x):
        return float(np.sum(wide(x) * x))
    v, g = srcgrad.value_and_grad(loss)(X.copy())
    assert v == loss(X.copy())
    np.testing.assert_allclose(g, _fd(wide_loss, X.copy(), 1e-6), rtol=rtol)
    np.testing.assert_allclose(tangent, (wide(X + 1e-6) - wide(X - 1e-6)) / 2e-6, rtol=rtol)
    np.testing.assert_allclose(pullback(np.ones(3)), _fd(lambda x: float(np.sum(wide(x))), X.copy(), 1e-6),
                               rtol=rtol)
    direction = np.array([1.0, -0.5, 0.25])
    wide_grad = srcgrad.grad(wide_loss)
    reference = (wide_grad(X + 1e-5 * direction) - wide_grad(X - 1e-5 * direction)) / 2e-5
    np.testing.assert_allclose(srcgrad.hvp(loss)(X.copy(), direction), reference, rtol=10 * rtol, atol=1e-6)


def test_the_float32_accumulator_of_the_finding():
    def float32_accumulator(x):
        acc = np.ones(3, dtype=np.float32)
        for i in range(3):
            acc += 1e-8 * x          # below float32's resolution at 1.0: acc stays 1
        return float(np.sum(acc)) * 1e8
    x = np.array([1.0, 2.0, 3.0])
    value, g = srcgrad.value_and_grad(float32_accumulator)(x)
    assert value == float32_accumulator(x.copy()) == 3e8
    np.testing.assert_allclose(g, [3.0, 3.0, 3.0])


def test_out_and_copyto_into_float32_buffers_round_as_numpy():
    def f(x):
        a = np.zeros(3, dtype=np.float32)
        np.multiply(x, 1.0 + 1e-9, out=a)
        b = np.zeros(3, dtype=np.float32)
        np.copyto(b, a * x + 1e-9)
        return b
    value, _ = srcgrad.vjp(f, X.copy())
    assert value.dtype == np.float32 and np.array_equal(value, f(X.copy()))


# --- float64 code: nothing to check --------------------------------------------

def test_float64_code_gets_no_check():
    def f(x, W):
        h = np.zeros(3)
        h += 1.0
        h *= 0.5
        h -= 2
        b = np.zeros(3)
        np.copyto(b, W @ x)
        h = h + b
        return np.sum(h * h)
    W = np.arange(9.0).reshape(3, 3)
    for mode in ("reverse", "forward", "split"):
        assert "in_place" not in srcgrad.source(f, mode=mode, wrt=0)
    g = srcgrad.grad(f)(X.copy(), W)
    h = 0.5 * (np.zeros(3) + 1.0) - 2 + W @ X
    np.testing.assert_allclose(g, 2 * W.T @ h)


def test_an_array_added_into_floats_is_checked_once_and_right():
    """`h += W @ x`: the shape of W @ x is not known when the derivative is built (W may
    have three axes), so the result is checked when it runs: one call, the same values."""
    def f(x, W):
        h = np.zeros(3)
        for _ in range(2):
            h += W @ x
            h = np.tanh(h)
        return np.sum(h)
    W = np.arange(9.0).reshape(3, 3) / 10.0
    text = srcgrad.source(f, mode="reverse", wrt=0)
    assert text.count("in_place_result(") == 1
    g = srcgrad.grad(f)(X.copy(), W)
    np.testing.assert_allclose(g, _fd(lambda x: f(x, W), X.copy(), 1e-6), rtol=1e-6)
    with pytest.raises(ValueError):
        f(X.copy(), np.ones((2, 3, 3)))
    with pytest.raises(ValueError):
        srcgrad.grad(f)(X.copy(), np.ones((2, 3, 3)))


def test_a_scipy_ufunc_out_into_ints_raises_its_error():
    special = pytest.importorskip("scipy.special")

    def f(x):
        a = np.zeros(3, dtype=int)
        special.expit(x, out=a)
        return np.sum(a * x)
    expected = _numpy_error(f, X)
    with pytest.raises(type(expected), match="expit"):
        srcgrad.grad(f)(X.copy())
