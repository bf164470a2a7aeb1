"""The benchmark driver: check, time (interleaved, median after warm-up), report.

Imported by `benchmarks/__main__.py` after the thread-count variables are set.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import itertools
import json
import math
import os
import pathlib
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc

import numpy as np

from . import backends as B
from . import check, dask_section, numba_section, scaling
from .report import fmt_time, render  # noqa: F401 (fmt_time: the sections' tests use it)
from . import workloads as W

GRAD_TOL = 1e-6     # max relative error against the hand-written gradient
FD_TOL = 1e-5       # hand-written gradient against finite differences



class Settings:
    def __init__(self, quick: bool):
        self.quick = quick
        self.repeat_s = 0.006 if quick else 0.04     # aim for this long per timed repeat
        self.repeats = 5 if quick else 21            # interleaved repeats per backend
        self.min_repeats = 3
        self.budget_s = 0.4 if quick else 5.0        # stop repeating a slow backend after this
        self.warmup = 0 if quick else 2     # quick: the calibration calls are the warm-up
        self.builds = 2 if quick else 7              # fresh copies for first-build timing


# ------------------------------------------------------------------ environment


def pin_to_one_cpu():
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    cpu = cpus[-1]
    os.sched_setaffinity(0, {cpu})
    return cpu


def cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions() -> dict:
    import srcgrad
    out = {"python": platform.python_version(), "numpy": np.__version__,
           "srcgrad": getattr(srcgrad, "__version__", "?")}
    for mod in ("autograd", "jax", "jaxlib", "torch"):
        try:
            from importlib.metadata import version
            out[mod] = version(mod)
        except Exception:
            out[mod] = None
    return out


def blas_info() -> str:
    try:
        import threadpoolctl
        infos = threadpoolctl.threadpool_info()
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} "
                         f"{i.get('architecture')} threads={i.get('num_threads')}"
                         for i in infos if i.get("user_api") == "blas") or "unknown"
    except Exception as err:  # threadpoolctl is optional
        return f"unknown ({type(err).__name__})"


# ------------------------------------------------------------------ timing


class Timed:
    def __init__(self, key, call, number):
        self.key, self.call, self.number = key, call, number
        self.samples: list[float] = []
        self.spent = 0.0

    def run(self):
        call, n = self.call, self.number
        gc.disable()
        try:
            t0 = time.perf_counter()
            for _ in range(n):
                call()
            dt = time.perf_counter() - t0
        finally:
            gc.enable()
        self.samples.append(dt / n)
        self.spent += dt


def calibrate(call, target_s) -> int:
    t0 = time.perf_counter()
    call()
    one = time.perf_counter() - t0
    if one >= target_s:
        return 1
    # a second look, with more calls, for fast functions
    n = max(1, min(1_000_000, int(target_s / max(one, 1e-7) / 4)))
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    one = (time.perf_counter() - t0) / n
    return max(1, int(target_s / max(one, 1e-9)))


def interleaved(entries: list[Timed], s: Settings):
    """Warm-up, then round-robin repeats (rotating the order), until repeats or budget."""
    for _ in range(s.warmup):
        for e in entries:
            e.call()
    for r in range(s.repeats):
        k = r % len(entries)
        for e in entries[k:] + entries[:k]:
            if r >= s.min_repeats and e.spent > s.budget_s:
                continue
            e.run()
        gc.collect()


def tape_peak(call) -> int:
    """Peak bytes allocated (as traced by tracemalloc) during one call."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


# ------------------------------------------------------------------ one workload


