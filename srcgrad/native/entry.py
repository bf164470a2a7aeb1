"""A derivative built for numba, as a function the call path runs like the Python one.

`compile_entry(compiled, fn, options)` writes the module (`module_text`: the
exporter's standalone module, numba's flavour), loads it (`loader`), and
wraps its entry point in a small Python function with the generated
function's signature. The wrapper

- passes a list of floats (kind "numbers") as a float64 array, and gives
  its gradient back as a list; an int for a differentiated number parameter
  as a float where the derivative uses it only as a number (native/reals.py);
- turns numba's refusal at the first call for some argument types into a
  `SrcGradError` at the user's line (`backend="numba"`), or runs the Python
  build instead from then on (`backend="auto"`; `.backend` says which ran);
- turns the compiled code's own `_SrcGradError` into srcgrad's;
- runs a call in Python (`backend="auto"`) where a checked helper finds at run
  time that Python's value is one numba cannot hold (numerics.BeyondInt64: an
  int beyond 64 bits; numerics.NotHeld: int ** negative int), as for an int
  argument beyond 64 bits; with `backend="numba"` the OverflowError stays, the
  other is a SrcGradError at the def line. The user's own errors pass through;
- refuses a float array of another precision than float64 (float32): numba
  computes it in float64, where the Python backend keeps float32 (like an
  argument numba cannot take: a SrcGradError, or with `backend="auto"` that
  call in Python); and a 0-d array the same way (numba types it apart from
  numbers and from arrays with axes).

numba reads a module's globals once, when it compiles: a number or tuple
the derivative reads from the user's module or closure is copied into the
module as a constant. `NativeEntry.current()` checks that each still is the
object it was (the call path rebuilds the derivative when one changed).
"""
from __future__ import annotations

import linecache
import re

from ..errors import Location, SrcGradError
from . import loader

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')
_HINT = "backend='auto' runs what numba refuses in Python; backend='python' always does"
_NOTE = re.compile(r"#\s*(?:backward of |recompute )?line (\d+): ")


def module_text(compiled, fn, options, header: str = ""):
    """(the numba module's text, its entry's name, the literals it froze, the exporter).
    For a split pair (vjp, `options.split`), the name is a pair: the value entry's and
    the gradients entry's (see `_split_entries`)."""
    import os

    from ..export.exporter import _Exporter, entry_name
    from .library import library

    bound = compiled.bind(fn)
    filename = getattr(fn, "__globals__", {}).get("__file__")
    exporter = _Exporter(os.path.dirname(os.path.abspath(filename)) if filename else None,
                         getattr(fn, "__qualname__", "f"), native=True, library=library())
    name = entry_name(fn, options.mode)
    try:
        if options.split:
            name = _split_entries(exporter, bound, fn)
        else:
            exporter.entry(bound, name)
    except SrcGradError as err:
        helper, global_name = getattr(err, "helper", None), getattr(err, "global_name", None)
        if (helper is None and global_name is None) or err.location is not None:
            raise
        lines = compiled.source.splitlines()
        if helper is not None:
            called = [n for n, obj in compiled.helpers.items() if obj is helper]
            at = next((i for i, line in enumerate(lines) for n in called if f"{n}(" in line), None)
        else:
            used = re.compile(rf"(?<![\w.]){re.escape(global_name)}\b")
            at = next((i for i, line in enumerate(lines) if not line.lstrip().startswith(("#", "def "))
                       and used.search(line)), None)
        location = _user_location(fn, lines[:at + 1]) if at is not None else None
        located = SrcGradError(err.reason + (f" (generated line: {lines[at].strip()})" if at is not None else ""),
                               location or _def_location(fn), err.hint)  # def: in a callee's code
        located.global_read = getattr(err, "global_read", None)
        raise located from None
    # numba reads a module's attributes once, when it compiles: their values go into the
    # text, so that other values make another module (and another compile)
    read = sorted(f"{ref[0].get('__name__', '?')}.{ref[1]} = {value!r}"
                  for owner, ref, value in exporter.frozen if owner is None)
    if read:
        header += "# compiled in as constants: " + ", ".join(read) + "\n"
    return exporter.render(header), name, exporter.frozen, exporter


