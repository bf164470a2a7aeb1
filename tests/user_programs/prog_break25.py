"""srcgrad tried from outside (break25): loops that write arrays in place
(slices, masks, repeated index arrays, negative indices, rows and columns,
strided slices), the NaN-safe fast path, argument kinds and the cache, small
nets in training loops, SciPy, exported modules, and the dtypes of arrays a
function fills in place.

Written from README.md, docs/*.md, FINDINGS*.md, error messages and printed
generated code only (the compiler was not read).  The default Python backend.
Every derivative is checked against central differences in float64 (the
function called on fresh copies of its arguments) or a hand derivative.

A finding that still fails is a strict xfail naming its number in FINDINGS25.md.
"""
import copy
import math

import numpy as np
import pytest

import srcgrad

from user_programs.checking import fd_grad, fd_dir, close, _flat


def fresh(t):
    return copy.deepcopy(t)


def fd(f, args, wrt=0, eps=1e-6):
    """Central differences on fresh copies (some programs write their arguments)."""
    return fd_grad(lambda *a: f(*fresh(a)), list(args), wrt, eps)


def fd_checked(f, args, wrt=0):
    """Two step sizes that agree, so the reference is not itself noise."""
    a = fd(f, args, wrt, 1e-6)
    b = fd(f, args, wrt, 1e-5)
    np.testing.assert_allclose(_flat(a)[0], _flat(b)[0], rtol=1e-4, atol=1e-6)
    return a


def all_modes(f, args, wrt=0, hess=True, seed=0):
    """grad, value_and_grad, vjp, jvp and (optionally) hvp, each on fresh copies."""
    args = list(args)
    expected = fd_checked(f, args, wrt)
    close(srcgrad.grad(f, wrt=wrt)(*fresh(args)), expected)
    value, g = srcgrad.value_and_grad(f, wrt=wrt)(*fresh(args))
    assert float(value) == pytest.approx(float(f(*fresh(args))), rel=1e-12, abs=1e-12)
    close(g, expected)
    _, pullback = srcgrad.vjp(f, *fresh(args), wrt=wrt)
    close(pullback(1.0), expected)
    rng = np.random.default_rng(seed)
    x0, unflat = _flat(args[wrt])
    v = unflat(rng.standard_normal(x0.size))
    tangents = [None] * len(args)
    tangents[wrt] = v
    _, out_dot = srcgrad.jvp(f, tuple(fresh(args)), tuple(tangents))
    close(out_dot, fd_dir(lambda *a: f(*fresh(a)), args, wrt, v))
    if hess:
        def flat_grad(*a):
            return _flat(srcgrad.grad(f, wrt=wrt)(*fresh(a)))[0]
        hv = srcgrad.hvp(f, wrt=wrt)(*fresh(args), v)
        close(hv, fd_dir(flat_grad, args, wrt, v, 1e-5), 1e-4, 1e-5)


# --------------------------------------------------------------------------
# FINDINGS25 #1: a write into an integer (or bool) array truncates the value;
# the derivative treats the write as if the array held floats.
# --------------------------------------------------------------------------

def fill_an_integer_buffer(x):
    a = np.array([0, 0, 0])            # an int64 array: the writes truncate
    for i in range(3):
        a[i] = x[i] * 2.5
    return np.sum(a * x)               # d/dx = a (piecewise constant a)


def fill_an_arange(x):
    a = np.arange(3)                   # int64 too
    a[1] = x[0] * 10.0
    return np.sum(a * x)


def fill_a_python_number_buffer(x):
    a = np.full(3, 0)                  # np.full with an int fill value: int64
    a[1] = x * 3.3
    return np.sum(a) * x


def fill_a_bool_buffer(x):
    a = np.zeros(3, dtype=bool)
    a[0] = x[0]
    return np.sum(a * x) + np.sum(x)


XI = np.array([1.3, 2.2, 3.7])


def test_f01_the_functions_truncate():
    assert fill_an_integer_buffer(XI.copy()) == pytest.approx(3 * 1.3 + 5 * 2.2 + 9 * 3.7)
    assert fill_a_python_number_buffer(1.7) == pytest.approx(5 * 1.7)


# Fixed in session 18 by refusing: a write of a differentiated value into an array
# of integers or booleans raises a located SrcGradError naming the dtype when the
# function runs (the derivative of a rounding write would be wrong), in every mode.

def _refused_as_integers(build, dtype="int64"):
    with pytest.raises(srcgrad.SrcGradError, match=f"an array of {dtype}"):
        build()


def test_f01_integer_buffer_grad():
    _refused_as_integers(lambda: srcgrad.grad(fill_an_integer_buffer)(XI.copy()))


def test_f01_integer_buffer_vjp():
    _refused_as_integers(lambda: srcgrad.vjp(fill_an_integer_buffer, XI.copy())[1](1.0))


def test_f01_integer_buffer_jvp():
    v = np.array([1.0, -0.5, 0.25])
    _refused_as_integers(lambda: srcgrad.jvp(fill_an_integer_buffer, (XI.copy(),), (v,)))


def test_f01_arange_buffer():
    _refused_as_integers(lambda: srcgrad.grad(fill_an_arange)(XI.copy()))


def test_f01_full_int_buffer_scalar():
    _refused_as_integers(lambda: srcgrad.grad(fill_a_python_number_buffer)(1.7))


def test_f01_full_int_buffer_hvp():
    _refused_as_integers(lambda: srcgrad.hvp(fill_a_python_number_buffer)(1.7, 1.0))


def test_f01_bool_buffer():
    x = np.array([1.33, 2.2, 3.7])
    _refused_as_integers(lambda: srcgrad.grad(fill_a_bool_buffer)(x), "bool")


def test_f01_conversions_right():
    """The explicit conversions carry zero gradient, as they should."""
    def astype_int(x):
        return np.sum((x * 2.5).astype(int) * x)

    def constructor_dtype(x):
        return np.sum(np.array([x[0] * 2.5, x[1] * 2.5], dtype=int) * x)

    def python_int(x):
        return int(x * 2.5) * x
    x = np.array([1.3, 2.2])
    close(srcgrad.grad(astype_int)(x), fd_checked(astype_int, [x]))
    close(srcgrad.grad(constructor_dtype)(x), fd_checked(constructor_dtype, [x]))
    assert srcgrad.grad(python_int)(1.3) == pytest.approx(3.0)


# --------------------------------------------------------------------------
# FINDINGS25 #2: in-place operations NumPy refuses for their dtype (same_kind
# casting into an int array) run under srcgrad and return a value and a
# gradient.
# --------------------------------------------------------------------------

