"""Normalization (desugar + A-normal form), checked as text and by values.

The ANF stage's text comes from `derive(..., keep_stages=True)`; its
contract is `srcgrad.normalize.check_anf`. Rewrites that change the order of
evaluation (swaps, augmented assignment, unpacking) are also checked by the
gradients they lead to, derived by hand.
"""
import gast
import numpy as np
import pytest

import srcgrad
from srcgrad import frontend, nodes
from srcgrad.compiler import Options, derive
from srcgrad.naming import Names
from srcgrad.normalize import check_anf, normalize


def layer(x, w):
    h = np.tanh(x @ w)
    return np.sum(h)


def square_self(x):
    x = x * x
    return x


def swap(a, b):
    a, b = b, a
    return a * 2.0 + b ** 3


def aug_add(x):
    y = x * x
    y += x
    return y * y


def aug_mul(x):
    y = x + 1.0
    y *= x
    return y


def aug_sub_const(x):
    y = x * x
    y -= 1.0
    return y * y


def aug_chain(x):
    a = x ** 2
    a += a * x
    a -= 1.0
    a *= a
    return a


def aug_array(x, w):
    s = x * w
    s += w
    s /= 2.0
    return np.sum(s * s)


def unpack(x, y):
    a, b = x * y, x + y
    return a * b


def nested_unpack(x, y):
    a, b = x * y, x + y
    (c, d), e = (a, b), a * b
    return c * d * e


def shape_unpack(w, x):
    n, k = x.shape
    return np.sum(x @ w) / n


def nested_calls(x, w):
    z = np.sum(np.exp(np.tanh(x * w) + 1.0) ** 2, axis=0) @ w
    return z


def with_block(x):
    y = np.sin(x)
    with srcgrad.no_grad():
        s = np.max(np.abs(y)) + 1.0
    return np.sum(y * s)


def method_calls(x):
    s = x.sum(axis=0) * x.T.sum()
    return np.sum(s)


FUNCTIONS = [layer, square_self, swap, aug_add, aug_mul, aug_sub_const, aug_chain, aug_array,
             unpack, shape_unpack, nested_calls, with_block, method_calls]


def stage(fn) -> str:
    """The text of the normalize stage of `fn`."""
    first = fn.__code__.co_varnames[0]
    _, stages = derive(fn, Options(wrt=(first,)), keep_stages=True)
    return stages["normalize"]


