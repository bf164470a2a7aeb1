"""The passes that see a whole joint derivative (srcgrad/optimize/__init__.py:
the whole-function passes of `optimize.reverse`, and free_early): each keeps gradients exact, and each shows in the
generated source where it applies and not where it must not."""
import numpy as np
import pytest

import srcgrad


def central(f, args, index, eps=1e-6):
    """Central differences of the scalar f in argument `index` (float64)."""
    args = [np.array(a, dtype=float) if isinstance(a, np.ndarray) else a for a in args]
    x = args[index]
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(*args)
        x[i] = old - eps
        down = f(*args)
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def source_of(f, *args, wrt=0):
    """The generated code of grad(f) for these arguments, without its comments."""
    df = srcgrad.grad(f, wrt=wrt)
    df(*args)
    return "\n".join(line for line in df.source.splitlines() if not line.lstrip().startswith("#"))


# --- scalar seeds: exact where broadcasting sums, and where shapes agree ---------

def sum_broadcast_add(x, b):
    return np.sum(x + b)


def sum_outer_product(a, b):
    return np.sum(a * b)


def mean_of_chain(x, y):
    return np.mean(np.logaddexp(0.0, x) - y * x)


def sum_then_scale(x):
    return -np.sum(np.tanh(x) * 3.0) / x.shape[0]


@pytest.mark.parametrize("f, args", [
    (sum_broadcast_add, (np.ones((2, 3)), np.array([0.5, -1.0, 2.0]))),
    (sum_outer_product, (np.array([[1.0, 2.0, -1.0, 0.5]]), np.array([[0.3], [-2.0], [1.5]]))),
    (mean_of_chain, (np.array([0.2, -1.3, 2.0]), np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]))),
    (mean_of_chain, (np.array([0.2, -1.3, 2.0]), np.array([1.0, 0.0, 1.0]))),
    (sum_then_scale, (np.array([0.1, -0.7, 1.9, 0.4]),)),
])
def test_scalar_seeds_keep_gradients_exact(f, args):
    for index in range(len(args)):
        got = srcgrad.grad(f, wrt=index)(*args)
        assert got.shape == np.shape(args[index])
        np.testing.assert_allclose(got, central(f, list(args), index), rtol=1e-6, atol=1e-8)


def test_a_sum_seed_stays_a_number_where_shapes_agree():
    text = source_of(lambda_free_elementwise, np.linspace(-1, 1, 5))
    assert "unreduce" not in text and "unbroadcast" not in text


def lambda_free_elementwise(x):
    return np.sum(np.tanh(x) * np.exp(-x ** 2) + np.log1p(x ** 2))


def test_a_seed_is_broadcast_back_where_the_operand_is_smaller():
    text = source_of(sum_broadcast_add, np.ones((2, 3)), np.zeros(3), wrt=1)
    assert "unreduce(" in text  # b is smaller than x + b: the sum needs the full shape
    np.testing.assert_allclose(srcgrad.grad(sum_broadcast_add, wrt=1)(np.ones((2, 3)), np.zeros(3)),
                               [2.0, 2.0, 2.0])


def test_the_gradient_of_a_plain_sum_is_a_fresh_writeable_array():
    def total(x):
        return np.sum(x)
    x = np.arange(4.0)
    g = srcgrad.grad(total)(x)
    np.testing.assert_array_equal(g, np.ones(4))
    g[0] = 7.0  # writeable, and not shared with the next call
    np.testing.assert_array_equal(srcgrad.grad(total)(x), np.ones(4))


# --- value-only statements under grad --------------------------------------------

def test_value_only_statements_go_under_grad_and_stay_under_value_and_grad():
    x = np.linspace(-1, 1, 5)
    text = source_of(lambda_free_elementwise, x)
    assert "require_scalar" not in text and "log1p" not in text
    value, g = srcgrad.value_and_grad(lambda_free_elementwise)(x)
    assert value == pytest.approx(lambda_free_elementwise(x))
    np.testing.assert_allclose(g, central(lambda_free_elementwise, [x], 0), rtol=1e-6)


def rowwise(x):
    return np.sum(x * x, axis=0)


def not_reduced(x):
    return x * 2.0


@pytest.mark.parametrize("f", [rowwise, not_reduced])
def test_a_value_not_scalar_by_construction_is_still_checked(f):
    with pytest.raises(srcgrad.SrcGradError, match="scalar output"):
        srcgrad.grad(f)(np.ones((2, 3)))