def copyto_an_int_array(x):
    a = np.zeros(3, dtype=int)
    np.copyto(a, x * 2.5)              # TypeError: Cannot cast ... 'same_kind'
    return np.sum(a * x)


def ufunc_out_an_int_array(x):
    a = np.zeros(3, dtype=int)
    np.multiply(x, 2.5, out=a)         # UFuncTypeError
    return np.sum(a * x)


def iadd_into_an_arange(x):
    a = np.arange(3)
    a += x                             # UFuncTypeError
    return np.sum(a * x)


@pytest.mark.parametrize("fn, exc", [(copyto_an_int_array, TypeError),
                                     (ufunc_out_an_int_array, TypeError),
                                     (iadd_into_an_arange, TypeError)])
def test_f02_the_functions_raise(fn, exc):
    with pytest.raises(exc):
        fn(XI.copy())


def test_f02_copyto_int():
    with pytest.raises(TypeError):
        srcgrad.value_and_grad(copyto_an_int_array)(XI.copy())


def test_f02_out_int():
    with pytest.raises(TypeError):
        srcgrad.grad(ufunc_out_an_int_array)(XI.copy())


def test_f02_iadd_int():
    with pytest.raises(TypeError):
        srcgrad.grad(iadd_into_an_arange)(XI.copy())


def test_f02_iadd_int_jvp():
    with pytest.raises(TypeError):
        srcgrad.jvp(iadd_into_an_arange, (XI.copy(),), (np.ones(3),))


def test_f02_out_into_float_buffers_right():
    def outs(x):
        a = np.zeros(3)
        np.multiply(x, 2.0, out=a)
        b = np.zeros(3)
        np.copyto(b, a * x)
        c = np.zeros(3)
        np.sin(x, out=c)
        return np.sum(a * b) + np.sum(c ** 2)
    all_modes(outs, [XI])


# --------------------------------------------------------------------------
# FINDINGS25 #3: `a += b` on an array is run as `a = a + b`: where b
# broadcasts to a larger shape NumPy raises, srcgrad returns numbers; a
# float32 array stays float64 afterwards.
# --------------------------------------------------------------------------

def iadd_a_matrix_into_a_vector(x):
    a = np.zeros(3)
    a += x.reshape(2, 3)               # ValueError: non-broadcastable output operand
    return np.sum(a)


def iadd_into_the_argument(x, y):
    x += y                             # y is (2, 3), x is (3,): ValueError
    return np.sum(x ** 2)


def float32_accumulator(x):
    acc = np.ones(3, dtype=np.float32)
    for i in range(3):
        acc += 1e-8 * x                # below float32's resolution at 1.0
    return float(np.sum(acc)) * 1e8


def test_f03_the_functions_raise():
    with pytest.raises(ValueError):
        iadd_a_matrix_into_a_vector(np.arange(6.0))
    with pytest.raises(ValueError):
        iadd_into_the_argument(np.array([1.0, 2.0, 3.0]), np.ones((2, 3)))


def test_f03_iadd_broadcast_grad():
    with pytest.raises(ValueError):
        srcgrad.value_and_grad(iadd_a_matrix_into_a_vector)(np.arange(6.0))


def test_f03_iadd_broadcast_argument():
    with pytest.raises(ValueError):
        srcgrad.grad(iadd_into_the_argument)(np.array([1.0, 2.0, 3.0]), np.ones((2, 3)))


def test_f03_float32_accumulator_value():
    x = np.array([1.0, 2.0, 3.0])
    value, _ = srcgrad.value_and_grad(float32_accumulator)(x)
    assert value == float32_accumulator(x.copy())       # 3e8; srcgrad 300000018.0


# --------------------------------------------------------------------------
# FINDINGS25 #4 (minor): out= into a slice or row, np.copyto into a slice or
# with where=, refused as "the derivative cannot see that change", without
# naming the form; np.copyto(a, b) and out=a are supported.
# --------------------------------------------------------------------------

def sin_into_a_row(x):
    c = np.zeros((2, 3))
    np.sin(x, out=c[1])
    return np.sum(c ** 2)


def copyto_a_slice(x):
    c = np.zeros(5)
    np.copyto(c[1:4], x)
    return np.sum(c ** 2)


def copyto_where(x):
    a = np.zeros(3)
    np.copyto(a, x ** 2, where=x > 1.5)
    return np.sum(a * x)


def test_f04_out_into_a_row():
    # fixed in session 18: out= a part picked by numbers and slices is that part written
    close(srcgrad.grad(sin_into_a_row)(XI.copy()), fd_checked(sin_into_a_row, [XI]))


def test_f04_copyto_a_slice():
    close(srcgrad.grad(copyto_a_slice)(XI.copy()), 2.0 * XI)


def test_f04_copyto_where():
    close(srcgrad.grad(copyto_where)(XI.copy()), fd_checked(copyto_where, [XI]))


def test_f04_the_message_names_the_keyword():
    """np.multiply(..., out=a, where=m) names `where`; np.copyto's does not."""
    def out_where(x):
        a = np.zeros(3)
        np.multiply(x, 2.0, out=a, where=x > 1.5)
        return np.sum(a * x)
    with pytest.raises(srcgrad.SrcGradError, match="where"):
        srcgrad.grad(out_where)(XI.copy())


# --------------------------------------------------------------------------
# FINDINGS25 #5: Python-number code: a fractional power (x ** 0.5,
# math.pow, np.power, pow) at 0 with a zero adjoint gives NaN; the same
# program on arrays gives the documented 0 * inf = 0 (and math.sqrt is
# guarded on numbers too).
# --------------------------------------------------------------------------

def pair_energy(xs):
    e = 0.0
    for i in range(len(xs)):
        for j in range(len(xs)):
            r = ((xs[i] - xs[j]) ** 2) ** 0.5     # |xi - xj|, 0 on the diagonal
            w = 0.0 if i == j else 1.0            # the self-pair weighs nothing
            e = e + w * r
    return e


def clamped_distance(x, y):
    r = (x * x + y * y) ** 0.5
    return max(r, 1e-3)


def clamped_distance_sqrt(x, y):
    r = math.sqrt(x * x + y * y)
    return max(r, 1e-3)


XS = [0.1, 0.5, 0.9]


def test_f05_pair_energy_on_an_array_right():
    close(srcgrad.grad(pair_energy)(np.array(XS)), np.array([-4.0, 0.0, 4.0]))
    _, t = srcgrad.jvp(pair_energy, (np.array(XS),), (np.array([1.0, 0.0, 0.0]),))
    assert t == pytest.approx(-4.0)