def _split_entries(exporter, pair, fn) -> tuple:
    """A split pair's two functions exported, and the module's two entries (their names):
    `value_<f>(args)`, f's value from the forward sweep, and `vjp_<f>(args, cotangent)`,
    the gradients from both sweeps. The tape passes from one sweep to the other inside
    compiled code: it never crosses into Python, where numba would box its lists."""
    forward, backward = pair
    base = re.sub(r"\W", "", fn.__name__)
    exporter.entry(forward, f"_{base}_forward")
    exporter.entry(backward, f"_{base}_backward")
    code = forward.__code__
    params = list(code.co_varnames[:code.co_argcount])
    cotangent = "_cotangent"
    while cotangent in params:
        cotangent += "_"
    args = ", ".join(params)
    value, gradients = exporter.claim(f"value_{base}"), exporter.claim(f"vjp_{base}")
    forward_name, backward_name = exporter.by_id[id(forward)], exporter.by_id[id(backward)]
    exporter.sections["entry"].append(
        f"def {value}({args}):\n"
        f'    """{fn.__name__}\'s value (the forward sweep, its tape dropped)."""\n'
        f"    return {forward_name}({args})[0]\n")
    exporter.sections["entry"].append(
        f"def {gradients}({args}{', ' if args else ''}{cotangent}):\n"
        f'    """The gradients for the cotangent `{cotangent}`: the forward sweep again, then the backward."""\n'
        f"    return {backward_name}({cotangent}, {forward_name}({args})[1])\n")
    return value, gradients


def by_position(pair, role: str):
    """The Python build's split `pair` as the split entry `role` runs it (every argument by
    position, the cotangent last for "gradients"): the entry's fallback. None for None."""
    if pair is None:
        return None
    forward, backward = pair
    code = forward.__code__
    count = code.co_argcount
    kwonly = code.co_varnames[count:count + code.co_kwonlyargcount]

    def run(args):
        return forward(*args[:count], **dict(zip(kwonly, args[count:])))

    if role == "value":
        return lambda *args: run(args)[0]
    return lambda *args: backward(args[-1], run(args[:-1])[1])


def _user_location(fn, lines: list):
    """The user's line the last `# line N:` note of these generated lines names."""
    user_line = next((int(m.group(1)) for text in reversed(lines) for m in [_NOTE.search(text)] if m), None)
    filename = fn.__code__.co_filename
    if user_line is None:
        return None
    code = linecache.getline(filename, user_line)
    return Location(filename, user_line, len(code) - len(code.lstrip()), code)


