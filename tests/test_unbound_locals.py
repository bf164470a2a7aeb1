"""A local f reads before binding it: the derivative raises f's UnboundLocalError.

`analysis.assigned` finds the reads no assignment surely precedes, and the
compiler puts `bound_local(v, 'v')` before each; a value the backward sweep
saves before its first assignment is bound up front to `runtime.UNBOUND`,
which the check tells from the function's own values (None among them).
FINDINGS26 #1: the derivative raised TypeError (`float * None`), or returned
a gradient, where f raised.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import srcgrad
from srcgrad.analysis.assigned import unproven_reads
from srcgrad.frontend import parse


def lagged_product(x):
    s = 0.0
    for i in range(3):
        s = s + x[i] * prev  # noqa: F821 - read before bound: a user's bug
        prev = x[i]
    return s


def square_if_positive(a):
    if a > 0.0:
        b = a * a
    return b + a  # noqa: F821


def last_negative_square(x):
    i = 0
    while i < len(x) and x[i] < 0.0:
        v = x[i] ** 2
        i += 1
    return v + x[0]  # noqa: F821


def index_after_loop(x, n):
    s = x
    for i in range(n):
        s = s * x
    return s * i  # noqa: F821


def none_is_a_value(x):
    # a local bound to None is bound: no error
    w = None
    s = 0.0
    for i in range(2):
        if w is None:
            w = 2.0
        s = s + w * x
    return s


def bound_in_both_arms(x):
    if x > 0.0:
        y = x * x
    else:
        y = -x
    return y * 3.0


MESSAGE = {name: f"cannot access local variable '{name}' where it is not associated with a value"
           if sys.version_info >= (3, 11) else f"local variable '{name}' referenced before assignment"
           for name in ("prev", "b", "v", "i")}


def _raises_like_f(call, f, *args):
    with pytest.raises(UnboundLocalError) as want:
        f(*args)
    with pytest.raises(UnboundLocalError) as got:
        call(*args)
    assert str(got.value) == str(want.value)


TRANSFORMS = {
    "grad": lambda f: srcgrad.grad(f),
    "value_and_grad": lambda f: srcgrad.value_and_grad(f),
    "vjp": lambda f: lambda *a: srcgrad.vjp(f, *a)[1](1.0),
    "jvp": lambda f: lambda x: srcgrad.jvp(f, (x,), (np.ones_like(x) if isinstance(x, np.ndarray) else 1.0,)),
    "hvp": lambda f: lambda x: srcgrad.hvp(f)(x, np.ones_like(x) if isinstance(x, np.ndarray) else 1.0),
}


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("f, x", [
    (lagged_product, np.array([1.0, 2.0, 3.0])),
    (square_if_positive, -1.0),
    (last_negative_square, np.array([1.0, 2.0])),
], ids=["lagged_product", "square_if_positive", "last_negative_square"])
def test_the_unbound_local_error_passes_through(transform, f, x):
    _raises_like_f(TRANSFORMS[transform](f), f, x)


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "vjp"])
def test_lists_of_floats_too(transform):
    _raises_like_f(TRANSFORMS[transform](lagged_product), lagged_product, [1.0, 2.0, 3.0])
    _raises_like_f(TRANSFORMS[transform](last_negative_square), last_negative_square, [1.0, 2.0])


def test_the_message_is_pythons():
    with pytest.raises(UnboundLocalError, match=MESSAGE["prev"]):
        srcgrad.grad(lagged_product)(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(UnboundLocalError, match=MESSAGE["i"]):
        srcgrad.grad(index_after_loop)(2.0, 0)


def test_where_f_binds_first_the_derivatives_are_right():
    assert srcgrad.grad(square_if_positive)(2.0) == 5.0
    assert srcgrad.grad(last_negative_square)([-1.0, 2.0]) == [-1.0, 0.0]
    assert srcgrad.grad(index_after_loop)(2.0, 3) == pytest.approx(4 * 2 * 2.0 ** 3)  # x ** 4 * (n - 1)
    assert srcgrad.grad(none_is_a_value)(0.5) == 4.0
    value, g = srcgrad.value_and_grad(none_is_a_value)(0.5)
    assert (value, g) == (2.0, 4.0)


def test_checks_only_where_a_read_may_come_first():
    for f, expected in [(lagged_product, {"prev"}), (square_if_positive, {"b"}), (last_negative_square, {"v"}),
                        (index_after_loop, {"i"}), (none_is_a_value, set()), (bound_in_both_arms, set())]:
        tree = parse(f).tree
        params = [a.id for a in tree.args.args]
        found = {n for _, names in unproven_reads(tree, params) for n in names}
        assert found == expected, f.__name__
    text = srcgrad.source(srcgrad.grad(bound_in_both_arms))
    assert "bound_local" not in text and "UNBOUND" not in text


def test_the_placeholder_is_unbound_not_none():
    df = srcgrad.grad(lagged_product)
    with pytest.raises(UnboundLocalError):
        df(np.array([1.0, 2.0, 3.0]))
    text = srcgrad.source(df)
    assert "prev = UNBOUND" in text and "bound_local(prev, 'prev')" in text


def test_an_exported_derivative_raises_it_too(tmp_path):
    src = tmp_path / "mod.py"
    src.write_text("def f(x, n):\n    s = x\n    for i in range(n):\n        s = s * x\n    return s * i\n")
    out = tmp_path / "grad_f.py"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-m", "srcgrad", "export", f"{src}:f", "--wrt", "x", "-o", str(out)],
                   check=True, env=env, capture_output=True)
    code = ("import grad_f\nprint(grad_f.grad_f(2.0, 3))\n"
            "try:\n    grad_f.grad_f(2.0, 0)\nexcept UnboundLocalError as e:\n    print('raised', e)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert float(lines[0]) == pytest.approx(4 * 2 * 2.0 ** 3)  # x ** 4 * (n - 1)
    assert lines[1] == f"raised {MESSAGE['i']}"


def test_the_numba_backend_keeps_numbas_semantics_and_builds():
    """numba reads an unbound local as its slot holds it, as numba.njit(f) does: the
    check is the Python backend's (docs/supported-language.md); the build is not refused."""
    pytest.importorskip("numba")
    d = srcgrad.grad(index_after_loop, backend="numba")
    assert d(2.0, 3) == pytest.approx(4 * 2 * 2.0 ** 3) and d.backend == "numba"
    assert "bound_local" not in d.native.text and "UNBOUND" not in d.native.text