def test_f05_pair_energy_on_a_list_grad():
    close(srcgrad.grad(pair_energy)(list(XS)), [-4.0, 0.0, 4.0])


def test_f05_pair_energy_on_a_list_jvp():
    _, t = srcgrad.jvp(pair_energy, (list(XS),), ([1.0, 0.0, 0.0],))
    assert t == pytest.approx(-4.0)


def test_f05_clamped_distance():
    g = srcgrad.grad(clamped_distance, wrt=(0, 1))(0.0, 0.0)
    close(g, (0.0, 0.0))


def test_f05_clamped_distance_sqrt_right():
    g = srcgrad.grad(clamped_distance_sqrt, wrt=(0, 1))(0.0, 0.0)
    close(g, (0.0, 0.0))


def weighted_pow_op(x, w):
    return w * x ** 0.5 + x                       # w = 0: d/dx = 1


def weighted_math_pow(x, w):
    return w * math.pow(x, 0.5) + x


def weighted_np_power(x, w):
    return w * np.power(x, 0.5) + x


def weighted_quarter(x, w):
    return w * x ** 0.25 + x


@pytest.mark.parametrize("f", [weighted_pow_op, weighted_math_pow, weighted_np_power, weighted_quarter])
def test_f05_zero_weight_fractional_power(f):
    assert srcgrad.grad(f)(0.0, 0.0) == pytest.approx(1.0)


def test_f05_zero_weight_on_arrays_and_sqrt_right():
    def f(x, w):
        return np.sum(w * x ** 0.5 + x)

    def g(x, w):
        return w * math.sqrt(x) + x
    close(srcgrad.grad(f)(np.zeros(2), np.zeros(2)), np.ones(2))
    assert srcgrad.grad(g)(0.0, 0.0) == pytest.approx(1.0)


def test_f05_unused_fractional_power():
    def f(x):
        r = x ** 0.5
        z = [r, 2.0 * x]
        return z[1]                               # r is not used
    assert srcgrad.grad(f)(0.0) == pytest.approx(2.0)


def running_rms(x):
    acc = 0.0
    out = 0.0
    for i in range(len(x)):
        acc = acc + x[i] ** 2
        out = out + (acc / (i + 1)) ** 0.5        # acc = 0 while the signal is 0
    return out


def running_rms_sqrt(x):
    acc = 0.0
    out = 0.0
    for i in range(len(x)):
        acc = acc + x[i] ** 2
        out = out + np.sqrt(acc / (i + 1))
    return out


def damped_sum(xs):
    s = 0.0
    for i in range(3):
        s = s + xs[i] / (1.0 + (s * s) ** 0.5)    # s = 0.0 in the first iteration
    return s


SIGNAL = np.array([0.0, 0.5, 1.0])


