"""Issue 12, effects through calls: a call that changes a value behind the
derivative's back is modelled exactly or rejected with a located error.

Each reproduction runs in both modes. A modelled one is checked against
central differences (srcgrad.check_grads, float64); a rejected one must name
the file, the line of the call and give a hint.
"""
import numpy as np
import pytest

import srcgrad
from srcgrad.rules import facts

MODES = ("reverse", "forward")
X = np.array([1.0, 2.0, 3.5])


def _derivative(fn, mode):
    if mode == "reverse":
        return srcgrad.grad(fn)(X.copy())
    return srcgrad.jvp(fn, (X.copy(),), (np.ones(3),))[1]


def _rejected(fn, mode, line_marker, words):
    with pytest.raises(srcgrad.SrcGradError) as info:
        _derivative(fn, mode)
    message = str(info.value)
    assert __file__ in message, message
    assert line_marker in message, message  # the quoted line of the call
    assert "hint:" in message, message
    for w in words:
        assert w in message, message
    return message


# --- helpers (user functions) that write into their arguments -------------------------

def scale_first(a):
    a[0] = a[0] * 3.0
    return np.sum(a)


def helper_writes_its_argument(x):
    y = x * 1.0
    s = scale_first(y)
    return s + np.sum(y ** 2)


def normalize_in_place(v):
    v /= np.linalg.norm(v)
    return 0.0


def helper_divides_its_argument(x):
    y = x * 2.0
    normalize_in_place(y)
    return np.sum(y * x)


def push(store, h):
    store.append(h)


def helper_appends_to_its_argument(x):
    store = []
    push(store, x * 2.0)
    return np.sum(store[0] ** 2)


def nested_def_appends_to_outer_list(x):
    out = []

    def add(h):
        out.append(h * 2.0)
    add(x)
    return np.sum(out[0])


def nested_def_writes_outer_dict(x):
    d = {}

    def put(h):
        d["a"] = h * 2.0
    put(x)
    return np.sum(d["a"])


def writes_through_an_alias(a):
    b = a[:2]
    b[0] = 0.0
    return 1.0


def helper_writes_through_an_alias(x):
    y = x * 1.0
    t = writes_through_an_alias(y)
    return t * np.sum(y)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, marker, param", [
    (helper_writes_its_argument, "s = scale_first(y)", "'a'"),
    (helper_divides_its_argument, "normalize_in_place(y)", "'v'"),
    (helper_appends_to_its_argument, "push(store, x * 2.0)", "'store'"),
    (nested_def_appends_to_outer_list, "add(x)", "'out'"),
    (nested_def_writes_outer_dict, "put(x)", "'d'"),
    (helper_writes_through_an_alias, "t = writes_through_an_alias(y)", "'a'"),
])
def test_helper_writing_into_its_argument_is_rejected(fn, marker, param, mode):
    # the finite differences of the first one are [21, 5, 7], srcgrad gave [9, 5, 7]
    message = _rejected(fn, mode, marker, ["writes into its argument " + param, "in place"])
    assert "line " in message  # where in the helper the write is


def copies_then_writes(a):
    a = a.copy()
    a[0] = a[0] * 3.0
    return np.sum(a)


def helper_writes_its_own_copy(x):
    y = x * 1.0
    s = copies_then_writes(y)
    return s + np.sum(y ** 2)


def sums_into_fresh(a, n):
    total = np.zeros(n)
    for i in range(n):
        total[i] = a[i] * 2.0
    return total


def helper_writes_only_its_locals(x):
    return np.sum(sums_into_fresh(x, 3) ** 2)


def scale_number(s):
    s *= 2.0  # a Python number: rebinds, the caller's value is untouched
    return s


def helper_augments_a_number(x):
    t = np.sum(x)
    u = scale_number(t)
    return t * u


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", [helper_writes_its_own_copy, helper_writes_only_its_locals])
def test_helper_writing_only_its_own_values_is_differentiated(fn, mode):
    srcgrad.check_grads(fn, (X.copy(),), modes=(mode,))


