"""Derivative rules for `scipy.special` functions (SciPy is optional); the error
function family is in scipy_special_erf.py, the Bessel functions in
scipy_special_bessel.py.

Templates: their bodies are copied into generated code with the parameters
replaced by the caller's operands; they are never run. `d[v]` is the
derivative of v, and `d[v] = e` adds e to it. One contribution per line.
Each adjoint rule is followed by its tangent rule (forward mode), which
writes `d[z]` with one line per input that carries a tangent.

Without an importable SciPy this module raises ModuleNotFoundError naming
itself, which `srcgrad.rules` takes as "no rules for this namespace".
The ufuncs take no `out=`, `where=` or `dtype=` (not declared, so rejected);
logsumexp takes no `return_sign=`. Derivatives are written with NumPy and
scipy.special calls that themselves have rules, so a derivative can be
differentiated again.
"""
import numpy

try:
    import scipy.special
except ImportError as _err:  # SciPy missing (or broken): srcgrad works without it
    raise ModuleNotFoundError(f"SciPy is not importable ({_err}); no rules for scipy.special",
                              name=__name__) from _err

from srcgrad.rules.registry import adjoint, constant_only, nondifferentiable, tangent
from srcgrad.runtime import logsumexp_weights, pole_ratio, unbroadcast, unreduce
from srcgrad.templates import d

nondifferentiable(scipy.special.round, scipy.special.gammasgn)

# --- logistic -----------------------------------------------------------------


@adjoint(scipy.special.expit)                   # z = 1 / (1 + exp(-x))
def expit_adjoint(z, x):
    d[x] = d[z] * z * (1.0 - z)


@tangent(scipy.special.expit)
def expit_tangent(z, x):
    d[z] = d[x] * z * (1.0 - z)


@adjoint(scipy.special.logit)                   # z = log(x / (1 - x)); inf at 0 and 1
def logit_adjoint(z, x):
    d[x] = pole_ratio(d[z], x * (1.0 - x))


@tangent(scipy.special.logit)
def logit_tangent(z, x):
    d[z] = pole_ratio(d[x], x * (1.0 - x))


@adjoint(scipy.special.log_expit)               # z = log(expit(x)); dz/dx = 1 - expit(x)
def log_expit_adjoint(z, x):
    d[x] = d[z] * -numpy.expm1(z)


@tangent(scipy.special.log_expit)
def log_expit_tangent(z, x):
    d[z] = d[x] * -numpy.expm1(z)


if hasattr(scipy.special, "softplus"):          # SciPy 1.15+
    @adjoint(scipy.special.softplus)            # z = log(1 + exp(x)); dz/dx = expit(x)
    def softplus_adjoint(z, x):
        d[x] = d[z] * scipy.special.expit(x)

    @tangent(scipy.special.softplus)
    def softplus_tangent(z, x):
        d[z] = d[x] * scipy.special.expit(x)


# --- gamma family -----------------------------------------------------------------


@adjoint(scipy.special.gammaln)                 # z = log|Gamma(x)|; dz/dx = digamma(x)
def gammaln_adjoint(z, x):
    d[x] = d[z] * scipy.special.psi(x)


@tangent(scipy.special.gammaln)
def gammaln_tangent(z, x):
    d[z] = d[x] * scipy.special.psi(x)


@adjoint(scipy.special.psi)                     # z = digamma(x) (psi is digamma)
def psi_adjoint(z, x):
    d[x] = d[z] * scipy.special.polygamma(1, x)


@tangent(scipy.special.psi)
def psi_tangent(z, x):
    d[z] = d[x] * scipy.special.polygamma(1, x)


@adjoint(scipy.special.polygamma)               # z = polygamma(n, x); n integer, no gradient
def polygamma_adjoint(z, n, x):
    d[x] = unbroadcast(d[z] * scipy.special.polygamma(n + 1, x), x)


@tangent(scipy.special.polygamma)
def polygamma_tangent(z, n, x):
    d[z] = d[x] * scipy.special.polygamma(n + 1, x)


