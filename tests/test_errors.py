"""Every user mistake raises srcgrad.SrcGradError with a located message (SPEC 7, 8).

A construct outside the supported language names the file, the line and
column, quotes the line, and gives a `hint:`. Errors raised by the user's own
code at run time propagate unchanged, with the generated line in the traceback.
"""
import contextlib
import inspect
import linecache
import math
import re
import traceback

import numpy as np
import pytest

import srcgrad
from srcgrad.rules import registry

COUNTER = 0


def helper(*v):
    return v[0] * v[0]


class Scaler:
    def __call__(self, *v):  # a callable object is differentiated; one taking *args is not
        return 2.0 * v[0]


SCALE = Scaler()

# --- functions with an unsupported construct ----------------------------------
# Each is paired below with a marker: the text the error should point at.


def has_for(x):
    s = 0.0
    for i in range(3):
        s = s + x
    else:
        s = s * 2.0
    return s


def has_while(x):
    while x < 10.0:
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def has_if(x):
    y = 2.0
    for v in sorted(x):
        y = y * v
    return y


def has_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def has_lambda(x):
    return (lambda v: v * 2.0)(x)  # a lambda bound to a name is a nested helper; this one is not


def has_kept_generator(x):  # a comprehension works; a generator kept for later does not
    ys = (x * k for k in (1.0, 2.0))
    return np.sum(list(ys))


def has_yield(x):
    yield x * 2.0


def has_global(x):
    global COUNTER
    return x * 2.0


def has_other_with(x):
    with np.errstate(all="ignore"):
        y = np.log(x)
    return np.sum(y)


def has_suppress(x):
    with contextlib.suppress(ValueError):
        y = x * 2.0
    return y


def has_subscript_assign(x, y):
    x[0][1] = y
    return np.sum(x)


def has_aliased_write(x, y):
    v = x[:2]
    v[0] = y
    return np.sum(x)


def has_aliased_augmented(x, y):
    v = x.T
    v += y
    return np.sum(x)


def has_fft(x):
    y = np.abs(np.fft.fft(x))
    return np.sum(y)


def has_callable_object(x):
    y = SCALE(x)
    return y * y


def has_user_call(x):
    y = helper(x)
    return y * 3.0


def has_dtype_keyword(x):
    s = np.cumsum(x, dtype=float)
    return s * 2.0


def has_early_return(x):
    y = x * 2.0
    del x
    return y


CASES = [
    # (function, marker in the offending line, what the message must name)
    (has_for, "for i in range(3):", "for"),
    (has_while, "while x < 10.0:", "while"),
    (has_if, "for v in sorted(x):", "sorted"),
    (has_try, "try:", "try"),
    (has_lambda, "lambda v: v * 2.0", "lambda"),
    (has_kept_generator, "(x * k for k in (1.0, 2.0))", "generator"),
    (has_yield, "yield x * 2.0", "yield"),
    (has_global, "global COUNTER", "global"),
    (has_other_with, 'with np.errstate(all="ignore"):', "with"),
    (has_suppress, "with contextlib.suppress(ValueError):", "with"),
    (has_subscript_assign, "x[0][1] = y", "nested"),
    (has_aliased_write, "v[0] = y", "share memory"),
    (has_aliased_augmented, "v += y", "share memory"),
    (has_fft, "np.fft.fft(x)", "fft"),
    (has_callable_object, "SCALE(x)", "SCALE"),
    (has_user_call, "helper(x)", "*args"),
    (has_dtype_keyword, "np.cumsum(x, dtype=float)", "dtype"),
    (has_early_return, "del x", "del"),
]


def _where(fn, marker):
    """(line number, columns the error may point at, line text) of `marker` in fn."""
    lines, first = inspect.getsourcelines(fn)
    for offset, text in enumerate(lines):
        if marker in text:
            text = text.rstrip("\n")
            statement_col = len(text) - len(text.lstrip())
            return first + offset, {statement_col, text.index(marker)}, text
    raise AssertionError(f"{marker!r} not in {fn.__name__}")


def _arguments(fn):
    if fn in (has_subscript_assign, has_aliased_write, has_aliased_augmented):
        return np.ones((3, 3)), 2.0
    return (np.array([1.0, 2.0, 3.0]),)


