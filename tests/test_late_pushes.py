"""A loop's temporaries are pushed after their assignment (srcgrad/reverse/pushes.py):
no `name = None` block up front, the same gradients."""
import numpy as np

import srcgrad
from golden.functions import spring  # the damped spring filled in place


def central(f, x, eps=1e-6):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        g[i] = (f(up) - f(down)) / (2 * eps)
    return g


def carried(x):
    t = x * 0.5
    s = 0.0
    for i in range(4):
        u = np.sin(x * t)       # reads last iteration's t: t stays pushed before it is set
        s = s + np.sum(u * x)
        t = np.cos(u) * x
    return s


def branchy(x):
    s = 0.0
    for i in range(3):
        if np.sum(x) > 0.0:
            y = np.tanh(x * s)
        else:
            y = x * 2.0
        s = s + np.sum(y * y)
    return s


def test_the_spring_has_no_none_block_and_the_right_gradient():
    df = srcgrad.grad(spring, wrt=(0, 1))
    dk, dc = df(2.0, 0.3, 12)
    text = srcgrad.source(df)
    assert "= None" not in text, text
    loop = text.split("    for i in range(n):\n")[1].split("\n    # line")[0]
    assert loop.rstrip().splitlines()[-1].strip().startswith("_stack.append(")  # pushed at the end
    backward = text.split("for i in range(n - 1, -1, -1):")[1]
    assert backward.splitlines()[2].strip().endswith("= _stack.pop()")  # popped at the start
    np.testing.assert_allclose([dk, dc], [central(lambda k: spring(k[0], 0.3, 12), [2.0])[0],
                                          central(lambda c: spring(2.0, c[0], 12), [0.3])[0]], rtol=1e-6)


def test_a_value_carried_into_the_next_iteration_keeps_its_place():
    x = np.array([0.4, -1.3, 0.9])
    np.testing.assert_allclose(srcgrad.grad(carried)(x), central(carried, x), rtol=1e-6, atol=1e-9)
    _, pullback = srcgrad.vjp(carried, x)
    g = pullback(1.0)
    np.testing.assert_allclose(g[0] if isinstance(g, tuple) else g, central(carried, x), rtol=1e-6, atol=1e-9)


def test_a_value_pushed_in_a_branch_keeps_its_place():
    for x in (np.array([0.4, 1.3]), np.array([-0.4, -1.3])):
        np.testing.assert_allclose(srcgrad.grad(branchy)(x), central(branchy, x), rtol=1e-6, atol=1e-9)
    df = srcgrad.grad(branchy)
    df(np.array([0.4, 1.3]))
    text = srcgrad.source(df)
    assert "y = None" in text  # pushed inside the branch, before its first binding
    assert "_t4 = None" not in text and "_t4" not in text.split("require_scalar")[1], text  # not taped
    H = srcgrad.hessian(branchy)(np.array([0.4, 1.3]))
    np.testing.assert_allclose(H, H.T, rtol=1e-8)


def halving(x):
    c = 1.0
    for i in range(5):
        if np.sum(x * x) > 2.0:  # the condition changes with x: taped for the backward loop
            c = c * 0.5
        elif np.sum(x) < -1.0:
            c = c * 1.5
        x = x * c + 0.1 * np.sin(x)
    return np.sum(x * x)


def test_a_branch_condition_is_pushed_after_it_is_computed():
    df = srcgrad.grad(halving)
    for x in (np.array([0.9, 1.2]), np.array([-0.8, -0.7]), np.array([0.3, -0.2])):
        np.testing.assert_allclose(df(x), central(halving, x), rtol=1e-6, atol=1e-9)
        with srcgrad.options.unoptimized():
            np.testing.assert_allclose(df(x), srcgrad.grad(halving)(x), rtol=1e-12)
    text = srcgrad.source(df)
    assert "_t3 = None" not in text, text  # (the elif's condition is bound in a branch: it keeps its place)
    backward = text.split("for _ in range(4, -1, -1):")[1]
    assert "_stack.pop()" in backward.splitlines()[2], text  # the condition, popped first
    np.testing.assert_allclose(srcgrad.hvp(halving)(np.array([0.9, 1.2]), np.array([1.0, -0.5])),
                               srcgrad.hessian(halving)(np.array([0.9, 1.2])) @ [1.0, -0.5], rtol=1e-8)


def nested(X, w):
    s = 0.0
    for r in range(X.shape[0]):
        for c in range(X.shape[1]):
            s = s + np.tanh(X[r, c] * w)
        s = s * 0.9
    return s


