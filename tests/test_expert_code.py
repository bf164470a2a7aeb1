"""Generated derivatives read as an expert writes them (issue 15, item 3).

Each simplification here rests on a fact the compiler proves: `stop_gradient(x)`
is `x` (its kind and shape); a value `require_scalar` checked has shape (), and
so do the operands of the elementwise operations that made it; an adjoint made
by arithmetic of a float vector is a new array the loop may add into without a
copy; a number computed the same way on every iteration is computed once,
before the loop. Each test checks that the machinery is gone from the source,
and that the nearby cases where the fact does not hold keep it and still give
the right gradient (central differences, or the closed form where differences
see through stop_gradient).
"""
import math

import numpy as np
import pytest

import srcgrad
from srcgrad.options import unoptimized
from srcgrad.runtime import unbroadcast
from test_late_pushes import branchy as summed_in_loop  # a sum of full reductions carried by a loop


def _central(f, args, wrt, eps=1e-6):
    x = np.array(args[wrt], dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        hi, lo = list(args), list(args)
        hi[wrt], lo[wrt] = (up if x.ndim else float(up)), (down if x.ndim else float(down))
        g[i] = (f(*hi) - f(*lo)) / (2 * eps)
    return g


def _source(f, args, wrt=0):
    """(the gradient, the generated code without its comments)."""
    g = srcgrad.grad(f, wrt)
    got = g(*args)
    return got, "\n".join(line for line in srcgrad.source(g).splitlines() if not line.strip().startswith("#"))


# --- stop_gradient(x) has x's kind and shape -------------------------------------------

def scaled(x):
    y = np.sin(x)
    scale = srcgrad.stop_gradient(np.max(np.abs(y)))
    return np.sum(y / scale)


def scaled_detach(x):
    y = np.sin(x)
    scale = srcgrad.detach(np.max(np.abs(y)))
    return np.sum(y / scale)


def scaled_by_array(x):  # stop_gradient of an array: its shape is x's, not ()
    y = np.sin(x)
    scale = srcgrad.stop_gradient(np.abs(y) + 1.0)
    return np.sum(y / scale)


def scaled_by_column(x, w):  # stop_gradient of a (3, 1) value broadcast against (2,)
    scale = srcgrad.stop_gradient(w + 1.0)
    return np.sum(x / scale)


@pytest.mark.parametrize("f", [scaled, scaled_detach])
def test_stop_gradient_of_a_full_reduction_is_a_scalar(f):
    x = np.array([0.3, 1.0, -2.0])
    got, text = _source(f, (x,))
    assert "unbroadcast" not in text and "require_scalar" not in text and "np.sum" not in text, text
    assert np.allclose(got, np.cos(x) / np.max(np.abs(np.sin(x))), rtol=1e-12)


def test_stop_gradient_of_an_array_keeps_its_shape():
    x = np.array([0.3, 1.0, -2.0])
    got, _ = _source(scaled_by_array, (x,))
    assert np.allclose(got, np.cos(x) / (np.abs(np.sin(x)) + 1.0), rtol=1e-12)
    x, w = np.array([0.5, -1.5]), np.array([[1.0], [2.0], [3.0]])
    got, text = _source(scaled_by_column, (x, w))
    assert got.shape == (2,) and np.allclose(got, np.sum(1.0 / (w + 1.0)) * np.ones(2), rtol=1e-12)
    assert "unbroadcast" in text, text  # (3, 1) against (2,): the adjoint is summed


# --- the check of a gradient's output: the values that made it have shape () -------------

def dict_params(p, x):
    y = p["w"] * x + p["b"]
    return np.sum(y * y) + p["scale"] * np.sum(x)


def array_scale(p, x):  # the field is an array: its adjoint is summed to its shape
    return np.sum(p["scale"] * x)


def through_matmul(p, v):  # v @ p["w"] has shape (), its operands do not
    return np.sum(v) + v @ p["w"]


def _record_gradient_is_right(f, p, x, key):
    g = srcgrad.grad(f)(p, x)[key]

    def at(value):
        q = dict(p)
        q[key] = value
        return f(q, x)

    assert np.allclose(g, _central(at, (p[key],), 0), atol=1e-6), (g, key)
    return g


def test_a_checked_output_has_operands_of_shape_0():
    p, x = {"w": np.ones(3), "b": np.zeros(3), "scale": 2.0}, np.arange(3.0)
    _, text = _source(dict_params, (p, x))
    assert "unbroadcast(1.0" not in text and "_dt8" not in text, text
    for key in p:
        _record_gradient_is_right(dict_params, p, x, key)


def test_operands_not_known_to_be_scalars_keep_their_shape():
    x = np.arange(3.0)
    g = _record_gradient_is_right(array_scale, {"scale": np.array([1.0, 2.0, 3.0])}, x, "scale")
    assert g.shape == (3,)
    g = _record_gradient_is_right(array_scale, {"scale": np.array([[1.0], [2.0]])}, x, "scale")
    assert g.shape == (2, 1)
    g = _record_gradient_is_right(through_matmul, {"w": np.array([1.0, -2.0, 0.5])}, x, "w")
    assert np.allclose(g, x)
    with pytest.raises(srcgrad.SrcGradError, match="scalar output"):  # shape (1,): not a scalar
        srcgrad.grad(dict_params)({"w": np.ones(3), "b": np.zeros(3), "scale": np.ones(1)}, x)


# --- an adjoint made by arithmetic of a vector is the loop's own buffer ----------------

def spring(k, c, n):
    dt = 0.01
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        a = -k * xs[i] - c * vs[i]
        vs[i + 1] = vs[i] + dt * a
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs ** 2)


