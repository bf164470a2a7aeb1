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
from . import check, dask_section, scaling
from . import workloads as W

GRAD_TOL = 1e-6     # max relative error against the hand-written gradient
FD_TOL = 1e-5       # hand-written gradient against finite differences

# Targets from issue 6: srcgrad grad / hand-written gradient, same run.
TARGETS = {
    "rosenbrock": 1.5, "pendulum": 1.5, "mlp32": 1.15, "mlp1024": 1.05,
    "rnn": 1.2, "logreg": 1.05, "elementwise": 1.1,
}
BUILD_TARGET_MS = 20.0
OVERHEAD_TARGET_US = 1.0


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
        except Exception as err:  # a backend that cannot run this workload
            info["status"] = f"error: {type(err).__name__}: {str(err).splitlines()[0][:80]}"
            continue
        if prep.to_tree is not None:
            err = B.max_rel_error(prep.to_tree(out), want)
            info["max_rel_err"] = err
            if not err <= GRAD_TOL:
                info["status"] = f"MISMATCH (gradient rel err {err:.1e})"
                continue
            if prep.value_of is not None:
                got = float(prep.value_of(out))
                info["value"] = got
                if not math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-12):
                    info["status"] = f"MISMATCH (value {got:.6g}, f gives {value:.6g})"
                    continue
        info["status"] = "ok"
        if prep.first_call_s is not None:
            info["first_call_s"] = prep.first_call_s
        info["_prep"] = prep
        entries.append(Timed(name, prep.call, calibrate(prep.call, s.repeat_s)))

    interleaved(entries, s)
    for e in entries:
        info = res["backends"][e.key]
        info["median_s"] = statistics.median(e.samples)
        info["min_s"] = min(e.samples)
        info["repeats"] = len(e.samples)
        info["number"] = e.number
        if "first_call_s" in info:
            # compile (or build) = first call minus a steady call
            info["compile_s"] = max(info["first_call_s"] - info["median_s"], 0.0)

    if w.loop:
        for e in entries:
            info = res["backends"][e.key]
            if info["_prep"].tracemalloc_ok:
                info["peak_bytes"] = tape_peak(e.call)
    for info in res["backends"].values():
        info.pop("_prep", None)

    hand_t = res["backends"].get("hand", {}).get("median_s")
    for info in res["backends"].values():
        if hand_t and "median_s" in info:
            info["ratio"] = info["median_s"] / hand_t
    return res


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


# ------------------------------------------------------------------ report


def fmt_time(t) -> str:
    if t is None:
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.3g} µs"
    if t < 1.0:
        return f"{t * 1e3:.3g} ms"
    return f"{t:.3g} s"


def cell(info: dict, with_ratio=True) -> str:
    if "median_s" not in info:
        return info.get("status", "—")
    text = fmt_time(info["median_s"])
    if with_ratio and "ratio" in info:
        text += f" ({info['ratio']:.2f}×)"
    return text


def render(report: dict) -> str:
    names = report["backends"]
    lines = []
    head = ["workload"] + [B.BACKENDS[n][0] for n in names] + ["srcgrad/hand", "target", ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for res in report["workloads"]:
        row = [res["title"]]
        for n in names:
            info = res["backends"].get(n, {})
            row.append(cell(info, with_ratio=n not in ("numpy", "hand")))
        ratio = res["backends"].get("srcgrad", {}).get("ratio")
        target = TARGETS.get(res["name"])
        row.append(f"{ratio:.2f}" if ratio else "—")
        row.append(f"≤ {target}" if target else "")
        row.append("" if ratio is None or target is None else ("met" if ratio <= target else "**missed**"))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("Times are the median per call; (×) is the ratio to the hand-written gradient.")
    lines.append("")

    # compile / build times, tape memory
    lines.append("| workload | srcgrad first build | jit(jax.grad) compile | "
                 "tape peak: hand | srcgrad | srcgrad v&g | autograd | FD check (tiny / full) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
    for res in report["workloads"]:
        b = res["backends"]
        build = res.get("build", {}).get("build_s")
        jit_c = b.get("jax_jit", {}).get("compile_s")

        def mem(n):
            v = b.get(n, {}).get("peak_bytes")
            return "—" if v is None else f"{v / 1024:.0f} KiB"
        fd = f"{res['fd_tiny']:.1e} / {res['fd_full']:.1e} " + ("ok" if res["fd_ok"] else "**FAILED**")
        lines.append(f"| {res['title']} | {fmt_time(build)} | {fmt_time(jit_c)} | "
                     f"{mem('hand')} | {mem('srcgrad')} | {mem('srcgrad_vg')} | {mem('autograd')} | {fd} |")
    lines.append("")

    probes = report.get("probes", {})
    if probes.get("twenty_line_build") or probes.get("overhead"):
        lines.append("| probe | measured | target | |")
        lines.append("|---|---:|---:|---|")
        tw = probes.get("twenty_line_build")
        if tw:
            ms = tw["build_s"] * 1e3
            lines.append(f"| first build of a {tw['lines']}-line function (grad() "
                         f"{tw['grad_s'] * 1e3:.1f} ms + first call {tw['first_call_s'] * 1e3:.1f} ms "
                         f"− steady call) | {ms:.1f} ms | < {BUILD_TARGET_MS:.0f} ms | "
                         f"{'met' if ms < BUILD_TARGET_MS else '**missed**'} |")
        for label, o in probes.get("overhead", {}).items():
            if "overhead_s" not in o:
                lines.append(f"| cached-call overhead, {label} | {o.get('status')} | | |")
                continue
            us = o["overhead_s"] * 1e6
            lines.append(f"| cached-call overhead, {label} (srcgrad "
                         f"{o['srcgrad_s'] * 1e6:.2f} µs − hand {o['hand_s'] * 1e6:.2f} µs) | "
                         f"{us:.2f} µs | < {OVERHEAD_TARGET_US:.0f} µs | "
                         f"{'met' if us < OVERHEAD_TARGET_US else '**missed**'} |")
        lines.append("")
    if "scaling" in probes:
        lines += scaling.render(probes["scaling"], fmt_time)
    if "dask" in probes:
        lines += dask_section.render(probes["dask"], fmt_time)
    return "\n".join(lines)


# ------------------------------------------------------------------ main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats (about a minute)")
    ap.add_argument("--only", default="",
                    help="comma-separated workloads and/or probes (build, overhead, scaling, dask); "
                         f"workloads: {', '.join(W.BY_NAME)}")
    ap.add_argument("--backends", default=",".join(B.BACKENDS),
                    help=f"comma-separated subset of: {', '.join(B.BACKENDS)}")
    ap.add_argument("--json", metavar="OUT", help="also write the raw results as JSON")
    ap.add_argument("--seed", type=int, default=0)
    ns = ap.parse_args(argv)

    only = [x.strip() for x in ns.only.split(",") if x.strip()]
    unknown = [x for x in only if x not in W.BY_NAME and x not in ("build", "overhead", "scaling", "dask")]
    names = [x.strip() for x in ns.backends.split(",") if x.strip()]
    unknown += [x for x in names if x not in B.BACKENDS]
    if unknown:
        ap.error(f"unknown name(s): {', '.join(unknown)}")
    for must in ("hand",):
        if must not in names:
            names.insert(0, must)
    names = [n for n in B.BACKENDS if n in names]
    selected = [w for w in W.WORKLOADS if not only or w.name in only]
    do_build = not only or "build" in only or bool(selected)
    do_overhead = not only or "overhead" in only
    do_scaling = not only or "scaling" in only
    do_dask = not only or "dask" in only

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
    return 1 if bad else 0
