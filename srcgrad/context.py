"""The per-compile supply that both modes write generated code with.

A `Context` hands out fresh names (`names`), binds the objects generated code
calls into closure cells under readable names (`helper`, `rename_global`),
quotes source lines for comments (`line`) and answers what is local. It
carries the frozen `analysis.values.ValueFacts` of the function (`facts`):
what its names may hold. Compiling the user functions a derivative calls is
not its business: see `reverse/calls.py` and `forward/calls.py`.
"""
from __future__ import annotations

from . import runtime
from .analysis.values import ValueFacts
from .frontend import ParsedFunction
from .naming import Names
from .rules import facts, registry


class Context:
    """Names, helpers and lines for one compile (see the module docstring)."""

    def __init__(self, parsed: ParsedFunction, names: Names, locals_: set[str]):
        self.parsed = parsed
        self.source = parsed.source
        self.names = names
        self.locals = locals_  # grows: normalize's temporaries, tapes of split pairs
        self.helpers: dict = {}  # emitted name -> object, passed as closure cells
        self.emitted: dict = {}  # template global -> the name generated code uses for it
        self.facts = ValueFacts()  # set once analysis.values.analyze has run
        # locals f may read before binding them (`analysis.assigned`), checked where read;
        # bound up front, where a save needs them bound, to the name of `runtime.UNBOUND`
        self.maybe_unbound: set = set()
        self.unbound_value: str | None = None

    def helper(self, obj, preferred: str) -> str:
        """A closure cell for `obj` (a user rule), under a readable unused name."""
        for name, value in self.helpers.items():
            if value is obj:
                return name
        name = self.names.claim(preferred)
        self.helpers[name] = obj
        return name

    def is_local(self, ident: str) -> bool:
        return ident in self.locals

    def line(self, lineno: int) -> str:
        return self.parsed.line(lineno)

    def rename_global(self, ident: str) -> str:
        """The name generated code uses for template global `ident`."""
        if ident in self.emitted:
            return self.emitted[ident]
        obj = registry.template_global(ident)
        emitted = None
        candidates = [ident] + self.parsed.namespace.items_bound_to(obj)
        for name in candidates:
            if not self.is_local(name) and name in self.parsed.namespace \
                    and self.parsed.namespace.lookup(name) is obj:
                emitted = name
                break
        if emitted is None:
            emitted = self.names.claim(ident)
            self.helpers[emitted] = obj
        self.emitted[ident] = emitted
        return emitted

    def number_helpers(self) -> frozenset:
        """The emitted names of the runtime helpers that map Python numbers to a Python
        number (the facts table's `numbers`)."""
        return frozenset(emitted for ident, emitted in self.emitted.items()
                         if facts.maps_numbers(getattr(runtime, ident, None)))

    def unbounded_helpers(self) -> dict:
        """{emitted name: helper} of the runtime helpers whose result may be infinite where
        their arguments are finite numbers (d(x ** 0.5)/dx at 0): a guard around one
        stays a guard on Python numbers too (see optimize/scalars.py)."""
        return {emitted: ident for ident, emitted in self.emitted.items()
                if facts.unbounded(getattr(runtime, ident, None))}

    def arithmetic_helpers(self, arrays: bool = False) -> dict:
        """The NaN-guarding helpers that are plain arithmetic on Python numbers (with
        `arrays`: on arrays, where `pole_ratio` is `/` too; see runtime.pole_ratio)."""
        ops = {"masked_product": "*", "selected_product": "*", "tangent_ratio": "/", **({"pole_ratio": "/"} if arrays else {})}
        return {self.emitted[h]: op for h, op in ops.items() if h in self.emitted}