def overflowing(x):
    y = (x * 1e300) ** 2  # a Python float: OverflowError in the function itself
    return x * y


def test_a_value_only_statement_that_can_raise_stays():
    with pytest.raises(OverflowError):
        overflowing(3.0)
    with pytest.raises(OverflowError):
        srcgrad.grad(overflowing)(3.0)


def draws(x):
    noise = np.random.default_rng(0).normal(size=3)  # not arithmetic: kept
    return np.sum(x * x) + 0.0 * np.sum(noise)


def test_calls_that_are_not_arithmetic_stay():
    text = source_of(draws, np.ones(3))
    assert "normal(" in text


# --- common subexpressions, in-place accumulation, early frees ------------------

def squares_twice(x):
    return np.sum(np.exp(-x ** 2) + np.log1p(x ** 2))


def test_a_repeated_expression_is_computed_once():
    x = np.array([0.3, -1.2, 2.0])
    for text in source_of(squares_twice, x).split("\n\n\ndef "):  # the fast path and its twin
        assert text.count("x ** 2") == 1
    np.testing.assert_allclose(srcgrad.grad(squares_twice)(x), central(squares_twice, [x], 0), rtol=1e-6)


def test_accumulation_into_a_fresh_adjoint_is_in_place_and_never_touches_inputs():
    def scaled(x, c):
        return np.sum(np.sin(x) * c + x * c)
    x, c = np.array([0.5, 1.0, -2.0]), np.array([2.0, -1.0, 0.5])
    c_before = c.copy()
    text = source_of(scaled, x, c)
    assert "+=" in text
    g = srcgrad.grad(scaled)(x, c)
    np.testing.assert_allclose(g, np.cos(x) * c + c)
    assert g is not c and not np.shares_memory(g, c)
    np.testing.assert_array_equal(c, c_before)


def test_dead_numpy_temporaries_are_deleted_and_numbers_are_not():
    text = source_of(lambda_free_elementwise, np.linspace(-1, 1, 5))
    assert "del " in text
    def number(x):
        return x * x + 3.0 * x
    assert "del " not in source_of(number, 2.0)


def test_a_gradient_with_deletes_is_differentiated_again():
    x, v = np.array([0.3, -0.8, 1.1]), np.array([1.0, 0.5, -2.0])
    hv = srcgrad.hvp(lambda_free_elementwise)(x, v=v)
    df = srcgrad.grad(lambda_free_elementwise)
    eps = 1e-6
    expected = (df(x + eps * v) - df(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv, expected, rtol=1e-5, atol=1e-8)


def halves_a_shape(x):
    half = np.shape(x) / 2  # a tuple: TypeError in the function itself, though unused
    return np.sum(x * x)


def test_a_numpy_call_that_returns_no_array_is_not_taken_for_arithmetic():
    with pytest.raises(TypeError):
        halves_a_shape(np.ones(3))
    with pytest.raises(TypeError):
        srcgrad.grad(halves_a_shape)(np.ones(3))


# --- a product of a value with itself: one contribution, doubled ------------------

def square_by_product(x):
    return np.sum(x * x)


def square_times_row(x, b):
    return np.sum((x * x) * b)


def float_square(t):
    return t * t + 3.0 * t


@pytest.mark.parametrize("f, args", [
    (square_by_product, (np.array([1.5, -2.0, 0.25]),)),
    (square_times_row, (np.array([[1.0, -2.0], [0.5, 3.0], [2.0, -1.0]]), np.array([0.5, -1.5]))),
])
def test_a_self_product_gives_one_doubled_contribution_with_exact_gradients(f, args):
    expected = central(f, args, 0)
    got = srcgrad.grad(f)(*args)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)
    text = source_of(f, *args)
    assert text.count("dx =") + text.count("dx +=") == 1, text


def test_the_doubled_contribution_is_bitwise_the_sum_of_two():
    x = np.array([0.1, 1e300, -7.3, 3.0 ** 0.5])
    assert source_of(square_by_product, x).count("2.0 * x") == 1
    np.testing.assert_array_equal(srcgrad.grad(square_by_product)(x), x + x)
    t = 1.7
    assert srcgrad.grad(float_square)(t) == pytest.approx(2.0 * t + 3.0, rel=1e-15)
    assert "2.0 * t" in source_of(float_square, t)