def spring_sum(k, n):  # the seed broadcast over xs (a view, maybe): copied
    xs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        xs[i + 1] = xs[i] - 0.1 * k * xs[i]
    return np.sum(xs)


def spring_shared(k, n):  # dxs is dzs (`zs = xs + 0.0`), not a vector's arithmetic: copied
    xs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        xs[i + 1] = xs[i] - 0.1 * k * xs[i]
    zs = xs + 0.0
    return np.sum(zs ** 2) + np.sum(zs)


def spring_trajectory(k, n):
    xs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        xs[i + 1] = xs[i] - 0.1 * k * xs[i] ** 2
    return xs


def test_a_fresh_adjoint_needs_no_copy():
    got, text = _source(spring, (2.0, 0.3, 6), (0, 1))
    assert "owned_adjoint" not in text and "dxs[i] += " in text, text
    for wrt in (0, 1):
        expected = _central(lambda k, c: spring(k, c, 6), (2.0, 0.3), wrt)
        assert np.allclose(got[wrt], expected, atol=1e-7)


def boundary_after_energy(x):
    u = np.sin(x)
    energy = np.sum(u * u)
    for i in (0, 2):
        u[i] = 0.0
    return energy + np.sum(u)


@pytest.mark.parametrize("f, args", [(spring_sum, (0.7, 5)), (boundary_after_energy, (np.array([0.3, -1.1, 2.0, 0.6]),))])
def test_a_seed_spelled_as_a_new_array_is_not_copied_again(f, args):
    got, text = _source(f, args)
    assert "np.ones(" in text and "owned_adjoint" not in text, text
    assert np.allclose(got, _central(lambda v: f(v, *args[1:]), args[:1], 0), atol=1e-7)
    with unoptimized():
        assert np.allclose(got, srcgrad.grad(f)(*args), rtol=1e-12)


@pytest.mark.parametrize("f", [spring_sum, spring_shared])
def test_an_adjoint_that_may_be_shared_is_copied(f):
    got, text = _source(f, (0.7, 5))
    assert np.allclose(got, _central(lambda k: f(k, 5), (0.7,), 0), atol=1e-7)
    with unoptimized():
        assert np.allclose(got, srcgrad.grad(f)(0.7, 5), rtol=1e-12)


