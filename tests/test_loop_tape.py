"""Loops without a tape where none is needed (srcgrad/reverse/recompute.py, and loops over
range(n) run backwards): gradients stay exact against central differences in
float64, and the generated source shows where values are recomputed instead of
taped, and where they must not be."""
import math

import numpy as np
import pytest

import srcgrad


def numeric_grad(f, args, index, eps=1e-6):
    """Central differences of the scalar f in argument `index`: a number, a list of
    numbers or an array (float64)."""
    args = list(args)
    x = args[index]

    def f_copied(*a):  # the function may write into its arguments
        return f(*[list(v) if isinstance(v, list) else v.copy() if isinstance(v, np.ndarray) else v
                   for v in a])

    if isinstance(x, float):
        up = args[:index] + [x + eps] + args[index + 1:]
        down = args[:index] + [x - eps] + args[index + 1:]
        return (f_copied(*up) - f_copied(*down)) / (2 * eps)
    flat = np.array(x, dtype=float)
    g = np.zeros_like(flat)
    for k in np.ndindex(flat.shape):
        for sign in (1, -1):
            moved = flat.copy()
            moved[k] += sign * eps
            args[index] = list(moved) if isinstance(x, list) else moved
            g[k] += sign * f_copied(*args) / (2 * eps)
    args[index] = x
    return g


def check(f, args, wrt=(0,)):
    df = srcgrad.grad(f, wrt=wrt)
    got = df(*[list(a) if isinstance(a, list) else a.copy() if isinstance(a, np.ndarray) else a
               for a in args])
    for index, g in zip(wrt, got, strict=True):
        want = numeric_grad(f, args, index)
        np.testing.assert_allclose(np.asarray(g, dtype=float), want, rtol=1e-6, atol=1e-7)
    return df.source


def code(source):
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))


# --- programs -------------------------------------------------------------------

def rosen(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def swing(g, length):
    theta = 0.4
    omega = 0.0
    for _ in range(25):
        alpha = -(g / length) * math.sin(theta)
        theta = theta + 0.05 * omega
        omega = omega + 0.05 * alpha
    return theta * theta + omega


def branchy(x, w):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.0:
            s = s + math.sin(x[i] * w) * 2.0
        else:
            s = s * math.cos(x[i]) + w
    return s


def nested(x, w):
    s = 0.5
    for i in range(len(x)):
        xi = x[i]
        for j in range(len(w)):
            s = s + math.sin(xi * w[j]) * s * 0.3
    return s


def with_break(x, w):
    s = 0.0
    for i in range(len(x)):
        t = math.sin(x[i] * w)
        if t > 0.9:
            break
        s = s + t * t
    return s


def with_continue(x, w):
    s = 0.0
    for i in range(len(x)):
        t = x[i] * w
        if t < 0.0:
            continue
        s = s + math.exp(-t) * t
    return s


def reads_previous(x):
    s = 0.0
    q = 0.0
    for i in range(len(x)):
        s = s + q * x[i]
        q = math.sin(x[i])
    return s


def previous_iteration_temp(x):
    s = 0.0
    for i in range(len(x)):
        if i > 0:
            s = s + r * x[i]  # noqa: F821 -- the previous iteration's r
        r = math.sin(x[i])
    return s


def operand_changes(x, w):
    a = w
    s = 0.0
    for i in range(len(x)):
        t = a * x[i]
        a = a + 0.5
        s = s + t * t
    return s


def written_in_place(x, w):
    s = 0.0
    for i in range(len(x)):
        x[i] = x[i] * w
        s = s + x[i] * x[i]
    return s


def array_loop(h, W, xs):
    for i in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[i])
    return np.sum(h * h)


def while_loop(x):
    s = x
    n = 0
    while s < 10.0:
        s = s * 1.5 + math.sin(s)
        n = n + 1
    return s


