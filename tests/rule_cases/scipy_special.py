"""Cases for srcgrad/rules/scipy_special.py (SciPy is in the `test` extra).

Without SciPy neither the rules nor these cases exist: this module then
raises ModuleNotFoundError naming itself, which rule_cases skips.
"""
import numpy as np

try:
    from scipy import special
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import C, P, R, U, case, unary
from srcgrad import runtime as rt

SHAPES = ((4,), (2, 3), ())




def _unit(*shape):
    """Values in (0.1, 0.9): inside logit's domain, away from its poles."""
    return U(*shape, low=0.1, high=0.9)


# --- elementwise, one argument ----------------------------------------------------


@case(special.expit, variants=unary(*SHAPES) + [(R(5) * 8, C(5))])
def expit_case(x, c):
    return np.sum(special.expit(x) * c)


@case(special.logit, variants=unary(*SHAPES, dom=_unit))
def logit_case(x, c):
    return np.sum(special.logit(x) * c)


@case(special.log_expit, variants=unary(*SHAPES) + [(R(5) * 8, C(5))])
def log_expit_case(x, c):
    return np.sum(special.log_expit(x) * c)


if hasattr(special, "softplus"):                # SciPy 1.15+
    @case(special.softplus, variants=unary(*SHAPES) + [(R(5) * 8, C(5))])
    def softplus_case(x, c):
        return np.sum(special.softplus(x) * c)


@case(special.gammaln, variants=unary(*SHAPES, dom=P) + [(P(4, low=3.0, high=9.0), C(4)),
                                                           (-1.5 + U(4, low=-0.3, high=0.3), C(4))])
def gammaln_case(x, c):
    return np.sum(special.gammaln(x) * c)


@case(special.psi, variants=unary(*SHAPES, dom=P))
def psi_case(x, c):
    return np.sum(special.psi(x) * c)


@case(special.digamma, variants=unary((4,), dom=P))
def digamma_case(x, c):
    return np.sum(special.digamma(x) * c)


@case(special.polygamma, wrt=(1,), variants=[
    (1, P(4), C(4)), (2, P(2, 3), C(2, 3)), (0, P(), C()),
    (np.array([0, 1, 2]), P(3), C(3)), (np.array([[0], [1], [3]]), P(4), C(3, 4))])
def polygamma_case(n, x, c):
    return np.sum(special.polygamma(n, x) * c)


@case(special.gamma, variants=unary(*SHAPES, dom=P) + [(P(4, low=3.0, high=6.0), C(4)),
                                                         (-1.5 + U(4, low=-0.3, high=0.3), C(4))])
def gamma_case(x, c):
    return np.sum(special.gamma(x) * c)


@case(special.rgamma, variants=unary(*SHAPES, dom=P) + [(-1.5 + U(4, low=-0.3, high=0.3), C(4))])
def rgamma_case(x, c):
    return np.sum(special.rgamma(x) * c)


@case(special.multigammaln, variants=[(P(4, low=2.0, high=4.0), 3, C(4)), (P(2, 3, low=1.5, high=4.0), 2, C(2, 3)),
                                      (P(low=3.0, high=5.0), 4, C()), (P(3, low=1.0, high=2.0), 1, C(3))])
def multigammaln_case(a, dim, c):
    return np.sum(special.multigammaln(a, dim) * c)


@case(special.multigammaln, variants=[(P(3, low=2.0, high=4.0), C(3))])
def multigammaln_keyword_case(a, c):
    return np.sum(special.multigammaln(a, d=3) * c)


# --- beta and the incomplete gamma and beta functions ---------------------------


def _ab(dom):
    """Variants for a function of two broadcasting arguments (a, b) and the weighting."""
    return [(dom(4), dom(4), C(4)), (dom(3, 1), dom(1, 4), C(3, 4)), (dom(), dom(2, 3), C(2, 3)),
            (dom(2, 3), dom(), C(2, 3)), (dom(), dom(), C())]


@case(special.beta, wrt=(0, 1), variants=_ab(P) + [(-0.5 + U(3, low=-0.3, high=0.3), P(3), C(3))])
def beta_case(a, b, c):
    return np.sum(special.beta(a, b) * c)


