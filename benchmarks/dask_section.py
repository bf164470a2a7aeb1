"""The Dask section (issue 16 item 4): srcgrad's gradients on Dask data against NumPy.

The benchmark's MLP and logistic-regression losses (benchmarks/workloads.py)
are differentiated once, and each derivative is called on the same data
twice: as NumPy arrays in memory, and as Dask arrays chunked by rows and
persisted (computed into memory chunks beforehand, so that a call measures
the derivative, not the making of the data). Dask runs the threaded
scheduler with two workers, on two CPUs where the machine has them (the
runner pins the rest of the benchmarks to one). A call is timed until its
results are numbers: a Dask array that a call returns unevaluated is
computed (all of them in one `dask.compute`) inside the timed call. Beside
the times, a Dask callback counts the computations per call: those inside
the call, plus those needed to turn what it returned into numbers.

Target: one computation per call, and at most 1.5x the NumPy time.
Without Dask installed the section is skipped, and the report says so.
"""
from __future__ import annotations

import contextlib
import os
import statistics

import numpy as np

from . import workloads as W

RATIO_TARGET = 1.5
COMPUTES_TARGET = 1
WORKERS = 2
MISSING = 'skipped: dask is not installed (pip install -e ".[dask]")'


def _mlp_data(rng, rows):
    d_in, hidden, classes = 50, 64, 10
    params = {"W1": rng.normal(0.0, 1.0 / np.sqrt(d_in), (d_in, hidden)),
              "b1": rng.normal(0.0, 0.1, hidden),
              "W2": rng.normal(0.0, 1.0 / np.sqrt(hidden), (hidden, classes)),
              "b2": rng.normal(0.0, 0.1, classes)}
    X = rng.normal(size=(rows, d_in))
    Y = np.eye(classes)[rng.integers(0, classes, rows)]
    return params, (X, Y)


def _logreg_data(rng, rows):
    d = 100
    X = rng.normal(size=(rows, d))
    y = (rng.uniform(size=rows) < 1.0 / (1.0 + np.exp(-(X @ rng.normal(size=d) / 10.0)))).astype(float)
    return rng.normal(size=d) * 0.1, (X, y)


# (name, title, loss, data maker, rows at full size, rows in --quick); the data are
# chunked into CHUNKS row blocks
CASES = [
    ("mlp", "MLP 50-64-10, params dict", W.mlp, _mlp_data, 200_000, 50_000),
    ("logreg", "logistic regression, 100 features", W.logreg, _logreg_data, 200_000, 50_000),
]
CHUNKS = 4


class Counter:
    """Counts Dask computations (the local schedulers' start hook) while active."""

    def __init__(self):
        from dask.callbacks import Callback

        counter = self

        class _Hook(Callback):
            def _start(self, dsk):
                counter.count += 1

        self.count = 0
        self._hook = _Hook()

    def __enter__(self):
        self._hook.__enter__()
        return self

    def __exit__(self, *exc):
        self._hook.__exit__(*exc)


def materialise(result):
    """`result` with every Dask array in it computed, all in one `dask.compute`."""
    import dask

    return dask.compute(result)[0]


@contextlib.contextmanager
def _cpus(allowed, n):
    """This thread (and the scheduler threads it starts) on `n` of the CPUs `allowed`
    (the process's set before the runner pinned it to one); the pinning is
    restored afterwards. Yields the CPUs used, or None where affinity is unknown."""
    if not hasattr(os, "sched_setaffinity") or not allowed:
        yield None
        return
    before = os.sched_getaffinity(0)
    chosen = (set(sorted(allowed)[-n:]) | before) if len(allowed) >= n else set(allowed)
    try:
        os.sched_setaffinity(0, chosen)
    except OSError:
        chosen = before
    try:
        yield sorted(chosen)
    finally:
        os.sched_setaffinity(0, before)


def _max_rel_error(got, want) -> float:
    from .backends import max_rel_error

    return max_rel_error(got, want)