def counted(x, n):
    s = 0.0
    for i in range(n):
        s = s + math.sin(x * i)
    return s


# --- gradients ------------------------------------------------------------------

@pytest.mark.parametrize("f, args, wrt", [
    (rosen, ([0.3, -1.2, 0.8, 1.5, 0.1],), (0,)),
    (rosen, ([0.3],), (0,)),  # the loop runs zero times
    (swing, (9.81, 1.3), (0, 1)),
    (branchy, ([0.3, -1.2, 0.8, -0.4], 0.7), (0, 1)),
    (nested, ([0.3, -1.2, 0.8], [0.5, -0.1]), (0, 1)),
    (nested, ([], [0.5, -0.1]), (0, 1)),
    (with_break, ([0.3, 0.2, 1.4, 0.8], 1.1), (0, 1)),
    (with_continue, ([0.3, -0.2, 1.4, -0.8], 1.1), (0, 1)),
    (reads_previous, ([0.3, -1.2, 0.8, 1.5],), (0,)),
    (previous_iteration_temp, ([0.3, -1.2, 0.8, 1.5],), (0,)),
    (operand_changes, ([0.3, -1.2, 0.8], 0.4), (0, 1)),
    (written_in_place, (np.array([0.3, -1.2, 0.8]), 0.4), (0, 1)),
    (counted, (0.7, 6), (0,)),
    (counted, (0.7, 0), (0,)),
    (while_loop, (1.3,), (0,)),
])
def test_loop_gradients_match_finite_differences(f, args, wrt):
    check(f, args, wrt)


def test_array_loop_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    h, W, xs = rng.standard_normal(3), rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((4, 3))
    check(array_loop, (h, W, xs), (0, 1, 2))


def test_value_and_grad_keeps_the_loop_value():
    x = [0.3, -1.2, 0.8, 1.5]
    value, g = srcgrad.value_and_grad(rosen)(x)
    assert value == pytest.approx(rosen(x), rel=1e-15)
    np.testing.assert_allclose(g, numeric_grad(rosen, (x,), 0), rtol=1e-6)


def test_vjp_pullback_can_run_twice():
    x = [0.3, -1.2, 0.8, 1.5]
    value, pullback = srcgrad.vjp(rosen, x)
    first, second = pullback(1.0), pullback(2.0)
    np.testing.assert_allclose(np.ravel(first), numeric_grad(rosen, (x,), 0), rtol=1e-6)
    np.testing.assert_allclose(np.ravel(second), 2 * np.ravel(first), rtol=1e-12)


def test_second_derivative_through_a_recomputed_loop():
    d2 = srcgrad.grad(srcgrad.grad(counted))
    d1 = srcgrad.grad(counted)
    eps = 1e-5
    want = (d1(0.7 + eps, 6) - d1(0.7 - eps, 6)) / (2 * eps)
    assert d2(0.7, 6) == pytest.approx(want, rel=1e-6)


# --- where the tape goes, and where it must stay -----------------------------------

def test_rosenbrock_keeps_no_tape():
    src = check(rosen, ([0.3, -1.2, 0.8, 1.5],))
    assert "_stack" not in src and "_n1" not in src
    assert "recompute line" in src
    assert "for i in range(_t2 - 1, -1, -1):" in src


def test_a_value_is_recomputed_after_its_operand_is_restored():
    src = code(check(swing, (9.81, 1.3), (0, 1)))
    backward = src.split("in range(24, -1, -1):")[1]
    assert backward.index("theta = _stack.pop()") < backward.index("= math.sin(theta)")
    assert src.count("_stack.append(") == 1  # theta, not sin(theta)


def test_an_older_value_is_taped():
    for f in (reads_previous, previous_iteration_temp):
        src = code(check(f, ([0.3, -1.2, 0.8, 1.5],)))
        assert "math.sin(" in src.split("for i in range(")[1].split("for ")[0]  # forward
        assert "_stack.append(" in src