def test_helper_rebinding_a_number_parameter_is_differentiated():
    srcgrad.check_grads(lambda_free_number_caller, (2.5,), modes=MODES)


def lambda_free_number_caller(x):
    t = x * 1.0
    u = scale_number(t)
    return t * u


def test_helper_writing_into_a_constant_argument_runs_as_written():
    def fills(buf):
        buf[:] = 2.0
        return 0.0

    def uses(x):
        buf = np.zeros(3)
        fills(buf)
        return np.sum(buf * x)

    srcgrad.check_grads(uses, (X.copy(),), modes=MODES)
    assert np.allclose(srcgrad.grad(uses)(X.copy()), 2.0)


LOG = []


def logs_globally(h):
    LOG.append(h)
    return h * 2.0


def helper_appends_to_a_global(x):
    return np.sum(logs_globally(x))


@pytest.mark.parametrize("mode", MODES)
def test_helper_writing_a_global_with_a_differentiated_value_is_rejected(mode):
    _rejected(helper_appends_to_a_global, mode, "return np.sum(logs_globally(x))",
              ["logs_globally()", "'LOG'"])
    assert LOG == []  # building the derivative ran nothing


# --- discarded calls writing into another array -----------------------------------------

def copyto_buffer(x):
    buf = np.zeros(3)
    np.copyto(buf, x)
    return np.sum(buf ** 2)


def multiply_out_keyword(x):
    buf = np.zeros(3)
    np.multiply(x, 2.0, out=buf)
    return np.sum(buf ** 2)


def exp_out_keyword(x):
    y = np.zeros(3)
    np.exp(x, out=y)
    return np.sum(y)


def exp_positional_out_and_result(x):
    y = np.zeros(3)
    z = np.exp(x, y)
    return np.sum(z * y)


def sum_out_keyword(x):
    s = np.zeros(())
    np.sum(x ** 2, out=s)
    return s * 1.0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", [copyto_buffer, multiply_out_keyword, exp_out_keyword,
                                exp_positional_out_and_result, sum_out_keyword])
def test_writes_into_another_array_are_modelled(fn, mode):
    srcgrad.check_grads(fn, (X.copy(),), modes=(mode,))
    assert np.all(np.abs(_derivative(fn, mode)) > 0.1)  # not the zero gradient of before


def test_modelled_out_write_reads_as_a_subscript_write():
    """`np.exp(x, out=y)` is `y[...] = np.exp(x)`, the value checked as a ufunc's output
    operand is (it takes part in broadcasting: a result of more axes is NumPy's error)."""
    code = [line for line in srcgrad.source(srcgrad.grad(exp_out_keyword)).splitlines()
            if not line.strip().startswith("#")]
    assert "    _t2 = in_place_result(_t1, y, 'exp')" in code and "    y[...] = _t2" in code
    assert not any("out=" in line for line in code)


def add_at(x):
    out = np.zeros(3)
    idx = np.array([0, 1, 1])
    np.add.at(out, idx, x)
    return np.sum(out ** 2)


def put_into(x):
    out = np.zeros(3)
    np.put(out, [0, 2], x[:2])
    return np.sum(out ** 2)


def place_into(x):
    out = np.zeros(3)
    np.place(out, np.array([True, False, True]), x[:2])
    return np.sum(out ** 2)


def fill_diagonal_with(x):
    A = np.zeros((3, 3))
    np.fill_diagonal(A, x)
    return np.sum(A ** 2)


def dict_update(x):
    d = {"a": 1.0}
    d.update({"a": x * 2.0})
    return np.sum(d["a"] ** 2)


def list_insert(x):
    lst = [x]
    lst.insert(0, x * 3.0)
    return np.sum(lst[0] * lst[1])


def sort_in_place(x):
    y = x * 2.0
    y.sort()
    return np.sum(y * x)


