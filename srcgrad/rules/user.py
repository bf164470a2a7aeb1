"""User rules: `srcgrad.defvjp` / `srcgrad.defjvp` (SPEC section 5).

A user rule is a plain Python function run at derivative time, not a
template, kept in its own tables apart from the built-in rules. Registering
again replaces the rule (a notebook cell run again); `user_rules_version`
changes with every registration, so derivatives built with an older rule are
built again (see watch.py).
"""
from __future__ import annotations

import inspect

import numpy

from ..errors import SrcGradError
from .naming import qualname


_USER_VJP: dict = {}
_USER_JVP: dict = {}
_USER_STATE = {"version": object()}  # a new object whenever a user rule is registered


def user_rules_state() -> dict:
    """The mapping whose "version" changes whenever a user rule is (re-)registered."""
    return _USER_STATE


def user_rules_version() -> object:
    """The current user-rule version (compared by identity)."""
    return _USER_STATE["version"]


def _arity(fn) -> int | None:
    if isinstance(fn, numpy.ufunc):
        return fn.nin
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a C function without a signature
        return None
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _user_rule(table: dict, kind: str, primitive):

    def register(rule):
        try:
            hash(primitive)
        except TypeError:
            raise SrcGradError(f"{kind} needs a hashable callable, not {primitive!r}") from None
        n_prim, n_rule = _arity(primitive), _arity(rule)
        if n_prim is not None and n_rule is not None and n_rule != n_prim + 2:
            raise SrcGradError(
                f"the {kind} rule {getattr(rule, '__name__', rule)!r} takes {n_rule} arguments; "
                f"for {qualname(primitive)} with {n_prim} it must take {n_prim + 2}",
                hint=f"{kind} rules take (g_or_tangents, ans, *the function's arguments)")
        # Registering again replaces the rule (a notebook cell run again); derivatives
        # built with the old one see a new version and are built again (see watch.py).
        table[primitive] = rule
        _USER_STATE["version"] = object()
        return rule

    return register


def defvjp(primitive):
    """Decorator: `@defvjp(op) def op_vjp(g, ans, *args)` returns one gradient per
    positional argument of `op` (None for an argument with none)."""
    return _user_rule(_USER_VJP, "defvjp", primitive)


def defjvp(primitive):
    """Decorator: `@defjvp(op) def op_jvp(tangents, ans, *args)` returns the output tangent."""
    return _user_rule(_USER_JVP, "defjvp", primitive)


def user_vjp(primitive):
    try:
        return _USER_VJP.get(primitive)
    except TypeError:
        return None


def user_jvp(primitive):
    try:
        return _USER_JVP.get(primitive)
    except TypeError:
        return None
