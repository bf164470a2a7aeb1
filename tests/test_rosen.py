"""Value-only forward loops dropped under grad (optimize/valueloops.py), temporaries
fused (optimize/fuse.py), and the errors of f that must still pass through.

A user's run-time error passes through a derivative unchanged (SPEC §8). Under
`grad` the forward loop that only computed the value is gone, so these tests
check that the backward loop raises what f raises, with the same type, also
where f could raise two kinds of error in different iterations; and that the
gradients are those of central differences.
"""
import math
import re

import numpy as np
import pytest

import srcgrad


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def exp_sum(x):
    s = 0.0
    for i in range(len(x)):
        s = s + math.exp(x[i]) / 2.0
    return s


def cubes(x):
    s = 0.0
    for i in range(len(x) - 2):
        d = x[i + 2] - x[i]
        s = s + d ** 3 * 0.5 - x[i + 1] * x[i]
    return s


def logs(x):
    s = 0.0
    for i in range(len(x)):
        s = s + math.log(x[i]) * 2.0
    return s


def roots(x):
    s = 0.0
    for i in range(len(x)):
        s = s + math.sqrt(x[i]) * x[i]
    return s


def divide_then_square(x):
    # f raises ZeroDivisionError or OverflowError, whichever iteration comes first
    s = 0.0
    for i in range(len(x)):
        s = s + 1.0 / x[i] + x[i] ** 2
    return s


def past_the_end(x):
    # f raises OverflowError at i = 0 for a huge x[0], else IndexError at the end
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] ** 2 + x[i + 1]
    return s


def _value_and_grad(f):
    vg = srcgrad.value_and_grad(f)
    return lambda x: vg(x)[1]


def _vjp(f):
    return lambda x: srcgrad.vjp(f, x)[1](1.0)


TRANSFORMS = {"grad": srcgrad.grad, "value_and_grad": _value_and_grad, "vjp": _vjp}


def _error_of(call, x):
    try:
        call(x)
    except Exception as err:  # noqa: BLE001 - the type is what is compared
        return type(err), str(err)
    return None


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("f, x", [
    (rosenbrock, [0.0, 1e160]),                  # (x[1] - x[0]**2) ** 2 overflows at i = 0
    (rosenbrock, [1.0, 2.0, 3.0, 1e160, 0.5]),   # x[3] ** 2 at i = 3, the last iteration run first backward
    (rosenbrock, (0.5, 1e155, 1.0)),             # a tuple; (1.0 - x[1]) ** 2 overflows at i = 1
    (exp_sum, [1.0, 800.0, 2.0]),                # math.exp overflows
    (cubes, [0.0, 1.0, 1e120, 2.0]),             # d ** 3 overflows
    (logs, [1.0, 2.0, -1.0, 3.0]),               # a math domain error
    (logs, [1.0, 0.0]),
    (roots, [4.0, -1.0]),                        # math.sqrt's domain error
    (divide_then_square, [0.0, 1e160]),          # ZeroDivisionError first ...
    (divide_then_square, [1e160, 0.0]),          # ... or OverflowError first
    (past_the_end, [1e160, 1.0]),                # OverflowError before f's IndexError
    (past_the_end, [1.0, 2.0]),                  # IndexError
], ids=lambda v: getattr(v, "__name__", None) or repr(v)[:24])
def test_the_error_of_f_passes_through(transform, f, x):
    want = _error_of(f, x)
    assert want is not None, "the case must make f raise"
    assert _error_of(TRANSFORMS[transform](f), x) == want


@pytest.mark.parametrize("f, x", [
    (rosenbrock, [0.3, -1.2, 0.8, 1.1, -0.4, 0.9, 1.3]),
    (rosenbrock, (0.3, -1.2, 0.8)),
    (rosenbrock, np.array([0.3, -1.2, 0.8, 1.1])),
    (exp_sum, [0.1, -0.7, 1.3]),
    (cubes, [0.4, -0.2, 1.5, 0.7, -1.1]),
    (logs, [0.5, 2.0, 3.5]),
    (roots, [0.5, 2.0, 3.5]),
    (divide_then_square, [0.5, -2.0, 3.5]),
], ids=lambda v: getattr(v, "__name__", None) or type(v).__name__)
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_gradients_match_central_differences(f, x, transform):
    got = np.asarray(TRANSFORMS[transform](f)(x), dtype=float)
    base = np.array(x, dtype=float)
    eps = 1e-6
    want = []
    for i in range(len(base)):
        up, down = base.copy(), base.copy()
        up[i] += eps
        down[i] -= eps
        as_input = (lambda v: type(x)(v.tolist())) if isinstance(x, (list, tuple)) else (lambda v: v)
        want.append((f(as_input(up)) - f(as_input(down))) / (2 * eps))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def _loop_count(text: str) -> int:
    """`for` statements in generated code (line comments quote the user's `for` too)."""
    return len(re.findall(r"^\s*for ", text, flags=re.M))