def shuffle_in_place(x):
    y = x * 1.0
    np.random.default_rng(0).shuffle(y)
    return np.sum(y * np.arange(3.0))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn, marker, what", [
    (add_at, "np.add.at(out, idx, x)", "np.add.at writes into 'out'"),
    (put_into, "np.put(out, [0, 2], x[:2])", "np.put writes into 'out'"),
    (place_into, "np.place(out, np.array([True, False, True]), x[:2])", "np.place writes into 'out'"),
    (fill_diagonal_with, "np.fill_diagonal(A, x)", "np.fill_diagonal writes into 'A'"),
    (dict_update, 'd.update({"a": x * 2.0})', ".update() writes into 'd'"),
    (list_insert, "lst.insert(0, x * 3.0)", ".insert() writes into 'lst'"),
    (sort_in_place, "y.sort()", ".sort() writes into 'y'"),
    (shuffle_in_place, "np.random.default_rng(0).shuffle(y)", "y"),
])
def test_writes_that_cannot_be_modelled_are_rejected(fn, marker, what, mode):
    # each gave a zero (or a wrong) gradient before, silently
    _rejected(fn, mode, marker, [what])


def test_writes_into_constants_run_as_written():
    def f(x):
        idx = np.array([2, 0, 1])
        np.random.default_rng(0).shuffle(idx)  # a permutation of constants: no derivative
        out = np.zeros(3)
        np.add.at(out, idx, 1.0)
        return np.sum(x[idx] * out)

    srcgrad.check_grads(f, (X.copy(),), modes=MODES)


def unknown_call(x):
    y = x * 2.0
    UNKNOWN.scramble(y)
    return np.sum(y)


class _Scrambler:
    def scramble(self, y):
        y[0] = 10.0


UNKNOWN = _Scrambler()


@pytest.mark.parametrize("mode", MODES)
def test_method_writing_its_argument_is_rejected(mode):
    _rejected(unknown_call, mode, "UNKNOWN.scramble(y)", ["scramble()", "'y'"])


# --- forward mode and a global buffer ---------------------------------------------------

BUF = np.zeros(3)


def writes_global_buffer(x):
    BUF[:] = x * 2
    return np.sum(BUF ** 2)


@pytest.mark.parametrize("mode", MODES)
def test_write_into_a_global_buffer_has_its_derivative(mode):
    # forward mode gave a tangent of 0; reverse mode was right
    srcgrad.check_grads(writes_global_buffer, (X.copy(),), modes=(mode,))
    assert np.allclose(_derivative(writes_global_buffer, mode),
                       8.0 * X if mode == "reverse" else np.sum(8.0 * X))


# --- the table itself -------------------------------------------------------------------

def test_every_rule_primitive_has_facts():
    from srcgrad.rules import registry

    primitives = (list(registry.adjoint_rules()) + list(registry.tangent_rules())
                  + list(registry.nondifferentiable_primitives()) + list(registry.aliases()))
    missing = [registry.qualname(p) for p in primitives if facts.of(p) is None]
    assert missing == []


def test_table_facts_of_writers_views_and_unknowns():
    assert facts.of(np.copyto).writes == (0,)
    assert facts.ufunc_method("at").writes == (0,)
    assert facts.method("append").writes == (0,) and facts.method("get").views == (0,)
    assert facts.of(np.reshape).views == (0,) and facts.of(np.exp).array
    assert facts.of(np.random.normal).pure is False  # a draw changes the generator
    assert facts.of(print).reporting
    assert facts.of(_Scrambler.scramble) is None  # deny by default


# --- lst.pop(): modelled in forward mode, rejected in reverse mode ------------------------

def pops_unused(x):
    ys = []
    for i in range(3):
        ys.append(x * (i + 1.0))
    last = ys.pop()
    return ys[-1] * 3.0


