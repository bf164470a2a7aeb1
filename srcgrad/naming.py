"""Deterministic, hygienic names for generated code.

Adjoints are `dx`, tangents `x_dot`, compiler temporaries `_t1` (adjoint
`_dt1`), saved values `_x1`, stacks `_stack1`. Every name comes from a
per-function counter and is checked against every name already taken (the
user's own names, template globals), so output is byte-identical across runs
and never collides with the user's variables.
"""
from __future__ import annotations


class Names:
    """The name supply of one generated function."""

    def __init__(self, taken=()):
        self._taken: set[str] = set(taken)
        self._count: dict[str, int] = {}
        self._adjoints: dict[str, str] = {}

    def taken(self, ident: str) -> bool:
        return ident in self._taken

    def fresh(self, base: str) -> str:
        """Next unused `_<base><n>`; stable across runs."""
        while True:
            self._count[base] = n = self._count.get(base, 0) + 1
            ident = f"_{base}{n}"
            if ident not in self._taken:
                self._taken.add(ident)
                return ident

    def claim(self, preferred: str) -> str:
        """`preferred` if free, else `preferred_1`, `preferred_2`, ..."""
        ident, n = preferred, 0
        while ident in self._taken:
            n += 1
            ident = f"{preferred}_{n}"
        self._taken.add(ident)
        return ident

    def adjoint(self, var: str) -> str:
        """The adjoint's name for `var`: `dx` for `x`, `_dt1` for `_t1`."""
        if var not in self._adjoints:
            base = "_d" + var[1:] if var.startswith("_") else "d" + var
            self._adjoints[var] = self.claim(base)
        return self._adjoints[var]

    def adjoint_of(self, var: str) -> str | None:
        """The adjoint's name for `var` if one was handed out, else None."""
        return self._adjoints.get(var)

    def adjoint_names(self) -> set[str]:
        """Every adjoint (and tangent) name handed out so far."""
        return set(self._adjoints.values())

    def claim_once(self, preferred: str) -> str:
        """Like `claim`, but the same answer every time for the same `preferred`."""
        key = ("once", preferred)
        if key not in self._count:
            self._count[key] = self.claim(preferred)
        return self._count[key]

    def tangent(self, var: str) -> str:
        """The tangent's name for `var`: `x_dot` for `x`, `_t1_dot` for `_t1`."""
        key = ("tangent", var)
        if key not in self._adjoints:
            self._adjoints[key] = self.claim(f"{var}_dot")
        return self._adjoints[key]

    def name_adjoint(self, var: str, preferred: str) -> str:
        """Give `var` (e.g. a record field `params['W1']`) a readable adjoint name: `dW1`."""
        if var not in self._adjoints:
            self._adjoints[var] = self.claim(preferred)
        return self._adjoints[var]
