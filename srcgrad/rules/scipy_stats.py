"""Derivative rules for `scipy.stats` distributions (SciPy is optional).

A rule is keyed by the bound method a program calls, `scipy.stats.norm.logpdf`
(a method of SciPy's module-level `norm` object; bound methods compare by
their object and function, so each spelling of the call finds it).

The univariate distributions are rows of a table: a location-scale family,
z = f(u; shapes) / scale with u = (x - loc) / scale, given by the derivative
of log f in u (its score) and in each shape parameter. From a row come the
rules of `logpdf`, `pdf`, `cdf`, `logcdf`, `sf` and `logsf`, in x, loc, scale
and the shapes, written out as template text (like rules/elementwise.py):

- logpdf: d log f / dp times the incoming derivative, for each parameter p;
- pdf: the same times z, exactly 0 where z is (outside the support);
- cdf, sf: the density itself, `pdf(x, ...)`, in x, loc and scale; logcdf and
  logsf divide it by exp(z), as exp(logpdf - z), which stays finite in the
  tails. A shape parameter's derivative there has no closed form (t.cdf in
  df, gamma.cdf in a, beta.cdf in a and b): `constant_only`, so a shape that
  depends on a differentiated input is a located error, never a silent zero.

`poisson` (logpmf, pmf, cdf, logcdf, sf, logsf) is differentiated in mu; k
and loc are counts, piecewise constant: zero. `dirichlet` and
`multivariate_normal` (logpdf, pdf; mvn's entropy) are written below; their
arguments go through the helpers of runtime/stats.py, which make them the
full forms SciPy computes with. `multivariate_normal.cdf` and `.logcdf` have
no rule (`unsupported`: a located error where their derivative is needed),
nor does freezing a distribution (`scipy.stats.norm(loc, scale)`) or a method
of the frozen object: the hint names the call to write instead. ppf and isf:
rules/scipy_stats_quantiles.py.

Derivatives call NumPy, scipy.special and these distributions' own methods,
which have rules, so a derivative can be differentiated again.

Without an importable SciPy this module raises ModuleNotFoundError naming
itself, which `srcgrad.rules` takes as "no rules for this namespace".
"""
from dataclasses import dataclass

import numpy

try:
    import scipy.special
    import scipy.stats
except ImportError as _err:  # SciPy missing (or broken): srcgrad works without it
    raise ModuleNotFoundError(f"SciPy is not importable ({_err}); no rules for scipy.stats",
                              name=__name__) from _err

from srcgrad.rules.registry import adjoint, array_operands, constant_only, linear, tangent, unsupported
from srcgrad.runtime import (dirichlet_points, dirichlet_points_adjoint, dirichlet_points_tangent, masked_product,
                             mvn_cov, mvn_cov_adjoint, mvn_full_rank, mvn_mean, mvn_points, mvn_precision,
                             unbroadcast)
from srcgrad.templates import d, from_text


@dataclass(frozen=True)
class Family:
    """A location-scale family of `scipy.stats`: z = f(u; shapes) / scale."""

    name: str           # scipy.stats.<name>
    shapes: tuple       # the shape parameters, in SciPy's order and spelling
    score: str          # d log f / du, in u and the shapes
    shape_scores: tuple  # d log f / d<shape>, one per shape


FAMILIES = (
    Family("norm", (), "-u", ()),
    Family("t", ("df",), "-(df + 1.0) * u / (df + u * u)",
           ("0.5 * (scipy.special.psi(0.5 * df + 0.5) - scipy.special.psi(0.5 * df) - 1.0 / df"
            " - numpy.log1p(u * u / df) + (df + 1.0) * u * u / (df * (df + u * u)))",)),
    Family("gamma", ("a",), "(a - 1.0) / u - 1.0", ("numpy.log(u) - scipy.special.psi(a)",)),
    Family("beta", ("a", "b"), "(a - 1.0) / u - (b - 1.0) / (1.0 - u)",
           ("numpy.log(u) + scipy.special.psi(a + b) - scipy.special.psi(a)",
            "numpy.log1p(-u) + scipy.special.psi(a + b) - scipy.special.psi(b)")),
    Family("chi2", ("df",), "(0.5 * df - 1.0) / u - 0.5",
           ("0.5 * (numpy.log(0.5 * u) - scipy.special.psi(0.5 * df))",)),
)