def test_pop_of_a_differentiated_list_is_modelled_forward_and_rejected_reverse():
    srcgrad.check_grads(pops_unused, (1.5,), modes=("forward",))
    assert srcgrad.jvp(pops_unused, (1.5,), (1.0,)) == (9.0, 6.0)
    # reverse mode does not replay a pop: it failed with an IndexError inside the derivative
    with pytest.raises(srcgrad.SrcGradError, match=r"\.pop\(\) writes into 'ys'") as info:
        srcgrad.grad(pops_unused)(1.5)
    assert "last = ys.pop()" in str(info.value) and "hint:" in str(info.value)


# --- a helper may use up a temporary made for the call alone -------------------------------

def helper_writes_a_temporary(x):
    return scale_first(x * 1.0) + np.sum(x ** 2)


def helper_divides_a_copy(x):
    y = x * 2.0
    return normalize_in_place(y.copy()) + np.sum(y * x)


def helper_writes_a_saved_result(x):
    return scale_first(np.exp(x))  # exp's derivative reads its result: not a scratch value


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fn", [helper_writes_a_temporary, helper_divides_a_copy])
def test_helper_writing_a_temporary_nobody_reads_is_differentiated(fn, mode):
    srcgrad.check_grads(fn, (X.copy(),), modes=(mode,))


@pytest.mark.parametrize("mode", MODES)
def test_helper_writing_a_result_its_derivative_reads_is_rejected(mode):
    _rejected(helper_writes_a_saved_result, mode, "return scale_first(np.exp(x))",
              ["writes into its argument 'a'"])


def test_jvp_leaves_the_callers_tangent_alone():
    # the tangent function of a function that writes into its argument wrote into
    # the caller's tangent array too
    a, t = np.array([1.0, 2.0, 3.0]), np.ones(3)
    value, tangent = srcgrad.jvp(scale_first, (a,), (t,))
    assert (value, tangent) == (8.0, 5.0)
    assert np.array_equal(t, np.ones(3))
    assert np.array_equal(a, [3.0, 2.0, 3.0])  # as scale_first itself leaves it


# --- deny by default inside helpers ------------------------------------------------------

def passes_to_unknown(s, h):
    return s.scramble(h) or 0.0


def helper_passes_its_argument_to_an_unknown_call(x):
    y = x * 2.0
    t = passes_to_unknown(UNKNOWN, y)
    return np.sum(y) + t


def builds_unknown_from_constants(h):
    scratch = _Scrambler()
    return np.sum(h ** 2)


def helper_calls_unknown_on_constants(x):
    return builds_unknown_from_constants(x)


@pytest.mark.parametrize("mode", MODES)
def test_helper_passing_its_argument_to_an_unknown_call_is_rejected(mode):
    # s is a parameter: its type, and so what s.scramble does, is unknown when compiling
    _rejected(helper_passes_its_argument_to_an_unknown_call, mode,
              "t = passes_to_unknown(UNKNOWN, y)", ["may write into its argument", ".scramble()"])


def test_unknown_call_on_constants_inside_a_helper_runs_as_written():
    srcgrad.check_grads(helper_calls_unknown_on_constants, (X.copy(),), modes=MODES)


def test_argument_given_to_an_unknown_callee_may_be_written():
    def helper(h):
        return np.sum(np.fft.fft(h).real)  # np.fft.fft is in no table

    def caller(x):
        y = x * 2.0
        return helper(y) + np.sum(y)

    with pytest.raises(srcgrad.SrcGradError, match="may write into its argument 'h'"):
        srcgrad.grad(caller)(X.copy())


def doubles_second(a):
    a[1] = 2.0 * a[1]
    return a


def passes_its_parameter_once(a, b):
    c = doubles_second(a)  # `a` is read by this call alone
    return np.sum(c * b)


@pytest.mark.parametrize("mode", MODES)
def test_helper_writing_a_parameter_read_only_by_the_call_is_differentiated(mode):
    srcgrad.check_grads(passes_its_parameter_once, (np.array([1.0, 2.0]), 3.0), modes=(mode,))
    x = np.array([1.0, 2.0])
    if mode == "reverse":
        np.testing.assert_allclose(srcgrad.grad(passes_its_parameter_once)(x, 3.0), [3.0, 6.0])
        np.testing.assert_array_equal(x, [1.0, 4.0])  # as the function itself leaves it


