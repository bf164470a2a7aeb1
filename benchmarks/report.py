"""The benchmark report: the Markdown tables `python -m benchmarks` prints.

`render(report)` takes the runner's results (see runner.main) and gives the
main table (one column per backend, srcgrad's ratio against its target),
the build/compile/memory table, the probes, and the sections' own tables
(scaling.py, numba_section.py, dask_section.py).
"""
from __future__ import annotations

from . import backends as B
from . import dask_section, numba_section, scaling

# Targets from issue 6: srcgrad grad / hand-written gradient, same run.
TARGETS = {
    "rosenbrock": 1.5, "pendulum": 1.5, "mlp32": 1.15, "mlp1024": 1.05,
    "rnn": 1.2, "logreg": 1.05, "elementwise": 1.1,
}
BUILD_TARGET_MS = 20.0
OVERHEAD_TARGET_US = 1.0


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
    lines.append("| workload | srcgrad first build | jit(jax.grad) compile | numba first call − steady | "
                 "tape peak: hand | srcgrad | srcgrad v&g | autograd | FD check (tiny / full) |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for res in report["workloads"]:
        b = res["backends"]
        build = res.get("build", {}).get("build_s")
        jit_c = b.get("jax_jit", {}).get("compile_s")
        numba_c = b.get("srcgrad_numba", {}).get("compile_s")

        def mem(n):
            v = b.get(n, {}).get("peak_bytes")
            return "—" if v is None else f"{v / 1024:.0f} KiB"
        fd = f"{res['fd_tiny']:.1e} / {res['fd_full']:.1e} " + ("ok" if res["fd_ok"] else "**FAILED**")
        lines.append(f"| {res['title']} | {fmt_time(build)} | {fmt_time(jit_c)} | {fmt_time(numba_c)} | "
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
    if "numba" in probes:
        lines += numba_section.render(report, fmt_time)
    if "scaling" in probes:
        lines += scaling.render(probes["scaling"], fmt_time)
    if "dask" in probes:
        lines += dask_section.render(probes["dask"], fmt_time)
    return "\n".join(lines)