# The templates' global names (the registry checks each means one object everywhere).
_GLOBALS = {"d": d, "numpy": numpy, "scipy": scipy, "unbroadcast": unbroadcast,
            "masked_product": masked_product}


def _define(primitive, name: str, params: str, body: list, mode: str) -> None:
    """Register the template `def name(z, params): body` (text) for `primitive`, which
    reads its operands as arrays (a list passed to it is made one first)."""
    array_operands(primitive)
    template = from_text(name, f"z, {params}", body, _GLOBALS, f"srcgrad/rules/scipy_stats.py:{name}")
    (adjoint if mode == "reverse" else tangent)(primitive)(template)


def _by_factors(primitive, name: str, params: str, local_lines: list, factors: dict, weighted: bool) -> None:
    """The adjoint and tangent of a function whose derivative in each parameter p is
    `factors[p]` (text) times the result's: with `weighted`, times z as well (a density
    from its log), exactly 0 where z is."""
    adjoint_lines, tangent_lines = list(local_lines), list(local_lines)
    for param, factor in factors.items():
        if weighted:
            adjoint_lines.append(f"d[{param}] = unbroadcast(masked_product(d[z] * z, {factor}), {param})")
            tangent_lines.append(f"d[z] = masked_product(d[{param}] * z, {factor})")
        else:
            adjoint_lines.append(f"d[{param}] = unbroadcast(d[z] * ({factor}), {param})")
            tangent_lines.append(f"d[z] = d[{param}] * ({factor})")
    _define(primitive, f"{name}_adjoint", params, adjoint_lines, "reverse")
    _define(primitive, f"{name}_tangent", params, tangent_lines, "forward")


def _no_closed_form(primitive, label: str, params) -> None:
    for param in params:
        constant_only(primitive, param, f"{label} has no closed-form derivative in {param!r}: pass "
                      f"{param} as a constant (the density, logpdf or pdf, has one)")


def _register_family(family: Family) -> None:
    dist = getattr(scipy.stats, family.name)
    shapes = "".join(f"{s}, " for s in family.shapes)
    params = f"x, {shapes}loc=0.0, scale=1.0"
    arguments = f"x, {shapes}loc, scale"
    density_locals = ["u = (x - loc) / scale", f"s = {family.score}"]
    density = {"x": "s / scale", "loc": "-s / scale", "scale": "-(1.0 + u * s) / scale",
               **dict(zip(family.shapes, family.shape_scores))}
    for method, weighted in (("logpdf", False), ("pdf", True)):
        _by_factors(getattr(dist, method), f"{family.name}_{method}", params, density_locals, density, weighted)
    # d cdf / dx is the density: pdf(x) = f(u) / scale; d/dloc = -pdf, d/dscale = -u pdf.
    slope = {"cdf": f"scipy.stats.{family.name}.pdf({arguments})",
             "sf": f"-scipy.stats.{family.name}.pdf({arguments})",
             "logcdf": f"numpy.exp(scipy.stats.{family.name}.logpdf({arguments}) - z)",
             "logsf": f"-numpy.exp(scipy.stats.{family.name}.logpdf({arguments}) - z)"}
    for method, text in slope.items():
        _by_factors(getattr(dist, method), f"{family.name}_{method}", params, [f"p = {text}"],
                    {"x": "p", "loc": "-p", "scale": "-p * (x - loc) / scale"}, weighted=False)
        _no_closed_form(getattr(dist, method), f"scipy.stats.{family.name}.{method}", family.shapes)


for _family in FAMILIES:
    _register_family(_family)


# --- poisson: in mu; the count k and the shift loc are piecewise constant -----------
# logpmf = xlogy(n, mu) - gammaln(n + 1) - mu with n = k - loc; cdf = sum of pmf up to floor(n).