@adjoint(scipy.special.loggamma)                # z = log Gamma(x), x > 0 (real inputs)
def loggamma_adjoint(z, x):
    d[x] = d[z] * scipy.special.psi(x)


@tangent(scipy.special.loggamma)
def loggamma_tangent(z, x):
    d[z] = d[x] * scipy.special.psi(x)


# z = Hurwitz zeta(x, q) = sum((k + q) ** -x for k >= 0); Riemann's when q is None.
# In q: -x zeta(x + 1, q). In x there is no closed form (constant_only below).
@adjoint(scipy.special.zeta)
def zeta_adjoint(z, x, q=None):
    d[q] = unbroadcast(-d[z] * x * scipy.special.zeta(x + 1.0, q), q)


@tangent(scipy.special.zeta)
def zeta_tangent(z, x, q=None):
    d[z] = -d[q] * x * scipy.special.zeta(x + 1.0, q)


@adjoint(scipy.special.gamma)                   # z = Gamma(x); dz/dx = Gamma(x) digamma(x)
def gamma_adjoint(z, x):
    d[x] = d[z] * z * scipy.special.psi(x)


@tangent(scipy.special.gamma)
def gamma_tangent(z, x):
    d[z] = d[x] * z * scipy.special.psi(x)


@adjoint(scipy.special.rgamma)                  # z = 1 / Gamma(x); NaN at x = 0, -1, -2, ...
def rgamma_adjoint(z, x):
    d[x] = d[z] * -z * scipy.special.psi(x)


@tangent(scipy.special.rgamma)
def rgamma_tangent(z, x):
    d[z] = d[x] * -z * scipy.special.psi(x)


# z = log Gamma_d(a) = const + sum(gammaln(a - j / 2) for j in range(d)); `d` is
# SciPy's name for the integer dimension (a plain parameter here: only `d[...]`
# means a derivative in a template), which takes no gradient.
@adjoint(scipy.special.multigammaln)
def multigammaln_adjoint(z, a, d):
    d[a] = d[z] * numpy.sum(scipy.special.psi(numpy.expand_dims(a, -1) - numpy.arange(d) / 2.0),
                            axis=-1)


@tangent(scipy.special.multigammaln)
def multigammaln_tangent(z, a, d):
    d[z] = d[a] * numpy.sum(scipy.special.psi(numpy.expand_dims(a, -1) - numpy.arange(d) / 2.0),
                            axis=-1)


# --- beta family --------------------------------------------------------------------


@adjoint(scipy.special.beta)                    # z = B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b)
def beta_adjoint(z, a, b):
    psi_ab = scipy.special.psi(a + b)
    d[a] = unbroadcast(d[z] * z * (scipy.special.psi(a) - psi_ab), a)
    d[b] = unbroadcast(d[z] * z * (scipy.special.psi(b) - psi_ab), b)


@tangent(scipy.special.beta)
def beta_tangent(z, a, b):
    psi_ab = scipy.special.psi(a + b)
    d[z] = d[a] * z * (scipy.special.psi(a) - psi_ab)
    d[z] = d[b] * z * (scipy.special.psi(b) - psi_ab)


@adjoint(scipy.special.betaln)                  # z = log|B(a, b)|
def betaln_adjoint(z, a, b):
    psi_ab = scipy.special.psi(a + b)
    d[a] = unbroadcast(d[z] * (scipy.special.psi(a) - psi_ab), a)
    d[b] = unbroadcast(d[z] * (scipy.special.psi(b) - psi_ab), b)


@tangent(scipy.special.betaln)
def betaln_tangent(z, a, b):
    psi_ab = scipy.special.psi(a + b)
    d[z] = d[a] * (scipy.special.psi(a) - psi_ab)
    d[z] = d[b] * (scipy.special.psi(b) - psi_ab)


