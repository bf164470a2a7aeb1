"""The registry walk again, on Dask data: each rule matches NumPy, or is listed NumPy-only.

One variant of every reverse-mode rule case (tests/rule_cases/) runs with its
array arguments as Dask arrays of two chunks, on the synchronous scheduler.
A case either gives the NumPy gradient (1e-9), computing once, or raises
`SrcGradError` before anything is computed (a runtime helper or a NumPy/SciPy
function that would turn a Dask array into NumPy, or one Dask does not run).
Every case that cannot run on Dask is listed, with its functions, in
docs/dask-internals.md, and the list holds nothing that runs: a listed case
that passes fails the walk. `SRCGRAD_UPDATE_DASK=1` rewrites the list from
this walk. (A case names the form it checks: `sum_where_case` is `numpy.sum`
with `where=`, which Dask lacks; `numpy.sum` itself runs.)

The conversions it checks are the scheduler guard's (srcgrad/dask_support.py):
a runtime helper or library function that would compute raises; what the
generated code computes itself (an `if`) is counted.
"""
import os
import pathlib
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("dask.array")

import srcgrad  # noqa: E402
from srcgrad.rules import registry  # noqa: E402
from dask_probe import chunked, watching  # noqa: E402
from rule_cases import CASES  # noqa: E402

PAGE = pathlib.Path(__file__).parent.parent / "docs" / "dask-internals.md"
BEGIN, END = "<!-- numpy-only: begin -->", "<!-- numpy-only: end -->"


def _first_variants():
    seen, out = set(), []
    for c in CASES:
        base = c.id.split("[")[0]
        if "reverse" in c.modes and base not in seen:
            seen.add(base)
            out.append(c)
    return out


def _lazy(a):
    if isinstance(a, np.ndarray) and a.ndim >= 1 and a.dtype.kind in "fiub":
        return chunked(a)
    return a


def _leaves(t):
    if isinstance(t, dict):
        return [x for v in t.values() for x in _leaves(v)]
    if isinstance(t, (list, tuple)):
        return [x for v in t for x in _leaves(v)]
    return [t]


def _run(case) -> str | None:
    """None when the case matches NumPy on Dask data; else why it does not."""
    wrt = case.wrt if len(case.wrt) > 1 else case.wrt[0]
    want = srcgrad.grad(case.fn, wrt=wrt)(*case.args)
    lazy = tuple(_lazy(a) for a in case.args)
    try:
        with watching(spy=False):
            got = srcgrad.grad(case.fn, wrt=wrt)(*lazy)
    except srcgrad.SrcGradError as error:
        message = str(error).splitlines()[0]  # without the case's own line, which it names
        message = re.sub(r" at (?:backward of )?line \d+: .*?(?=: \w+(?:Error|Warning): |$)", "", message)
        message = message.replace("the derivative failed on Dask data: ", "")
        return f"raises before computing: {message[:100]}"
    got = [g.compute() if hasattr(g, "dask") else g for g in _leaves(got)]
    want = _leaves(want)
    if len(got) != len(want) or not all(np.shape(g) == np.shape(w) and np.allclose(g, w, rtol=1e-9, atol=1e-12)
                                        for g, w in zip(got, want)):
        return "gives another gradient (Dask computes another value)"
    return None


def _listed() -> dict:
    text = PAGE.read_text()
    block = text[text.index(BEGIN):text.index(END)]
    return dict(re.findall(r"^\| ([a-z0-9_]+) \| (.*) \|$", block, re.M))


def test_every_rule_on_dask_matches_numpy_or_is_listed_numpy_only():
    failing: dict = {}  # case name -> (its functions, the reason)
    passing = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rule cases' own NumPy warnings (log of 0, ...)
        for case in _first_variants():
            why = _run(case)
            if why is None:
                passing += 1
            else:
                names = ", ".join(f"`{registry.qualname(p)}`" for p in case.primitives)
                failing[case.id.split("[")[0]] = (names, why)
    if os.environ.get("SRCGRAD_UPDATE_DASK"):
        _write(failing)
    listed = _listed()
    unlisted = sorted(set(failing) - set(listed))
    assert not unlisted, f"rules that fail on Dask data and are not listed NumPy-only: {unlisted}"
    stale = sorted(set(listed) - set(failing))
    assert not stale, f"listed NumPy-only but every case runs on Dask now: {stale}"
    assert passing > 400  # most cases run on Dask: the walk walked


def _write(failing: dict) -> None:
    rows = "\n".join(f"| {n} | {failing[n][0]} | {failing[n][1].replace('|', '/')} |" for n in sorted(failing))
    table = f"{BEGIN}\n| rule case | functions | on Dask data |\n|---|---|---|\n{rows}\n{END}"
    text = PAGE.read_text()
    PAGE.write_text(text[:text.index(BEGIN)] + table + text[text.index(END) + len(END):])