class NativeEntry:
    """The numba-compiled derivative and the wrapper the call path runs (`function`)."""

    def __init__(self, compiled, fn, options, fallback=None, made=None, role: str = ""):
        """`made`: the module (`module_text`'s result) another entry of it made already;
        `role`: "" for grad, value_and_grad and jvp, "value" or "gradients" for the two
        entries of a split pair (vjp: every parameter positional, the cotangent last)."""
        self.fn = fn
        self.options = options
        self.made = made = made or module_text(compiled, fn, options)
        text, name, frozen, exporter = made
        if role:
            name = name[role == "gradients"]
        self.role = role
        self.text = text
        self.module = loader.load(text, name if not role else made[1][0])
        self.path = self.module.__file__
        self.dispatcher = getattr(self.module, name)
        self._frozen = _frozen_slots(frozen)
        self.watches = bool(self._frozen)  # whether `current` has anything to check
        # the stand-in SrcGradError and the checked helpers' "numba cannot hold Python's
        # value" errors (numerics.py): the helpers module's classes (native/library.py)
        self._error = exporter.library.error
        self._limits = exporter.library.limits
        self.fallback = fallback  # the Python build's function: backend="auto"
        self.function = self._wrapper(compiled)

    def current(self) -> bool:
        """Whether every global number or tuple compiled in still is the object it was."""
        for container, key, value in self._frozen:
            try:
                now = container[key] if key is not None else container.cell_contents
            except (KeyError, ValueError):
                return False
            if now is not value:
                return False
        return True

    def _wrapper(self, compiled):
        import numpy

        # under NUMBA_DISABLE_JIT=1, numba.njit returns the Python function itself
        code = getattr(self.dispatcher, "py_func", self.dispatcher).__code__
        params = list(code.co_varnames[:code.co_argcount])
        kwonly = list(getattr(compiled, "native_kwonly", ())) if not self.role else []
        positional = [p for p in params if p not in kwonly]
        kinds = dict(zip(_user_params(self.fn), self.options.kinds))
        numbers = {p for p in positional if kinds.get(p) == "numbers"}
        # a tangent of a list of floats crosses as its primal does
        tangents = dict(zip(getattr(compiled, "tangent_params", ()), self.options.wrt))
        numbers |= {t for t, p in tangents.items() if kinds.get(p) == "numbers"}
        defaults = (self.fn.__defaults__ or ()) if not self.role else ()  # a split entry gets every argument
        kwdefaults = self.fn.__kwdefaults__ or {}
        first_default = len(positional) - len(defaults)
        head = [f"{p}=_defaults[{i - first_default}]" if i >= first_default else p
                for i, p in enumerate(positional)]
        if kwonly:
            head += ["*"] + [f"{p}=_kwdefaults[{p!r}]" if p in kwdefaults else p for p in kwonly]
        reals = set(getattr(compiled, "native_reals", ()))  # an int passed as a float (native/reals.py)
        passed = ", ".join(f"_array({p}, _float64)" if p in numbers
                           else f"(float({p}) if {p}.__class__ is int else {p})" if p in reals else p
                           for p in params)
        as_python = ", ".join(positional + [f"{p}={p}" for p in kwonly])
        wrt_numbers = [i for i, w in enumerate(self.options.wrt) if kinds.get(w) == "numbers"]
        convert = self._output_converter(wrt_numbers)
        options = self.options
        if wrt_numbers and options.mode == "reverse" and len(options.wrt) == 1 and not self.role \
                and not (options.return_value or options.has_aux):
            call = f"_entry({passed}).tolist()"  # the commonest: grad of one list of floats
        else:
            call = f"_out(_entry({passed}))" if convert else f"_entry({passed})"
        name = self.dispatcher.__name__
        precision = "".join(f"    if ({p}.dtype is not _f64 or not {p}.ndim) and _other_array({p!r}, {p}):\n"
                            f"        return _python({as_python})\n"
                            for p in positional if kinds.get(p) == "array")
        if self.role == "gradients":  # the cotangent: a number, an array or a tuple of them
            c = params[-1]
            precision += (f"    if isinstance({c}, _ndarray) and {c}.dtype is not _f64 "
                          f"and _other_float('cotangent', {c}):\n"
                          f"        return _python({as_python})\n")
        text = (f"def {name}({', '.join(head)}):\n"
                f"    if _state:\n"
                f"        return _python({as_python})\n"
                f"{precision}"
                f"    try:\n"
                f"        out = {call}\n"
                f"    except _Limits as _err:\n"
                f"        _beyond(_err)\n"
                f"        return _python({as_python})\n"
                f"    except _Own as _err:\n"
                f"        raise _SrcGradError(str(_err.args[0]) if _err.args else '') from None\n"
                f"    except Exception as _err:\n"
                f"        if not _refused(_err, ({''.join(p + ', ' for p in params)})):\n"
                f"            raise\n"
                f"        return _python({as_python})\n"
                f"    if _once:\n"
                f"        _ran_numba()\n"
                f"    return out\n")
        state: list = []  # [True] once the Python build runs instead (backend="auto")
        once: list = []  # [True] after a call whose arguments alone numba could not take
        entry = self

        def refused(err, args) -> bool:
            """False for the user's own error. For arguments numba cannot take (an int beyond
            64 bits, a big-endian array), True: this call runs in Python (backend="auto").
            For numba's refusal to compile, True: the Python build runs from now on. With
            backend="numba", either is a SrcGradError."""
            error = entry._untypable(params, args)
            if error is None and not _while_compiling(err):
                return False
            if entry.fallback is None:
                raise (error or entry._refusal(err)) from None
            if error is None:
                error = entry._refusal(err)
                state.append(True)
            else:
                once.append(True)
            wrapper.backend = "python"
            wrapper.refusal = error
            return True

        def beyond(err) -> None:
            """A value Python computes that numba's numbers cannot hold (an int beyond 64 bits,
            int ** negative int), raised at run time by a checked helper: this call runs in
            Python (backend="auto"). With backend="numba", the documented OverflowError (a
            plain one: the module's class is private), else a SrcGradError at the def line."""
            message = str(err.args[0]) if err.args else ""
            if entry.fallback is None:
                if isinstance(err, OverflowError):
                    raise OverflowError(message) from None
                raise SrcGradError(message, _def_location(entry.fn)) from None
            once.append(True)
            wrapper.backend = "python"
            wrapper.refusal = SrcGradError(message, _def_location(entry.fn))

        def ran_numba():
            once.clear()
            wrapper.backend = "numba"
            wrapper.refusal = None

        def other_float(name, value) -> bool:
            """For a float array of another precision than float64, a SrcGradError
            (backend="numba") or True: this call runs in Python (backend="auto")."""
            dtype = value.dtype
            if dtype.kind not in "fc" or dtype in (numpy.float64, numpy.complex128) or not dtype.isnative:
                return False
            error = SrcGradError(f"the numba backend computes in float64: argument {name!r} of "
                                 f"{entry.fn.__qualname__} is a {dtype} array, which the Python backend "
                                 f"computes in {dtype}", _def_location(entry.fn),
                                 hint="pass a float64 array (x.astype(numpy.float64)); backend='auto' "
                                      "runs such a call in Python")
            return python_instead(error)

        def other_array(name, value) -> bool:
            """`other_float`, and for a 0-d array (`numpy.array(1.5)`), which numba types
            apart from numbers and from arrays with axes (a float's operations on it fail
            to compile), the same: a SrcGradError naming it, or this call in Python."""
            if value.ndim:
                return other_float(name, value)
            return python_instead(SrcGradError(
                f"the numba backend takes numbers and arrays with at least one axis: argument {name!r} of "
                f"{entry.fn.__qualname__} is a 0-d array", _def_location(entry.fn),
                hint=f"pass float({name}) or {name}.reshape(1), or use backend='auto', which runs such "
                     "a call in Python (backend='python' gives a 0-d gradient)"))

        def python_instead(error) -> bool:
            """Raise `error` (backend="numba"), or say this call runs in Python (True)."""
            if entry.fallback is None:
                raise error
            once.append(True)
            wrapper.backend = "python"
            wrapper.refusal = error
            return True

        scope = {"_state": state, "_entry": self.dispatcher, "_python": self.fallback,
                 "_f64": numpy.dtype(numpy.float64), "_other_float": other_float,
                 "_other_array": other_array,
                 "_array": numpy.array, "_float64": numpy.float64, "_ndarray": numpy.ndarray,
                 "_out": convert, "_refused": refused, "_once": once, "_ran_numba": ran_numba,
                 "_Own": self._error or (), "_SrcGradError": SrcGradError,
                 "_Limits": self._limits, "_beyond": beyond,
                 "_defaults": defaults, "_kwdefaults": kwdefaults}
        exec(compile(text, f"<srcgrad numba wrapper {name}>", "exec"), scope)
        wrapper = scope[name]
        wrapper.backend = "numba"
        wrapper.native = self
        return wrapper

    def _output_converter(self, wrt_numbers: list):
        """The function turning the entry's result into the Python build's (lists for lists)."""
        import numpy

        options = self.options
        if not wrt_numbers or self.role == "value":
            return None
        many = len(options.wrt) > 1
        if self.role == "gradients":  # a tuple, one gradient per wrt argument
            return lambda out: tuple(v.tolist() if i in wrt_numbers and isinstance(v, numpy.ndarray) else v
                                     for i, v in enumerate(out))

        def listed(v):  # an array for a list; a list numba kept as one stays as it is
            return v.tolist() if isinstance(v, numpy.ndarray) else v

        def grads(g):
            if many:
                return tuple(listed(v) if i in wrt_numbers else v for i, v in enumerate(g))
            return listed(g)

        if options.mode == "forward":
            return None

        def convert(out):
            if options.has_aux:
                out, aux = out
                if options.return_value:
                    return (out[0], grads(out[1])), aux
                return grads(out), aux
            if options.return_value:
                return out[0], grads(out[1])
            return grads(out)

        return convert

    def _untypable(self, params: list, args: tuple):
        """A SrcGradError naming the argument numba cannot type (an int beyond 64 bits, a
        big-endian array), at the def line; None if numba types every argument."""
        from numba import typeof
        from numba.core import types

        for name, value in zip(params, args):
            try:
                kind = typeof(value)
            except Exception:  # noqa: BLE001  (numba's refusal, whatever its type)
                kind = None
            if kind is None or kind == types.pyobject:
                what = (f"an array of dtype {value.dtype}" if hasattr(value, "dtype")
                        else f"an int beyond 64 bits" if isinstance(value, int)
                        else f"a {type(value).__name__}")
                return SrcGradError(f"numba cannot take argument {name!r} of {self.fn.__qualname__}: {what}",
                                    _def_location(self.fn), hint="pass float64 arrays and ints within 64 bits; backend='auto' "
                                             "runs such a call in Python")
        return None

    def _refusal(self, err) -> SrcGradError:
        """numba's typing error as a SrcGradError at the user's line it comes from."""
        message = _ANSI.sub("", str(err)).strip() or _failed_inside(err)
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        reason = next((line for line in lines if not line.startswith(("Failed in", "During:", "File "))
                       and not line.endswith(":")), lines[0] if lines else "numba refused it")
        location = None
        base = self.path.rsplit("/", 1)[-1]
        for found in _FILE_LINE.finditer(message):
            if found.group(1).rsplit("/", 1)[-1] != base:
                continue
            line = int(found.group(2))
            module_lines = linecache.getlines(self.path) or open(self.path, encoding="utf-8").read().splitlines(True)
            generated = module_lines[line - 1].strip() if line <= len(module_lines) else ""
            location = _user_location(self.fn, module_lines[:line])
            reason = f"{reason} (generated line: {generated})"
            break
        if location is None:  # a line srcgrad added (a stack, a helper): the function's def line
            location = _def_location(self.fn)
        return SrcGradError(f"numba cannot compile the derivative of {self.fn.__qualname__}: {reason}",
                            location, hint=_HINT)