# --- writes into a constant the derivative has read --------------------------------------
# `y = x * c` reads c; the backward sweep reads it again. A later write into c (by a
# call the derivative does not model) would make the gradient use the changed value.

SHUFFLER = np.random.default_rng(3)
LEGACY = np.random.RandomState(3)


def _scale_in_place(c):
    c *= 2.0


def shuffles_with_a_generator(x):
    c = np.array([1.0, 2.0, 3.0])
    y = x * c
    SHUFFLER.shuffle(c)  # shuffled after use
    return np.sum(y * y)


def shuffles_with_a_legacy_generator(x):
    c = np.array([1.0, 2.0, 3.0])
    y = x * c
    LEGACY.shuffle(c)  # shuffled after use
    return np.sum(y * y)


def shuffles_through_an_alias(x):
    c = np.array([1.0, 2.0, 3.0])
    d = c
    y = x * d
    np.random.shuffle(c)  # shuffled after use
    return np.sum(y * y)


def sorts_after_use(x):
    c = np.array([3.0, 1.0, 2.0])
    y = x * c
    c.sort()  # sorted after use
    return np.sum(y * y)


def helper_scales_after_use(x):
    c = np.array([1.0, 2.0, 3.0])
    y = x * c
    _scale_in_place(c)  # scaled after use
    return np.sum(y * y)


def helper_scales_inside_the_loop(x):
    c = np.array([1.0, 2.0, 3.0])
    s = 0.0
    for _ in range(2):
        _scale_in_place(c)  # scaled in the loop around the use
        s = s + np.sum(x * c)
    return s


@pytest.mark.parametrize("fn, marker", [
    (shuffles_with_a_generator, "SHUFFLER.shuffle(c)"),
    (shuffles_with_a_legacy_generator, "LEGACY.shuffle(c)"),
    (shuffles_through_an_alias, "np.random.shuffle(c)"),
    (sorts_after_use, "c.sort()"),
    (helper_scales_after_use, "_scale_in_place(c)  # scaled after use"),
    (helper_scales_inside_the_loop, "_scale_in_place(c)  # scaled in the loop"),
])
def test_writing_a_constant_the_backward_sweep_reads_is_a_located_error(fn, marker):
    _rejected(fn, "reverse", marker, ["in place", "a value the derivative reads"])


@pytest.mark.parametrize("fn", [shuffles_with_a_generator, sorts_after_use, helper_scales_after_use])
def test_forward_mode_reads_the_constant_when_it_is_used(fn):
    # the tangent of y = x * c is computed on the spot: a later write does not reach it
    expected = 2.0 * X * np.array([1.0, 4.0, 9.0]) if fn is not sorts_after_use \
        else 2.0 * X * np.array([9.0, 1.0, 4.0])
    assert np.allclose(_derivative(fn, "forward"), np.sum(expected))


def test_writing_a_constant_before_it_is_read_runs_as_written():
    def shuffled_first(x):
        c = np.array([1.0, 2.0, 3.0])
        np.random.default_rng(0).permutation(3)
        _scale_in_place(c)
        return np.sum(x * c)

    assert np.allclose(srcgrad.grad(shuffled_first)(X.copy()), [2.0, 4.0, 6.0])


def two_draws_in_one_statement(x):
    rng = np.random.default_rng(3)
    return np.sum(x * rng.normal(size=3)) + np.sum(x ** 2 * rng.normal(size=3))


def test_refused_local_generator_draws_hint_at_what_works():
    """FINDINGS15 #6: the hint said `rng.copy()`, which a Generator does not have; it now
    says to draw on a line of its own, which differentiates."""
    with pytest.raises(srcgrad.SrcGradError) as err:
        srcgrad.grad(two_draws_in_one_statement)(np.ones(3))
    assert "rng.copy()" not in str(err.value)
    assert "draw = rng.normal(...)" in str(err.value)