# --- a name bound and read under one flag: a correct program (FINDINGS26 #11) ----------

def optional_bias_layer(w, x, use_bias=False):
    if use_bias:
        b = w[0] * 2.0
    h = np.tanh(w * x)
    if use_bias:
        h = h + b
    return np.sum(h ** 2)


def early_returns(x):
    if x[0] > 0.0:
        a = x[0] * 3.0
    if x[0] > 0.0:
        return a * x[1]
    return x[0]


def first_iteration_binds(x, flag):
    h = 0.0
    for i in range(len(x)):
        if i == 0:
            b = x[0] * 2.0
        if flag:
            h = h + b * x[i]
    return h + x[0]


def _central(f, x, *rest, eps=1e-6):
    out = np.zeros_like(x)
    for k in range(x.size):
        up, down = x.copy(), x.copy()
        up[k] += eps
        down[k] -= eps
        out[k] = (f(up, *rest) - f(down, *rest)) / (2 * eps)
    return out


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "vjp"])
@pytest.mark.parametrize("f, x, rest", [
    (optional_bias_layer, np.array([0.5, -1.0]), (np.array([1.0, 2.0]),)),
    (optional_bias_layer, np.array([0.5, -1.0]), (np.array([1.0, 2.0]), True)),
    (early_returns, np.array([-2.0, 1.0]), ()),
    (early_returns, np.array([2.0, 1.0]), ()),
    (first_iteration_binds, np.array([1.0, 2.0, 3.0]), (False,)),
    (first_iteration_binds, np.array([1.0, 2.0, 3.0]), (True,)),
], ids=["bias-off", "bias-on", "returns-off", "returns-on", "loop-off", "loop-on"])
def test_a_name_read_only_where_bound_differentiates(transform, f, x, rest):
    if transform == "grad":
        got = srcgrad.grad(f)(x, *rest)
    elif transform == "value_and_grad":
        value, got = srcgrad.value_and_grad(f)(x, *rest)
        assert value == f(x, *rest)
    else:
        got = srcgrad.vjp(f, x, *rest)[1](1.0)
    np.testing.assert_allclose(got, _central(f, x, *rest), rtol=1e-6, atol=1e-8)


def test_the_hessian_product_too():
    w, x = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    hv = srcgrad.hvp(optional_bias_layer, wrt=0)(w, x, v=np.array([1.0, 0.0]))
    g = lambda w_: srcgrad.grad(optional_bias_layer)(w_, x)  # noqa: E731
    np.testing.assert_allclose(hv, (g(w + [1e-6, 0.0]) - g(w - [1e-6, 0.0])) / 2e-6, rtol=1e-5, atol=1e-7)