def test_f05_forward_mode_with_np_sqrt_right():
    v = np.array([0.0, 1.0, 0.0])
    _, t = srcgrad.jvp(running_rms_sqrt, (SIGNAL.copy(),), (v,))
    assert t == pytest.approx(float(fd_dir(running_rms_sqrt, [SIGNAL], 0, v)[0]), rel=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_f05_jvp_running_rms_of_an_array():
    v = np.array([0.0, 1.0, 0.0])
    _, t = srcgrad.jvp(running_rms, (SIGNAL.copy(),), (v,))
    assert t == pytest.approx(float(fd_dir(running_rms, [SIGNAL], 0, v)[0]), rel=1e-6)     # 0.9653


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_f05_accumulator_from_zero_forward_and_second_order():
    xs = np.array([0.3, -0.2, 0.4])
    close(srcgrad.grad(damped_sum)(xs.copy()), fd_checked(damped_sum, [xs]))      # right
    v = np.array([1.0, 0.0, 0.0])
    _, t = srcgrad.jvp(damped_sum, (xs.copy(),), (v,))
    assert t == pytest.approx(float(fd_dir(damped_sum, [xs], 0, v)[0]), rel=1e-6)  # 0.7778


# --------------------------------------------------------------------------
# FINDINGS25 #6 (minor, generated code): one read of an entry in the return
# (`vs[-1]`, `a[-1]`, `np.sum(a[1:])`) keeps every overwritten entry of the
# array saved on the stack and restored in the backward loop, though the
# backward sweep never reads the array after the restores (dead statements).
# --------------------------------------------------------------------------

def recurrence_last_entry(x):
    a = np.zeros(4)
    a[0] = x
    for i in range(3):
        a[i + 1] = a[i] * 0.5 + 1.0
    return a[-1]


def recurrence_sum(x):
    a = np.zeros(4)
    a[0] = x
    for i in range(3):
        a[i + 1] = a[i] * 0.5 + 1.0
    return np.sum(a ** 2)


def test_f06_values_right_and_no_saves_without_the_read():
    df = srcgrad.grad(recurrence_last_entry)
    assert df(0.7) == pytest.approx(0.125)
    dg = srcgrad.grad(recurrence_sum)
    assert dg(0.7) == pytest.approx(fd_checked(recurrence_sum, [0.7]))
    assert "copy_slice" not in srcgrad.source(dg)


def strided_copy(x):
    a = x * 1.0
    for k in range(3):
        a[::2] = a[::2] + a[1::2] ** 2
        a[1::2] *= 0.9
    return np.sum(np.sin(a))


@pytest.mark.xfail(strict=True, reason="FINDINGS25 #6: slice writes into a copy of the argument: dead restores of a")
def test_f06_no_dead_restores_of_slices():
    df = srcgrad.grad(strided_copy)
    close(df(X6.copy()), fd_checked(strided_copy, [X6]))
    text = srcgrad.source(df)
    restores = [line.strip() for line in text.splitlines() if line.strip().startswith("a[") and "_stack.pop()" in line]
    # the backward sweep never reads a (its loop reads only popped values and da)
    assert not restores, restores


@pytest.mark.xfail(strict=True, reason="FINDINGS25 #6: a[-1] in the return keeps dead saves and restores of a")
def test_f06_no_dead_restores():
    df = srcgrad.grad(recurrence_last_entry)
    df(0.7)
    text = srcgrad.source(df)
    assert "copy_slice" not in text, text


# --------------------------------------------------------------------------
# FINDINGS25 #7 (minor message): a bool, complex or object array as the wrt
# argument is refused as "it is a ndarray; a wrt argument must be ... a real
# array": the dtype, the actual reason, is not named (a Python bool or
# complex is named).
# --------------------------------------------------------------------------

def sine_weighted(x):
    return np.sum(np.sin(x) * x)


def test_f07_refused_with_a_srcgraderror():
    for bad in [np.array([True, False]), np.array([1 + 1j, 2.0]), np.array([1.0, 2.0], dtype=object)]:
        with pytest.raises(srcgrad.SrcGradError, match="cannot differentiate with respect to 'x'"):
            srcgrad.grad(sine_weighted)(bad)
    with pytest.raises(srcgrad.SrcGradError, match="it is a bool"):
        srcgrad.grad(sine_weighted)(True)


@pytest.mark.parametrize("bad, dtype", [(np.array([True, False]), "bool"),
                                        (np.array([1 + 1j, 2.0]), "complex"),
                                        (np.array([1.0, 2.0], dtype=object), "object")],
                         ids=["bool", "complex", "object"])
def test_f07_message_names_the_dtype(bad, dtype):
    # fixed in session 18: "it is an array of complex128"; a complex one's hint keeps both parts
    with pytest.raises(srcgrad.SrcGradError) as err:
        srcgrad.grad(sine_weighted)(bad)
    assert dtype in str(err.value).splitlines()[0], str(err.value)
    assert ("x.real, x.imag" in str(err.value)) == (dtype == "complex")


# --------------------------------------------------------------------------
# FINDINGS25 #8: a `for` loop over an array makes every later write into
# that array refused ("'a' may share memory with 'v'"): a write into the
# next slot during the loop (documented as supported), and any write after
# the loop, where the loop variable is dead; a 1-D np.zeros buffer's items
# are numbers.  Lists are accepted and right.
# --------------------------------------------------------------------------

def loop_over_an_array_writing_the_next_slot(x):
    a = np.zeros(4)
    a[:] = x
    for i, v in enumerate(a):
        if i + 1 < 4:
            a[i + 1] = a[i + 1] + 0.5 * v
    return np.sum(a ** 2)


def loop_over_a_list_writing_the_next_slot(x):
    a = list(x)
    for i, v in enumerate(a):
        if i + 1 < 4:
            a[i + 1] = a[i + 1] + 0.5 * v
    return sum([t ** 2 for t in a])


def write_after_a_loop_over_rows(X):
    A = X * 1.0
    s = 0.0
    for row in A:
        s = s + np.sum(row ** 2)
    A[0] = s * A[1]
    return np.sum(A)


def write_after_a_loop_over_numbers(x):
    a = np.zeros(3)
    a[:] = x ** 2
    s = 0.0
    for v in a:
        s = s + v
    a[0] = s
    return np.sum(a * x)


X4 = np.array([0.3, -0.2, 0.5, 0.1])


def test_f08_the_list_form_right():
    all_modes(loop_over_a_list_writing_the_next_slot, [list(X4)], hess=False)


def test_f08_write_the_next_slot_of_the_array():
    # fixed in session 18: the loop's item is an entry read out of the array (checked as it runs)
    all_modes(loop_over_an_array_writing_the_next_slot, [X4], hess=False)

    def rows_next(X):
        A = X * 1.0
        for i, row in enumerate(A):
            if i + 1 < A.shape[0]:
                A[i + 1] = A[i + 1] + 0.5 * np.tanh(row)   # another row: `row` stays as it was
        return np.sum(A ** 2)

    def rows_same(X):
        A = X * 1.0
        for i, row in enumerate(A):
            A[i] = 2.0 * row                                # the row `row` views
        return np.sum(A ** 2)
    X = np.arange(6.0).reshape(3, 2) / 5
    all_modes(rows_next, [X], hess=False)
    with pytest.raises(srcgrad.SrcGradError, match="is a view of it"):
        srcgrad.grad(rows_same)(X)


def test_f08_write_after_the_loop_over_rows():
    # fixed in session 18: a name no statement reads after the write cannot see it
    all_modes(write_after_a_loop_over_rows, [np.arange(6.0).reshape(3, 2) / 5], hess=False)


def test_f08_write_after_the_loop_over_numbers():
    all_modes(write_after_a_loop_over_numbers, [X4[:3]], hess=False)


# --------------------------------------------------------------------------
# FINDINGS25 #9: `.copy()` of a global or an attribute (a template array,
# list or dict) is refused as "BUF.copy has no derivative rule" once the
# copy is written with a differentiated value; np.copy(BUF), BUF * 1.0 and
# t.copy() of a local or an argument are accepted.
# --------------------------------------------------------------------------

TEMPLATE = np.zeros(5)
DEFAULTS = {"a": 1.0, "b": np.zeros(2)}


def fill_a_copy_of_a_global(x):
    b = TEMPLATE.copy()
    b[0] = x
    for i in range(4):
        b[i + 1] = b[i] * 0.5
    return np.sum(b ** 2)


def fill_np_copy_of_a_global(x):
    b = np.copy(TEMPLATE)
    b[0] = x
    for i in range(4):
        b[i + 1] = b[i] * 0.5
    return np.sum(b ** 2)


class Chain:
    def __init__(self):
        self.buf = np.zeros(5)

    def energy(self, x):
        b = self.buf.copy()
        b[0] = x
        for i in range(4):
            b[i + 1] = b[i] * 0.5
        return np.sum(b ** 2)


def override_a_default(x):
    d = DEFAULTS.copy()
    d["a"] = x
    return d["a"] * 2.0 + np.sum(d["b"])


HAND_CHAIN = 2.0 * 0.7 * sum(0.25 ** i for i in range(5))      # d/dx of sum((x 0.5^i)^2) at 0.7


def test_f09_np_copy_right():
    assert srcgrad.grad(fill_np_copy_of_a_global)(0.7) == pytest.approx(HAND_CHAIN)


def test_f09_copy_of_a_global_array():
    # fixed in session 18: a method of a global array with no gradient in it is a zero-gradient op
    assert srcgrad.grad(fill_a_copy_of_a_global)(0.7) == pytest.approx(HAND_CHAIN)
    _, t = srcgrad.jvp(fill_a_copy_of_a_global, (0.7,), (1.0,))
    assert t == pytest.approx(HAND_CHAIN)


def test_f09_copy_of_an_attribute():
    assert srcgrad.grad(Chain().energy)(0.7) == pytest.approx(HAND_CHAIN)


@pytest.mark.xfail(strict=True, raises=srcgrad.SrcGradError,
                   reason="FINDINGS25 #9: DEFAULTS.copy has no derivative rule")
def test_f09_copy_of_a_global_dict():
    assert srcgrad.grad(override_a_default)(0.7) == pytest.approx(2.0)


# --------------------------------------------------------------------------
# FINDINGS25 #10: a trajectory written into a global or an attribute array
# (the backward sweep reads its entries): grad and value_and_grad leave it
# as it was before the call, and calling a vjp pullback resets it (over the
# user's own later changes).  The derivatives are right.
# --------------------------------------------------------------------------

TRAJ = np.zeros(6)


def decay_into_a_global(k):
    TRAJ[0] = 1.0
    for i in range(5):
        TRAJ[i + 1] = TRAJ[i] - 0.1 * k * TRAJ[i]
    return TRAJ[-1] ** 2


class Decay:
    def __init__(self):
        self.traj = np.zeros(6)

    def loss(self, k):
        t = self.traj
        t[0] = 1.0
        for i in range(5):
            t[i + 1] = t[i] - 0.1 * k * t[i]
        return t[-1] ** 2


EXPECTED_TRAJ = 0.8 ** np.arange(6)          # at k = 2
DECAY_GRAD = 2 * 0.8 ** 5 * 5 * 0.8 ** 4 * -0.1


def test_f10_derivatives_right_and_jvp_leaves_the_trajectory():
    TRAJ[:] = 0.0
    assert srcgrad.grad(decay_into_a_global)(2.0) == pytest.approx(DECAY_GRAD)
    TRAJ[:] = 0.0
    _, t = srcgrad.jvp(decay_into_a_global, (2.0,), (1.0,))
    assert t == pytest.approx(DECAY_GRAD)
    np.testing.assert_allclose(TRAJ, EXPECTED_TRAJ)


def test_f10_grad_leaves_the_global_written():
    TRAJ[:] = 0.0
    srcgrad.grad(decay_into_a_global)(2.0)
    np.testing.assert_allclose(TRAJ, EXPECTED_TRAJ)


def test_f10_value_and_grad_leaves_the_global_written():
    TRAJ[:] = 0.0
    srcgrad.value_and_grad(decay_into_a_global)(2.0)
    np.testing.assert_allclose(TRAJ, EXPECTED_TRAJ)


def test_f10_pullback_leaves_the_global_alone():
    TRAJ[:] = 0.0
    _, pullback = srcgrad.vjp(decay_into_a_global, 2.0)
    np.testing.assert_allclose(TRAJ, EXPECTED_TRAJ)      # vjp ran the function: written
    TRAJ[3] = 99.0                                       # the user's own change
    assert pullback(1.0) == pytest.approx(DECAY_GRAD)
    assert TRAJ[3] == 99.0


def test_f10_grad_leaves_the_attribute_written():
    d = Decay()
    assert srcgrad.grad(d.loss)(2.0) == pytest.approx(DECAY_GRAD)
    np.testing.assert_allclose(d.traj, EXPECTED_TRAJ)


# --------------------------------------------------------------------------
# FINDINGS25 #11: a vjp pullback reads globals and attributes when it is
# called, the forward sweep read them when vjp ran: a global rebound (or an
# array changed in place) in between gives a gradient of neither state, and
# two calls of one pullback with one cotangent differ.
# --------------------------------------------------------------------------

SCALE25 = 2.0
WEIGHTS25 = np.array([1.0, 2.0, 3.0])


def scaled_squares(x):
    return np.sum(SCALE25 * x ** 2)


def tanh_layer(x):
    return np.sum(np.tanh(WEIGHTS25 * x))


class Quadratic:
    def __init__(self):
        self.w = np.array([1.0, 2.0, 3.0])

    def __call__(self, x):
        return np.sum(self.w * x ** 2)


X3 = np.array([0.5, 0.4, 0.3])


def test_f11_pullback_right_when_nothing_changes_and_arguments_copied():
    _, pullback = srcgrad.vjp(tanh_layer, X3.copy())
    g = pullback(1.0)
    close(g, WEIGHTS25 * (1 - np.tanh(WEIGHTS25 * X3) ** 2))
    close(pullback(1.0), g)

    def weighted(x, w):
        return np.sum(w * x ** 2)
    w = np.array([1.0, 2.0, 3.0])
    _, pullback = srcgrad.vjp(weighted, X3.copy(), w)
    w[:] = 100.0                                   # an argument: the tape kept a copy
    close(pullback(1.0), 2.0 * np.array([1.0, 2.0, 3.0]) * X3)


# Fixed in session 18 by refusing: a pullback whose globals or closure variables are
# bound to other objects than when vjp ran raises SrcGradError (readstate.py); the
# first result stays what it was. (Changed in place, below, is not seen: open.)

def test_f11_global_number_rebound():
    global SCALE25
    SCALE25 = kept = 2.0
    _, pullback = srcgrad.vjp(scaled_squares, X3.copy())
    first = pullback(1.0)
    try:
        SCALE25 = 5.0
        with pytest.raises(srcgrad.SrcGradError, match="'SCALE25' is bound to another value"):
            pullback(1.0)
        SCALE25 = kept                             # bound to the same object again: runs
        close(pullback(1.0), first)
    finally:
        SCALE25 = 2.0


def test_f11_global_array_rebound():
    global WEIGHTS25
    WEIGHTS25 = np.array([1.0, 2.0, 3.0])
    _, pullback = srcgrad.vjp(tanh_layer, X3.copy())
    pullback(1.0)
    try:
        WEIGHTS25 = np.array([10.0, 20.0, 30.0])
        with pytest.raises(srcgrad.SrcGradError, match="call srcgrad.vjp again"):
            pullback(1.0)
        _, fresh_pullback = srcgrad.vjp(tanh_layer, X3.copy())
        close(fresh_pullback(1.0), fd_checked(tanh_layer, [X3]))
    finally:
        WEIGHTS25 = np.array([1.0, 2.0, 3.0])


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="FINDINGS25 #11: an attribute array changed in place after vjp")
def test_f11_attribute_changed_in_place():
    q = Quadratic()
    _, pullback = srcgrad.vjp(q, X3.copy())
    first = pullback(1.0)
    q.w[:] = 100.0                                 # an optimiser step on the model, say
    close(pullback(1.0), first)