def _build_and_call(fn, *args):
    df = srcgrad.grad(fn)
    return df(*args)


@pytest.mark.parametrize("fn, marker, word", CASES, ids=[c[0].__name__ for c in CASES])
def test_unsupported_construct_is_a_located_error(fn, marker, word):
    with pytest.raises(srcgrad.SrcGradError) as info:
        _build_and_call(fn, *_arguments(fn))
    message = str(info.value)
    lineno, columns, text = _where(fn, marker)
    match = re.search(re.escape(__file__) + r":(\d+):(\d+): ", message)
    assert match, f"no file:line:col in:\n{message}"
    assert int(match.group(1)) == lineno, message
    assert int(match.group(2)) in columns, message
    assert text.strip() in message, message
    assert re.search(r"^hint: \S", message, re.MULTILINE), message
    assert word.lower() in message.lower(), message


@pytest.mark.parametrize("fn", [has_for, has_while, has_if, has_lambda, has_global],
                         ids=lambda f: f.__name__)
def test_unsupported_syntax_fails_when_the_derivative_is_built(fn):
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(fn)


def test_error_has_a_caret_under_the_column():
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(has_lambda)
    lines = str(info.value).splitlines()
    quoted = next(i for i, line in enumerate(lines) if "lambda v" in line)
    caret = lines[quoted + 1]
    assert caret.strip() == "^"
    assert lines[quoted][caret.index("^"):].startswith("lambda") or \
        lines[quoted][caret.index("^"):].startswith("f = lambda")


def test_unknown_function_is_really_unregistered():
    # the test above relies on np.fft.fft having no rule of any kind
    assert registry.lookup(np.fft.fft) is None
    assert not registry.is_nondifferentiable(np.fft.fft)


def test_srcgrad_error_is_an_exception():
    assert issubclass(srcgrad.SrcGradError, Exception)


# --- non-scalar output --------------------------------------------------------


def vector_out(x):
    return x * 2.0


def test_non_scalar_output_names_vjp_and_jacobian():
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(vector_out)(np.ones(3))
    assert "vjp" in str(info.value) and "jacobian" in str(info.value)


def test_non_scalar_output_under_value_and_grad():
    with pytest.raises(srcgrad.SrcGradError, match="vjp"):
        srcgrad.value_and_grad(vector_out)(np.ones((2, 2)))


def test_scalar_output_of_shape_one_is_still_not_a_scalar():
    with pytest.raises(srcgrad.SrcGradError, match="jacobian"):
        srcgrad.grad(vector_out)(np.ones(1))


# --- wrt ----------------------------------------------------------------------


def two_args(x, y):
    return x * y


def test_unknown_wrt_name():
    with pytest.raises(srcgrad.SrcGradError, match="z"):
        srcgrad.grad(two_args, wrt="z")


def test_unknown_wrt_name_in_a_tuple():
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(two_args, wrt=("x", "w"))


@pytest.mark.parametrize("wrt", [2, -3, 10, (0, 2)])
def test_wrt_index_out_of_range(wrt):
    with pytest.raises(srcgrad.SrcGradError, match="range"):
        srcgrad.grad(two_args, wrt=wrt)


@pytest.mark.parametrize("wrt", [1.0, None, True])
def test_wrt_of_the_wrong_type(wrt):
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(two_args, wrt=wrt)


@pytest.mark.parametrize("wrt", [(), (0, "x"), ("y", "y")], ids=["empty", "twice_mixed", "twice"])
def test_wrt_naming_no_argument_or_one_twice(wrt):
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(two_args, wrt=wrt)


@pytest.mark.parametrize("value", ["abc", ["a", "b"], None, {1, 2}],
                         ids=["str", "list_of_str", "None", "set"])
def test_wrt_argument_that_is_not_a_number_or_array(value):
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(two_args)(value, 2.0)


def test_wrt_argument_that_is_a_string_array():
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(two_args)(np.array(["a", "b"]), 2.0)


def test_non_wrt_argument_may_be_anything_the_function_accepts():
    assert srcgrad.grad(two_args)(3.0, 2) == pytest.approx(2.0)


# --- functions without readable source ----------------------------------------


@pytest.mark.parametrize("fn", [np.sin, len, math.exp, np.sum], ids=["np.sin", "len", "math.exp", "np.sum"])
def test_builtin_or_c_function_cannot_be_differentiated(fn):
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(fn)


