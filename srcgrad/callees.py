"""Compiling the user functions a derivative calls, with the compile function passed in.

A call of a user function (a plain Python function, a lifted nested `def`, a
partial or callable object) is differentiated on its own, once per (callee,
differentiated parameters, argument kinds), and bound into the caller as a
closure cell: a forward/backward pair in reverse mode (`reverse/calls.py`), a
tangent function in forward mode (`forward/calls.py`). `compile(callee,
options)` is the compile cache's lookup (`cache.compiled`), handed down by
the cache itself, so the compiler never imports the cache.
"""
from __future__ import annotations

import inspect

import gast

from .analysis import statics
from .boundary import Static, static_value
from .errors import located
from .frontend import signature
from .options import Options


class Recursion(Exception):
    """A function's derivative needs itself: recursion through user calls."""


class Callees:
    """The callees one derivative binds: compiled through `compile`, named once."""

    def __init__(self, ctx, compile, optimize: bool, lazy: bool = False, backend: str = "python"):
        self.ctx = ctx
        self.compile = compile
        self.optimize = optimize  # callees are built as the caller is (Options.optimize)
        self.lazy = lazy  # and for lazy (Dask) values as the caller is (Options.lazy)
        self.backend = backend  # and a split pair for numba as its caller (Options.backend)
        self.bound: list = []  # (user function, its Compiled) bound into this derivative
        self.names: dict = {}  # (mode, callee, wrt, kinds) -> the names it is bound under

    def compiled(self, op, active: list[str], stmt, mode: str):
        """(the callee's derivative, its key), compiled once per (callee, wrt, argument kinds);
        `mode` is "split" (a forward/backward pair) or "forward" (a tangent function)."""
        callee = op.callee
        params = [v for v in signature(callee).parameters.values()
                  if v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)]
        kinds = tuple(self._kind_of(op.bindings.get(p.name), p) for p in params)
        options = Options(tuple(active), kinds=kinds, split=mode == "split",
                          mode="forward" if mode == "forward" else "reverse", optimize=self.optimize,
                          lazy=self.lazy, backend=self.backend if mode == "split" else "python")
        try:
            compiled = self.compile(callee, options)
        except Recursion:
            raise located(self.ctx.source, stmt, f"{op.label}() calls itself (directly or "
                          "through other functions) with values being differentiated",
                          "recursion is not supported: write the recursion as a loop") from None
        self.bound.append((callee, compiled))
        return compiled, (mode, callee, tuple(active), kinds)

    def _kind_of(self, node, param):
        """The kind of the argument `node` passes for `param` (None: its default)."""
        if node is None:  # the default: a function there is specialised on, as one passed
            default = param.default
            return Static(default) if default is not param.empty and static_value(default) else "other"
        function = statics.function_of(node, self.ctx.parsed.namespace, self.ctx.is_local)
        if function is not statics.MISSING:
            return Static(function)
        if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            return "scalar"
        if isinstance(node, gast.Name) and node.id in self.ctx.facts.scalar_names:
            return "scalar"
        return "other"


def callee_base(op) -> str:
    """A readable identifier for a called user function, in its derivatives' names: its
    own name; for a lambda, a partial or a callable object, the name it was called by."""
    own = getattr(op.callee, "__name__", "").lstrip("_")
    name = own
    if not name.isidentifier() or not inspect.isfunction(op.callee):
        name = op.label.rsplit(".", 1)[-1].lstrip("_")
        if not name.isidentifier():  # `self.layers[1]`: what it is, a Linear
            name = own
    return name if name.isidentifier() else "lambda"