def _loops(df, x) -> int:
    df(x)
    return _loop_count(srcgrad.source(df))


@pytest.mark.parametrize("f, x", [
    (rosenbrock, [0.3, -1.2, 0.8]), (rosenbrock, (0.3, -1.2, 0.8)), (exp_sum, [0.1, 0.2]),
    (cubes, [0.4, -0.2, 1.5, 0.7]),
], ids=lambda v: getattr(v, "__name__", None) or type(v).__name__)
def test_grad_has_no_forward_loop(f, x):
    df = srcgrad.grad(f)
    assert _loops(df, x) == 1  # the backward loop alone
    assert ", -1, -1):" in srcgrad.source(df)
    # value_and_grad returns the value: its forward loop stays
    assert _loops(srcgrad.value_and_grad(f), x) == 2


@pytest.mark.parametrize("f, x", [
    (logs, [1.0, 2.0]),                  # math.log's ValueError, and the adjoint's division
    (roots, [1.0, 2.0]),                 # math.sqrt's ValueError, and the adjoint's division
    (divide_then_square, [1.0, 2.0]),    # ZeroDivisionError and OverflowError
    (past_the_end, [1.0, 2.0]),          # OverflowError, and an index the model cannot bound
])
def test_loops_that_can_raise_two_kinds_of_error_stay(f, x):
    """The backward loop runs the iterations in reverse: with two kinds of error
    possible, the first raised could change, so the forward loop stays."""
    df = srcgrad.grad(f)
    try:
        df(x)
    except IndexError:
        pass
    assert _loop_count(srcgrad.source(df)) == 2


def test_rosenbrock_grad_structure():
    """The generated Rosenbrock gradient: one loop, its `**` errors evaluated only where
    they can occur, the single-use temporaries fused, and the list returned as made."""
    df = srcgrad.grad(rosenbrock)
    x = [0.3, -1.2, 0.8, 1.1]
    first, second = df(x), df(x)
    assert first == second and first is not second and all(type(v) is float for v in first)
    text = srcgrad.source(df)
    assert _loop_count(text) == 1
    assert text.count("if not -1e+154 < ") == 2 and text.count("** 2\n") >= 2
    assert "_t4 = " not in text and "_dt12" not in text and "_dt6" not in text  # fused
    assert "dx[i] = dx[i] - 2.0 * " in text  # `a + -e` written `a - e`
    assert not re.search(r"^\s*s = ", text, flags=re.M)  # nothing of the value is left


def squared_twice(x):
    s = 0.0
    for i in range(len(x)):
        t = x[i] ** 2
        t = t ** 2
        s = s + t
    return s


@pytest.mark.parametrize("x", [[0.5, -1.5, 2.0], [1.0, 1e80], [1e160, 1.0]])
def test_a_name_assigned_twice_in_the_loop(x):
    """`t` is assigned twice in the loop: the forward loop stays, and grad still
    raises what f raises, or gives f's derivative."""
    want = _error_of(squared_twice, x)
    got = _error_of(srcgrad.grad(squared_twice), x)
    assert got == want
    if want is None:
        assert srcgrad.grad(squared_twice)(x) == pytest.approx([4 * v ** 3 for v in x])


def test_fusing_keeps_a_value_read_from_the_last_iteration():
    """`b = x[i]` repeats `a = x[i]`, but `b` is read in between, where it still
    holds the last iteration's entry: it must not be read as `a`."""
    from srcgrad import nodes
    from srcgrad.optimize.fuse import fuse_temporaries

    text = ("dx = [0.0] * len(x)\n"
            "for i in range(len(x)):\n"
            "    a = x[i]\n"
            "    if i > 0:\n"
            "        dx[i] = dx[i] + b * a\n"
            "    b = x[i]\n")
    body = nodes.parse_stmts(text)

    def callee(call):
        return {"len": len, "range": range}.get(getattr(call.func, "id", None))

    body, _ = fuse_temporaries(body, {"x": "numbers"}, callee, {"dx"})

    def run(stmts_text, x):
        scope = {"x": x}
        exec(stmts_text, scope)
        return scope["dx"]

    import gast
    x = [1.0, 2.0, 3.0]
    assert run(gast.unparse(nodes.module(body)), x) == run(text, x) == [0.0, 2.0, 6.0]