# --- regularized incomplete gamma and beta functions --------------------------------
# Their derivative in x is the integrand, written in logs with xlogy / xlog1py so
# that x = 0 with a = 1 (or x = 1 with b = 1) gives 0 * log 0 = 0, not NaN. In the
# shape parameters it is a hypergeometric series with no closed form: a value
# there computed from a differentiated input is a located error.
_NO_CLOSED_FORM = ("the derivative in {} has no closed form; pass it as a constant, or wrap it "
                   "in srcgrad.stop_gradient for a zero derivative there")


@adjoint(scipy.special.gammainc)                # z = P(a, x) = int_0^x t^(a-1) e^-t dt / Gamma(a)
def gammainc_adjoint(z, a, x):
    d[x] = unbroadcast(d[z] * numpy.exp(scipy.special.xlogy(a - 1.0, x) - x
                                        - scipy.special.gammaln(a)), x)


@tangent(scipy.special.gammainc)
def gammainc_tangent(z, a, x):
    d[z] = d[x] * numpy.exp(scipy.special.xlogy(a - 1.0, x) - x - scipy.special.gammaln(a))


@adjoint(scipy.special.gammaincc)               # z = Q(a, x) = 1 - P(a, x)
def gammaincc_adjoint(z, a, x):
    d[x] = unbroadcast(-d[z] * numpy.exp(scipy.special.xlogy(a - 1.0, x) - x
                                         - scipy.special.gammaln(a)), x)


@tangent(scipy.special.gammaincc)
def gammaincc_tangent(z, a, x):
    d[z] = -d[x] * numpy.exp(scipy.special.xlogy(a - 1.0, x) - x - scipy.special.gammaln(a))


@adjoint(scipy.special.betainc)                 # z = I_x(a, b) = int_0^x t^(a-1) (1-t)^(b-1) dt / B(a, b)
def betainc_adjoint(z, a, b, x):
    d[x] = unbroadcast(d[z] * numpy.exp(scipy.special.xlogy(a - 1.0, x) + scipy.special.xlog1py(b - 1.0, -x)
                                        - scipy.special.betaln(a, b)), x)


@tangent(scipy.special.betainc)
def betainc_tangent(z, a, b, x):
    d[z] = d[x] * numpy.exp(scipy.special.xlogy(a - 1.0, x) + scipy.special.xlog1py(b - 1.0, -x)
                            - scipy.special.betaln(a, b))


for _function, _params in ((scipy.special.gammainc, "a"), (scipy.special.gammaincc, "a"),
                           (scipy.special.betainc, "ab"), (scipy.special.zeta, "x")):
    for _param in _params:
        constant_only(_function, _param, _NO_CLOSED_FORM.format(_param))


# --- x log y ----------------------------------------------------------------------
# xlogy(0, y) = 0 for every y, so the y-derivative x / y is 0 where x == 0
# (no 0 / 0); the x-derivative is log(y).


@adjoint(scipy.special.xlogy)                   # z = x * log(y)
def xlogy_adjoint(z, x, y):
    d[x] = unbroadcast(d[z] * numpy.log(y), x)
    d[y] = unbroadcast(d[z] * x / numpy.where(numpy.equal(x, 0), 1.0, y), y)


@tangent(scipy.special.xlogy)
def xlogy_tangent(z, x, y):
    d[z] = d[x] * numpy.log(y)
    d[z] = d[y] * x / numpy.where(numpy.equal(x, 0), 1.0, y)


@adjoint(scipy.special.xlog1py)                 # z = x * log1p(y)
def xlog1py_adjoint(z, x, y):
    d[x] = unbroadcast(d[z] * numpy.log1p(y), x)
    d[y] = unbroadcast(d[z] * x / numpy.where(numpy.equal(x, 0), 1.0, 1.0 + y), y)


@tangent(scipy.special.xlog1py)
def xlog1py_tangent(z, x, y):
    d[z] = d[x] * numpy.log1p(y)
    d[z] = d[y] * x / numpy.where(numpy.equal(x, 0), 1.0, 1.0 + y)


