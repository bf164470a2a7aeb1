"""Golden generated source: what srcgrad prints for a dozen representative functions.

Generated code is a product, so a change to it is reviewed like one: each
function of tests/golden/functions.py has its derivative's source kept in
tests/golden/source/<name>.txt, and this test fails, showing the diff, when
the compiler's output changes. After a change made on purpose, regenerate
with

    SRCGRAD_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_source.py

and review `git diff tests/golden/` as part of the change. Every golden
derivative is also checked against central differences, so a reviewed text
is one that computes the right thing.
"""
import pathlib

import numpy as np
import pytest

import srcgrad
from golden.compare import check_golden
from golden.functions import CASES

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden" / "source"


def _generated(fn, args, wrt, how) -> str:
    if how == "forward":
        return srcgrad.source(fn, mode="forward", wrt=wrt)
    derivative = getattr(srcgrad, how)(fn, wrt=wrt)
    derivative(*args)
    return srcgrad.source(derivative)


@pytest.mark.parametrize("name, fn, args, wrt, how", CASES, ids=[c[0] for c in CASES])
def test_generated_source_matches_its_golden_text(name, fn, args, wrt, how):
    check_golden(GOLDEN / f"{name}.txt", _generated(fn, args, wrt, how), f"the generated source of {name}")


@pytest.mark.parametrize("name, fn, args, wrt, how", CASES, ids=[c[0] for c in CASES])
def test_golden_derivatives_are_right(name, fn, args, wrt, how):
    if name == "with_no_grad":  # differences see through no_grad: the closed form, scale held
        x = args[0]
        expected = np.cos(x) / np.max(np.abs(np.sin(x)))
        assert np.allclose(srcgrad.grad(fn)(x), expected, rtol=1e-12)
        assert np.allclose(srcgrad.jvp(fn, (x,), (np.ones(3),))[1], np.sum(expected), rtol=1e-12)
        return
    with np.errstate(all="ignore"):
        srcgrad.check_grads(fn, args, wrt=wrt, modes=("reverse", "forward"))