def test_a_cotangent_handed_in_stays_unchanged():
    value, pullback = srcgrad.vjp(spring_trajectory, 0.7, 5)
    cotangent = np.linspace(1.0, 2.0, 6)
    kept = cotangent.copy()
    got = pullback(cotangent)
    assert np.array_equal(cotangent, kept)
    expected = _central(lambda k: float(np.dot(spring_trajectory(k, 5), kept)), (0.7,), 0)
    assert np.allclose(got, expected, atol=1e-7)


# --- a number computed the same on every iteration is computed once ----------------------

def divided(k, n):  # `1.0 / k` may raise: it stays in the loop, which may not run
    s = 0.0
    for i in range(n):
        s = s + (1.0 / k) * i
    return s + k


def rebound(k, n):  # `-k` changes with k, which the loop rebinds: not invariant
    s = 0.0
    for i in range(n):
        m = -k
        s = s + m * i
        k = k * 0.5
    return s


def on_arrays(x, n):  # arrays are not moved (a write in place could change them)
    s = 0.0
    for i in range(n):
        y = -x
        x[0] = 1.0 + i
        s = s + np.sum(y * x)
    return s


def test_a_loop_invariant_number_is_computed_before_its_loop():
    _, text = _source(spring, (2.0, 0.3, 6), (0, 1))
    loop = text.index("for i in range(n):")
    assert text.index("= -k") < loop, text


def test_what_may_raise_or_change_stays_in_the_loop():
    assert srcgrad.grad(divided)(0.0, 0) == 1.0  # no ZeroDivisionError: no iteration divided
    got, text = _source(divided, (2.0, 4))
    assert text.index("1.0 / k") > text.index("for i in range(n):"), text
    assert np.isclose(got, _central(lambda k: divided(k, 4), (2.0,), 0)[()], atol=1e-6)
    got, text = _source(rebound, (2.0, 4))
    assert text.index("= -k") > text.index("for i in range(n):"), text
    assert np.isclose(got, _central(lambda k: rebound(k, 4), (2.0,), 0)[()], atol=1e-6)
    x = np.array([0.5, -1.0, 2.0])
    got = srcgrad.grad(on_arrays)(x.copy(), 3)
    assert np.allclose(got, _central(lambda v: on_arrays(v.copy(), 3), (x,), 0), atol=1e-6)


# --- a matrix product's adjoint is summed by the product's own helpers -------------------

def rnn(W, U, xs):
    h = np.zeros(W.shape[0])
    for x in xs:
        h = np.tanh(W @ h + U @ x)
    return np.sum(h)


def broadcast_product(W, x, B):  # x @ W has shape (3,), broadcast against B's (5, 3)
    return np.sum(np.tanh(x @ W + B) * np.arange(15.0).reshape(5, 3))


def stacked_product(A, b, C):  # (2, 3, 4) @ (4,): (2, 3), broadcast against (5, 2, 3)
    return np.sum((A @ b + C) ** 2)


def test_the_rnn_tapes_nothing_for_its_products():
    rng = np.random.default_rng(0)
    W, U, xs = 0.5 * np.eye(3), rng.normal(size=(3, 2)), rng.normal(size=(5, 2))
    got, text = _source(rnn, (W, U, xs), (0, 1))
    assert "shape_of" not in text and "unbroadcast" not in text, text
    for wrt in (0, 1):
        assert np.allclose(got[wrt], _central(rnn, (W, U, xs), wrt), atol=1e-6)