def test_an_operand_assigned_before_the_read_keeps_the_tape():
    src = code(check(operand_changes, ([0.3, -1.2, 0.8], 0.4), (0, 1)))
    assert "_stack.append(t)" in src


def test_an_entry_of_an_array_written_in_place_is_taped():
    src = code(check(written_in_place, (np.array([0.3, -1.2, 0.8]), 0.4), (0, 1)))
    assert "_stack.append(_t2)" in src and "_stack.append(copy_slice(x, i))" in src


def test_a_loop_with_break_counts_its_trips():
    src = code(check(with_break, ([0.3, 0.2, 1.4, 0.8], 1.1), (0, 1)))
    assert "_n1 = _n1 + 1" in src and "in range(_n1)" in src


def test_a_rebound_index_is_taped():
    from tricky import index_rebound

    src = code(check(index_rebound, (0.7,)))
    assert "range(2, -1, -1)" not in src and "_n1" in src


def test_nested_loops_run_backwards_without_counters():
    src = code(check(nested, ([0.3, -1.2, 0.8], [0.5, -0.1]), (0, 1)))
    assert "_n1" not in src and "_n2" not in src
    assert src.count("- 1, -1, -1):") == 2


# --- operands read only for their shape: the loop tapes their shapes (optimize/shapetape.py)


def rnn_cell(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    return np.sum(h ** 2)


def rnn_cell_growing(Wx, Wh, b, xs):
    h = np.zeros(Wh.shape[0])  # 1-D at first: the first step broadcasts it to a batch
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    return np.sum(h ** 2)


def cell_elementwise(Wx, Wh, b, xs):  # products of entries: their shapes are taped
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for x in xs:
        h = np.tanh(x[:, :1] * Wx[0] + h * Wh[0] + b)
    return np.sum(h ** 2)


def template_also_read(W, xs):
    h = np.ones(W.shape[0])
    for x in xs:
        a = x * h
        h = np.sin(a @ W) + a  # `a` is read as a value by the matmul adjoint: it stays taped
    return np.sum(h)


def _rnn_args(rng, batch=3):
    return (rng.normal(size=(2, 4)) * 0.5, rng.normal(size=(4, 4)) * 0.5, rng.normal(size=4),
            rng.normal(size=(5, batch, 2)))


@pytest.mark.parametrize("f", [rnn_cell, rnn_cell_growing, cell_elementwise])
def test_shapes_taped_for_templates_keep_gradients_exact(f):
    args = _rnn_args(np.random.default_rng(4))
    df = srcgrad.grad(f, wrt=(0, 1, 2, 3))
    got = df(*args)
    for i in range(4):
        np.testing.assert_allclose(got[i], numeric_grad(f, args, i), rtol=1e-6, atol=1e-8)
    text = df.source
    if f is cell_elementwise:
        assert "_stack.append(shape_of(_t" in text and "unbroadcast_to(" in text
    else:  # the products' helpers sum their adjoint themselves (optimize/products.py): h alone
        assert "shape_of" not in text and text.count("_stack.append(") == 1, text


def test_a_row_of_an_array_is_taken_again_not_taped():
    args = _rnn_args(np.random.default_rng(5))
    df = srcgrad.grad(rnn_cell, wrt=(0, 1, 2))
    df(*args)
    backward = df.source.split("# backward of line", 1)[1]
    assert "x = xs[_i1]" in backward and "_stack.append(x)" not in df.source


def test_a_value_read_as_an_operand_stays_taped():
    rng = np.random.default_rng(6)
    args = (rng.normal(size=(3, 3)), rng.normal(size=(4, 3)))
    df = srcgrad.grad(template_also_read)
    np.testing.assert_allclose(df(*args), numeric_grad(template_also_read, args, 0), rtol=1e-6, atol=1e-8)
    assert "_stack.append(a)" in df.source and "shape_of(a)" not in df.source