# --------------------------------------------------------------------------
# FINDINGS25 #12: check_grads(modes=("forward",)) on a function that writes
# into its argument reports a false failure (central differences taken at
# the argument as jvp left it) and leaves the caller's argument written.
# --------------------------------------------------------------------------

def prefix_squares_into_the_argument(x):
    for i in range(1, 3):
        x[i] = x[i] + x[i - 1] ** 2
    return np.sum(x ** 2)


def test_f12_reverse_check_passes_and_gradients_right():
    x = np.array([0.5, 0.2, 0.1])
    srcgrad.check_grads(prefix_squares_into_the_argument, (x,))
    np.testing.assert_array_equal(x, [0.5, 0.2, 0.1])
    close(srcgrad.grad(prefix_squares_into_the_argument)(x.copy()),
          fd_checked(prefix_squares_into_the_argument, [x]))
    _, t = srcgrad.jvp(prefix_squares_into_the_argument, (x.copy(),), (np.array([1.0, 0.0, 0.0]),))
    assert t == pytest.approx(2.4445)


def test_f12_forward_check_grads():
    # fixed in session 18: check_grads gives every evaluation fresh copies of the arguments
    x = np.array([0.5, 0.2, 0.1])
    srcgrad.check_grads(prefix_squares_into_the_argument, (x,), modes=("forward", "reverse"))
    np.testing.assert_array_equal(x, [0.5, 0.2, 0.1])