def normalized_tree(fn):
    """The normalize pass's own output tree (not re-parsed from text)."""
    parsed = frontend.parse(fn)
    tree = parsed.tree
    local = {a.id for a in tree.args.args} | {
        n.id for n in gast.walk(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    names = Names(nodes.names_in(tree) | {tree.name})
    return normalize(tree, names, parsed.source, lambda ident: ident in local)


# --- the ANF contract ---------------------------------------------------------


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_check_anf_holds_on_the_stage_text(fn):
    check_anf(gast.parse(stage(fn)).body[0])


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_check_anf_holds_on_the_normalized_tree(fn):
    tree = normalized_tree(fn)
    check_anf(tree)
    for stmt in tree.body:
        if isinstance(stmt, gast.Assign):
            stores = [n.id for n in gast.walk(stmt.value)
                      if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load)]
            assert not stores, f"operands with a store context in {gast.dump(stmt)}"


def test_check_anf_rejects_a_nested_expression():
    tree = gast.parse("def f(x):\n    y = np.sin(x * 2.0)\n    return y\n").body[0]
    with pytest.raises(AssertionError):
        check_anf(tree)


def test_check_anf_rejects_a_target_among_its_operands():
    tree = gast.parse("def f(x):\n    x = x * x\n    return x\n").body[0]
    with pytest.raises(AssertionError):
        check_anf(tree)


# --- the text of the normalize stage ------------------------------------------


def test_nested_call_is_split_into_temporaries():
    assert stage(layer) == (
        "def layer(x, w):\n"
        "    _t1 = x @ w\n"
        "    h = np.tanh(_t1)\n"
        "    _t2 = np.sum(h)\n"
        "    return _t2\n")


def test_self_assignment_goes_through_a_temporary():
    assert stage(square_self) == (
        "def square_self(x):\n"
        "    _t1 = x * x\n"
        "    x = _t1\n"
        "    return x\n")


def test_swap_evaluates_both_sides_before_storing():
    text = stage(swap)
    lines = [line.strip() for line in text.splitlines()[1:]]
    assert lines[:4] == ["_t1 = b", "_t2 = a", "a = _t1", "b = _t2"]


def test_augmented_assignment_goes_through_a_temporary():
    """On a value that may be an array, `y += x` leaves in y what NumPy's in-place add
    writes there: the sum, checked and cast to y's shape and dtype as it runs."""
    assert stage(aug_add) == (
        "def aug_add(x):\n"
        "    y = x * x\n"
        "    _t1 = y + x\n"
        "    _t2 = __srcgrad_in_place__(_t1, y, '+=')\n"
        "    y = _t2\n"
        "    _t3 = y * y\n"
        "    return _t3\n")


def test_augmented_assignment_of_a_number_rebinds():
    """Where y holds a Python number, `y += x` is `y = y + x`: nothing to check."""
    _, stages = derive(aug_add, Options(wrt=("x",), kinds=("scalar",)), keep_stages=True)
    assert stages["normalize"] == (
        "def aug_add(x):\n"
        "    y = x * x\n"
        "    _t1 = y + x\n"
        "    y = _t1\n"
        "    _t2 = y * y\n"
        "    return _t2\n")


def test_augmented_assignment_with_a_constant():
    lines = [line.strip() for line in stage(aug_sub_const).splitlines()[1:]]
    assert lines[:4] == ["y = x * x", "_t1 = y - 1.0", "_t2 = __srcgrad_in_place__(_t1, y, '-=')", "y = _t2"]


def test_augmented_assignment_of_a_constant_into_floats_rebinds():
    """`y -= 1.0` where y surely holds floats (`np.zeros(n)`): a Python number keeps a
    float array's shape and dtype, so nothing is checked."""
    def floats_minus_a_constant(x):
        y = np.zeros(3)
        y -= 1.0
        y *= 2
        return np.sum(y * x)
    lines = [line.strip() for line in stage(floats_minus_a_constant).splitlines()[1:]]
    assert lines[:5] == ["y = np.zeros(3)", "_t1 = y - 1.0", "y = _t1", "_t2 = y * 2", "y = _t2"]


def test_tuple_unpacking_of_a_shape():
    lines = [line.strip() for line in stage(shape_unpack).splitlines()[1:]]
    assert lines[:3] == ["_t1 = x.shape", "n = _t1[0]", "k = _t1[1]"]


def test_no_grad_block_is_inlined_with_its_values_marked_constant():
    text = stage(with_block)
    assert "with srcgrad" not in text
    assert "    s = __srcgrad_no_grad__(_t3)\n" in text  # resolve: a zero-gradient statement
    assert "    _t3 = _t2 + 1.0\n" in text


# --- values: the rewrites keep the meaning ------------------------------------


def test_swap_gradients():
    # after the swap the result is 2*b + a**3
    da, db = srcgrad.grad(swap, wrt=(0, 1))(1.5, 4.0)
    assert da == pytest.approx(3 * 1.5 ** 2)
    assert db == pytest.approx(2.0)


def test_self_assignment_gradient():
    assert srcgrad.grad(square_self)(3.0) == pytest.approx(6.0)


def test_augmented_add_gradient():
    # (x**2 + x)**2 -> 2 (x**2 + x) (2x + 1)
    x = 1.5
    assert srcgrad.grad(aug_add)(x) == pytest.approx(2 * (x * x + x) * (2 * x + 1))


def test_augmented_mul_gradient():
    # (x + 1) * x -> 2x + 1
    assert srcgrad.grad(aug_mul)(1.5) == pytest.approx(4.0)


def test_augmented_sub_gradient():
    # (x**2 - 1)**2 -> 4x (x**2 - 1)
    x = 1.5
    assert srcgrad.grad(aug_sub_const)(x) == pytest.approx(4 * x * (x * x - 1))


def test_augmented_chain_gradient():
    # (x**2 + x**3 - 1)**2 -> 2 (x**2 + x**3 - 1)(2x + 3x**2)
    x = 0.7
    expected = 2 * (x ** 2 + x ** 3 - 1) * (2 * x + 3 * x ** 2)
    assert srcgrad.grad(aug_chain)(x) == pytest.approx(expected)


def test_augmented_assignment_on_arrays():
    # s = (x*w + w) / 2, L = sum(s**2): dL/dx = s * w, dL/dw = s * (x + 1)
    x = np.array([0.5, -1.0, 2.0])
    w = np.array([1.5, 0.2, -0.7])
    dx, dw = srcgrad.grad(aug_array, wrt=(0, 1))(x, w)
    s = (x * w + w) / 2.0
    np.testing.assert_allclose(dx, s * w)
    np.testing.assert_allclose(dw, s * (x + 1))


def test_tuple_unpacking_gradient():
    # (x*y) * (x+y) = x**2 y + x y**2
    dx, dy = srcgrad.grad(unpack, wrt=(0, 1))(0.6, 1.3)
    assert dx == pytest.approx(2 * 0.6 * 1.3 + 1.3 ** 2)
    assert dy == pytest.approx(0.6 ** 2 + 2 * 0.6 * 1.3)


def test_nested_tuple_unpacking_gradient():
    # c*d*e = (x y (x+y))**2 = g**2 with g = x**2 y + x y**2
    x, y = 0.6, 1.3
    g = x * x * y + x * y * y
    dx, dy = srcgrad.grad(nested_unpack, wrt=(0, 1))(x, y)
    assert dx == pytest.approx(2 * g * (2 * x * y + y * y))
    assert dy == pytest.approx(2 * g * (x * x + 2 * x * y))


def test_shape_unpacking_gradient():
    w = np.array([1.0, 2.0, 3.0])
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(srcgrad.grad(shape_unpack)(w, x), x.sum(axis=0) / 2)


def test_nested_calls_gradient():
    # z = sum(exp(tanh(x w) + 1)**2) * w   (x, w 1-D: the @ is a dot with w ... scalar*vector)
    x = np.array([[0.3, -0.2], [0.1, 0.4]])
    w = np.array([0.5, -1.5])

    def value(x):
        return np.sum(np.exp(np.tanh(x * w) + 1.0) ** 2, axis=0) @ w

    t = np.tanh(x * w)
    e2 = np.exp(t + 1.0) ** 2
    expected = w * 2 * e2 * (1 - t ** 2) * w  # d/dx of sum_i e2[i, j] * w[j]
    np.testing.assert_allclose(srcgrad.grad(nested_calls)(x, w), expected, rtol=1e-10)
    assert float(value(x)) == pytest.approx(float(np.sum(e2, axis=0) @ w))