_n = "numpy.floor(k - loc)"
_POISSON = {
    "logpmf": ("(k - loc) / mu - 1.0", False),
    "pmf": ("(k - loc) / mu - 1.0", True),
    "cdf": (f"-scipy.stats.poisson.pmf({_n}, mu)", False),
    "sf": (f"scipy.stats.poisson.pmf({_n}, mu)", False),
    "logcdf": (f"-numpy.exp(scipy.stats.poisson.logpmf({_n}, mu) - z)", False),
    "logsf": (f"numpy.exp(scipy.stats.poisson.logpmf({_n}, mu) - z)", False),
}
for _method, (_factor, _weighted) in _POISSON.items():
    _by_factors(getattr(scipy.stats.poisson, _method), f"poisson_{_method}", "k, mu, loc=0", [],
                {"mu": _factor}, _weighted)


# --- dirichlet: z = gammaln(sum(alpha)) - sum(gammaln(alpha)) + sum(xlogy(alpha - 1, x)) ---
# x has the components along its first axis (K, or K x points), the last one left
# out or not; `xt` is the completed points transposed (components last), `g` the
# incoming derivative per point, against them.

_DIRICHLET_LOCALS = [
    "xt = numpy.transpose(dirichlet_points(x, alpha))",
    "w = numpy.expand_dims(numpy.reshape({g}, numpy.shape(xt)[:-1]), -1)",
    "dx = (alpha - 1.0) / numpy.where(numpy.equal(alpha, 1.0), 1.0, xt)",
    "da = numpy.log(xt) + scipy.special.psi(numpy.sum(alpha)) - scipy.special.psi(alpha)",
]


def _dirichlet(method: str, weight: str) -> None:
    """The rules of dirichlet.`method`, whose derivative is `weight` times logpdf's."""
    primitive = getattr(scipy.stats.dirichlet, method)
    lines = [line.replace("{g}", weight) for line in _DIRICHLET_LOCALS]
    _define(primitive, f"dirichlet_{method}_adjoint", "x, alpha", lines + [
        "d[x] = dirichlet_points_adjoint(numpy.transpose(w * dx), x, alpha)",
        "d[alpha] = unbroadcast(w * da, alpha)",
    ], "reverse")
    scale = "" if weight == "d[z]" else "z * "
    dx, da = (line.split(" = ", 1)[1] for line in lines[2:])  # inlined: each is read by one line
    _define(primitive, f"dirichlet_{method}_tangent", "x, alpha", lines[:1] + [
        f"d[z] = {scale}numpy.reshape(numpy.sum(numpy.transpose(dirichlet_points_tangent(d[x], alpha))"
        f" * ({dx}), axis=-1), numpy.shape(z))",
        f"d[z] = {scale}numpy.reshape(numpy.sum(d[alpha] * ({da}), axis=-1), numpy.shape(z))",
    ], "forward")


_GLOBALS.update(dirichlet_points=dirichlet_points, dirichlet_points_adjoint=dirichlet_points_adjoint,
                dirichlet_points_tangent=dirichlet_points_tangent)
_dirichlet("logpdf", "d[z]")
_dirichlet("pdf", "d[z] * z")


# --- multivariate_normal: z = -(rank log(2 pi) + log pdet(S) + dev P dev) / 2 per point ----
# dev = x - mean (points along the last axis), S the covariance SciPy uses, P its
# (pseudo-)inverse, w = dev P. dz/dx = -w, dz/dmean = w, dz/dS = (P dev dev P - P) / 2,
# sent back to cov's own form (a number, a diagonal, a matrix's lower triangle).

_MVN_LOCALS = [
    "dev = mvn_points(x, mean, cov) - mvn_mean(mean, cov)",
    "s = mvn_cov(cov, mean)",
    "p = mvn_precision(s, allow_singular)",
    "w = dev @ p",
]