# --------------------------------------------------------------------------
# FINDINGS25 #13: the same array passed for two parameters, one of which the
# function writes (an out-parameter): grad and jvp give the derivative of
# another program, and grad writes the caller's wrt argument.
# --------------------------------------------------------------------------

def fill_out(x, out):
    for i in range(1, 3):
        out[i] = x[i - 1] * 2.0 + x[i]
    return np.sum(x * out)


def fill_out_aliased(y):
    """What fill_out(y, y) computes, written with the aliasing spelt out."""
    y = y * 1.0
    y1 = y[0] * 2.0 + y[1]
    y2 = y1 * 2.0 + y[2]
    return y[0] ** 2 + y1 ** 2 + y2 ** 2


def test_f13_the_value_and_separate_arguments_right():
    x = np.array([0.5, 0.2, 0.1])
    assert fill_out(x.copy(), x.copy()) == pytest.approx(0.54)
    y = x.copy()
    assert fill_out(y, y) == pytest.approx(fill_out_aliased(x))          # 7.94
    close(srcgrad.grad(fill_out)(x.copy(), x.copy()), fd_checked(lambda a: fill_out(a, x.copy()), [x]))


# Fixed in session 18 by refusing: an argument the function writes into that shares
# memory with another argument raises a located SrcGradError before anything runs
# (grad, value_and_grad, vjp, jvp); the caller's array is left alone.

def test_f13_aliased_out_grad():
    for build in (lambda y: srcgrad.value_and_grad(fill_out)(y, y),
                  lambda y: srcgrad.vjp(fill_out, y, y)[1](1.0),
                  lambda y: srcgrad.jvp(fill_out, (y, y), (np.ones(3), np.zeros(3))),
                  lambda y: srcgrad.grad(fill_out)(y, y[:])):
        y = np.array([0.5, 0.2, 0.1])
        with pytest.raises(srcgrad.SrcGradError, match="'out' and 'x' share memory"):
            build(y)
        np.testing.assert_array_equal(y, [0.5, 0.2, 0.1])


def test_f13_aliased_out_leaves_the_caller_alone():
    y = np.array([0.5, 0.2, 0.1])
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(fill_out)(y, y)
    np.testing.assert_array_equal(y, [0.5, 0.2, 0.1])
    # disjoint parts of one array are two arrays
    z = np.array([0.5, 0.2, 0.1, 0.0, 0.0, 0.0])
    close(srcgrad.grad(fill_out)(z[:3], z[3:]), srcgrad.grad(fill_out)(z[:3].copy(), z[3:].copy()))


# --------------------------------------------------------------------------
# FINDINGS25 #14 (minor): a write into an attribute's entry (`self.cache["h"]
# = h`, `self.traj[i + 1] = ...`) is refused as "assignment into a nested
# subscript (`x[i][j] = v`)" with the hint "index once: x[i, j] = v"; the
# same through a local name (`c = self.cache; c["h"] = h`) is accepted.
# --------------------------------------------------------------------------

class CachingNet:
    def __init__(self):
        self.W = np.array([[0.5, -0.2], [0.1, 0.3]])
        self.cache = {}

    def loss(self, x):
        h = np.tanh(self.W @ x)
        self.cache["h"] = h
        return np.sum(h ** 2)

    def loss_through_a_name(self, x):
        h = np.tanh(self.W @ x)
        c = self.cache
        c["h"] = h
        return np.sum(h ** 2)


def test_f14_through_a_local_name_right():
    net = CachingNet()
    x = np.array([0.3, -0.7])
    expected = fd_checked(net.loss_through_a_name, [x])
    close(srcgrad.grad(net.loss_through_a_name)(x), expected)
    np.testing.assert_allclose(net.cache["h"], np.tanh(net.W @ x))     # filled by the grad call


def test_f14_the_message():
    # session 18: the message and hint name an attribute's entry, and the way through a name
    with pytest.raises(srcgrad.SrcGradError, match="an entry of an attribute") as err:
        srcgrad.grad(CachingNet().loss)
    assert "c = self.cache" in str(err.value)


@pytest.mark.xfail(strict=True, raises=srcgrad.SrcGradError,
                   reason="FINDINGS25 #14: self.cache['h'] = h refused as a nested subscript")
def test_f14_attribute_entry_write():
    net = CachingNet()
    x = np.array([0.3, -0.7])
    close(srcgrad.grad(net.loss)(x), fd_checked(net.loss, [x]))


# --------------------------------------------------------------------------
# What works (guards): loops writing arrays in place, in every mode.
# --------------------------------------------------------------------------

def spring(x0, v0, k):
    n, dt = 20, 0.05
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = x0
    vs[0] = v0
    for i in range(n):
        vs[i + 1] = vs[i] - dt * k * xs[i]
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs ** 2) + vs[-1]


def sliding_pairs(x):
    a = x * 1.0
    for i in range(len(x) - 2):
        a[i:i + 2] = a[i:i + 2] * 0.5 + np.sin(a[i + 1:i + 3])
    return np.sum(a ** 3)


def repeated_fancy_in_a_loop(x):
    a = x[:3] * 1.0
    idx = np.array([0, 2, 0])
    for k in range(3):
        a[idx] += np.tanh(a[idx[::-1]]) * x[3 + k]
    return np.sum(a ** 2)


def repeated_fancy_assignment(x):
    a = np.zeros(3)
    a[np.array([1, 1, 0, 2, 2])] = x * np.arange(1.0, 6.0)     # the last write wins
    return np.sum(a ** 2) + a[1] * a[2]