def run(s, timed, calibrate, interleaved, allowed_cpus=None, cases=None, rows=None) -> dict:
    """{"rows": [...], "cpus": [...]} or {"skipped": why}; `s`, `timed`, `calibrate`,
    `interleaved` are the runner's settings and timers, `allowed_cpus` the CPUs
    the process had before the runner pinned it; `cases` and `rows` shrink it
    for the tests."""
    try:
        import dask
        import dask.array as da
    except ImportError:
        return {"skipped": MISSING}
    import srcgrad

    out = {"rows": [], "workers": WORKERS}
    with _cpus(allowed_cpus, WORKERS) as cpus, dask.config.set(scheduler="threads", num_workers=WORKERS):
        out["cpus"] = cpus
        for name, title, loss, make, full, quick in cases or CASES:
            n = rows or (quick if s.quick else full)
            first, data = make(np.random.default_rng(0), n)
            lazy = [da.from_array(a, chunks=(-(-n // CHUNKS),) + a.shape[1:]) for a in data]
            lazy = dask.persist(*lazy)
            for kind in ("grad", "value_and_grad"):
                derivative = getattr(srcgrad, kind)(loss, wrt=0)
                out["rows"].append(_one(f"{name}/{kind}", f"{title}: `{kind}`", derivative,
                                        first, data, lazy, s, timed, calibrate, interleaved))
                out["rows"][-1]["n"] = n
    return out


def _one(key, title, derivative, first, data, lazy, s, timed, calibrate, interleaved) -> dict:
    row = {"key": key, "title": title}
    want = derivative(first, *data)
    with Counter() as inside:
        result = derivative(first, *lazy)
    with Counter() as after:
        got = materialise(result)
    row["computes"], row["computes_after"] = inside.count, after.count
    value_of = (lambda r: r[0]) if key.endswith("value_and_grad") else None
    grads_of = (lambda r: r[1]) if value_of else (lambda r: r)
    err = _max_rel_error(grads_of(got), grads_of(want))
    if not err <= 1e-9:
        row["status"] = f"MISMATCH (gradient rel err {err:.1e})"
        return row
    if value_of is not None and not np.isclose(float(value_of(got)), float(value_of(want)), rtol=1e-12):
        row["status"] = f"MISMATCH (value {float(value_of(got))!r} vs {float(value_of(want))!r})"
        return row
    entries = [timed("numpy", lambda: derivative(first, *data), 0),
               timed("dask", lambda: materialise(derivative(first, *lazy)), 0)]
    for e in entries:
        e.number = calibrate(e.call, s.repeat_s)
    interleaved(entries, s)
    for e in entries:
        row[f"{e.key}_s"] = statistics.median(e.samples)
    row["ratio"] = row["dask_s"] / row["numpy_s"]
    return row


def render(result: dict, fmt_time) -> list[str]:
    """Markdown lines: one row per derivative, then the targets."""
    head = "Dask: srcgrad's gradient on persisted Dask data against NumPy on the same data in memory"
    if "skipped" in result:
        return [f"{head}: {result['skipped']}", ""]
    cpus = result.get("cpus")
    lines = [f"{head} (threaded scheduler, {result['workers']} workers"
             + (f", CPUs {cpus}" if cpus is not None else "") + f"; {CHUNKS} row chunks)", "",
             "| derivative | rows | NumPy | Dask | Dask / NumPy | computations per call | |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for row in result["rows"]:
        computes = f"{row['computes']} + {row['computes_after']}"
        if "status" in row:
            lines.append(f"| {row['title']} | {row['n']:,} | | | {row['status']} | {computes} | |")
            continue
        total = row["computes"] + row["computes_after"]
        met = row["ratio"] <= RATIO_TARGET and total <= COMPUTES_TARGET
        lines.append(f"| {row['title']} | {row['n']:,} | {fmt_time(row['numpy_s'])} | "
                     f"{fmt_time(row['dask_s'])} | {row['ratio']:.2f} | {computes} | "
                     f"{'met' if met else '**missed**'} |")
    lines += ["", f"Computations per call: inside the call + to compute what it returned "
              f"(target: {COMPUTES_TARGET} in all); Dask / NumPy target: at most {RATIO_TARGET}.", ""]
    return lines
