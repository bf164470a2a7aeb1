"""Every derivative the corpora build, as text: a check that a refactor changes no generated code.

    python tests/snapshot.py OUT.txt [--fuzz-seeds N]

runs every case of the translation-validation corpora (tests/programs, the
rule cases, the examples and, with --fuzz-seeds, generated programs) through
`value_and_grad`, `grad`, `vjp` and `jvp`, and writes the source of every
derivative built on the way (callees' included), one block per (function,
options), sorted. Two runs of the same code give the same file, so
`diff before.txt after.txt` shows exactly what a change did to the code
srcgrad generates. Not collected by pytest: a tool for maintainers.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import inspect
import pathlib
import sys
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import srcgrad  # noqa: E402
from srcgrad import cache  # noqa: E402
from srcgrad.errors import SrcGradError  # noqa: E402

import translation  # noqa: E402


def _options_text(options) -> str:
    fields = dataclasses.asdict(options) if dataclasses.is_dataclass(options) else vars(options)
    return ", ".join(f"{k}={v!r}" for k, v in sorted(fields.items()))


def record(cases) -> dict:
    """{(function, options) text: generated source} for every build `cases` cause."""
    built: dict = {}
    original = cache.compiled

    def recording(fn, options):
        compiled = original(fn, options)
        where = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"
        built[f"{where} [{_options_text(options)}]"] = compiled.source
        return compiled

    cache.compiled = recording
    try:
        for case in cases:
            _run(case)
    finally:
        cache.compiled = original
    return built


def _jvp(case, fresh):
    names, _ = translation._resolve_wrt(case.fn, case.wrt)
    params = list(inspect.signature(case.fn).parameters)
    positions = [params.index(n) for n in names]
    rng = np.random.default_rng(len(params))
    tangents = [translation._tangent(a, rng) if i in positions else None for i, a in enumerate(fresh())]
    return srcgrad.jvp(case.fn, fresh(), tangents)


def _run(case) -> None:
    fresh = lambda: copy.deepcopy(tuple(case.args))  # noqa: E731
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for run in (lambda: srcgrad.value_and_grad(case.fn, wrt=case.wrt)(*fresh()),
                    lambda: srcgrad.grad(case.fn, wrt=case.wrt)(*fresh()),
                    lambda: srcgrad.vjp(case.fn, *fresh(), wrt=case.wrt)[1](1.0),
                    lambda: _jvp(case, fresh)):
            try:
                run()
            except (SrcGradError, Exception):  # noqa: BLE001 -- a rejection is part of the snapshot's input, not its output
                pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--fuzz-seeds", type=int, default=0)
    args = parser.parse_args(argv)
    built = record(translation.corpus(range(args.fuzz_seeds)))
    text = "".join(f"### {key}\n{built[key]}\n" for key in sorted(built))
    pathlib.Path(args.out).write_text(text)
    print(f"{len(built)} derivatives written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