def test_a_product_broadcast_afterwards_is_summed_back_to_its_shape():
    # one step of the RNN with W (1, 1): W @ h is (1,), U @ x (3,), and dW sums three entries
    W, U, xs = np.array([[0.7]]), np.array([[0.5, -1.0], [2.0, 0.3], [-0.4, 0.8]]), np.array([[1.0, -2.0]])
    got = srcgrad.grad(rnn, (0, 1))(W, U, xs)
    for wrt in (0, 1):
        assert got[wrt].shape == (W, U)[wrt].shape
        assert np.allclose(got[wrt], _central(rnn, (W, U, xs), wrt), atol=1e-6)
    rng = np.random.default_rng(1)
    args = (rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(5, 3)))
    for wrt in (0, 1, 2):
        assert np.allclose(srcgrad.grad(broadcast_product, wrt)(*args), _central(broadcast_product, args, wrt),
                           atol=1e-6)
    args = (rng.normal(size=(2, 3, 4)), rng.normal(size=4), rng.normal(size=(5, 2, 3)))
    for wrt in (0, 1, 2):
        assert np.allclose(srcgrad.grad(stacked_product, wrt)(*args), _central(stacked_product, args, wrt),
                           atol=1e-5)
    # second order through the helpers: the Hessian-vector product against differences of the gradient
    v = rng.normal(size=(4, 3))
    args = (rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(5, 3)))
    g = srcgrad.grad(broadcast_product)
    eps = 1e-6
    expected = (g(args[0] + eps * v, *args[1:]) - g(args[0] - eps * v, *args[1:])) / (2 * eps)
    assert np.allclose(srcgrad.hvp(broadcast_product)(*args, v), expected, atol=1e-5)


# --- zip's trip count, min(len(a), len(b)), is a Python int: no counter, no index taped ----

def zipped(ws, xs):  # lists of different lengths: zip stops at the shorter
    s = 0.0
    for w, x in zip(ws, xs):
        s = s + np.sum(np.tanh(w * x))
    return s


def test_a_zip_loop_runs_backwards_over_its_range():
    ws, xs = [np.array([0.5, -1.0]), np.array([2.0, 0.1]), np.array([0.3, 0.3])], [np.ones(2), -np.ones(2)]
    got, text = _source(zipped, (ws, xs), (0, 1))
    assert "_n1" not in text and "_stack.append(_i1)" not in text and "- 1, -1, -1)" in text, text
    for wrt in (0, 1):
        for i, entry in enumerate((ws, xs)[wrt]):
            def at(v, i=i, wrt=wrt):
                args = [list(ws), list(xs)]
                args[wrt][i] = v
                return zipped(*args)
            expected = _central(at, (entry,), 0)
            assert np.allclose(got[wrt][i], expected, atol=1e-6), (wrt, i)
    assert np.array_equal(got[0][2], np.zeros(2))  # the third w is never read


# --- values of shape () in a loop: full reductions of NumPy values, scalar parameters ----

REPEATS = np.array([0, 2, 2, 4, 0])


def fancy(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x[REPEATS] ** 2 * (i + 1.0))
    return total


def per_axis(x):  # a reduction along an axis is not of shape (): its shape is taped
    total = 0.0
    for i in range(3):
        total = total + np.sum(x[REPEATS] * (i + 1.0), axis=0) * x[1]
    return np.sum(total)


def pendulum(theta, omega, dt):
    for _ in range(5):
        omega = omega - dt * np.sin(theta)
        theta = theta + dt * omega
    return theta


def grows(theta, x):  # a scalar parameter bound to an array in the loop: not of shape ()
    for _ in range(3):
        theta = theta * 0.5 + np.sin(x) * theta
    return np.sum(theta)


def test_a_full_reduction_in_a_loop_tapes_no_shape():
    x = np.linspace(-1.0, 1.0, 5)
    got, text = _source(fancy, (x,))
    assert "shape_of" not in text and "total = _stack.pop()" not in text, text
    assert np.allclose(got, _central(fancy, (x,), 0), atol=1e-6)
    x2 = np.linspace(-1.0, 1.0, 10).reshape(5, 2)
    got, text = _source(per_axis, (x2,))
    assert "shape_of" in text, text
    assert np.allclose(got, _central(per_axis, (x2,), 0), atol=1e-6)


