"""Derivative rules for the quantile functions of `scipy.stats`: `ppf` and `isf` (SciPy is optional).

For a continuous distribution with density f and CDF F, z = ppf(q) solves
F(z) = q, so dz/dq = 1 / f(z): the density at the quantile, which every
family here has in closed form (rules/scipy_stats.py). isf(q) = ppf(1 - q)
gives -1 / f(z). In the location and the scale, z = loc + scale * ppf0(q):
dz/dloc = 1 and dz/dscale = (z - loc) / scale. A shape parameter's
derivative (t's df, gamma's a, beta's a and b, chi2's df) is -dF/dshape /
f(z), with no closed form: `constant_only`, a located error where it would be
needed, as for the CDFs. At q = 0 or 1 the quantile is infinite and so is
its derivative.

The templates are written out as text from the table of families (as in
scipy_stats.py) and call the distribution's own `pdf`, which has rules: a
derivative can be differentiated again.
"""

import numpy

try:
    import scipy.stats
except ImportError as _err:  # SciPy missing (or broken): srcgrad works without it
    raise ModuleNotFoundError(f"SciPy is not importable ({_err}); no rules for scipy.stats",
                              name=__name__) from _err

from srcgrad.rules.registry import adjoint, array_operands, constant_only, tangent
from srcgrad.runtime import broadcast_like, unbroadcast
from srcgrad.templates import d, from_text

# scipy.stats.<name> and its shape parameters, in SciPy's order and spelling
SHAPES = {"norm": (), "t": ("df",), "gamma": ("a",), "beta": ("a", "b"), "chi2": ("df",)}

_GLOBALS = {"d": d, "numpy": numpy, "scipy": scipy, "unbroadcast": unbroadcast, "broadcast_like": broadcast_like}


def _define(primitive, name: str, params: str, body: list, mode: str) -> None:
    """Register the template `def name(z, params): body` (text) for `primitive`."""
    template = from_text(name, f"z, {params}", body, _GLOBALS, f"srcgrad/rules/scipy_stats_quantiles.py:{name}")
    (adjoint if mode == "reverse" else tangent)(primitive)(template)


def _register(name: str, shapes: tuple) -> None:
    dist = getattr(scipy.stats, name)
    head = "".join(f"{s}, " for s in shapes)
    density = f"scipy.stats.{name}.pdf(z, {head}loc, scale)"
    for method, sign in (("ppf", ""), ("isf", "-")):
        primitive = getattr(dist, method)
        array_operands(primitive)
        params = f"q, {head}loc=0.0, scale=1.0"
        _define(primitive, f"{name}_{method}_adjoint", params, [
            f"slope = {sign}1.0 / {density}",
            "d[q] = unbroadcast(d[z] * slope, q)",
            "d[loc] = unbroadcast(d[z], loc)",
            "d[scale] = unbroadcast(d[z] * (z - loc) / scale, scale)",
        ], "reverse")
        _define(primitive, f"{name}_{method}_tangent", params, [
            f"d[z] = {sign}d[q] / {density}",
            "d[z] = broadcast_like(d[loc], z)",
            "d[z] = d[scale] * (z - loc) / scale",
        ], "forward")
        for shape in shapes:
            constant_only(primitive, shape, f"scipy.stats.{name}.{method} has no closed-form derivative in "
                          f"{shape!r}: pass {shape} as a constant (the quantile's derivative in q, loc and "
                          "scale is 1 / pdf)")


for _name, _shapes in SHAPES.items():
    _register(_name, _shapes)