@pytest.mark.parametrize("update, fresh", [
    ("dx[i] = dx[i] + x[i] * 2.0", True),
    ("dx[i] += x[i] * 2.0", True),
    ("dx[i] += np.float64(x[i])", False),      # a NumPy scalar entry: the call path converts it
    ("dx[i] = dx[i] + other(x)[i]", False),    # an entry of unknown kind
])
def test_a_fresh_gradient_list_holds_python_floats_only(update, fresh):
    """The call path hands a gradient list over unchecked only when the compiler
    proved every entry a Python float (`raises.fresh_numbers`)."""
    from srcgrad import nodes
    from srcgrad.optimize.raises import fresh_numbers

    body = nodes.parse_stmts("dx = [0.0] * len(x)\n"
                             "for i in range(len(x)):\n"
                             f"    {update}\n"
                             "return dx\n")

    def callee(call):
        return {"len": len, "range": range}.get(getattr(call.func, "id", None))

    fn = nodes.function("grad_f", ["x"], body)
    assert (fresh_numbers(fn, {"x": "numbers"}, callee) == "x") is fresh


@pytest.mark.parametrize("f", [rosenbrock, exp_sum, cubes])
def test_hvp_through_the_dropped_loop_matches_differences_of_grad(f):
    """hvp differentiates the (NaN-safe) gradient, guards and all."""
    x = [0.3, -1.2, 0.8, 1.1]
    v = [0.5, -0.25, 1.0, 2.0]
    got = srcgrad.hvp(f)(x, v)
    eps = 1e-6
    up = srcgrad.grad(f)([a + eps * b for a, b in zip(x, v)])
    down = srcgrad.grad(f)([a - eps * b for a, b in zip(x, v)])
    np.testing.assert_allclose(got, (np.array(up) - np.array(down)) / (2 * eps), rtol=1e-5, atol=1e-5)


