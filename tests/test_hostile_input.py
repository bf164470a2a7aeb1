"""Hostile and broken input: everything outside SPEC §7 is a located SrcGradError.

One test per construct. A rejection must name this file, the line and the
column of the construct, quote the line, and give a `hint:`. Functions without
readable source (builtins, C functions, code made by exec) cannot carry a
location; their error must still say why and give a hint.

Also checked here: compiling never runs user code (a rejected function with a
visible side effect leaves no trace), exec/eval are rejected rather than run,
and the generated code uses the user's identifiers only as identifiers: odd
but valid names (`_`, `__`, `dx_1`, `θ`, soft keywords, names the compiler
itself uses) survive, and no generated line evaluates a string.
"""
import ast
import inspect
import linecache
import re

import numpy as np
import pytest

import srcgrad

LOG = []  # a side effect that must never happen while a derivative is built
COUNTER = 0


@pytest.fixture(autouse=True)
def _clear_log():
    LOG.clear()
    yield
    LOG.clear()


def helper(a, b):
    return a * b


class Recorder:
    """A context manager that records when it is entered."""

    def __enter__(self):
        LOG.append("entered")
        return self

    def __exit__(self, *exc):
        return False


# --- one function per construct ------------------------------------------------------


def uses_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_try_finally(x):
    y = x * 2.0
    try:
        y = y * 3.0
    finally:
        LOG.append("finally ran")
    return y


def uses_raise(x):
    if x > 100.0:
        raise ValueError("too big")
    return x * 2.0


def uses_with(x):
    with Recorder() as r:
        y = x * 2.0
    return y


def uses_no_grad_and_other_with(x):
    with srcgrad.no_grad(), Recorder():
        y = x * 2.0
    return y * x


def uses_yield(x):
    yield x * 2.0


def uses_yield_from(x):
    yield from (x, x)


async def uses_async(x):
    return x * 2.0


async def uses_await(x):
    y = await x
    return y * 2.0


def uses_global_write(x):
    global COUNTER
    COUNTER = COUNTER + 1
    return x * 2.0


def make_nonlocal():
    k = 1.0

    def uses_nonlocal_write(x):
        nonlocal k
        k = 2.0
        return x * k

    return uses_nonlocal_write


uses_nonlocal_write = make_nonlocal()


def uses_exec(x):
    exec("LOG.append('exec ran')")
    return x * 2.0


def uses_eval(x):
    y = eval("x * 2.0")
    return y


def uses_locals(x):
    y = locals()["x"] * 2.0
    return y


def uses_vars(x):
    return vars()["x"] * 2.0


def uses_star_args(x):
    args = (x, 2.0)
    return helper(*args)


def uses_star_args_in_print(x):
    args = (x, 1.0)
    print(*args)
    return x * 2.0


def uses_star_kwargs(x):
    kw = {"b": 2.0}
    return helper(x, **kw)


def uses_starred_target(x):
    a, *rest = [x, x, 2.0]
    return a * rest[0]


def uses_starred_literal(x):
    xs = [x, 2.0]
    ys = [*xs, x]
    return ys[0] * ys[2]


def uses_walrus(x):
    if (y := x * 2.0) > 0.0:
        return y
    return x


def uses_match(x):
    match 1:
        case 1:
            y = x * 2.0
        case _:
            y = x
    return y


def uses_lambda(x):
    return (lambda v: v * 2.0)(x)  # a lambda bound to a name is a nested helper; this one is not


def uses_list_comprehension_on_one_branch(x):
    return np.sum([x * k for k in (1.0, 2.0)]) if np.sum(x) > 0 else 0.0


def uses_dict_comprehension_after_or(x):
    d = {} or {k: x * k for k in (1.0, 2.0)}
    return d[1.0]


def uses_set_comprehension(x):
    s = {x * k for k in (1.0, 2.0)}
    return x * len(s)


def uses_generator_expression_kept(x):
    g = (x * k for k in (1.0, 2.0))
    return sum(g)


def uses_set_literal(x):
    s = {x, 2.0}
    return x * 2.0


def uses_del(x):
    y = x * 2.0
    del y
    return x


def uses_class(x):
    class Inner:
        pass
    return x * 2.0


def uses_import(x):
    import math
    return math.sin(x)


def uses_import_from(x):
    from math import sin
    return sin(x)


def make_generator(x):
    yield x


def calls_a_generator_function(x):
    return next(make_generator(x))


