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


def test_a_loop_that_pushes_in_a_branch_is_left_as_it_was():
    for x in (np.array([0.4, 1.3]), np.array([-0.4, -1.3])):
        np.testing.assert_allclose(srcgrad.grad(branchy)(x), central(branchy, x), rtol=1e-6, atol=1e-9)
    df = srcgrad.grad(branchy)
    df(np.array([0.4, 1.3]))
    assert "= None" in srcgrad.source(df)  # pushed inside the branch, before its first binding
    H = srcgrad.hessian(branchy)(np.array([0.4, 1.3]))
    np.testing.assert_allclose(H, H.T, rtol=1e-8)