def two_loops(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + (x[i + 1] - x[i]) ** 2
    for i in range(len(x) - 1):
        s = s + math.exp(x[i]) * 0.5
    return s


@pytest.mark.parametrize("x", [[0.3, -1.2, 0.8], [0.0, 1e160, 1.0], [1.0, 800.0, 2.0]])
def test_two_loops_alike(x):
    """Two loops: the second goes (only its backward loop recomputes math.exp), the
    first stays, since the second's backward loop, which runs before the first's, can
    raise another error (math.exp's OverflowError, not `**`'s). Errors and gradients
    are f's."""
    df = srcgrad.grad(two_loops)
    assert _loops(df, [0.3, -1.2, 0.8]) == 3
    want = _error_of(two_loops, x)
    assert _error_of(df, x) == want
    if want is None:
        expected = [0.0] * len(x)
        for i in range(len(x) - 1):
            expected[i] += -2 * (x[i + 1] - x[i]) + math.exp(x[i]) * 0.5
            expected[i + 1] += 2 * (x[i + 1] - x[i])
        assert df(x) == pytest.approx(expected)


def lengths_apart(x):
    ys = [x[0]]
    n1 = len(ys)
    ys.append(x[1])
    n2 = len(ys)
    return x[0] * n1 + x[1] * n2


def test_a_length_is_not_reused_across_an_append():
    """`len(ys)` twice, an append between: the second is not the first (the list
    grew); only a list of numbers that nothing writes keeps its length."""
    assert srcgrad.grad(lengths_apart)([3.0, 5.0]) == [1.0, 2.0]
    assert srcgrad.grad(lengths_apart)(np.array([3.0, 5.0])).tolist() == [1.0, 2.0]


def test_two_updates_of_one_entry_are_one_statement():
    """`dx[i] = dx[i] - a` and the later `dx[i] = dx[i] + b` are written as one update,
    `dx[i] = dx[i] - a + b`: the same additions in the same order (the gradient is the
    one computed with the two statements, to the bit) and one read and write fewer."""
    df = srcgrad.grad(rosenbrock)
    x = [0.3, -1.2, 0.8, 1.1, -0.4]
    got = df(x)
    text = srcgrad.source(df)
    assert len(re.findall(r"^\s*dx\[i\] = ", text, flags=re.M)) == 1, text
    assert "dx[i] = dx[i] - 2.0 * _t12 - _dt7 * (2.0 * _t11)" in text  # `+ -d * e` is `- d * e`
    expected = [0.0] * len(x)
    for i in range(len(x) - 2, -1, -1):  # the unmerged statements, in the generated order
        expected[i] = expected[i] - 2.0 * (1.0 - x[i])
        d = 100.0 * (2 * (x[i + 1] - x[i] * x[i]))  # the backward's square a product (squares.py)
        expected[i] = expected[i] + -d * (2 * x[i])
        expected[i + 1] = expected[i + 1] + d
    assert got == expected


def test_a_constant_times_a_power_of_two_times_a_float_is_one_product():
    """`100.0 * (2 * r)` of a Python float r is written `200.0 * r`: scaling up by a power
    of two rounds nothing, so the gradient is the one the two products give, to the bit,
    up to overflow (inf either way)."""
    df = srcgrad.grad(rosenbrock)
    df([0.5, 1.5])
    text = srcgrad.source(df)
    assert re.search(r"^\s*_dt7 = 200\.0 \* _t7$", text, flags=re.M), text
    assert "(2 * _t7)" not in text
    for x in ([0.3, -1.2, 0.8, 1.1, -0.4], [1e76, -3e76, 2.5e75], [5e-324, 1e-310, -2e-308, 0.0]):
        expected = [0.0] * len(x)
        for i in range(len(x) - 2, -1, -1):
            d = 100.0 * (2 * (x[i + 1] - x[i] * x[i]))  # the backward's square a product (squares.py)
            expected[i] = expected[i] - 2.0 * (1.0 - x[i]) - d * (2 * x[i])
            expected[i + 1] = expected[i + 1] + d
        assert df(x) == expected


def chained(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + x[i] ** 2 + (x[i + 1] - x[i]) ** 2 + 3.0 * x[i]
    return s


def test_an_update_is_not_moved_past_another_entry_s():
    """An update of `dx[i + 1]` between two of `dx[i]` keeps them apart (the list is
    read there); the two before it are one. The gradient is the central differences'."""
    df = srcgrad.grad(chained)
    x = [0.3, -1.2, 0.8, 1.1]
    got = df(x)
    text = srcgrad.source(df)
    updates = re.findall(r"^\s*(dx\[\w+\]) = ", text, flags=re.M)
    assert updates == ["dx[i]", "dx[_t6]", "dx[i]"], text
    for k in range(len(x)):
        up, down = list(x), list(x)
        up[k] += 1e-6
        down[k] -= 1e-6
        assert math.isclose(got[k], (chained(up) - chained(down)) / 2e-6, rel_tol=1e-6, abs_tol=1e-8)


# --- a power whose slope overflows where the power does not (FINDINGS26 #2) -----------

def _inverse_power(x):
    return x ** -1 + 2.0


def _pair_energy(xs):
    e = 0.0
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            e = e + ((xs[i] - xs[j]) ** 2) ** -0.5
    return e


def test_a_slope_beyond_the_floats_is_inf_as_one_over_x_gives():
    """f runs (x ** -1 at 1e-170 is 1e170) and its slope, -1e340, is -inf in floats, as
    `1.0 / x`'s derivative and NumPy's give; not Python's OverflowError of x ** -2."""
    assert _inverse_power(1e-170) == 1e170
    for x in (1e-170, -1e-170):
        assert srcgrad.grad(_inverse_power)(x) == -math.inf
        assert srcgrad.jvp(_inverse_power, (x,), (1.0,))[1] == -math.inf
    g = srcgrad.grad(_pair_energy)([0.0, 1e-160, 1.0])
    assert g[0] == math.inf and g[1] == -math.inf and g[2] == pytest.approx(-2.0)
    assert srcgrad.grad(_inverse_power)(0.5) == -4.0
    with pytest.raises(OverflowError):  # where f itself overflows, its error passes through
        srcgrad.grad(_inverse_power)(5e-324)  # 1 / 5e-324 is beyond the floats