# (function, marker: text on the offending line, word the message must contain)
CONSTRUCTS = [
    (uses_try, "try:", "try"),
    (uses_try_finally, "try:", "try"),
    (uses_raise, 'raise ValueError("too big")', "raise"),
    (uses_with, "with Recorder() as r:", "with"),
    (uses_no_grad_and_other_with, "with srcgrad.no_grad(), Recorder():", "with"),
    (uses_yield, "yield x * 2.0", "yield"),
    (uses_yield_from, "yield from (x, x)", "yield"),
    (uses_async, "async def uses_async(x):", "async"),
    (uses_await, "async def uses_await(x):", "async"),
    (uses_global_write, "global COUNTER", "global"),
    (uses_nonlocal_write, "nonlocal k", "nonlocal"),
    (uses_exec, "exec(\"LOG.append('exec ran')\")", "exec"),
    (uses_eval, 'eval("x * 2.0")', "eval"),
    (uses_locals, 'locals()["x"]', "locals"),
    (uses_vars, 'vars()["x"]', "vars"),
    (uses_star_args, "helper(*args)", "*args"),
    (uses_star_args_in_print, "print(*args)", "*args"),
    (uses_star_kwargs, "helper(x, **kw)", "**kwargs"),
    (uses_starred_target, "*rest", "target"),
    (uses_starred_literal, "*xs", "*"),
    (uses_walrus, "y := x * 2.0", ":="),
    (uses_match, "match 1:", "match"),
    (uses_lambda, "lambda v: v * 2.0", "lambda"),
    (uses_list_comprehension_on_one_branch, "[x * k for k in (1.0, 2.0)]", "comprehension"),
    (uses_dict_comprehension_after_or, "{k: x * k for k in (1.0, 2.0)}", "comprehension"),
    (uses_set_comprehension, "{x * k for k in (1.0, 2.0)}", "comprehension"),
    (uses_generator_expression_kept, "(x * k for k in (1.0, 2.0))", "generator"),
    (uses_set_literal, "{x, 2.0}", "set"),
    (uses_del, "del y", "del"),
    (uses_class, "class Inner:", "class"),
    (uses_import, "import math", "import"),
    (uses_import_from, "from math import sin", "import"),
    (calls_a_generator_function, "    yield x\n", "yield"),
]


def _where(fn, marker):
    """(file, line, acceptable columns, line text) of `marker` in fn's source."""
    fn = inspect.unwrap(fn)
    lines, first = inspect.getsourcelines(fn)
    if marker == "    yield x\n":  # the construct is in the callee
        lines, first = inspect.getsourcelines(make_generator)
    for offset, text in enumerate(lines):
        if marker.strip() in text:
            text = text.rstrip("\n")
            stmt_col = len(text) - len(text.lstrip())
            return first + offset, {stmt_col, text.index(marker.strip())}, text
    raise AssertionError(f"{marker!r} is not in {fn.__name__}")


def assert_located(message, fn, marker, word):
    lineno, columns, text = _where(fn, marker)
    match = re.search(re.escape(__file__) + r":(\d+):(\d+): ", message)
    assert match, f"no {__file__}:line:col in:\n{message}"
    assert int(match.group(1)) == lineno, message
    assert int(match.group(2)) in columns, message
    assert text.strip() in message, f"the offending line is not quoted:\n{message}"
    assert re.search(r"^hint: \S", message, re.MULTILINE), f"no hint in:\n{message}"
    assert word.lower() in message.lower(), f"{word!r} not named in:\n{message}"


@pytest.mark.parametrize("fn, marker, word", CONSTRUCTS, ids=[c[0].__name__ for c in CONSTRUCTS])
def test_construct_is_rejected_with_a_located_error(fn, marker, word):
    global COUNTER
    counter = COUNTER
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(fn)(2.0)  # build and call: the error may come at either
    assert_located(str(info.value), fn, marker, word)
    # rejected before anything ran
    assert LOG == []
    assert COUNTER == counter