def test_a_scalar_parameter_carried_by_a_loop_stays_a_number():
    got, text = _source(pendulum, (0.3, 0.0, 0.1), (0, 1, 2))
    assert "shape_of" not in text and "unbroadcast" not in text, text
    for wrt in range(3):
        assert np.isclose(got[wrt], _central(pendulum, (0.3, 0.0, 0.1), wrt)[()], atol=1e-7)
    x = np.array([0.5, -1.0, 2.0])
    got = srcgrad.grad(grows)(0.7, x)
    assert np.isclose(got, _central(grows, (0.7, x), 0)[()], atol=1e-6)
    assert np.allclose(srcgrad.grad(grows, 1)(0.7, x), _central(grows, (0.7, x), 1), atol=1e-6)


# --- what flows into the checked output of a loop has shape () too ------------------------

def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rows_summed(X, v):  # X[i] @ v is a number, X[i] is not: its shape is taped
    s = 0.0
    for i in range(X.shape[0]):
        s = s + np.tanh(X[i] @ v) * (i + 1.0)
    return s


def branched(x):  # a value read in a branch may not flow on: not known
    s = 0.0
    for i in range(len(x)):
        t = x[i] * x[i]
        if i % 2 == 0:
            s = s + t
    return s


def summed_rows(X):  # np.sum(row) is not elementwise: the row keeps its shape
    s = 0.0
    for i in range(X.shape[0]):
        row = np.sin(X[i]) * (i + 1.0)
        s = s + np.sum(row)
    return s


def test_rosenbrock_tapes_no_shape_and_calls_no_unbroadcast():
    x = np.array([0.5, -0.3, 1.2, 0.8])
    got, text = _source(rosenbrock, (x,))
    assert "shape_of" not in text and "unbroadcast" not in text, text
    assert np.allclose(got, _central(rosenbrock, (x,), 0), atol=1e-5)
    value, pullback = srcgrad.vjp(rosenbrock, x)  # no check of the output: the plain lowering's result
    with unoptimized():
        assert np.allclose(pullback(1.0), srcgrad.grad(rosenbrock)(x), rtol=1e-12)


def test_values_that_do_not_flow_into_the_output_keep_their_shape():
    rng = np.random.default_rng(3)
    X, v = rng.normal(size=(3, 4)), rng.normal(size=4)
    for wrt in (0, 1):
        assert np.allclose(srcgrad.grad(rows_summed, wrt)(X, v), _central(rows_summed, (X, v), wrt), atol=1e-6)
    x = np.array([0.5, -1.0, 2.0, 0.25])
    assert np.allclose(srcgrad.grad(branched)(x), _central(branched, (x,), 0), atol=1e-6)
    got, text = _source(summed_rows, (X,))
    assert np.allclose(got, _central(summed_rows, (X,), 0), atol=1e-6)
    with pytest.raises(srcgrad.SrcGradError, match="scalar output"):  # 2-D x: s is a row, refused
        srcgrad.grad(rosenbrock)(np.ones((4, 2)))


def _sq(v):
    return v * v


def loop_calls(x, n):  # `_t2, _tape1 = _sq_forward(...)`: a value taped, bound by unpacking
    s = 0.0
    for i in range(n):
        s = s + _sq(x * i) + math.sin(_sq(s) * 0.01)
    return s


def test_a_restore_nothing_reads_goes_whatever_binds_it():
    got, _ = _source(loop_calls, (0.7, 4))
    assert np.isclose(got, _central(loop_calls, (0.7, 4), 0)[()], atol=1e-6)
    from calls import loop_calls as program  # tests/programs/calls.py: the translation corpus's case
    value, (grad,) = srcgrad.value_and_grad(program, wrt=(0,))(0.3, 5)
    assert np.isclose(value, program(0.3, 5)) and np.isclose(grad, _central(program, (0.3, 5), 0)[()], atol=1e-6)
    x = np.array([0.7, -0.2])  # math.sin of an array: the function's own error, not a crash of the build
    with pytest.raises(TypeError):
        loop_calls(x, 4)
    with pytest.raises(TypeError):
        srcgrad.value_and_grad(loop_calls)(x, 4)


def scatter_in_loop(pos, idx, jdx):
    forces = np.zeros_like(pos)
    d = pos[idx] - pos[jdx]
    f = d / (1.0 + d ** 2)
    for k in range(len(idx)):
        forces[idx[k]] += f[k]
        forces[jdx[k]] -= f[k]
    return np.sum(forces ** 2) + np.sum(pos * forces)