@case(special.betaln, wrt=(0, 1), variants=_ab(P) + [(-0.5 + U(3, low=-0.3, high=0.3), P(3), C(3))])
def betaln_case(a, b, c):
    return np.sum(special.betaln(a, b) * c)


@case(special.gammainc, wrt=(1,), variants=_ab(P) + [(np.array([1.0, 0.5, 3.0]), P(3, low=0.05, high=5.0), C(3))])
def gammainc_case(a, x, c):
    return np.sum(special.gammainc(a, x) * c)


@case(special.gammaincc, wrt=(1,), variants=_ab(P) + [(np.array([1.0, 0.5, 3.0]), P(3, low=0.05, high=5.0), C(3))])
def gammaincc_case(a, x, c):
    return np.sum(special.gammaincc(a, x) * c)


@case(special.betainc, wrt=(2,), variants=[
    (P(4), P(4), _unit(4), C(4)), (P(3, 1), P(1, 4), _unit(3, 4), C(3, 4)), (P(), P(), _unit(2, 3), C(2, 3)),
    (P(2, 3), P(2, 1), _unit(), C(2, 3)), (P(), P(), _unit(), C()),
    (np.array([1.0, 0.6, 2.5]), np.array([1.0, 3.0, 0.7]), _unit(3), C(3))])
def betainc_case(a, b, x, c):
    return np.sum(special.betainc(a, b, x) * c)


@case(special.loggamma, variants=unary(*SHAPES, dom=P) + [(P(4, low=3.0, high=9.0), C(4))])
def loggamma_case(x, c):
    return np.sum(special.loggamma(x) * c)


@case(special.zeta, wrt=(1,), variants=[(P(4, low=1.5, high=4.0), P(4), C(4)), (3.0, P(2, 3), C(2, 3)),
                                        (np.array([[2.0], [3.5]]), P(1, 3), C(2, 3)), (2.5, P(), C())])
def zeta_case(x, q, c):
    return np.sum(special.zeta(x, q) * c)


# --- entropies ----------------------------------------------------------------------


@case(special.entr, variants=unary(*SHAPES, dom=P))
def entr_case(x, c):
    return np.sum(special.entr(x) * c)


@case(special.rel_entr, wrt=(0, 1), variants=_ab(P))
def rel_entr_case(x, y, c):
    return np.sum(special.rel_entr(x, y) * c)


@case(special.kl_div, wrt=(0, 1), variants=_ab(P))
def kl_div_case(x, y, c):
    return np.sum(special.kl_div(x, y) * c)


# --- x log y ----------------------------------------------------------------------


def _xy(dom):
    """Variants for xlogy-like cases: same shapes, broadcasting, a float, zeros in x."""
    zeros = R(5)
    zeros[[1, 3]] = 0.0
    return [(R(4), dom(4), C(4)), (R(3, 1), dom(1, 4), C(3, 4)), (R(), dom(2, 3), C(2, 3)),
            (R(2, 3), dom(), C(2, 3)), (zeros, dom(5), C(5))]


@case(special.xlogy, wrt=(0, 1), variants=_xy(P))
def xlogy_case(x, y, c):
    return np.sum(special.xlogy(x, y) * c)


@case(special.xlog1py, wrt=(0, 1), variants=_xy(U))
def xlog1py_case(x, y, c):
    return np.sum(special.xlog1py(x, y) * c)


# --- logsumexp: every axis / keepdims / b form, each its own case -------------------


@case(special.logsumexp, variants=[(R(4), C()), (R(2, 3), C()), (R(), C())])
def logsumexp_case(a, c):
    return special.logsumexp(a) * c


@case(special.logsumexp, variants=[(R(3, 4), C(4)), (R(3), C())])
def logsumexp_axis0_case(a, c):
    return np.sum(special.logsumexp(a, axis=0) * c)


@case(special.logsumexp, variants=[(R(2, 3, 4), C(2, 3))])
def logsumexp_axis_neg_case(a, c):
    return np.sum(special.logsumexp(a, axis=-1) * c)


@case(special.logsumexp, variants=[(R(2, 3, 4), C(3))])
def logsumexp_axis_tuple_case(a, c):
    return np.sum(special.logsumexp(a, axis=(0, 2)) * c)


@case(special.logsumexp, variants=[(R(3, 4), C(1, 1))])
def logsumexp_keepdims_case(a, c):
    return np.sum(special.logsumexp(a, keepdims=True) * c)