def test_lambda_alone_on_its_line_is_differentiated():
    assert srcgrad.grad(lambda x: x * x)(3.0) == 6.0  # SPEC 1: lambdas are functions too


def test_function_made_by_exec_has_no_source():
    namespace = {}
    exec("def made(x):\n    return x * x\n", namespace)
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(namespace["made"])
    assert "hint:" in str(info.value)


def test_decorator_on_a_class_is_an_error():
    with pytest.raises(srcgrad.SrcGradError):
        srcgrad.grad(Scaler)


# --- run-time errors in the user's code propagate unchanged -------------------


def bad_dot(a, b):
    c = np.dot(a, b)
    return np.sum(c)


def test_runtime_error_propagates_as_the_original_exception():
    df = srcgrad.grad(bad_dot)
    with pytest.raises(ValueError) as info:
        df(np.ones((2, 3)), np.ones((2, 3)))
    assert not isinstance(info.value, srcgrad.SrcGradError)


def test_runtime_error_traceback_shows_the_generated_line():
    df = srcgrad.grad(bad_dot)
    try:
        df(np.ones((2, 3)), np.ones((2, 3)))
    except ValueError as err:
        frames = traceback.extract_tb(err.__traceback__)
    else:
        raise AssertionError("np.dot of (2, 3) and (2, 3) did not raise")
    generated = [f for f in frames if f.filename.startswith("<srcgrad")]
    assert generated, [f.filename for f in frames]
    frame = generated[-1]
    text = linecache.getline(frame.filename, frame.lineno)
    assert "np.dot(a, b)" in text
    # the annotated line: the generated statement, then where it came from
    assert text.strip() in [line.strip() for line in srcgrad.source(df, annotate=True).splitlines()]
    assert text.split("  # line ")[0].strip() in [line.strip() for line in df.source.splitlines()]
    assert frame.line == text.strip()


# --- a function that returns no number (FINDINGS26 #9) ----------------------------

def _loss_or_none(x):
    s = np.sum(x ** 2)
    if s > 10.0:
        return s


def _returns_text(x):
    s = np.sum(x ** 2)
    return "bad" if s > 0.0 else s


def _returns_a_dict(x):
    s = np.sum(x ** 2)
    return {"loss": s}


@pytest.mark.parametrize("f, what", [(_loss_or_none, "None"), (_returns_text, "a str"),
                                     (_returns_a_dict, "a dict")], ids=["none", "str", "dict"])
@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "hvp"])
def test_no_gradient_of_a_function_that_returns_no_number(f, what, transform):
    x = np.array([1.0, 2.0])
    call = (lambda: srcgrad.hvp(f)(x, np.ones(2))) if transform == "hvp" else \
        (lambda: getattr(srcgrad, transform)(f)(x))
    with pytest.raises(srcgrad.SrcGradError, match=f"returns a real number; this one returned {what}"):
        call()


def test_the_path_that_returns_a_number_still_differentiates():
    x = np.array([3.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(_loss_or_none)(x), 2 * x)
    assert srcgrad.value_and_grad(_loss_or_none)(x)[0] == 13.0


@pytest.mark.parametrize("f, what", [(_loss_or_none, "None"), (_returns_text, "a str")], ids=["none", "str"])
def test_vjp_and_jvp_of_a_function_that_returns_no_number(f, what):
    x = np.array([1.0, 2.0])
    with pytest.raises(srcgrad.SrcGradError, match=f"vjp needs a function that returns numbers or arrays.*"
                                                   f"returned {what}"):
        srcgrad.vjp(f, x)
    with pytest.raises(srcgrad.SrcGradError, match=f"jvp needs .*returned {what}"):
        srcgrad.jvp(f, (x,), (np.ones(2),))


def test_a_dict_value_with_a_missing_entry_is_named():
    with pytest.raises(srcgrad.SrcGradError, match=r"returned None at \['aux'\] of its value"):
        srcgrad.vjp(lambda x: {"loss": np.sum(x), "aux": None}, np.array([1.0]))
    value, pullback = srcgrad.vjp(lambda x: {"loss": np.sum(x), "n": 3}, np.array([1.0, 2.0]))
    assert value == {"loss": 3.0, "n": 3}
