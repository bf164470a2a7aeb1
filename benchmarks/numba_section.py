"""The numba section (issue 17 items 3 and 5): `grad(f, backend="numba")` against its targets.

The pendulum, Rosenbrock and the RNN are timed in the main table: their
"srcgrad numba" column is interleaved with the hand-written gradient, srcgrad's
Python backend and `jit(jax.grad)` in one group per workload (Rosenbrock
twice: the list of ten Python floats the workload passes, converted to an
array at the backend's boundary, and the same values as a float64 array).
This section gathers those ratios beside their targets, and measures two
things of its own:

- the damped spring of scaling.py, filled in place, at n = 8,000: its
  forward run, the hand-written gradient and both backends, interleaved
  (target: the numba gradient at most 1.0x the forward run);
- compile cost, in new processes: the first call of a derivative with an
  empty SRCGRAD_CACHE_DIR (srcgrad's build, numba's compile, the run), and
  a warm start, a second process with the same directory, where numba loads
  the machine code from its cache (the entry's cache hits say it did).
  Importing numba is timed apart; each is the best of a few repeats.
"""
from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from . import scaling
from . import workloads as W

TARGETS = {"pendulum": 0.2, "rosenbrock": 0.5}  # numba gradient / hand-written gradient
SPRING_N = 8_000
SPRING_TARGET = 1.0  # numba gradient / the spring's forward run
STARTUP = ("pendulum", "spring", "numba alone")
# numba's own first use in a process, for reference: a one-line function of a module in
# the cache directory, under the same decorator as srcgrad's modules
ALONE = """import numba


@numba.njit(cache=True)
def double(x):
    return 2.0 * x
"""
LABELS = {"pendulum": "pendulum, grad wrt (g, length, damping)",
          "spring": f"spring, n = {SPRING_N:,}, grad wrt (k, c)",
          "numba alone": "for reference, numba alone: a one-line `njit(cache=True)` function"}
WORKLOADS = ("rosenbrock", "pendulum", "rnn")  # what `--only numba` times in the main table
ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(s, timed, calibrate, interleaved, startup=STARTUP, spring_n=SPRING_N) -> dict:
    """{"spring": ..., "startup": [...]} or {"skipped": why}; `s`, `timed`, `calibrate`,
    `interleaved` are the runner's settings and timers."""
    from srcgrad import native

    if not native.available():
        return {"skipped": 'skipped: numba is not installed (pip install -e ".[numba]")'}
    repeats = 1 if s.quick else 3
    return {"spring": spring(s, timed, calibrate, interleaved, spring_n),
            "startup": [dict(name=name, **startup_times(name, repeats)) for name in startup]}


def spring(s, timed, calibrate, interleaved, n) -> dict:
    """The spring at n: forward, hand, srcgrad (Python) and srcgrad numba, interleaved."""
    import srcgrad

    args = (1.0, 0.1, n)
    want = scaling.spring_grad(*args)
    python = srcgrad.grad(scaling.spring, wrt=(0, 1))
    compiled = srcgrad.grad(scaling.spring, wrt=(0, 1), backend="numba")
    row = {"n": n}
    for key, df in (("srcgrad", python), ("numba", compiled)):
        got = df(*args)
        err = max(abs(g - w) / max(1.0, abs(w)) for g, w in zip(got, want))
        if not err <= 1e-8:
            row["status"] = f"MISMATCH: {key} {got} vs hand {want}"
            return row
    entries = [timed("forward", lambda: scaling.spring(*args), 0),
               timed("hand", lambda: scaling.spring_grad(*args), 0),
               timed("srcgrad", lambda: python(*args), 0),
               timed("numba", lambda: compiled(*args), 0)]
    for e in entries:
        e.number = calibrate(e.call, s.repeat_s)
    interleaved(entries, s)
    for e in entries:
        row[f"{e.key}_s"] = statistics.median(e.samples)
    row["ratio"] = row["numba_s"] / row["forward_s"]
    return row


# ------------------------------------------------------------------ compile cost


def _case(name):
    """(function, wrt, arguments) of a startup case."""
    if name == "spring":
        return scaling.spring, (0, 1), (1.0, 0.1, SPRING_N)
    w = W.BY_NAME[name]
    return w.fun, w.wrt, w.make_args(np.random.default_rng(0), False)