@pytest.mark.parametrize("fn", [uses_exec, uses_eval, uses_with, uses_try_finally],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("transform", ["grad", "jvp", "vjp"])
def test_rejected_code_never_runs_in_any_transform(fn, transform):
    with pytest.raises(srcgrad.SrcGradError):
        if transform == "grad":
            srcgrad.grad(fn)(2.0)
        elif transform == "jvp":
            srcgrad.jvp(fn, (2.0,), (1.0,))
        else:
            srcgrad.vjp(fn, 2.0)
    assert LOG == []


@pytest.mark.parametrize("fn", [uses_eval, uses_locals, uses_vars], ids=lambda f: f.__name__)
def test_implicit_reads_of_locals_are_never_a_silent_zero_gradient(fn):
    # eval("x * 2.0"), locals()["x"], vars()["x"] read x without naming it:
    # the true gradient is 2.0, a zero would be silently wrong
    try:
        g = srcgrad.grad(fn)(2.0)
    except srcgrad.SrcGradError:
        return
    raise AssertionError(f"{fn.__name__} was differentiated, gradient {g!r} (true value 2.0)")


# --- no source, not a function -------------------------------------------------------------


def test_function_defined_through_exec_has_no_source():
    namespace = {}
    exec("def made(x):\n    return x * x\n", namespace)
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(namespace["made"])(2.0)
    message = str(info.value)
    assert "source" in message and "made" in message, message
    assert re.search(r"^hint: \S", message, re.MULTILINE), message


def test_function_defined_in_a_fake_repl_has_no_source():
    # what the REPL does: compile with filename "<stdin>", nothing in linecache
    code = compile("def typed(x):\n    return x * x\n", "<stdin>", "exec")
    namespace = {}
    exec(code, namespace)
    assert not linecache.getlines("<stdin>")
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(namespace["typed"])(2.0)
    assert re.search(r"^hint: \S", str(info.value), re.MULTILINE)


def test_lambda_without_source_of_its_own():
    square = eval("lambda x: x * x")  # made by eval: no file, no cell holds its text
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(square)(2.0)
    assert "lambda" in str(info.value) and "hint:" in str(info.value)


@pytest.mark.parametrize("fn", [len, abs, max, sum], ids=["len", "abs", "max", "sum"])
def test_builtin(fn):
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(fn)
    assert re.search(r"^hint: \S", str(info.value), re.MULTILINE)


@pytest.mark.parametrize("fn", [np.sin, np.sum, np.linalg.norm, np.add.reduce],
                         ids=["np.sin", "np.sum", "np.linalg.norm", "np.add.reduce"])
def test_c_or_library_function(fn):
    # np.sum and np.linalg.norm are Python functions inside NumPy: differentiate
    # a function that calls them, not NumPy's own implementation
    try:
        df = srcgrad.grad(fn)
        df(np.ones(3))
    except srcgrad.SrcGradError as err:
        assert re.search(r"^hint: \S", str(err), re.MULTILINE)
    else:
        raise AssertionError(f"grad({fn!r}) did not raise")


def test_generator_function_itself():
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(make_generator)(2.0)
    assert_located(str(info.value), make_generator, "yield x", "yield")


# --- methods of user classes ------------------------------------------------------------------


class Model:
    def __init__(self, w):
        self.w = w

    def loss(self, x):
        return self.w * x * x

    @staticmethod
    def static_loss(x):
        return 3.0 * x * x

    @classmethod
    def class_loss(cls, x):
        return 3.0 * x * x

    def __call__(self, x):
        return self.w * x


def test_plain_function_taken_from_the_class_reads_self_attributes():
    # Model.loss is a plain function: self is an ordinary (non-wrt) argument
    g = srcgrad.grad(Model.loss, wrt=1)(Model(3.0), 2.0)
    assert g == 12.0  # d/dx 3 x^2 at 2


def test_staticmethod():
    assert srcgrad.grad(Model.static_loss)(2.0) == 12.0


def test_bound_method_works_or_is_rejected_as_a_method():
    # grad(model.loss): either differentiate loss(self=model, x) in x, or say
    # clearly that bound methods are not supported (not "it has no source",
    # which is false for a method written in Python)
    model = Model(3.0)
    try:
        g = srcgrad.grad(model.loss)(2.0)
    except srcgrad.SrcGradError as err:
        message = str(err)
        assert "method" in message.lower(), message
        assert "builtins and C functions" not in message, message
        assert re.search(r"^hint: \S", message, re.MULTILINE), message
    else:
        assert g == 12.0


def test_the_method_as_a_function_sees_the_current_attribute_value():
    """A bound method is its function with self bound to the object (SPEC 1); both it
    and the function form, the object passed in, read its attributes at each call."""
    model = Model(3.0)
    bound = srcgrad.grad(model.loss)
    df = srcgrad.grad(Model.loss, wrt=1)
    assert df(model, 2.0) == 12.0 and bound(2.0) == 12.0
    model.w = 5.0
    assert df(model, 2.0) == 20.0 and bound(2.0) == 20.0


def test_callable_instance_is_its_call_with_self_bound():
    assert srcgrad.grad(Model(3.0))(2.0) == 3.0  # d/dx 3 x


# --- compiling never runs user code ------------------------------------------------------------


def side_effect_then_unsupported(x):
    LOG.append("body ran")
    y = x * 2.0
    with Recorder():
        y = y * 3.0
    return y


def side_effect_in_helper(x):
    return x * records_then_fails(x)


def records_then_fails(x):
    LOG.append("helper ran")
    try:
        v = x
    except ValueError:
        v = 0.0
    return v


def test_rejected_function_with_a_side_effect_does_not_run():
    df = None
    with pytest.raises(srcgrad.SrcGradError):
        df = srcgrad.grad(side_effect_then_unsupported)
        assert LOG == []  # building the derivative ran nothing
        df(2.0)
    assert LOG == [], LOG


def test_rejected_helper_with_a_side_effect_does_not_run():
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(side_effect_in_helper)(2.0)
    assert LOG == [], LOG
    assert_located(str(info.value), records_then_fails, "try:", "try")


def prints_once(x):
    print("forward value", x)
    return x * 2.0


def test_accepted_function_is_not_run_while_building(capsys):
    df = srcgrad.grad(prints_once)
    assert capsys.readouterr().out == ""
    srcgrad.source(df)  # compiling (for source) runs nothing either
    assert capsys.readouterr().out == ""
    assert df(3.0) == 2.0
    assert capsys.readouterr().out == "forward value 3.0\n"  # once, in the forward sweep


class Tricky:
    """A global whose attribute reads have a visible effect."""

    def __init__(self):
        self.reads = 0

    @property
    def scale(self):
        self.reads += 1
        return float(self.reads)  # 1.0, 2.0, 3.0, ...


TRICKY = Tricky()


def reads_a_property(x):
    return x * TRICKY.scale


def test_compiling_does_not_read_global_attributes():
    TRICKY.reads = 0
    df = srcgrad.grad(reads_a_property)
    srcgrad.source(df)
    assert TRICKY.reads == 0


def test_global_attribute_is_read_once_per_call():
    # the forward sweep read TRICKY.scale = 1.0; the backward sweep must use
    # that value, not read the property again (which would give 2.0)
    TRICKY.reads = 0
    g = srcgrad.grad(reads_a_property)(5.0)
    assert g == 1.0, f"gradient {g} used a second read of the property"
    assert TRICKY.reads == 1


# --- names in generated code ---------------------------------------------------------------


def underscores(_, __):
    dx_1 = _ * __
    _t1 = dx_1 * _
    _stack = _t1 + 1.0
    return _stack


def greek(θ):
    return θ * θ


def greek_and_its_adjoint_name(θ, dθ):
    return θ * dθ


def adjoint_names_taken(x, dx):
    ddx = x * dx
    return ddx * x


def soft_keywords(match, case):
    type = match * case
    _ = type * match
    return _


def compiler_names_taken(x, unbroadcast, zeros_like):
    add_grad = x * unbroadcast
    require_scalar = add_grad * zeros_like
    y = require_scalar
    for i in range(2):
        y = y * add_grad
    return y


def string_that_looks_like_code(x):
    s = """
LOG.append('injected')
"""
    t = "'); LOG.append('injected'); ('"  # LOG.append('comment')
    return x * 2.0


NAME_CASES = [
    # function, arguments, wrt, hand-derived gradient
    (underscores, (2.0, 3.0), (0, 1), (12.0, 4.0)),  # _^2 __ + 1
    (greek, (3.0,), 0, 6.0),
    (greek_and_its_adjoint_name, (3.0, 5.0), (0, 1), (5.0, 3.0)),
    (adjoint_names_taken, (3.0, 5.0), (0, 1), (30.0, 9.0)),  # x^2 dx
    (soft_keywords, (2.0, 3.0), (0, 1), (12.0, 4.0)),  # m^2 c
    (compiler_names_taken, (2.0, 3.0, 0.5), 0, 3 * 13.5 * 2.0 ** 2),  # 1.5x (3x)^2 = 13.5 x^3
    (string_that_looks_like_code, (2.0,), 0, 2.0),
]


@pytest.mark.parametrize("fn, args, wrt, expected", NAME_CASES, ids=[c[0].__name__ for c in NAME_CASES])
def test_odd_but_valid_names(fn, args, wrt, expected):
    df = srcgrad.grad(fn, wrt=wrt)
    assert df(*args) == pytest.approx(expected, rel=1e-14)
    assert LOG == []
    tree = ast.parse(df.source)  # valid Python
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id.isidentifier(), node.id
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("eval", "exec", "compile", "__import__"), ast.unparse(node)


@pytest.mark.parametrize("fn, args, wrt, expected", NAME_CASES, ids=[c[0].__name__ for c in NAME_CASES])
def test_odd_but_valid_names_forward(fn, args, wrt, expected):
    first = wrt if isinstance(wrt, int) else wrt[0]
    want = expected if isinstance(wrt, int) else expected[0]
    tangents = tuple(1.0 if i == first else 0.0 for i in range(len(args)))
    _, t = srcgrad.jvp(fn, args, tangents)
    assert t == pytest.approx(want, rel=1e-14)
    assert LOG == []


def test_generated_code_of_the_corpus_never_evaluates_strings():
    # the sources of several derivatives, reverse and forward
    for fn, args, wrt, _ in NAME_CASES:
        for mode in ("reverse", "forward"):
            text = srcgrad.source(srcgrad.grad(fn, wrt=wrt), mode=mode, wrt=wrt) \
                if mode == "forward" else srcgrad.grad(fn, wrt=wrt).source
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    assert node.func.id not in ("eval", "exec", "compile"), text


# --- subclasses of float and list that redefine what they do (FINDINGS26 #6) -------------

class _DoublingFloat(float):
    def __mul__(self, other):
        return _DoublingFloat(float(self) * float(other) * 2.0)
    __rmul__ = __mul__


class _TenfoldList(list):
    def __getitem__(self, i):
        return list.__getitem__(self, i) * 10.0


class _TaggedFloat(float):
    """A float subclass that changes nothing it computes: differentiated as a float."""


def _product_plus(p):
    return p[0] * p[1] + p[2]


def _weighted_squares(p):
    s = 0.0
    for i in range(len(p)):
        s = s + (p[i] - 1) ** 2 * (i + 1)
    return s


def test_a_subclass_that_redefines_arithmetic_or_indexing_is_refused_as_wrt():
    with pytest.raises(srcgrad.SrcGradError, match=r"'p\[0\]': it is a _DoublingFloat, a subclass of float "
                                                   "with its own arithmetic"):
        srcgrad.grad(_product_plus)([_DoublingFloat(1.5), 2.0, 3.0])
    with pytest.raises(srcgrad.SrcGradError, match="a subclass of list with its own indexing"):
        srcgrad.grad(_weighted_squares)(_TenfoldList([1.5, 2.0, 3.0]))
    with pytest.raises(srcgrad.SrcGradError, match="with its own arithmetic"):
        srcgrad.grad(lambda a: a * a)(_DoublingFloat(2.0))


def test_subclasses_that_compute_as_their_base_differentiate():
    assert srcgrad.grad(lambda a: a * a)(_TaggedFloat(2.0)) == 4.0
    assert srcgrad.grad(lambda a: a * a)(np.float64(2.0)) == 4.0
    from collections import namedtuple
    P = namedtuple("P", "a b")
    assert srcgrad.grad(lambda p: p[0] * p[1])(P(2.0, 3.0)) == P(3.0, 2.0)


class _ScaledDict(dict):
    def __getitem__(self, k):
        return dict.__getitem__(self, k) * 10.0


def _product_of_entries(p):
    return p["a"] * p["b"]


def test_a_dict_subclass_that_redefines_indexing_is_refused_and_plain_ones_differentiate():
    import collections
    with pytest.raises(srcgrad.SrcGradError, match="a subclass of dict with its own indexing"):
        srcgrad.grad(_product_of_entries)(_ScaledDict(a=1.0, b=2.0))
    assert srcgrad.grad(_product_of_entries)(collections.OrderedDict(a=1.0, b=2.0)) == {"a": 2.0, "b": 1.0}
    assert srcgrad.grad(_product_of_entries)(collections.defaultdict(float, a=1.0, b=2.0)) == {"a": 2.0, "b": 1.0}
