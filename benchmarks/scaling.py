"""The scaling probe: a gradient's time against n, for a loop that fills arrays in place.

The damped spring below is integrated with `xs[i + 1] = xs[i] + dt * vs[i + 1]`:
every step reads entries of two arrays and writes one entry of each. A
gradient that rebuilds an adjoint array per read costs time quadratic in n;
one that adds into its adjoint in place costs time linear in n, a small
multiple of the forward run's. The probe times the forward run and
srcgrad's gradient (and autograd's, where it runs: it refuses writes into
arrays) at each n, in one process, interleaved; it reports the growth from
n = 2,000 to n = 8,000 (linear: 4; target at most 4.6) and the gradient's
time over the forward run's at n = 8,000 (target at most 5).
"""
from __future__ import annotations

import math
import statistics

import numpy as np

SIZES = (2_000, 8_000, 32_000)
GROWTH_TARGET = 4.6  # time at n = 8,000 over time at n = 2,000
RATIO_TARGET = 5.0  # gradient over forward run, at n = 8,000


def spring(k, c, n):
    dt = 0.01
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        a = -k * xs[i] - c * vs[i]
        vs[i + 1] = vs[i] + dt * a
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs ** 2)


def spring_grad(k, c, n):
    """The hand-written gradient: the forward run kept in its arrays, the backward
    sweep over Python floats (checks srcgrad's values)."""
    dt = 0.01
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        a = -k * xs[i] - c * vs[i]
        vs[i + 1] = vs[i] + dt * a
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    dxs = (2.0 * xs).tolist()
    dv_next = 0.0
    dk = dc = 0.0
    xl, vl = xs.tolist(), vs.tolist()
    for i in range(n - 1, -1, -1):
        dx_next = dxs[i + 1]
        dv = dv_next + dt * dx_next  # the adjoint of vs[i + 1]
        da = dt * dv
        dk -= da * xl[i]
        dc -= da * vl[i]
        dxs[i] += dx_next - k * da
        dv_next = dv - c * da
    return dk, dc


def run(s, names, timed, calibrate, interleaved) -> dict:
    """{"sizes": [{n, forward_s, srcgrad_s, autograd_s or status}], growth, ratio};
    `s`, `timed`, `calibrate`, `interleaved` are the runner's settings and timers."""
    import srcgrad

    grad = srcgrad.grad(spring, wrt=(0, 1))
    peer = _autograd() if "autograd" in names else None
    rows = []
    for n in SIZES:
        args = (1.0, 0.1, n)
        want = spring_grad(*args)
        got = grad(*args)
        row = {"n": n}
        if max(abs(g - w) / max(1.0, abs(w)) for g, w in zip(got, want)) > 1e-8:
            row["status"] = f"MISMATCH: srcgrad {got} vs hand {want}"
            rows.append(row)
            continue
        entries = [timed("forward", lambda: spring(*args), 0), timed("srcgrad", lambda: grad(*args), 0)]
        if peer is not None and not isinstance(peer, str):
            entries.append(timed("autograd", lambda: peer(*args), 0))
        for e in entries:
            e.number = calibrate(e.call, s.repeat_s)
        interleaved(entries, s)
        for e in entries:
            row[f"{e.key}_s"] = statistics.median(e.samples)
        if isinstance(peer, str):
            row["autograd_status"] = peer
        rows.append(row)
    out = {"sizes": rows}
    by_n = {r["n"]: r for r in rows if "srcgrad_s" in r}
    if 2_000 in by_n and 8_000 in by_n:
        out["growth"] = by_n[8_000]["srcgrad_s"] / by_n[2_000]["srcgrad_s"]
        out["ratio"] = by_n[8_000]["srcgrad_s"] / by_n[8_000]["forward_s"]
    return out


def _autograd():
    """autograd's gradient of the same code, or why there is none."""
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None
    from .backends import rebind

    fun = autograd.grad(rebind(spring, anp, math), argnum=(0, 1))
    try:
        fun(1.0, 0.1, 3)
    except Exception as err:  # autograd refuses item assignment into its arrays
        return f"does not run ({type(err).__name__}: {str(err).splitlines()[0][:60]})"
    return fun


def render(result: dict, fmt_time) -> list[str]:
    """Markdown lines: the table against n, then the two targets."""
    lines = ["Scaling: the damped spring filled in place (`xs[i + 1] = ...`), gradient wrt (k, c)", "",
             "| n | forward | srcgrad gradient | gradient / forward | autograd |", "|---:|---:|---:|---:|---|"]
    for row in result["sizes"]:
        if "srcgrad_s" not in row:
            lines.append(f"| {row['n']:,} | | {row.get('status')} | | |")
            continue
        peer = fmt_time(row["autograd_s"]) if "autograd_s" in row else row.get("autograd_status", "—")
        lines.append(f"| {row['n']:,} | {fmt_time(row['forward_s'])} | {fmt_time(row['srcgrad_s'])} | "
                     f"{row['srcgrad_s'] / row['forward_s']:.1f} | {peer} |")
    lines.append("")
    if "growth" in result:
        growth, ratio = result["growth"], result["ratio"]
        lines.append(f"| scaling target | measured | target | |\n|---|---:|---:|---|\n"
                     f"| gradient time, n = 8,000 over n = 2,000 | {growth:.2f} | <= {GROWTH_TARGET} | "
                     f"{'met' if growth <= GROWTH_TARGET else '**missed**'} |\n"
                     f"| gradient over forward run, n = 8,000 | {ratio:.2f} | <= {RATIO_TARGET:.0f} | "
                     f"{'met' if ratio <= RATIO_TARGET else '**missed**'} |")
        lines.append("")
    return lines