# --- entropies: entr = -x log x, rel_entr = x log(x / y), kl_div = rel_entr - x + y ----
# At x = 0 the x-derivative is the one-sided limit (+inf, -inf) and the
# y-derivative -x / y is 0, as the value x log x = 0 there says.


@adjoint(scipy.special.entr)
def entr_adjoint(z, x):
    d[x] = -d[z] * (numpy.log(x) + 1.0)


@tangent(scipy.special.entr)
def entr_tangent(z, x):
    d[z] = -d[x] * (numpy.log(x) + 1.0)


@adjoint(scipy.special.rel_entr)
def rel_entr_adjoint(z, x, y):
    d[x] = unbroadcast(d[z] * (numpy.log(x / y) + 1.0), x)
    d[y] = unbroadcast(-d[z] * x / y, y)


@tangent(scipy.special.rel_entr)
def rel_entr_tangent(z, x, y):
    d[z] = d[x] * (numpy.log(x / y) + 1.0)
    d[z] = -d[y] * x / y


@adjoint(scipy.special.kl_div)
def kl_div_adjoint(z, x, y):
    d[x] = unbroadcast(d[z] * numpy.log(x / y), x)
    d[y] = unbroadcast(d[z] * (1.0 - x / y), y)


@tangent(scipy.special.kl_div)
def kl_div_tangent(z, x, y):
    d[z] = d[x] * numpy.log(x / y)
    d[z] = d[y] * (1.0 - x / y)


# --- log-sum-exp and softmax ------------------------------------------------------


# z = log(sum(b * exp(a), axis, keepdims)); a and b broadcast together first.
# The weights w = b * exp(a - z) are dz/da; exp(a - z) is dz/db.
@adjoint(scipy.special.logsumexp)
def logsumexp_adjoint(z, a, axis=None, b=None, keepdims=False):
    w = logsumexp_weights(a, z, axis, b, keepdims)
    g = unreduce(d[z], w, axis, keepdims)
    d[a] = unbroadcast(g * w, a)
    d[b] = unbroadcast(g * logsumexp_weights(a, z, axis, None, keepdims), b)


@tangent(scipy.special.logsumexp)
def logsumexp_tangent(z, a, axis=None, b=None, keepdims=False):
    d[z] = numpy.sum(d[a] * logsumexp_weights(a, z, axis, b, keepdims), axis=axis,
                     keepdims=keepdims)
    d[z] = numpy.sum(d[b] * logsumexp_weights(a, z, axis, None, keepdims), axis=axis,
                     keepdims=keepdims)


@adjoint(scipy.special.softmax)                 # z = exp(x - logsumexp(x, axis, keepdims=True))
def softmax_adjoint(z, x, axis=None):
    d[x] = z * (d[z] - numpy.sum(d[z] * z, axis=axis, keepdims=True))


@tangent(scipy.special.softmax)
def softmax_tangent(z, x, axis=None):
    d[z] = z * (d[x] - numpy.sum(d[x] * z, axis=axis, keepdims=True))


@adjoint(scipy.special.log_softmax)             # z = x - logsumexp(x, axis, keepdims=True)
def log_softmax_adjoint(z, x, axis=None):
    d[x] = d[z] - numpy.exp(z) * numpy.sum(d[z], axis=axis, keepdims=True)


@tangent(scipy.special.log_softmax)
def log_softmax_tangent(z, x, axis=None):
    d[z] = d[x] - numpy.sum(numpy.exp(z) * d[x], axis=axis, keepdims=True)


# --- the runtime helper the logsumexp adjoint calls -------------------------------
# Forward rule only (forward mode differentiates reverse-mode code: hvp, hessian).


@tangent(logsumexp_weights)                     # w = b * exp(a - z), z given its reduced axes back
def logsumexp_weights_tangent(w, a, z, axis=None, b=None, keepdims=False):
    d[w] = w * d[a]
    d[w] = -w * unreduce(d[z], w, axis, keepdims)
    d[w] = d[b] * logsumexp_weights(a, z, axis, None, keepdims)