def run_workload(w: W.Workload, names: list[str], s: Settings, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    args = w.make_args(rng, False)
    res = {"name": w.name, "title": w.title, "backends": {}}

    # the hand-written gradient against finite differences (tiny: every coordinate;
    # full size: a random direction)
    tiny_args = w.make_args(np.random.default_rng(seed + 1), True)
    res["fd_tiny"] = check.fd_coordinates(w, tiny_args)
    res["fd_full"] = check.fd_directional(w, args, np.random.default_rng(seed + 2))
    res["fd_ok"] = res["fd_tiny"] <= FD_TOL and res["fd_full"] <= FD_TOL

    want = w.hand_grad(*args)
    value = float(w.fun(*args))
    entries = []
    timed_info = {}  # Timed key -> the dict its results go to (a backend's, or a variant's)
    for name in names:
        label, adapter = B.BACKENDS[name]
        info = res["backends"][name] = {"label": label}
        if s.quick and name in w.quick_skip:
            info["status"] = "skipped (--quick)"
            continue
        try:
            prep = adapter(w, args)
            out = prep.call()
        except B.Unavailable as err:
            info["status"] = f"n/a ({err})"
            continue
        except B.Refused as err:  # srcgrad's own refusal, as a user gets it: a status, not a failure
            info["status"] = f"refused: {err}"
            continue
        except Exception as err:  # a backend that cannot run this workload
            info["status"] = f"error: {type(err).__name__}: {str(err).splitlines()[0][:80]}"
            continue
        status = check_result(prep.to_tree, prep.value_of, out, want, value, info)
        if status:
            info["status"] = status
            continue
        info["status"] = "ok"
        if prep.first_call_s is not None:
            info["first_call_s"] = prep.first_call_s
        info["_prep"] = prep
        entries.append(Timed(name, prep.call, calibrate(prep.call, s.repeat_s)))
        timed_info[name] = info
        for variant, (call, to_tree) in prep.variants.items():
            vinfo = info.setdefault("variants", {})[variant] = {}
            status = check_result(to_tree, None, call(), want, value, vinfo)
            if status:
                vinfo["status"] = status
                continue
            key = f"{name}:{variant}"
            entries.append(Timed(key, call, calibrate(call, s.repeat_s)))
            timed_info[key] = vinfo

    interleaved(entries, s)
    for e in entries:
        info = timed_info[e.key]
        info["median_s"] = statistics.median(e.samples)
        info["min_s"] = min(e.samples)
        info["repeats"] = len(e.samples)
        info["number"] = e.number
        if "first_call_s" in info:
            # compile (or build) = first call minus a steady call
            info["compile_s"] = max(info["first_call_s"] - info["median_s"], 0.0)

    if w.loop:
        for e in entries:
            info = timed_info[e.key]
            if "_prep" in info and info["_prep"].tracemalloc_ok:
                info["peak_bytes"] = tape_peak(e.call)
    for info in res["backends"].values():
        info.pop("_prep", None)

    hand_t = res["backends"].get("hand", {}).get("median_s")
    for info in timed_info.values():
        if hand_t:
            info["ratio"] = info["median_s"] / hand_t
    return res


def check_result(to_tree, value_of, out, want, value, info) -> str:
    """"" when a backend's result `out` agrees with the hand-written gradient `want`
    (and its value with f's `value`), else the status saying how it differs."""
    if to_tree is None:
        return ""
    err = B.max_rel_error(to_tree(out), want)
    info["max_rel_err"] = err
    if not err <= GRAD_TOL:
        return f"MISMATCH (gradient rel err {err:.1e})"
    if value_of is not None:
        got = float(value_of(out))
        info["value"] = got
        if not math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-12):
            return f"MISMATCH (value {got:.6g}, f gives {value:.6g})"
    return ""


# ------------------------------------------------------------------ first build, overhead


_FRESH_DIR = None


def fresh_module(path: pathlib.Path, counter=itertools.count(1)):
    """A new copy of the module at `path` whose code objects srcgrad has never seen.

    srcgrad's cache is keyed by code object, and code objects compare *equal*
    when compiled from the same text at the same line numbers, so re-executing
    the same file would hit the cache. Each copy is shifted down by a different
    number of blank lines (a new `co_firstlineno`) and lives in its own file.
    """
    global _FRESH_DIR
    if _FRESH_DIR is None:
        _FRESH_DIR = tempfile.TemporaryDirectory(prefix="srcgrad_bench_")
    k = next(counter)
    name = f"_srcgrad_bench_fresh_{k}"
    copy = pathlib.Path(_FRESH_DIR.name) / f"{name}.py"
    copy.write_text("\n" * k + pathlib.Path(path).read_text())
    spec = importlib.util.spec_from_file_location(name, copy)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def build_times(path, fname, wrt, args, s: Settings) -> dict:
    """Median times for `grad(f)` (parse + checks) and the first call (compile + run - run)."""
    import srcgrad
    ctor, first, steady = [], [], []
    for _ in range(s.builds):
        mod = fresh_module(path)
        f = getattr(mod, fname)
        gc.collect()
        t0 = time.perf_counter()
        df = srcgrad.grad(f, wrt=wrt)
        t1 = time.perf_counter()
        df(*args)
        t2 = time.perf_counter()
        df(*args)
        t3 = time.perf_counter()
        ctor.append(t1 - t0)
        first.append(t2 - t1)
        steady.append(t3 - t2)
        del sys.modules[mod.__name__]
    c, f1, st = (statistics.median(v) for v in (ctor, first, steady))
    return {"grad_s": c, "first_call_s": f1, "steady_s": st,
            "build_s": c + max(f1 - st, 0.0)}