# --- a repeated expression is shared before differentiation (normalize/share.py) ----

def square_used_twice(x):
    return np.sum(np.exp(-x ** 2) + np.log1p(x ** 2))


def square_of_a_changed_value(x):
    a = x ** 2
    x = x + 1.0
    b = x ** 2  # the same text, another value: not shared
    return np.sum(a * b)


def test_a_shared_value_gets_one_adjoint_and_one_derivative():
    x = np.array([0.3, -1.2, 2.0, 0.05])
    np.testing.assert_allclose(srcgrad.grad(square_used_twice)(x), central(square_used_twice, [x], 0),
                               rtol=1e-6, atol=1e-9)
    for text in source_of(square_used_twice, x).split("\n\n\ndef "):
        assert text.count("x ** 2") == 1
        assert text.count("2 * x") == 1  # d(x**2)/dx, applied once to the summed adjoint
    assert "-=" in source_of(square_used_twice, x)  # d_t2 += -e is d_t2 -= e


def test_the_same_text_on_a_changed_value_is_not_shared():
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(srcgrad.grad(square_of_a_changed_value)(x),
                               central(square_of_a_changed_value, [x], 0), rtol=1e-6)
    assert source_of(square_of_a_changed_value, x).count("** 2") >= 2


def shifted_reads(x, w):
    ys = np.zeros(len(x) + 1)
    for i in range(len(x)):
        ys[i + 1] = ys[i] * w + x[i]
        ys[i + 1] = ys[i + 1] + w * x[i] ** 2
    return np.sum(ys ** 2)


def carried_repeat(x):
    s = 0.0
    for i in range(3):
        if i > 0:
            s = s + a * x          # noqa: F821  (a: the previous iteration's value)
        b = x * 2.0
        a = x * 2.0
        s = s + b
    return s


def test_a_repeat_in_one_loop_iteration_is_computed_once():
    """`i + 1` and `x[i] ** 2`-free repeats inside a loop body read the first result
    of the same iteration (normalize/share.py), in both sweeps."""
    x, w = np.array([0.5, -1.0, 2.0]), 0.7
    df = srcgrad.grad(shifted_reads, wrt=(0, 1))
    dx, dw = df(x, w)
    np.testing.assert_allclose(dx, central(shifted_reads, [x, w], 0), rtol=1e-6)
    np.testing.assert_allclose(dw, central(lambda w: shifted_reads(x, w), [np.array(w)], 0), rtol=1e-6)
    text = srcgrad.source(df)
    assert text.count("= i + 1\n") == 2, text  # once in the forward loop, once recomputed in the backward
    assert srcgrad.source(shifted_reads, mode="forward", wrt=(0, 1)).count("= i + 1\n") == 1


def test_a_repeat_of_a_value_read_before_its_statement_is_kept():
    """`a` is read (from the previous iteration) before the statement that repeats
    `x * 2.0`: renaming it to `b` would read this iteration's value."""
    x = np.array([0.3, 1.5])
    np.testing.assert_allclose(srcgrad.grad(lambda x: np.sum(carried_repeat(x)))(x),
                               central(lambda x: np.sum(carried_repeat(x)), [x], 0), rtol=1e-6)
    text = srcgrad.source(carried_repeat, mode="forward")
    assert " b = x * 2.0\n" in text and " a = x * 2.0\n" in text


def masked_write(x):
    z = x * 2.0
    z[x > 0] = 0.0
    return np.sum(z * x)


def read_after_write(x):
    y = x * 2.0
    s = np.sum(y * y)
    y[0] = 5.0
    return s + np.sum(y * x)


@pytest.mark.parametrize("fn", [masked_write, read_after_write])
def test_an_adjoint_is_no_alias_of_an_array_a_restore_writes_into(fn):
    """`dx = 1.0 * z` stays a new array where the backward sweep later restores z's
    entries in place (`z[_t1] = _z1`): `dx = z` would change with it, and a copy
    `dx = z` is not carried past that write either."""
    x = np.array([-0.3, 1.2, -0.5, -1.5, 0.9, 1.6])
    for transform in (srcgrad.grad, srcgrad.value_and_grad):
        got = transform(fn)(x)
        got = got[1] if isinstance(got, tuple) else got
        np.testing.assert_allclose(got, central(fn, [x], 0), rtol=1e-6, atol=1e-9)
    assert "1.0 * " in source_of(fn, x)
