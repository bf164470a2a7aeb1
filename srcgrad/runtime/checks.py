"""Checks generated code runs: errors raised on purpose, and the fast path's NaN test.

Every helper that raises `SrcGradError` lives here and imports it only on
its error path, so the runtime stays free of srcgrad imports (`export`
swaps that import for a stand-in class). `rule_gradients` checks what a
user's defvjp rule returned. `has_nan`, `nan_free` and `raise_float_errors` decide when
a fast derivative hands over to its NaN-safe twin; `check_finite` is
`debug_nans=True`.
"""
import math

import numpy

from .core import UNBOUND

_largest = numpy.maximum.reduce  # ndarray.max without its Python wrapper: a per-call cost on small arrays
_SMALL = 4096  # entries: up to this many, `argmax` is the cheaper NaN scan (below)


def _holds_nan(value) -> bool:
    """Whether a non-empty real float array (or NumPy float scalar) holds a NaN: one
    read, no temporary. `maximum.reduce` passes a NaN on to its result, and `argmax`
    returns the index of the first NaN (NumPy ranks NaN above everything there;
    tests/test_nan_scan.py pins both for every float dtype and memory layout). On a
    small array `argmax` costs a third of the reduction's set-up (0.3 against 0.85 us
    on 320 entries); a large non-contiguous one it copies first, so the reduction
    scans those."""
    if value.size <= _SMALL:
        return math.isnan(value.item(value.argmax()))
    return math.isnan(_largest(value, None))


def require_scalar(value):
    """Stop a gradient of anything but a real number early: a non-scalar output
    (pointing to vjp/jacobian), or None, a string, a dict (a path that returns no
    number: no gradient exists, and a zero would hide the bug)."""
    if isinstance(value, (float, int)):
        return
    ndim = getattr(value, "ndim", None)
    dtype = getattr(value, "dtype", None)
    if ndim == 0 and getattr(dtype, "kind", None) in ("b", "i", "u", "f", "c"):
        return
    from srcgrad.errors import SrcGradError  # only on this error path

    if ndim is None or dtype is None:
        raise SrcGradError(f"grad needs a function that returns a real number; this one returned "
                           f"{'None' if value is None else 'a ' + type(value).__name__}",
                           hint="return the loss on every path (a function that falls off its end "
                                "returns None); for auxiliary values use has_aux=True")
    if ndim == 0:
        raise SrcGradError(f"grad needs a function that returns a real number; this one returned "
                           f"a 0-d array of dtype {dtype}", hint="return a float value")
    raise SrcGradError(f"grad needs a function with a scalar output; this one returned "
                       f"shape {numpy.shape(value)}",
                       hint="use srcgrad.vjp for a vector-Jacobian product, "
                            "or srcgrad.jacobian for the full matrix")


def entries_unshared(a, *entries, at=None):
    """Raise SrcGradError before an in-place write into `a` when a value read out of it
    earlier by an index (`tmp = u[0]`, `entries`) is a view of it (u has more axes
    than the index: a row), which the write would change too. An entry of a vector
    is a NumPy scalar, a copy: the derivative was built on that. `at`: the write's
    index, when the code shows it; made of integers and slices, only the part of `a`
    it writes counts (`y = ys[i]`, then `ys[i + 1] = ...`, leaves `y` as it was)."""
    written = _written_part(a, at)
    for entry in entries:
        if type(entry) is numpy.ndarray and numpy.shares_memory(written, entry):
            shape_rule_error("this assignment into a subscript changes an array in place, but a value "
                             "read out of it earlier by an index is a view of it (the array has more axes "
                             "than the index), which would change too",
                             "read a copy, e.g. tmp = u[0].copy(), or make a copy of the array first")


def arguments_unshared(*values, names, written, outer=()):
    """Raise SrcGradError where an array argument the function writes into (its
    parameter in `written`) is, or shares memory with, another argument (`values`,
    the parameters `names` in order): `f(y, y)`; the same for a list or dict written,
    passed twice. The function then reads its own writes through the other name,
    which its derivative, built for distinct arguments, does not follow. `outer`: the
    names among `names` of globals or closure variables the function writes, whose
    values come after the arguments' (`f(OUT)` where f writes OUT)."""
    for mine, name in enumerate(names):
        target = values[mine]
        if name not in written:
            continue
        kind = type(target)
        for i, other in enumerate(values):
            if i == mine or names[i] in outer and name in outer:
                continue
            if kind is numpy.ndarray and type(other) is numpy.ndarray and numpy.shares_memory(target, other) \
                    or (kind is list or kind is dict) and other is target:
                what = (f"the argument for {names[i]!r} shares memory with the global {name!r}" if name in outer
                        else f"the arguments for {name!r} and {names[i]!r} share memory")
                shape_rule_error(f"{what}, and the function writes into {name!r}: its derivative takes "
                                 "them for two values",
                                 f"pass a copy, e.g. {names[i]}.copy()")