def twenty_line_build(s: Settings) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "twenty_lines.py"
        path.write_text(W.TWENTY_LINES)
        rng = np.random.default_rng(3)
        args = (rng.normal(size=8), rng.normal(size=(16, 8)), rng.normal(size=16))
        out = build_times(path, "twenty", 0, args, s)
    out["lines"] = sum(1 for ln in W.TWENTY_LINES.split("def twenty", 1)[1].splitlines()[1:]
                       if ln.strip())
    return out


def call_overhead(s: Settings) -> dict:
    """Cached-call overhead: srcgrad's grad call minus the hand-written gradient's call."""
    import srcgrad
    out = {}
    cases = {
        "`x * x`, Python float": (W.tiny, W.tiny_grad, (1.5,)),
        "`np.sum(x * x)`, 3-element array": (W.tiny_sum, W.tiny_sum_grad, (np.array([1.0, 2.0, 3.0]),)),
    }
    for label, (f, g, args) in cases.items():
        df = srcgrad.grad(f)
        got = df(*args)
        if B.max_rel_error(got, g(*args)) > GRAD_TOL:
            out[label] = {"status": "MISMATCH"}
            continue
        ent = [Timed("srcgrad", lambda: df(*args), 0), Timed("hand", lambda: g(*args), 0)]
        for e in ent:
            e.number = calibrate(e.call, s.repeat_s * 2)
        interleaved(ent, s)
        sd, hd = (statistics.median(e.samples) for e in ent)
        out[label] = {"srcgrad_s": sd, "hand_s": hd, "overhead_s": sd - hd}
    return out