def repeated_2d_pairs(x):
    A = np.ones((3, 3))
    r = np.array([0, 1, 0, 2])
    c = np.array([1, 1, 1, 0])
    A[r, c] += x
    A[r, c] *= x
    return np.sum(A ** 2)


def negative_indices(x):
    a = x * 2.0
    for i in range(1, 4):
        a[-i] = a[-i] * a[-i - 1] + 1.0
    return np.sum(a)


def rows_and_columns(M):
    A = M * 1.0
    for i in range(1, A.shape[0]):
        A[i] = A[i] + 0.5 * np.tanh(A[i - 1])
        A[:, i] = A[:, i] * A[i, 0]
    return np.sum(A ** 2)


def strided(x):
    a = x * 1.0
    for k in range(3):
        a[::2] = a[::2] + a[1::2] ** 2
        a[1::2] *= 0.9
    return np.sum(np.sin(a))


def masks_each_iteration(x):
    a = x * 1.0
    for k in range(3):
        m = a > 0
        a[m] = a[m] ** 2
        a[~m] -= 0.1 * a[~m]
    return np.sum(a)


def mask_on_rows(X):
    A = X * 1.0
    for k in range(2):
        m = A > 0.3
        A[m] = A[m] * A[m]
        A[A[:, 1] > 0.5, 0] = 0.0
    return np.sum(A)


def swaps(x):
    a = x * 1.0
    for i in range(len(a) - 1):
        if a[i] > a[i + 1]:
            a[i], a[i + 1] = a[i + 1], a[i]
    return np.sum(a * np.arange(1.0, 5.0))


def reversed_and_stepped_slices(x):
    a = x * 1.0
    a[::-1] = a * np.arange(1.0, 7.0)
    a[4:0:-2] += a[:2] ** 2
    return np.sum(a ** 2)


def break_in_a_filling_loop(x):
    a = np.zeros(10)
    a[0] = x[0]
    for i in range(9):
        a[i + 1] = a[i] * x[1] + 0.1
        if a[i + 1] > 1.0:
            break
    return np.sum(a)


X6 = np.array([0.3, 0.2, -0.4, 0.5, -1.0, 0.1])
M34 = np.arange(12.0).reshape(3, 4) / 10


@pytest.mark.parametrize("f, args, wrt", [
    (spring, [0.7, -0.2, 2.0], 0),
    (spring, [0.7, -0.2, 2.0], 2),
    (sliding_pairs, [np.linspace(-1, 1, 6)], 0),
    (repeated_fancy_in_a_loop, [X6], 0),
    (repeated_fancy_assignment, [np.array([1.0, 2.0, 3.0, 0.5, -1.0])], 0),
    (repeated_2d_pairs, [np.array([1.0, 2.0, 3.0, 0.5])], 0),
    (negative_indices, [X6[:5]], 0),
    (rows_and_columns, [M34], 0),
    (strided, [X6], 0),
    (masks_each_iteration, [X6], 0),
    (mask_on_rows, [np.arange(9.0).reshape(3, 3) / 5 - 0.2], 0),
    (swaps, [np.array([0.4, -0.3, 0.9, 0.1])], 0),
    (reversed_and_stepped_slices, [np.linspace(-1, 1, 6)], 0),
    (break_in_a_filling_loop, [np.array([0.3, 1.8])], 0),
], ids=lambda v: getattr(v, "__name__", None))
def test_in_place_loops_all_modes(f, args, wrt):
    # hvp for a few (the second-order test below covers three more fully)
    all_modes(f, args, wrt, hess=f in (spring, repeated_2d_pairs, masks_each_iteration, swaps))


@pytest.mark.parametrize("f, args", [(spring, [0.7, -0.2, 2.3]), (strided, [X6]), (rows_and_columns, [M34])],
                         ids=["spring", "strided", "rows_and_columns"])
def test_in_place_loops_second_order(f, args):
    """hessian, jacobian(grad) and jvp(grad) against differences of the gradient."""
    wrt = 2 if f is spring else 0
    x0, unflat = _flat(args[wrt])

    def flat_grad(*a):
        return _flat(srcgrad.grad(f, wrt=wrt)(*fresh(a)))[0]
    cols = np.stack([fd_dir(flat_grad, args, wrt, unflat(e), 1e-5) for e in np.eye(x0.size)], -1)
    H = srcgrad.hessian(f, wrt=wrt)(*fresh(args))
    close(np.reshape(H, cols.shape), cols, 1e-4, 1e-5)
    J = srcgrad.jacobian(srcgrad.grad(f, wrt=wrt), wrt=wrt)(*fresh(args))
    close(np.reshape(J, cols.shape), cols, 1e-4, 1e-5)
    v = unflat(np.linspace(-1.0, 1.0, x0.size))
    t = [None] * len(args)
    t[wrt] = v
    _, hv = srcgrad.jvp(srcgrad.grad(f, wrt=wrt), tuple(fresh(args)), tuple(t))
    close(hv, cols @ _flat(v)[0], 1e-4, 1e-5)


def test_grad_grad_of_a_simulation_in_a_number():
    def shoot(k):
        xs = np.zeros(21)
        vs = np.zeros(21)
        xs[0] = 1.0
        for i in range(20):
            vs[i + 1] = vs[i] - 0.05 * k * xs[i]
            xs[i + 1] = xs[i] + 0.05 * vs[i + 1]
        return xs[-1] ** 2 + np.mean(xs)
    g = srcgrad.grad(shoot)
    gg = srcgrad.grad(g)
    k, e = 2.3, 1e-5
    assert g(k) == pytest.approx((shoot(k + e) - shoot(k - e)) / (2 * e), rel=1e-6)
    assert gg(k) == pytest.approx((g(k + e) - g(k - e)) / (2 * e), rel=1e-5)


def test_vjp_of_a_trajectory_written_in_place():
    """The returned buffer is left alone by the pullback; pullbacks repeat."""
    def traj(x):
        a = x * 1.0
        for k in range(3):
            m = a > 0
            a[m] = a[m] ** 2 - 0.3
        return a
    x = np.array([0.3, -0.5, 0.8])
    from user_programs.checking import jac_fd
    J = jac_fd(lambda y: traj(y.copy()), [x])
    out, pullback = srcgrad.vjp(traj, x.copy())
    keep = out.copy()
    rng = np.random.default_rng(0)
    for _ in range(3):
        u = rng.standard_normal(3)
        close(pullback(u), u @ J)
        np.testing.assert_array_equal(out, keep)
    out[...] = 100.0
    close(pullback(np.ones(3)), np.ones(3) @ J)