def child(name: str) -> dict:
    """Run in a new process: import numba, then build and call the derivative once."""
    import time

    import srcgrad

    if name == "numba alone":
        return _alone(time)
    fun, wrt, args = _case(name)
    t0 = time.perf_counter()
    import numba  # noqa: F401
    t1 = time.perf_counter()
    df = srcgrad.grad(fun, wrt=wrt, backend="numba")
    df(*args)
    t2 = time.perf_counter()
    stats = df.native.dispatcher.stats  # the entry's numba cache
    return {"import_s": t1 - t0, "first_call_s": t2 - t1, "backend": df.backend,
            "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}


def _alone(time) -> dict:
    import importlib.util

    path = pathlib.Path(os.environ["SRCGRAD_CACHE_DIR"]) / "numba_alone.py"
    if not path.exists():
        path.write_text(ALONE)
    t0 = time.perf_counter()
    import numba  # noqa: F401
    t1 = time.perf_counter()
    spec = importlib.util.spec_from_file_location("numba_alone", path)
    module = sys.modules["numba_alone"] = importlib.util.module_from_spec(spec)  # numba's cache looks it up
    spec.loader.exec_module(module)
    module.double(1.5)
    t2 = time.perf_counter()
    stats = module.double.stats
    return {"import_s": t1 - t0, "first_call_s": t2 - t1, "backend": "numba",
            "hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}


def _in_new_process(name: str, cache: str) -> dict:
    env = dict(os.environ, SRCGRAD_CACHE_DIR=cache,
               PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    code = ("import json, sys\nfrom benchmarks import numba_section\n"
            "print(json.dumps(numba_section.child(sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, name], env=env, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        return {"status": f"error: {(done.stderr.strip().splitlines() or ['?'])[-1][:100]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def startup_times(name: str, repeats: int) -> dict:
    """The best of `repeats` pairs (cold, warm) of new processes sharing a fresh cache directory."""
    cold, warm = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="srcgrad_numba_startup_") as cache:
            first = _in_new_process(name, cache)
            second = _in_new_process(name, cache)
        for got in (first, second):
            if "status" in got or got["backend"] != "numba":
                return {"status": got.get("status", f"ran {got.get('backend')}")}
        cold.append(first)
        warm.append(second)
    best = lambda runs, key: min(r[key] for r in runs)  # noqa: E731
    return {"import_s": best(cold + warm, "import_s"), "cold_s": best(cold, "first_call_s"),
            "warm_s": best(warm, "first_call_s"),
            "cold_cache": (cold[0]["hits"], cold[0]["misses"]), "warm_cache": (warm[0]["hits"], warm[0]["misses"]),
            "repeats": repeats}


# ------------------------------------------------------------------ report


def render(report: dict, fmt_time) -> list[str]:
    """Markdown lines: the targets (from the main table and the spring), then compile cost."""
    result = report.get("probes", {}).get("numba", {})
    lines = ['The numba backend: `grad(f, backend="numba")`, ratios to the hand-written gradient '
             "in the same interleaved group", ""]
    if "skipped" in result:
        return lines + [result["skipped"], ""]
    lines += ["| workload | hand grad | srcgrad grad | jit(jax.grad) | srcgrad numba | numba / hand | target | |",
              "|---|---:|---:|---:|---:|---:|---:|---|"]
    by_name = {res["name"]: res for res in report.get("workloads", [])}
    for name in WORKLOADS:
        res = by_name.get(name)
        if res is None:
            lines.append(f"| {name} | not run (`--only numba` or `--only {name}` runs it) | | | | | | |")
            continue
        lines += _rows(res, fmt_time)
    lines.append("")
    row = result.get("spring")
    if row:
        lines += ["| spring filled in place | forward | hand grad | srcgrad grad | srcgrad numba | "
                  "numba / forward | target | |", "|---|---:|---:|---:|---:|---:|---:|---|"]
        if "status" in row:
            lines.append(f"| n = {row['n']:,} | | | | {row['status']} | | | |")
        else:
            ratio = row["ratio"]
            lines.append(f"| n = {row['n']:,} | {fmt_time(row['forward_s'])} | {fmt_time(row['hand_s'])} | "
                         f"{fmt_time(row['srcgrad_s'])} | {fmt_time(row['numba_s'])} | {ratio:.3f} | "
                         f"≤ {SPRING_TARGET} | {_verdict(ratio, SPRING_TARGET)} |")
        lines.append("")
    if result.get("startup"):
        lines += ["| compile cost, new processes | import numba | first call, empty cache (build + "
                  "compile + run) | warm start: a second process, same SRCGRAD_CACHE_DIR | "
                  "entry's numba cache hits / misses (first, second) |", "|---|---:|---:|---:|---|"]
        for row in result["startup"]:
            label = LABELS.get(row["name"], row["name"])
            if "status" in row:
                lines.append(f"| {label} | {row['status']} | | | |")
                continue
            (h1, m1), (h2, m2) = row["cold_cache"], row["warm_cache"]
            lines.append(f"| {label} | {fmt_time(row['import_s'])} | {fmt_time(row['cold_s'])} | "
                         f"{fmt_time(row['warm_s'])} | {h1} / {m1}, {h2} / {m2} |")
        lines += ["", f"Compile cost: the best of {result['startup'][0].get('repeats', 1)} pair(s) of "
                      "processes, each pair with a new cache directory.", ""]
    return lines


def _rows(res, fmt_time) -> list[str]:
    b = res["backends"]
    numba = b.get("srcgrad_numba", {})
    hand = fmt_time(b.get("hand", {}).get("median_s"))

    def cell(info):
        if "median_s" not in info:
            return info.get("status", "—")
        return fmt_time(info["median_s"]) + (f" ({info['ratio']:.2f}×)" if "ratio" in info else "")

    target = TARGETS.get(res["name"])
    calls = [("", numba)] + [(f", {v} call", info) for v, info in numba.get("variants", {}).items()]
    out = []
    for suffix, info in calls:
        ratio = info.get("ratio")
        target = None if suffix == ", njit floor call" else TARGETS.get(res["name"])  # not srcgrad's
        title = res["title"] + _VARIANT_TITLES.get(suffix, suffix)
        out.append(f"| {title} | {hand} | {cell(b.get('srcgrad', {}))} | {cell(b.get('jax_jit', {}))} | "
                   f"{cell(info) if ratio is None else fmt_time(info['median_s'])} | "
                   f"{'—' if ratio is None else f'{ratio:.2f}'} | {f'≤ {target}' if target else ''} | "
                   f"{_verdict(ratio, target) if ratio is not None and target else ''} |")
    return out


_VARIANT_TITLES = {
    ", array call": ": the same values as a float64 array",
    # not srcgrad: what any Python-callable numba function costs at this size
    ", njit floor call": ": numba's floor, the hand-written gradient under numba.njit called with the array",
}


def _verdict(ratio, target) -> str:
    return "met" if ratio <= target else "**missed**"