def test_checked_flow_does_not_follow_stores_into_entries():
    """A value stored into an entry of an array is not known to be a scalar by flowing into
    the checked output: hvp through such a loop (wrong after checked_flow, when run first in a
    process) matches differences of the gradient."""
    pos, idx, jdx = np.array([0.1, 0.5, -0.3, 1.2]), np.array([0, 1, 2, 0, 3]), np.array([1, 2, 3, 2, 0])
    v = np.array([0.3, -0.2, 0.5, 0.1])
    g = srcgrad.grad(scatter_in_loop)
    eps = 1e-5
    expected = (g(pos + eps * v, idx, jdx) - g(pos - eps * v, idx, jdx)) / (2 * eps)
    np.testing.assert_allclose(srcgrad.hvp(scatter_in_loop)(pos, idx, jdx, v), expected, rtol=1e-6, atol=1e-8)


# --- a seed left in the function is spelled as NumPy spells it ---------------------------

def halving(x, steps):
    for i in range(steps):
        x = x * 0.5 + np.sin(x)
    return np.sum(x)


def halving_scaled(x, steps):
    for i in range(steps):
        x = x * 0.5 + np.sin(x)
    return 2.0 * np.mean(x)


def carried_scalar(x, steps):  # the carry is a NumPy scalar: its seed has shape ()
    s = np.sum(x)
    for i in range(steps):
        s = np.tanh(s) * 0.5
    return np.sum(s)


@pytest.mark.parametrize("n", [3, 5000])  # 5000: above unreduce's small-array copy, a view before
def test_a_loop_carried_seed_is_numpy_ones(n):
    x = np.linspace(-1.0, 1.0, n)
    got, text = _source(halving, (x, 3))
    assert "np.ones(x.shape)" in text and "unreduce" not in text, text
    expected = np.ones(n)
    for v in [x, x * 0.5 + np.sin(x), (x * 0.5 + np.sin(x)) * 0.5 + np.sin(x * 0.5 + np.sin(x))][::-1]:
        expected = expected * (0.5 + np.cos(v))
    assert np.allclose(got, expected, rtol=1e-12)
    assert got.flags.writeable and got.dtype == np.float64
    got[:] = 7.0  # the caller's to change: the next call is not
    assert np.allclose(srcgrad.grad(halving)(x, 3), expected, rtol=1e-12)


def test_a_seed_of_another_constant_and_of_a_numpy_scalar():
    x = np.array([0.3, -0.7, 1.1])
    got, text = _source(halving_scaled, (x, 2))
    assert np.allclose(got, _central(lambda v: halving_scaled(v, 2), (x,), 0), atol=1e-7)
    got, text = _source(carried_scalar, (x, 2))
    assert np.allclose(got, _central(lambda v: carried_scalar(v, 2), (x,), 0), atol=1e-7)


# --- a name bound again in a loop keeps its leaf set where every value has it ------------

def test_a_parameter_rebound_in_a_loop_keeps_its_shape():
    x = np.linspace(-1.0, 1.0, 4)
    got, text = _source(halving, (x, 3))
    assert "shape_of" not in text and "unbroadcast" not in text, text
    assert np.allclose(got, _central(halving, (x, 3), 0), atol=1e-7)


def broadcast_growth(x, w, steps):  # x broadcast against w: (3,) then (2, 3)
    for i in range(steps):
        x = np.sin(x * w) + x
    return np.sum(x)


def regrown(x, steps):  # a carry whose first value is made in the loop, of another shape each time
    total = 0.0
    for i in range(1, steps):
        h = np.zeros(i) + x[:i]
        h = h * 2.0 + np.cos(h)
        total = total + np.sum(h)
    return total


def restarted(x, y, steps):  # a carry rebound to a value of another shape after the loop
    for i in range(steps):
        x = x * 0.5 + np.sin(x)
    x = x + y
    return np.sum(x * x)


