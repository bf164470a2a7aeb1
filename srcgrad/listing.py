"""One way to get a derivative's source: `derivative_source(fn, wrt, mode, kinds)`.

A derivative is specialised on its arguments' *kinds* (`boundary.KINDS`: an
array, a Python number, ...), so the code `grad(f)(x)` runs depends on what
`x` is. `srcgrad.source`, `Derivative.source`, `srcgrad show` and `srcgrad
export` all build here, and the text they print starts with the kinds it was
built for:

    # built for argument kinds: x=array, n=scalar
    def f_grad(x, n):
        ...

The kinds come from the last call for a derivative that has run (the code
that ran); otherwise from the caller (`source(f, kinds="n=scalar")`, `srcgrad
show --kinds n=scalar`), and for a parameter nobody named, from its default
value, else its annotation (`float`, `int`: scalar), else "array".
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

from . import cache, forms, frontend
from .boundary import KINDS, Static, kind_of, parameters, resolve_wrt
from .compiler import Options
from .errors import SrcGradError

MODES = ("reverse", "forward", "split")  # split: the forward/backward pair vjp runs
_HEADER = "# built for argument kinds: "
_EXAMPLE = "x=array,n=scalar"


@dataclass(frozen=True)
class Built:
    """A derivative built for `kinds` (one per parameter), and its header comment."""

    compiled: object  # codegen.Compiled
    kinds: tuple
    header: str

    def text(self, annotate: bool = False, nan_safe: bool = False) -> str:
        """The header and the generated source (see `codegen.Compiled.shown`)."""
        return self.header + self.compiled.shown(annotate, nan_safe)


def build(fn, wrt, mode: str = "reverse", kinds=None, **options) -> Built:
    """The derivative of `fn` for `wrt` (names or positions) in `mode`, built for
    `kinds` (see `resolve_kinds`); `options` are the other `Options` fields
    (return_value, debug_nans, has_aux, optimize)."""
    if mode not in MODES:
        raise SrcGradError(f"mode must be one of {', '.join(map(repr, MODES))}, not {mode!r}")
    fn = forms.function_of(fn)
    names, _ = resolve_wrt(fn, wrt)
    kinds = resolve_kinds(fn, kinds, names)
    built = Options(names, kinds=kinds, split=mode == "split",
                    mode="forward" if mode == "forward" else "reverse", **options)
    return Built(cache.compiled(fn, built), kinds, kinds_header(fn, kinds))


def derivative_source(fn, wrt, mode: str = "reverse", kinds=None, annotate: bool = False,
                      nan_safe: bool = False, **options) -> str:
    """The generated source of `fn`'s derivative, headed by the argument kinds it is
    built for. `annotate=True` ends every generated statement with the original
    line it came from, as tracebacks and pdb show it; `nan_safe=True` adds a fast
    path's NaN-safe twin in full (otherwise one comment names it)."""
    return build(fn, wrt, mode, kinds, **options).text(annotate, nan_safe)


def kinds_header(fn, kinds: tuple) -> str:
    """`# built for argument kinds: x=array, n=scalar` and a newline."""
    return header_for(parameters(fn), kinds)


def header_for(params: list, kinds: tuple) -> str:
    """`kinds_header` for a function's parameter names `params`."""
    return _HEADER + (", ".join(f"{p}={k}" for p, k in zip(params, kinds)) or "(no arguments)") + "\n"


def kinds_text(fn, kinds: tuple, separator: str = ",") -> str:
    """"x=array,n=scalar": what `--kinds` takes (and `parse_kinds` reads)."""
    return separator.join(f"{p}={k}" for p, k in zip(parameters(fn), kinds))


def resolve_kinds(fn, given, wrt: tuple = ()) -> tuple:
    """One kind per parameter of `fn`: `given` is None, a tuple of kinds (one per
    parameter, as a call finds them), a dict {name: kind} or the text
    "x=array,n=scalar"; a parameter it does not name gets `default_kind`."""
    params = parameters(fn)
    if isinstance(given, tuple):
        if len(given) != len(params):
            raise _bad(given, f"give one kind per parameter of {fn.__name__} ({', '.join(params)})")
        named = dict(zip(params, given))
    else:
        named = parse_kinds(given) if isinstance(given, str) else dict(given or {})
    for name in named:
        if name not in params:
            raise _bad(given, f"{name} is not an argument of {fn.__name__}; its arguments are "
                              f"({', '.join(params)})")
    signature = frontend.signature(fn).parameters
    kinds = []
    for p in params:
        kind = named[p] if p in named else default_kind(signature[p], p in wrt)
        if not isinstance(kind, Static) and kind not in KINDS:
            raise _bad(given, f"{kind!r} is not an argument kind (for {p})")
        if kind == "other" and p in wrt:
            raise _bad(given, f"{p} is differentiated (wrt), so its kind cannot be 'other'",
                       hint="a wrt argument is an array, a number, or a dict/list/tuple of them")
        kinds.append(kind)
    return tuple(kinds)


def parse_kinds(text: str) -> dict:
    """{name: kind} from "x=array,n=scalar" (what `--kinds` takes)."""
    named: dict = {}
    for item in text.split(","):
        name, sep, kind = (part.strip() for part in item.partition("="))
        if not sep or not name or not kind:
            raise _bad(text, f"expected NAME=KIND pairs separated by commas, not {item.strip()!r} "
                             f"(for example {_EXAMPLE})")
        if name in named:
            raise _bad(text, f"{name} is named twice")
        named[name] = kind
    return named


def default_kind(param: inspect.Parameter, differentiated: bool = False) -> str:
    """What a parameter most likely is when no call has said: its default value's
    kind, else its annotation's (`float`, `int`: scalar), else an array (also for
    a wrt parameter whose default is no number: `x=None`)."""
    if param.default is not param.empty:
        kind = kind_of(param.default)
        if kind != "other" or not differentiated:
            return kind
    annotation = param.annotation
    if annotation in (float, int, "float", "int"):
        return "scalar"
    return "array"


def _bad(given, message: str, hint: str = "") -> SrcGradError:
    """The error for a kinds request: "kinds 'x=vector': ..." and what the kinds are."""
    kinds = "; ".join(f"{k}: {meaning}" for k, meaning in KINDS.items())
    return SrcGradError(f"kinds {given!r}: {message}",
                        hint=hint or f"the argument kinds are {kinds}. Example: {_EXAMPLE}")