def nested_leaking(X):
    s = 0.0
    for r in range(X.shape[0]):
        for c in range(X.shape[1]):
            t = X[r, c] * X[r, c]
            s = s + t
        s = s + t * 10.0      # the inner loop's last t, read by the outer loop: stays where it was
    return s


def test_a_nested_loop_pushes_its_temporaries_late():
    X = np.array([[0.3, -0.8, 1.1], [0.5, 0.2, -1.4]])
    df = srcgrad.grad(nested, wrt=(0, 1))
    dX, dw = df(X, 0.7)
    text = srcgrad.source(df)
    assert "= None" not in text, text
    inner = text.split("\n        for c in range(")[1].split("\n        # line 104")[0]
    assert inner.rstrip().splitlines()[-1].strip().startswith("_stack.append(_t")  # pushed at the end
    # both backward loops run over their ranges: no index, no trip count on the tape
    assert "for c in range(_t4 - 1, -1, -1):" in text and "for r in range(_t2 - 1, -1, -1):" in text, text
    assert "_stack.append(c)" not in text and "_stack.append(r)" not in text and "_n1" not in text and "_n2" not in text, text
    np.testing.assert_allclose(dX, central(lambda A: nested(A, 0.7), X), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dw, central(lambda w: nested(X, w[0]), [0.7])[0], rtol=1e-6)
    H = srcgrad.hessian(nested, wrt=0)(X, 0.7)
    assert H.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(H.reshape(6, 6), H.reshape(6, 6).T, rtol=1e-8, atol=1e-12)


def test_a_temporary_the_outer_loop_reads_keeps_its_place():
    X = np.array([[0.3, -0.8, 1.1], [0.5, 0.2, -1.4]])
    expected = 2 * X + np.array([[0.0, 0.0, 20 * X[0, 2]], [0.0, 0.0, 20 * X[1, 2]]])
    np.testing.assert_allclose(srcgrad.grad(nested_leaking)(X), expected, rtol=1e-12)
    np.testing.assert_allclose(central(nested_leaking, X), expected, rtol=1e-6, atol=1e-9)
    df = srcgrad.grad(nested_leaking)
    df(X)
    # read after the inner loop: pushed before its binding, bound up front to UNBOUND (f may read
    # it unbound where the inner loop runs no time: a check stands before that read)
    assert "t = UNBOUND" in srcgrad.source(df)


def nested_then_read(X):
    s = 0.0
    for r in range(X.shape[0]):
        for c in range(X.shape[1]):
            s = s + X[r, c] ** 2
        s = s + np.sin(X[r, c]) * 10.0      # the outer loop's own temporaries, around the inner loop
    return s


def test_the_outer_loop_pushes_its_own_temporaries_late_around_the_inner_loop():
    X = np.array([[0.3, -0.8, 1.1], [0.5, 0.2, -1.4]])
    df = srcgrad.grad(nested_then_read)
    g = df(X)
    text = srcgrad.source(df)
    nones = [line.strip() for line in text.splitlines() if line.strip().endswith(("= None", "= UNBOUND"))]
    # only the inner index, restored after its backward loop (UNBOUND: read after the inner loop,
    # which may run no time, it is checked there)
    assert nones == ["c = UNBOUND"], text
    np.testing.assert_allclose(g, central(nested_then_read, X), rtol=1e-6, atol=1e-9)
    expected = 2 * X + np.array([[0, 0, 10 * np.cos(X[0, 2])], [0, 0, 10 * np.cos(X[1, 2])]])
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def inner_index_read_on(X):
    s = 0.0
    c = 0
    for r in range(X.shape[0]):
        s = s + X[r, c] * 3.0  # the index the last inner loop left (0 on the first row)
        for c in range(X.shape[1]):
            s = s + X[r, c] ** 2
    return s


def test_an_inner_index_read_before_its_loop_keeps_its_restore():
    X = np.array([[0.3, -0.8, 1.1], [0.5, 0.2, -1.4], [0.9, 0.4, -0.2]])
    df = srcgrad.grad(inner_index_read_on)
    g = df(X)
    expected = 2 * X
    expected[0, 0] += 3.0
    expected[1:, 2] += 3.0
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    np.testing.assert_allclose(g, central(inner_index_read_on, X), rtol=1e-6, atol=1e-9)
    text = srcgrad.source(df)
    assert "for c in range(_t" in text and "_stack.append(c)" in text, text  # restored for the read
