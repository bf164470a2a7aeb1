"""Survey: what the numba backend does with each rule case (tests/rule_cases).

Each case is differentiated by `grad` and `jvp` with `backend="auto"` and with
the Python backend (`native_translation.compare_native`). Per case and
transform, the outcome is one of

    numba      numba compiled the derivative and agreed with Python to 1e-12 relative
    python     numba refused (the refusal, a SrcGradError, says why); Python ran
    rejected   the Python backend rejects the function too
    user error the Python backend raised the user's own error
    DISAGREE   numba ran and gave another result: a wrong-derivative bug
    CRASH      auto raised something other than a SrcGradError (it must fall back)

and the summary counts them, with the commonest refusals. Not collected by
pytest (no `test_` prefix): it compiles hundreds of derivatives (about half
an hour for the first variant of each case on one core, more with --all).

    PYTHONPATH=$PWD python tests/native_survey.py [--all] [--modules numpy,linalg] [--match SUBSTRING]
                                                  [--out FILE]

Run it from a copy of the tree (`git archive HEAD | tar -x -C DIR`) when you
edit srcgrad meanwhile: the backend copies the helpers' source from the files.

--all runs every argument variant of each case (the default: each case
function's first). --out writes one tab-separated line per case and transform,
as it goes.
"""
from __future__ import annotations

import argparse
import collections
import pathlib
import re
import sys
import time

TESTS = pathlib.Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import native_translation  # noqa: E402
import translation  # noqa: E402


def refusal_kind(refusal) -> str:
    """A refusal's reason without its names and lines: what to count it under."""
    reason = getattr(refusal, "reason", str(refusal)).split("\n")[0]
    reason = reason.split(" (generated line:")[0]
    if "no compiled version of srcgrad's runtime helper" in reason:
        return "no compiled helper " + reason.split("runtime helper ")[1].split(",")[0]
    reason = re.sub(r"the derivative of [\w.<>]+", "the derivative", reason)
    return re.sub(r"'[^']*'", "'...'", reason)[:110]


# the rule-case modules in the order surveyed: NumPy's array code first, SciPy's last
# (numba cannot call SciPy: those derivatives are refused)
ORDER = ("linalg", "reductions", "manipulation", "shapes", "ndarray", "statistics", "numpy", "ufuncs",
         "operators", "math", "builtins", "runtime", "sampled", "decompositions")


def _rank(case) -> int:
    module = case.fn.__module__.rsplit(".", 1)[-1]
    return ORDER.index(module) if module in ORDER else len(ORDER)


def selected(cases: list, every: bool, match: str | None, modules: str | None = None) -> list:
    """The cases to run, array code first: each case function's first variant (every
    variant with `every`), of the rule-case modules named (comma-separated) or all."""
    out, seen = [], set()
    wanted = set(modules.split(",")) if modules else None
    for case in sorted(cases, key=_rank):
        if wanted is not None and case.fn.__module__.rsplit(".", 1)[-1] not in wanted:
            continue
        if match and match not in case.id:
            continue
        if every or case.fn not in seen:
            out.append(case)
        seen.add(case.fn)
    return out


def survey(cases: list, transforms=("grad", "jvp"), report=None) -> list:
    """[(case id, transform, outcome, detail)] for each case and transform."""
    rows = []
    for case in cases:
        try:
            outcomes = native_translation.compare_native(case.fn, case.args, case.wrt, case.modes,
                                                         transforms=transforms)
            found = [(name, o.ran, refusal_kind(o.refusal) if o.refusal is not None
                      else type(o.error).__name__ if o.error is not None else "")
                     for name, o in outcomes.items()]
        except native_translation.Disagreement as exc:
            found = [("?", "DISAGREE", str(exc).replace("\n", " ")[:300])]
        except Exception as exc:  # noqa: BLE001 -- auto must never crash: counted, with its text
            found = [("?", "CRASH", f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300])]
        for name, ran, detail in found:
            rows.append((case.id, name, ran, detail))
            if report is not None:
                print(f"{case.id}\t{name}\t{ran}\t{detail}", file=report, flush=True)
    return rows


def summary(rows: list) -> str:
    counts = collections.Counter((name, ran) for _, name, ran, _ in rows)
    refusals = collections.Counter(detail for _, _, ran, detail in rows if ran == "python")
    lines = []
    for name in sorted({n for _, n, _, _ in rows}):
        parts = ", ".join(f"{ran}: {v}" for (n, ran), v in sorted(counts.items()) if n == name)
        lines.append(f"{name}: {parts}")
    lines.append("commonest refusals:")
    lines += [f"  {v:4d} x {k}" for k, v in refusals.most_common(25)]
    bad = [r for r in rows if r[2] in ("DISAGREE", "CRASH")]
    lines.append(f"DISAGREE/CRASH: {len(bad)}")
    lines += [f"  {r[0]} {r[2]}: {r[3]}" for r in bad]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true", help="every argument variant of each case")
    parser.add_argument("--match", help="only the cases whose id contains this")
    parser.add_argument("--modules", help="only these rule-case modules (comma-separated: numpy,linalg)")
    parser.add_argument("--out", help="write one line per case and transform here")
    args = parser.parse_args(argv)
    cases = selected(translation.rule_cases(), args.all, args.match, args.modules)
    start = time.perf_counter()
    with open(args.out, "w") if args.out else open("/dev/null", "w") as report:
        rows = survey(cases, report=report)
    print(f"{len(cases)} rule cases, {time.perf_counter() - start:.0f} s")
    print(summary(rows))
    return 1 if any(r[2] in ("DISAGREE", "CRASH") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