def real_buffer(a, name):
    """Raise SrcGradError where `a`, an array a differentiated value is written into
    (`a[i] = v`), holds integers or booleans: the write rounds the value (a step, whose
    derivative is 0), which the derivative of the write does not follow."""
    if type(a) is numpy.ndarray and a.dtype.kind in "biu":
        shape_rule_error(f"a value being differentiated is written into {name!r}, an array of "
                         f"{a.dtype}: the write rounds it, and its derivative would be wrong",
                         f"make {name} an array of floats (np.zeros(n), np.array([0.0, ...]), "
                         f"or .astype(float) first); round on purpose with np.round or astype(int)")


def _written_part(a, at):
    """The view of `a` that `a[at] = ...` writes, or `a` where the index is not basic
    (an index array or a mask picks entries no view shows)."""
    if at is None or type(a) is not numpy.ndarray:
        return a
    parts = at if type(at) is tuple else (at,)
    if not all(type(p) is slice or (isinstance(p, (int, numpy.integer)) and not isinstance(p, (bool, numpy.bool_)))
               for p in parts):
        return a
    try:
        return a[parts + (Ellipsis,)]  # (a view even where the index picks one entry)
    except IndexError:
        return a  # the write raises it, as the function does


def shape_rule_error(message, hint=""):
    """Raise SrcGradError from generated code: a case a rule cannot differentiate at these
    shapes or values. The message starts with the user's line that made the call, read
    from the annotation of the generated statement that raised (`# line 6: ...`)."""
    from srcgrad.errors import SrcGradError  # only on this error path

    site = _call_site()
    if site:
        where, code = site
        message = f"{where}: {message}\n    {code}\n    ^"
    raise SrcGradError(message, None, hint)


def _call_site():
    """('file:line:col', the user's code) of the innermost generated frame on the stack
    (None when there is none, or its module has no file, as in a notebook cell)."""
    import linecache
    import re
    import sys

    frame = sys._getframe(2)
    while frame is not None and not frame.f_code.co_filename.startswith("<srcgrad "):
        frame = frame.f_back
    if frame is None:
        return None
    lines = linecache.getlines(frame.f_code.co_filename)[:frame.f_lineno]
    # the last annotation of a line is the user's: a derivative of a derivative (hvp's
    # jvp of a gradient) notes its line of the gradient's code, that line's note after it
    noted = [m for m in (re.findall(r"#\s*(?:backward of )?line (\d+): ", t) for t in reversed(lines)) if m]
    filename = frame.f_globals.get("__file__")
    if not noted or not filename:
        return None
    lineno = int(noted[0][-1])
    code = linecache.getline(filename, lineno).rstrip()
    col = len(code) - len(code.lstrip())
    return f"{filename}:{lineno}:{col}", code.lstrip()


def rule_gradients(result, arguments, rule, names=()):
    """A defvjp rule's result as a tuple, one gradient per argument (a 1-argument
    rule may return a bare value), each checked against its argument's shape: a
    gradient with more entries than its argument (an array for a number, an
    unsummed broadcast) is the rule's mistake, reported by the rule's name and
    the argument's (`names`: the rule's parameters after g and ans)."""
    n = len(arguments)
    if n == 1 and not isinstance(result, (tuple, list)):
        result = (result,)
    if len(result) != n:
        raise ValueError(f"a defvjp rule returned {len(result)} gradients for {n} arguments")
    for i, (g, a) in enumerate(zip(result, arguments)):
        if g is None or isinstance(a, (dict, list, tuple)) or isinstance(g, (dict, list, tuple)):
            continue
        shape, wanted = numpy.shape(g), numpy.shape(a)
        try:
            fits = numpy.broadcast_shapes(shape, wanted) == wanted
        except ValueError:
            fits = False
        if not fits:
            from srcgrad.errors import SrcGradError  # only on this error path

            what = "a number" if wanted == () else f"an array of shape {wanted}"
            arg = repr(names[i]) if i < len(names) else f"number {i + 1} (after g and ans)"
            raise SrcGradError(f"the defvjp rule {rule} returned a gradient of shape {shape} for its "
                               f"argument {arg}, which is {what}",
                               hint="sum the gradient over the broadcast axes, down to the "
                                    "argument's shape (e.g. np.sum(...) for a number)")
    return tuple(result)