@case(special.logsumexp, variants=[(R(2, 3, 4), C(2, 1, 4))])
def logsumexp_axis_keepdims_case(a, c):
    return np.sum(special.logsumexp(a, axis=1, keepdims=True) * c)


@case(special.logsumexp, variants=[(R(2, 3, 4), C(2, 3, 1))])
def logsumexp_positional_case(a, c):
    return np.sum(special.logsumexp(a, -1, None, True) * c)


@case(special.logsumexp, wrt=(0, 1), variants=[(R(3, 4), P(3, 4), C(4)), (R(3, 1), P(1, 4), C(4)),
                                                (R(4), P(3, 4), C(4)), (R(3, 4), P(), C(4))])
def logsumexp_b_case(a, b, c):
    return np.sum(special.logsumexp(a, axis=0, b=b) * c)


@case(special.logsumexp, wrt=(0, 1), variants=[(R(3, 1), P(1, 4), C()), (R(2, 3), P(2, 3), C())])
def logsumexp_b_all_case(a, b, c):
    return special.logsumexp(a, b=b) * c


@case(special.logsumexp, wrt=(0, 1), variants=[(R(2, 3, 4), P(3, 1), C(2, 1, 1))])
def logsumexp_b_axis_tuple_keepdims_case(a, b, c):
    return np.sum(special.logsumexp(a, (1, 2), b, True) * c)


# --- softmax and log_softmax ------------------------------------------------------


@case(special.softmax, variants=[(R(4), C(4)), (R(2, 3), C(2, 3)), (R(), C())])
def softmax_case(x, c):
    return np.sum(special.softmax(x) * c)


@case(special.softmax, variants=[(R(3, 4), C(3, 4))])
def softmax_axis0_case(x, c):
    return np.sum(special.softmax(x, axis=0) * c)


@case(special.softmax, variants=[(R(2, 3, 4), C(2, 3, 4))])
def softmax_axis_neg_case(x, c):
    return np.sum(special.softmax(x, axis=-1) * c)


@case(special.softmax, variants=[(R(2, 3, 4), C(2, 3, 4))])
def softmax_axis_tuple_case(x, c):
    return np.sum(special.softmax(x, (0, 2)) * c)


@case(special.log_softmax, variants=[(R(4), C(4)), (R(2, 3), C(2, 3)), (R(), C())])
def log_softmax_case(x, c):
    return np.sum(special.log_softmax(x) * c)


@case(special.log_softmax, variants=[(R(3, 4), C(3, 4))])
def log_softmax_axis0_case(x, c):
    return np.sum(special.log_softmax(x, axis=0) * c)


@case(special.log_softmax, variants=[(R(2, 3, 4), C(2, 3, 4))])
def log_softmax_axis_neg_case(x, c):
    return np.sum(special.log_softmax(x, axis=-1) * c)


@case(special.log_softmax, variants=[(R(2, 3, 4), C(2, 3, 4))])
def log_softmax_axis_tuple_case(x, c):
    return np.sum(special.log_softmax(x, axis=(0, 2)) * c)


# --- zero gradient ----------------------------------------------------------------


@case(special.round, variants=[(R(5) * 3, C(5)), (R() * 3, C())])
def round_case(x, c):
    return np.sum((special.round(x) + x * x) * c)


@case(special.gammasgn, variants=[(R(5) * 3, C(5)), (R() * 3, C())])
def gammasgn_case(x, c):
    return np.sum((special.gammasgn(x) + x * x) * c)


# --- the runtime helper (forward rule only: reverse code calls it) ------------------


@case(rt.logsumexp_weights, wrt=(0, 1, 2), modes=("forward",),
      variants=[(R(3, 4), R(4), P(3, 4), C(3, 4)), (R(3, 1), R(4), P(1, 4), C(3, 4))])
def logsumexp_weights_case(a, z, b, c):
    return np.sum(rt.logsumexp_weights(a, z, 0, b, False) * c)


@case(rt.logsumexp_weights, wrt=(0, 1), modes=("forward",),
      variants=[(R(2, 3), R(), C(2, 3)), (R(2, 3), R(1, 1), C(2, 3))])
def logsumexp_weights_no_b_case(a, z, c):
    return np.sum(rt.logsumexp_weights(a, z * z, None, None, False) * c)