def _def_location(fn):
    """The Location of `fn`'s def line (None where its source cannot be read)."""
    code = fn.__code__
    text = linecache.getline(code.co_filename, code.co_firstlineno)
    return Location(code.co_filename, code.co_firstlineno, len(text) - len(text.lstrip()), text) if text else None


def _while_compiling(err) -> bool:
    """Whether `err` was raised by numba compiling (typing, lowering), not by the
    compiled code running: its traceback passes through the dispatcher's compile."""
    from numba.core.errors import NumbaError

    if isinstance(err, NumbaError):
        return True
    tb = err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "_compile_for_args":
            return True
        tb = tb.tb_next
    return False


def _failed_inside(err) -> str:
    """A message for an error numba raised with none (an assertion in its compiler):
    the failed line of numba's and, where numba was lowering a line of the module,
    that line as numba's own messages name it."""
    tb, failed, lowering = err.__traceback__, "", None
    while tb is not None:
        frame = tb.tb_frame
        loc = getattr(frame.f_locals.get("self"), "loc", None)
        if getattr(loc, "filename", None) and getattr(loc, "line", None):
            lowering = loc
        failed = linecache.getline(frame.f_code.co_filename, tb.tb_lineno).strip()
        tb = tb.tb_next
    message = f"numba's compiler failed ({type(err).__name__}{': ' + failed if failed else ''})"
    if lowering is not None:
        message += f'\nFile "{lowering.filename}", line {lowering.line}'
    return message


def _user_params(fn) -> list:
    code = fn.__code__
    return list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])


def refused_global_check(err):
    """For a refusal of a global's value (`err.global_read`, see the exporter's `_unit`):
    a check that is False once that global is another object (the build may compile
    now: backend="auto" tries numba again); None for other refusals."""
    read = getattr(err, "global_read", None)
    if read is None:
        return None
    ((container, key, value),) = _frozen_slots([read])

    def same() -> bool:
        try:
            now = container[key] if key is not None else container.cell_contents
        except (KeyError, ValueError):
            return False
        return now is value

    return same


def _frozen_slots(frozen: list) -> list:
    """(container, key, value): a globals dict and its key, or a cell and None."""
    out = []
    for owner, ref, value in frozen:
        if owner is None:  # a module's attribute: (its namespace, the name)
            out.append((*ref, value))
            continue
        code = owner.__code__
        if ref in code.co_freevars and owner.__closure__:
            out.append((owner.__closure__[code.co_freevars.index(ref)], None, value))
        else:
            out.append((owner.__globals__, ref, value))
    return out
