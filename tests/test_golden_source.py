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


def _kinds(name: str) -> str:
    """The argument kinds a golden text was built for, from its first line."""
    first = (GOLDEN / f"{name}.txt").read_text().splitlines()[0]
    return first.split("built for argument kinds: ", 1)[1].replace(" ", "")


@pytest.mark.parametrize("name, fn, args, wrt, how", [c for c in CASES if c[4] != "value_and_grad"],
                         ids=[c[0] for c in CASES if c[4] != "value_and_grad"])
def test_an_export_copies_only_the_helpers_its_code_calls(name, fn, args, wrt, how):
    """Every runtime helper an exported golden derivative carries is read by the
    code, directly or through another copied helper: nothing else is copied. And
    the module, run without srcgrad, gives srcgrad's derivative."""
    import inspect
    import re
    import sys

    from srcgrad.export import export_source

    params = list(inspect.signature(fn).parameters)
    names = tuple(params[i] for i in (wrt if isinstance(wrt, tuple) else (wrt,)))
    mode = "forward" if how == "forward" else "reverse"
    text = export_source(fn, names, mode, kinds=_kinds(name))
    copied = re.findall(r"^(?:def|class) (_\w+)", text, re.M)
    for helper in copied:
        uses = len(re.findall(rf"\b{helper}\b", text)) - 1  # its own def line
        assert uses >= 1, f"{helper} is copied but nothing calls it:\n{text}"
    module = {}
    saved = sys.modules.get("srcgrad")
    sys.modules["srcgrad"] = None  # as if srcgrad were not installed
    try:
        exec(compile(text, f"<export of {name}>", "exec"), module)
    finally:
        sys.modules["srcgrad"] = saved
    entry = module[("jvp_" if mode == "forward" else "grad_") + fn.__name__]
    if mode == "forward":
        tangents = {f"{n}_dot": np.ones_like(np.asarray(args[params.index(n)], dtype=float)) for n in names}
        got = entry(*args, **tangents)
        expected = srcgrad.jvp(fn, args, tuple(tangents.get(f"{p}_dot") for p in params))
        _same(got, expected)
        return
    got = entry(*args)
    expected = srcgrad.grad(fn, wrt=wrt)(*args)
    got = got if isinstance(wrt, tuple) else (got,)
    expected = expected if isinstance(wrt, tuple) else (expected,)
    _same(got, expected)


def _same(got, expected):
    """Equal values in equal structures (dicts, lists and tuples of arrays and numbers)."""
    if isinstance(expected, dict):
        assert got.keys() == expected.keys()
        for key in expected:
            _same(got[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e)
    else:
        assert np.allclose(got, expected, rtol=1e-12, atol=0), (got, expected)