def has_nan(*gradients) -> bool:
    """Whether a gradient (a number, an array, or a dict/list/tuple of them) may hold NaN.

    A derivative's fast path multiplies and divides without the NaN guards;
    where a guard would have kept a zero adjoint zero (0 * inf, 0 / 0), the
    plain operation makes a NaN, and NaN reaches the gradient. When this says
    True, the NaN-safe twin computes the gradient instead. A false alarm (a
    value of a type it cannot inspect) only costs that rerun.
    """
    for g in gradients:
        kind = type(g)
        if kind is float:
            if g != g:
                return True
        elif kind is numpy.ndarray or isinstance(g, numpy.generic):
            code = g.dtype.kind
            if code == "f":
                if g.size and _holds_nan(g):
                    return True
            elif code == "c":
                if numpy.isnan(g).any():
                    return True
            elif code not in "iub":
                return True
        elif kind is dict:
            if has_nan(*g.values()):
                return True
        elif kind is list or kind is tuple:
            if has_nan(*g):
                return True
        elif g is not None and kind is not int:
            return True
    return False


def nan_free(value):
    """`value`, an array a fast path's plain `*` or `/` made in place of a NaN guard;
    FloatingPointError if it holds a NaN. Inside `raise_float_errors`, 0 * inf and 0 / 0
    raise already; a NaN that came in with an operand passes quietly, and the guard
    might have made it 0: the fast function then hands over to its NaN-safe twin. With
    no NaN, the guard's result is this very value."""
    if type(value) is numpy.ndarray and value.dtype.kind == "f":  # the common case, inline
        if not (value.size and _holds_nan(value)):
            return value
    elif not has_nan(value):
        return value
    raise FloatingPointError("a NaN where a guard may keep 0")


def raise_float_errors():
    """Where the fast path's backward sweep runs: any division by zero, overflow or
    invalid operation raises, and the fast function hands over to its NaN-safe
    twin, which meets the event with its guards and the caller's own settings
    (warn, raise, ignore). Underflow is left to the caller's settings: the guards
    do not touch it either."""
    return numpy.errstate(divide="raise", over="raise", invalid="raise")


def check_finite(value, generated, origin):
    """Raise FloatingPointError when a generated statement produced NaN or inf, and
    SrcGradError when it produced a complex value (outside the SPEC). A list, tuple
    or dict (a container value, the tape, the stack) is checked entry by entry."""
    if isinstance(value, (list, tuple, dict)):
        for entry in value.values() if isinstance(value, dict) else value:
            check_finite(entry, generated, origin)
        return
    if isinstance(value, complex) or (not isinstance(value, float) and numpy.iscomplexobj(value)):
        from srcgrad.errors import SrcGradError  # only on this error path

        raise SrcGradError(f"a complex value produced by the generated statement `{generated}` "
                           f"(from {origin}); srcgrad differentiates real numbers only",
                           hint="keep that computation real")
    if isinstance(value, float):
        bad = value != value or value in (float("inf"), float("-inf"))
    else:
        try:
            bad = not numpy.all(numpy.isfinite(value))
        except TypeError:  # not numeric: shapes, strings, None
            return
    if bad:
        raise FloatingPointError(f"NaN or inf produced by the generated statement `{generated}` "
                                 f"(from {origin})")


def require_real_operand(value, name):
    """Raise SrcGradError where `name` (numpy.real, numpy.imag, ...) meets a complex
    value: its derivative is defined here for real arrays only (SPEC: real numbers)."""
    if isinstance(value, complex) or (not isinstance(value, float) and numpy.iscomplexobj(value)):
        from srcgrad.errors import SrcGradError  # only on this error path

        raise SrcGradError(f"{name} of a complex value: srcgrad differentiates real numbers only",
                           hint="keep the computation real: np.cos(t) and np.sin(t) for the parts "
                                "of np.exp(1j * t)")



def bound_local(value, name):
    """Raise the UnboundLocalError `f` raises where it reads its local `name` before
    binding it, with Python's own message (made by the same mistake, in `probe`). (A
    name the derivative did not bind up front raises it as the call reads the argument.)"""
    if value is UNBOUND:
        def probe():
            v  # noqa: F821, B018 - read before the assignment below: Python's error
            v = None  # noqa: F841

        try:
            probe()
        except UnboundLocalError as err:
            raise UnboundLocalError(str(err).replace("'v'", repr(name))) from None
