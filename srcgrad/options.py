"""What a derivative is built for (`Options`, part of the cache key), and whether
derivatives built now run the optimisation passes (`unoptimized`, for testing)."""
from __future__ import annotations

import contextlib
import contextvars
import os
from dataclasses import dataclass, field


# Whether derivatives are built with the optimisation passes. Off only for translation
# validation (tests/test_translation_validation.py): `with unoptimized(): ...`, or the
# environment variable SRCGRAD_OPTIMIZE=0 for a whole process.
_OPTIMIZE = contextvars.ContextVar("srcgrad_optimize", default=os.environ.get("SRCGRAD_OPTIMIZE", "1") != "0")


def optimizing() -> bool:
    """Whether derivatives built now run the optimisation passes (the default)."""
    return _OPTIMIZE.get()


@contextlib.contextmanager
def unoptimized():
    """Build every derivative made inside the block with no optimisation pass.

    Internal, for testing: the derivative is the plain lowering (normalize,
    reverse or forward, settle, codegen), which translation validation
    compares with the optimised build. The option is part of the cache key
    (`Options.optimize`), so both builds of one function live side by side.

    Left out: the shared-expression pass (`share_repeats`), the backward fixed
    point (copy propagation, scalar elision, dead code), recomputing loop values
    instead of taping them, the whole-function passes (forward CSE, scalar seeds,
    settled shapes, dropping value-only statements, in-place accumulation),
    taping shapes, the early `del`s and the fast path with its NaN-safe twin; in
    forward mode scalar elision and constant folding. Kept, because the
    derivative is not code without them: `settle` (it turns the restore markers
    into the pops the backward code reads, and writes the saves and pushes to
    match) and `nested.restore` (nested defs go back in place).
    """
    token = _OPTIMIZE.set(False)
    try:
        yield
    finally:
        _OPTIMIZE.reset(token)


@dataclass(frozen=True)
class Options:
    """What a derivative is built for; part of the cache key."""

    wrt: tuple  # parameter names
    return_value: bool = False  # value_and_grad: also return the function's value
    kinds: tuple = ()  # per parameter: "scalar" (a Python number) or "array"/"other"
    debug_nans: bool = False  # check every generated statement's result for NaN/inf
    split: bool = False  # a forward function returning a tape, and a backward function
    mode: str = "reverse"  # or "forward": a tangent (jvp) function
    nan_safe: bool = False  # no fast path in front of the NaN-guarded code (see optimize.fastpath)
    has_aux: bool = False  # the function returns (loss, aux): differentiate loss, hand back aux
    # arguments hold Dask arrays (dask_support): no `+=` into buffers a lazy value may reach
    lazy: bool = False
    # "numba": built for srcgrad/native (no fast path; stacks, lists and helpers numba types)
    backend: str = "python"
    # run the optimisation passes (False: the plain lowering, see `unoptimized`)
    optimize: bool = field(default_factory=optimizing)
