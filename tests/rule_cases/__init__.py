"""The rule-case table: for every registered primitive, functions that use it.

Each case is a small function (written with `def`, so srcgrad can read its
source) that calls the primitive and reduces the result to a scalar with a
random weighting (`np.sum(out * c)`, never a plain sum, which would hide a
permuted or transposed gradient). `variants` lists argument tuples: several
shapes, broadcasting pairs ((3, 1) with (1, 4), a scalar with an array), and
keyword variants (axis, keepdims) as separate case functions.

`test_rules.py` runs every case through srcgrad.grad and check_grads, and
fails if a registered primitive appears in no case.

Zero cases (`zero_case`, in zeros.py) check the other half of the table:
every position a rule declares zero (a zero-gradient primitive's arguments,
a rule parameter with no `d[...]` line) is perturbed by central differences,
and the primitive's output must not move.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

CASES: list["Case"] = []
ZERO_CASES: list["ZeroCase"] = []

_rng = np.random.default_rng(20261125)


@dataclass(frozen=True)
class Case:
    primitives: tuple
    fn: object
    args: tuple
    wrt: tuple
    id: str
    modes: tuple = ("reverse", "forward")


def case(*primitives, variants, wrt=(0,), modes=("reverse", "forward")):
    """Register `fn` as a case covering `primitives`, once per argument tuple.

    `modes` narrows the check for srcgrad's own runtime helpers, which have
    forward rules only (reverse code calls them; forward mode differentiates it).
    """

    def register(fn):
        for i, args in enumerate(variants):
            shapes = "-".join("x".join(map(str, np.shape(a))) or "s" for a in args)
            CASES.append(Case(primitives, fn, tuple(args), tuple(wrt), f"{fn.__name__}[{i}:{shapes}]",
                              tuple(modes)))
        return fn

    return register


@dataclass(frozen=True)
class ZeroCase:
    primitive: object
    args: tuple
    kwargs: dict
    only: tuple      # the positions (indices or keywords) to perturb; () for every float one
    call: object     # call(primitive, *args, **kwargs): what must not move
    id: str


def zero_case(*primitives, variants, only=(), call=None):
    """Declare sample arguments at which each of `primitives` must have a zero
    derivative in the float positions `only` names (all float positions when
    empty). A variant is an argument tuple, or (tuple, kwargs dict). `call`
    replaces `primitive(*args, **kwargs)`, e.g. for `numpy.empty`, whose values
    are arbitrary: only its shape must not move."""
    for p in primitives:
        for i, v in enumerate(variants):
            args, kwargs = v if len(v) == 2 and isinstance(v[1], dict) else (v, {})
            name = getattr(p, "__qualname__", None) or getattr(p, "__name__", None) or repr(p)
            ZERO_CASES.append(ZeroCase(p, tuple(args), dict(kwargs), tuple(only),
                                       call or (lambda f, *a, **k: f(*a, **k)), f"{name}[{i}]"))


def R(*shape):
    """Standard normal values (a Python float when shape is empty)."""
    return float(_rng.normal()) if not shape else _rng.normal(size=shape)


def P(*shape, low=0.5, high=2.0):
    """Positive values in [low, high)."""
    return float(_rng.uniform(low, high)) if not shape else _rng.uniform(low, high, size=shape)


def U(*shape, low=-0.9, high=0.9):
    """Values in (-0.9, 0.9): inside the domain of arcsin, arccos, arctanh."""
    return float(_rng.uniform(low, high)) if not shape else _rng.uniform(low, high, size=shape)


def C(*shape):
    """A weighting array (a constant, not differentiated)."""
    return R(*shape)


def unary(*shapes, dom=None):
    """Variants for a unary elementwise case: x from `dom` (R when not given) at each
    shape, and c, the weighting."""
    return [((dom or R)(*s), C(*s)) for s in shapes]


for _module in ("operators", "numpy", "shapes", "ndarray", "linalg", "math", "builtins", "runtime",
                "scipy_special", "scipy_special_erf", "scipy_special_bessel", "scipy_signal", "zeros",
                "zeros_scipy_special", "statistics", "sampled", "reductions", "ufuncs",
                "decompositions", "scipy_linalg", "manipulation",
                "scipy_stats", "scipy_stats_quantiles"):
    try:
        importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as _err:
        if _err.name != f"{__name__}.{_module}":
            raise