def test_has_aux_returning_the_buffer():
    def traj_aux(x):
        a = x * 1.0
        for i in range(1, a.shape[0]):
            a[i] = a[i] * 0.5 + np.sin(a[i - 1])
        return np.sum(a ** 2), a
    x = np.array([0.3, -0.5, 0.8, 0.2])
    g, aux = srcgrad.grad(traj_aux, has_aux=True)(x.copy())
    np.testing.assert_allclose(aux, traj_aux(x.copy())[1])
    close(g, fd_checked(lambda y: traj_aux(y)[0], [x]))


def test_in_place_normalisations_in_nets():
    def softmax_in_place(W, X, y):
        z = X @ W
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return -np.mean(np.log(z[np.arange(len(y)), y]))

    def layernorm(X, g, b):
        H = X - X.mean(axis=1, keepdims=True)
        H /= np.sqrt((H ** 2).mean(axis=1, keepdims=True) + 1e-5)
        H *= g
        H += b
        return np.sum(np.tanh(H) ** 2)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 3))
    all_modes(softmax_in_place, [rng.standard_normal((3, 3)), X, np.array([0, 1, 2, 1, 0, 2])])
    all_modes(layernorm, [X, np.ones(3) * 1.2, np.zeros(3) + 0.1], wrt=1)


def test_adam_steps_inside_the_loss():
    def adam_inside(w0, X, t):
        w = w0 * 1.0
        m = np.zeros_like(w)
        v = np.zeros_like(w)
        for k in range(1, 4):
            r = X @ w - t
            g = X.T @ r / len(t)
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            w -= 0.1 * (m / (1 - 0.9 ** k)) / (np.sqrt(v / (1 - 0.999 ** k)) + 1e-8)
        return np.mean((X @ w - t) ** 2)
    rng = np.random.default_rng(1)
    all_modes(adam_inside, [np.array([0.3, -0.5, 0.8]), rng.standard_normal((6, 3)), rng.standard_normal(6)])


# --------------------------------------------------------------------------
# What works (guards): argument kinds and the cache, SciPy, export.
# --------------------------------------------------------------------------

def rosen_loop(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def test_rosenbrock_on_every_kind_alternating():
    x10 = [0.1 * i - 0.3 for i in range(10)]
    expected = fd_checked(rosen_loop, [np.array(x10)])
    g = srcgrad.grad(rosen_loop)
    H = srcgrad.hessian(rosen_loop)(np.array(x10))
    for arg in [x10, np.array(x10), tuple(x10), [int(round(10 * v)) / 10 for v in x10],
                np.array(x10, dtype=np.float32), x10, [np.float64(v) for v in x10]]:
        got = g(fresh(arg))
        close(np.asarray(got, dtype=float), expected, rtol=1e-3 if np.asarray(arg).dtype == np.float32 else 1e-5, atol=1e-3)
        if isinstance(arg, (list, tuple)):
            assert type(got) is type(arg)
    close(srcgrad.hessian(rosen_loop)(x10), H)


def test_globals_and_redefinition(tmp_path):
    from user_programs.checking import load
    mod = load(tmp_path, "brk25_nb", """
        import numpy as np
        SCALE = 2.0
        def model(x):
            return np.sum(SCALE * x ** 3)
    """)
    x = np.array([1.0, 2.0])
    d1 = srcgrad.grad(mod.model)
    close(d1(x), 6.0 * x ** 2)
    mod.SCALE = np.array([1.0, 10.0])
    close(d1(x), 3.0 * mod.SCALE * x ** 2)
    old = mod.model
    mod2 = load(tmp_path, "brk25_nb", """
        import numpy as np
        SCALE = 2.0
        def model(x):
            return np.sum(SCALE * np.sin(x))
    """)
    close(srcgrad.grad(mod2.model)(x), 2.0 * np.cos(x))
    close(srcgrad.grad(old)(x), 3.0 * np.array([1.0, 10.0]) * x ** 2)


def test_scipy_minimize_with_grad_hvp_hessian():
    scipy_optimize = pytest.importorskip("scipy.optimize")

    def logreg(w, X, t):
        z = X @ w[:-1] + w[-1]
        return np.mean(np.logaddexp(0.0, z) - t * z)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3))
    t = (rng.random(16) > 0.5) * 1.0
    w = rng.standard_normal(4)
    r1 = scipy_optimize.minimize(logreg, w, args=(X, t), jac=srcgrad.grad(logreg), method="BFGS")
    r2 = scipy_optimize.minimize(logreg, w, args=(X, t), jac=srcgrad.grad(logreg),
                                 hessp=lambda x, p, *a: srcgrad.hvp(logreg)(x, *a, p), method="trust-krylov")
    r3 = scipy_optimize.minimize(srcgrad.value_and_grad(logreg), w, args=(X, t), jac=True, method="L-BFGS-B")
    assert r1.success and r2.success and r3.success
    assert r1.fun == pytest.approx(r2.fun, rel=1e-6) and r1.fun == pytest.approx(r3.fun, rel=1e-6)


def test_exported_module_runs_without_srcgrad(tmp_path):
    import subprocess
    import sys
    import textwrap
    (tmp_path / "sim25.py").write_text(textwrap.dedent("""
        import numpy as np

        def masked(x, idx):
            a = x * 1.0
            for k in range(3):
                a[idx] += np.tanh(a[idx[::-1]]) * 0.5
                m = a > 0
                a[m] = a[m] ** 2
            return np.sum(np.where(a > 0.1, np.log(np.abs(a) + 1e-12), a))
    """))
    import os
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    subprocess.run([sys.executable, "-m", "srcgrad", "export", "sim25.py:masked", "--wrt", "x",
                    "-o", "grad_sim25.py"], cwd=tmp_path, check=True, env=env, capture_output=True)
    runner = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "srcgrad" or name.startswith("srcgrad."):
                    raise ImportError(name)
        sys.meta_path.insert(0, Block())
        import numpy as np
        from grad_sim25 import grad_masked
        print(repr(grad_masked(np.array([0.3, -0.2, 0.5, 0.9]), np.array([0, 2, 0])).tolist()))
    """)
    out = subprocess.run([sys.executable, "-c", runner], cwd=tmp_path, check=True, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(tmp_path))).stdout
    sys.path.insert(0, str(tmp_path))
    try:
        import importlib
        sim25 = importlib.import_module("sim25")
        expected = srcgrad.grad(sim25.masked)(np.array([0.3, -0.2, 0.5, 0.9]), np.array([0, 2, 0]))
    finally:
        sys.path.remove(str(tmp_path))
    np.testing.assert_allclose(eval(out), expected, rtol=1e-12)