def test_a_carry_whose_shape_may_change_keeps_its_unbroadcast():
    x, w = np.array([0.3, -0.2, 0.5]), np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    got, text = _source(broadcast_growth, (x, w, 2))
    assert "unbroadcast" in text, text
    assert got.shape == (3,)
    assert np.allclose(got, _central(broadcast_growth, (x, w, 2), 0), atol=1e-7)
    got = srcgrad.grad(broadcast_growth, wrt=1)(x, w, 2)
    assert np.allclose(got, _central(broadcast_growth, (x, w, 2), 1), atol=1e-7)
    x = np.linspace(0.1, 0.9, 5)
    got = srcgrad.grad(regrown)(x, 5)
    assert np.allclose(got, _central(regrown, (x, 5), 0), atol=1e-7)
    y = np.array([[0.5], [-1.0]])
    got = srcgrad.grad(restarted)(x, y, 2)
    assert got.shape == (5,)
    assert np.allclose(got, _central(restarted, (x, y, 2), 0), atol=1e-6)
    got = srcgrad.grad(restarted, wrt=1)(x, y, 2)
    assert np.allclose(got, _central(restarted, (x, y, 2), 1), atol=1e-6)


# --- an adjoint summed to shape () is the array's own sum -------------------------------

def log_softmax_loss(logits, target):
    m = np.max(logits)
    log_probs = logits - m - np.log(np.sum(np.exp(logits - m)))
    return -np.sum(target * log_probs)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_an_adjoint_summed_to_a_full_reduction_is_its_sum(shape):
    rng = np.random.default_rng(3)
    logits, target = rng.normal(size=shape), rng.uniform(size=shape)
    got, text = _source(log_softmax_loss, (logits, target))
    assert "_dt5 = -np.sum(dlog_probs)" in text and "dm = -np.sum(_dt1)" in text, text
    with unoptimized():
        plain = srcgrad.grad(log_softmax_loss)(logits, target)
    assert np.allclose(got, plain, rtol=1e-13, atol=1e-15)
    assert np.allclose(got, _central(log_softmax_loss, (logits, target), 0), atol=1e-7)
    g = rng.normal(size=shape)  # what was called: the same sum, to the bit
    for x in (np.float64(2.0), np.array(2.0), 2.0):
        assert unbroadcast(-g, x) == -g.sum() and unbroadcast(g, x) == g.sum()


# --- a loop over range(a.shape[0]) of an array argument runs backwards over its range -----

def per_row_loss(W, X):
    total = 0.0
    for i in range(X.shape[0]):
        r = W @ X[i] - 1.0
        total = total + np.sum(r ** 2)
    return total


def per_row_loss_rebound(W, X):  # X rebound: its shape is not an argument's any more
    X = X[::-1]
    total = 0.0
    for i in range(X.shape[0]):
        total = total + np.sum((W @ X[i]) ** 2)
    return total


@pytest.mark.parametrize("f, counted", [(per_row_loss, False), (per_row_loss_rebound, True)])
def test_a_loop_over_an_array_arguments_rows_runs_backwards(f, counted):
    W, X = np.array([[0.2, -0.5, 1.0], [0.3, 0.1, -0.7]]), np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    got, text = _source(f, (W, X))
    assert ("_stack.append(i)" in text) == counted and ("range(_t2 - 1, -1, -1)" in text) != counted, text
    assert np.allclose(got, _central(lambda w: f(w, X), (W,), 0), atol=1e-7)
    with unoptimized():
        assert np.allclose(got, srcgrad.grad(f)(W, X), rtol=1e-12)


# --- an adjoint added to in order at the top level keeps one shape, which later names read --