def _mvn(method: str, weight: str) -> None:
    """The rules of multivariate_normal.`method`, whose derivative is `weight` times logpdf's."""
    primitive = getattr(scipy.stats.multivariate_normal, method)
    params = "x, mean=None, cov=1, allow_singular=False"
    _define(primitive, f"mvn_{method}_adjoint", params, _MVN_LOCALS + [
        f"g = numpy.reshape({weight}, numpy.shape(dev)[:-1])",
        "gw = numpy.expand_dims(g, -1) * w",
        "n = numpy.shape(dev)[-1]",
        "d[x] = numpy.reshape(-gw, numpy.shape(x))",
        "d[mean] = numpy.reshape(numpy.sum(numpy.reshape(gw, (-1, n)), axis=0), numpy.shape(mean))",
        "d[cov] = mvn_cov_adjoint(0.5 * (numpy.transpose(numpy.reshape(w, (-1, n))) @ numpy.reshape(gw, (-1, n))"
        " - numpy.sum(g) * mvn_full_rank(p, s)), cov)",
    ], "reverse")
    scale = "" if weight == "d[z]" else "z * "
    _define(primitive, f"mvn_{method}_tangent", params, _MVN_LOCALS + [
        f"d[z] = -{scale}numpy.reshape(numpy.sum(mvn_points(d[x], mean, cov) * w, axis=-1), numpy.shape(z))",
        f"d[z] = {scale}numpy.reshape(numpy.sum(mvn_mean(d[mean], cov) * w, axis=-1), numpy.shape(z))",
        f"d[z] = {scale}numpy.reshape(0.5 * numpy.sum((w @ mvn_cov(d[cov], mean)) * w, axis=-1)"
        " - 0.5 * numpy.sum(mvn_full_rank(p, s) * mvn_cov(d[cov], mean)), numpy.shape(z))",
    ], "forward")


_GLOBALS.update(mvn_points=mvn_points, mvn_mean=mvn_mean, mvn_cov=mvn_cov, mvn_precision=mvn_precision,
                mvn_cov_adjoint=mvn_cov_adjoint, mvn_full_rank=mvn_full_rank)
_mvn("logpdf", "d[z]")
_mvn("pdf", "d[z] * z")


array_operands(scipy.stats.multivariate_normal.entropy)


@adjoint(scipy.stats.multivariate_normal.entropy)  # z = (rank (log(2 pi) + 1) + log pdet(S)) / 2
def mvn_entropy_adjoint(z, mean=None, cov=1):
    s = mvn_cov(cov, mean)
    d[cov] = mvn_cov_adjoint(0.5 * d[z] * mvn_full_rank(mvn_precision(s, True), s), cov)


@tangent(scipy.stats.multivariate_normal.entropy)
def mvn_entropy_tangent(z, mean=None, cov=1):
    s = mvn_cov(cov, mean)
    d[z] = 0.5 * numpy.sum(mvn_full_rank(mvn_precision(s, True), s) * mvn_cov(d[cov], mean))


for _method in ("cdf", "logcdf"):  # a numerical integral (randomized quasi-Monte Carlo)
    unsupported(getattr(scipy.stats.multivariate_normal, _method),
                "it is a numerical integral without a closed-form derivative; if no derivative "
                "should flow through it, pass it srcgrad.stop_gradient(...) of its arguments")


# --- frozen distributions: `scipy.stats.norm(loc, scale)` ---------------------------------
# A frozen distribution holds its parameters in an object; its methods are SciPy's own
# code. Calling one where a derivative is needed (its parameters, or then a method of it)
# is a located error pointing at the form the rules above differentiate.

_FROZEN = {f.name: f"logpdf(x, {''.join(p + ', ' for p in f.shapes)}loc, scale)" for f in FAMILIES}
_FROZEN.update(poisson="logpmf(k, mu, loc)", dirichlet="logpdf(x, alpha)",
               multivariate_normal="logpdf(x, mean, cov)")
for _name, _call in _FROZEN.items():
    unsupported(getattr(scipy.stats, _name),
                f"a frozen distribution has no derivative rule: pass the parameters to the "
                f"distribution's method instead, as in scipy.stats.{_name}.{_call}")


# --- the helpers' tangents (forward mode differentiates reverse-mode code) ----------

linear(mvn_points, "x")
linear(mvn_mean, "mean")
linear(mvn_cov, "cov")
linear(mvn_cov_adjoint, "g")
linear(dirichlet_points_tangent, "t")
linear(dirichlet_points_adjoint, "g")


@tangent(mvn_precision)                         # p = inv(s): dp = -p ds p
def mvn_precision_tangent(p, s, allow_singular):
    d[p] = -(p @ d[s] @ p)


@tangent(mvn_full_rank)                         # p itself, checked: the identity in p
def mvn_full_rank_tangent(out, p, s):
    d[out] = d[p]


@tangent(dirichlet_points)                      # affine in x: its linear part
def dirichlet_points_tangent_rule(z, x, alpha):
    d[z] = dirichlet_points_tangent(d[x], alpha)