# ------------------------------------------------------------------ main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats (about a minute)")
    ap.add_argument("--only", default="",
                    help="comma-separated workloads and/or probes (build, overhead, scaling, numba, dask); "
                         f"workloads: {', '.join(W.BY_NAME)}")
    ap.add_argument("--backends", default=",".join(B.BACKENDS),
                    help=f"comma-separated subset of: {', '.join(B.BACKENDS)}")
    ap.add_argument("--json", metavar="OUT", help="also write the raw results as JSON")
    ap.add_argument("--seed", type=int, default=0)
    ns = ap.parse_args(argv)

    probes = ("build", "overhead", "scaling", "numba", "dask")
    only = [x.strip() for x in ns.only.split(",") if x.strip()]
    unknown = [x for x in only if x not in W.BY_NAME and x not in probes]
    names = [x.strip() for x in ns.backends.split(",") if x.strip()]
    unknown += [x for x in names if x not in B.BACKENDS]
    if unknown:
        ap.error(f"unknown name(s): {', '.join(unknown)}")
    if "numba" in only:  # the numba table's ratios come from these workloads' groups
        only += [name for name in numba_section.WORKLOADS if name not in only]
        names += ["srcgrad_numba"]
    for must in ("hand",):
        if must not in names:
            names.insert(0, must)
    names = [n for n in B.BACKENDS if n in names]
    selected = [w for w in W.WORKLOADS if not only or w.name in only]
    do_build = not only or "build" in only or bool(selected)
    do_overhead = not only or "overhead" in only
    do_scaling = not only or "scaling" in only
    do_numba = not only or "numba" in only
    do_dask = not only or "dask" in only
    # numba's cache for this run alone: a first call compiles, as in a new installation
    numba_cache = tempfile.TemporaryDirectory(prefix="srcgrad_bench_cache_")
    os.environ["SRCGRAD_CACHE_DIR"] = numba_cache.name

    s = Settings(ns.quick)
    all_cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cpu = pin_to_one_cpu()
    t_start = time.perf_counter()
    report = {
        "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {"cpu": cpu_model(), "logical_cpus": os.cpu_count(), "pinned_cpu": cpu,
                    "platform": platform.platform(), "blas": None,
                    "threads_env": {k: os.environ.get(k) for k in
                                    ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "OPENBLAS_CORETYPE", "XLA_FLAGS")}},
        "versions": versions(), "quick": ns.quick, "backends": names, "workloads": [],
    }
    for w in selected:
        print(f"[{time.perf_counter() - t_start:6.1f}s] {w.name} ...", file=sys.stderr, flush=True)
        res = run_workload(w, names, s, ns.seed)
        if do_build:
            res["build"] = build_times(pathlib.Path(W.__file__), w.fun.__name__, w.wrt,
                                       w.make_args(np.random.default_rng(ns.seed), False), s)
        report["workloads"].append(res)
    report["probes"] = {}
    if do_build and (not only or "build" in only):
        print(f"[{time.perf_counter() - t_start:6.1f}s] first build ...", file=sys.stderr, flush=True)
        report["probes"]["twenty_line_build"] = twenty_line_build(s)
    if do_overhead:
        print(f"[{time.perf_counter() - t_start:6.1f}s] overhead ...", file=sys.stderr, flush=True)
        report["probes"]["overhead"] = call_overhead(s)
    if do_scaling:
        print(f"[{time.perf_counter() - t_start:6.1f}s] scaling ...", file=sys.stderr, flush=True)
        report["probes"]["scaling"] = scaling.run(s, names, Timed, calibrate, interleaved)
    if do_numba:
        print(f"[{time.perf_counter() - t_start:6.1f}s] numba ...", file=sys.stderr, flush=True)
        report["probes"]["numba"] = numba_section.run(s, Timed, calibrate, interleaved)
    if do_dask:
        print(f"[{time.perf_counter() - t_start:6.1f}s] dask ...", file=sys.stderr, flush=True)
        report["probes"]["dask"] = dask_section.run(s, Timed, calibrate, interleaved, all_cpus)
    report["machine"]["blas"] = blas_info()
    report["elapsed_s"] = time.perf_counter() - t_start

    m, v = report["machine"], report["versions"]
    print(f"CPU: {m['cpu']} ({m['logical_cpus']} logical CPUs, pinned to CPU {m['pinned_cpu']}); "
          f"BLAS: {m['blas']}")
    print("Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val))
    print(f"Command: {report['command'].strip()}  ({report['elapsed_s']:.0f} s)")
    print()
    print(render(report))
    bad = [(r["name"], n, i["status"]) for r in report["workloads"]
           for n, i in r["backends"].items() if i.get("status", "ok").startswith(("MISMATCH", "error"))]
    bad += [(r["name"], f"{n}:{v}", vi["status"]) for r in report["workloads"]
            for n, i in r["backends"].items() for v, vi in i.get("variants", {}).items()
            if vi.get("status", "").startswith("MISMATCH")]
    numba = report["probes"].get("numba", {})
    bad += [("numba", row.get("name", "spring"), row["status"])
            for row in [numba.get("spring", {})] + numba.get("startup", []) if "status" in row]
    bad += [(r["name"], "hand", "finite-difference check failed")
            for r in report["workloads"] if not r["fd_ok"]]
    bad += [("scaling", "srcgrad", row["status"]) for row in report["probes"].get("scaling", {}).get("sizes", [])
            if "status" in row]
    bad += [("dask", row["key"], row["status"]) for row in report["probes"].get("dask", {}).get("rows", [])
            if "status" in row]
    for name, backend, status in bad:
        print(f"WARNING: {name} / {backend}: {status}", file=sys.stderr)
    if ns.json:
        pathlib.Path(ns.json).write_text(json.dumps(report, indent=2, default=str))
    numba_cache.cleanup()
    return 1 if bad else 0