def test_a_name_read_after_an_accumulated_adjoint_knows_its_shape(tmp_path):
    import importlib.util

    from benchmarks.workloads import TWENTY_LINES  # the 20-line function of the first-build probe

    path = tmp_path / "twenty_lines.py"
    path.write_text(TWENTY_LINES)
    spec = importlib.util.spec_from_file_location("twenty_lines", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    twenty = module.twenty
    rng = np.random.default_rng(3)
    w, X, y = rng.normal(size=4), rng.normal(size=(6, 4)), rng.normal(size=6)
    got, text = _source(twenty, (w, X, y))
    # df = dg + ... reads dg, added to twice: its shape is a's, and so is the product with e
    assert "de += 2 * (_dt3 * e)" in text and "de += 2 * unbroadcast(" not in text, text
    assert np.allclose(got, _central(lambda v: twenty(v, X, y), (w,), 0), atol=1e-6)
    with unoptimized():
        assert np.allclose(got, srcgrad.grad(twenty)(w, X, y), rtol=1e-12)


# --- a loop's sums of full reductions are numbers: nothing of their shape is taped --------

def summed_array_in_loop(x, w):  # s holds an array after the first pass: not a number
    s = 0.0
    for i in range(3):
        s = s + np.tanh(x * w)
        w = w * 0.5
    return np.sum(s * s)


def test_a_number_carried_by_a_loop_has_no_shape_to_tape():
    for x in (np.array([0.6, -1.3, 0.9]), np.array([-0.4, -1.3, 0.2])):
        got, text = _source(summed_in_loop, (x,))
        assert "shape_of" not in text and "unbroadcast_to" not in text, text
        assert np.allclose(got, _central(summed_in_loop, (x,), 0), atol=1e-6)
        with unoptimized():
            assert np.allclose(got, srcgrad.grad(summed_in_loop)(x), rtol=1e-12)
    x, w = np.array([0.4, -1.3, 0.9]), np.array([0.5, 1.0, -2.0])
    got, text = _source(summed_array_in_loop, (x, w))
    assert np.allclose(got, _central(lambda v: summed_array_in_loop(v, w), (x,), 0), atol=1e-6)
    with unoptimized():
        assert np.allclose(got, srcgrad.grad(summed_array_in_loop)(x, w), rtol=1e-12)


# --- an item of a list the loop runs over is taken again, not taped ----------------------

def layers(Ws, x):
    h = x
    for W in Ws:
        h = np.tanh(h @ W)
    return np.sum(h ** 2)


def layers_rebuilt(Ws, x):  # the list is bound again in the loop: its item is taped
    h = x
    for i in range(len(Ws)):
        W = Ws[i]
        h = np.tanh(h @ W)
        Ws = [V * 0.9 for V in Ws]
    return np.sum(h ** 2)


@pytest.mark.parametrize("f, taped", [(layers, False), (layers_rebuilt, True)])
def test_a_loops_item_is_taken_again_from_its_list(f, taped):
    rng = np.random.default_rng(1)
    Ws, x = [rng.normal(size=(3, 3)) * 0.5 for _ in range(3)], rng.normal(size=(2, 3))
    df = srcgrad.grad(f, wrt=1)
    got = df([W.copy() for W in Ws], x)
    text = srcgrad.source(df)
    assert ("_stack.append(W)" in text) == taped, text
    assert np.allclose(got, _central(lambda v: f([W.copy() for W in Ws], v), (x,), 0), atol=1e-6)
    with unoptimized():
        assert np.allclose(got, srcgrad.grad(f, wrt=1)([W.copy() for W in Ws], x), rtol=1e-12)


# --- a vector resized in place is no longer a vector: its entries are not numbers ----------

def resized(a):
    x = np.ones(6)
    x.resize((2, 3), refcheck=False)
    r = x[1]  # a row of three, not a number
    return np.sum(r * a[0])


def resized_after_loop(a):
    x = np.zeros(6)
    for i in range(6):
        x[i] = 2.0 * i
    x.resize((2, 3), refcheck=False)
    return np.sum(x[1] * a[0] + a[1])


@pytest.mark.parametrize("f", [resized, resized_after_loop])
def test_an_array_resized_in_place_has_rows_not_numbers(f):
    a = np.arange(1.0, 7.0)
    got = srcgrad.grad(f)(a)
    assert np.allclose(got, _central(f, (a,), 0), atol=1e-6)
