"""Cases for srcgrad/rules/scipy_special_bessel.py (SciPy is in the `test` extra).

Without SciPy neither the rules nor these cases exist: this module then
raises ModuleNotFoundError naming itself, which rule_cases skips.
"""
import numpy as np

try:
    from scipy import special
except ImportError as _err:
    raise ModuleNotFoundError(f"SciPy is not importable ({_err})", name=__name__) from _err

from rule_cases import C, P, R, case


def _wide(*shape):
    """Values in [0.2, 12): past several zeros of the oscillating J and Y."""
    return P(*shape, low=0.2, high=12.0)


def _unary(dom):
    """Variants for a function of x alone: several shapes, a Python float, x from `dom`."""
    return [(dom(4), C(4)), (dom(2, 3), C(2, 3)), (dom(), C())]


def _signed(*shape):
    """Both signs, away from the kink of the scaled forms at 0."""
    return np.sign(R(*shape)) * P(*shape, low=0.3, high=6.0)


def _ordered(orders, dom):
    """Variants for f(order, x): a scalar order, an array of orders broadcast
    against x ((3, 1) with (4,)), and an array of x with a scalar order."""
    return [(orders[0], dom(4), C(4)), (np.array(orders).reshape(-1, 1), dom(4), C(len(orders), 4)),
            (orders[-1], dom(), C()), (np.array(orders), dom(), C(len(orders)))]


# --- J and Y --------------------------------------------------------------------------


@case(special.j0, variants=_unary(_wide) + [(R(5), C(5))])
def j0_case(x, c):
    return np.sum(special.j0(x) * c)


@case(special.j1, variants=_unary(_wide) + [(R(5), C(5))])
def j1_case(x, c):
    return np.sum(special.j1(x) * c)


@case(special.jv, wrt=(1,), variants=_ordered([0.5, 1.0, 2.5], _wide) + [(3, R(4), C(4)), (-1.5, _wide(3), C(3))])
def jv_case(v, x, c):
    return np.sum(special.jv(v, x) * c)


@case(special.jn, wrt=(1,), variants=_ordered([0, 1, 3], _wide) + [(2, R(4), C(4))])
def jn_case(n, x, c):
    return np.sum(special.jn(n, x) * c)


@case(special.y0, variants=_unary(_wide))
def y0_case(x, c):
    return np.sum(special.y0(x) * c)


@case(special.y1, variants=_unary(_wide))
def y1_case(x, c):
    return np.sum(special.y1(x) * c)


@case(special.yn, wrt=(1,), variants=_ordered([0, 1, 3], _wide) + [(-2, _wide(3), C(3))])
def yn_case(n, x, c):
    return np.sum(special.yn(n, x) * c)


@case(special.yv, wrt=(1,), variants=_ordered([0.5, 1.0, 2.5], _wide) + [(-1.5, _wide(3), C(3))])
def yv_case(v, x, c):
    return np.sum(special.yv(v, x) * c)


# --- I and K --------------------------------------------------------------------------


@case(special.i0, variants=_unary(_wide) + [(R(5), C(5))])
def i0_case(x, c):
    return np.sum(special.i0(x) * c)


@case(special.i1, variants=_unary(_wide) + [(R(5), C(5))])
def i1_case(x, c):
    return np.sum(special.i1(x) * c)


@case(special.iv, wrt=(1,), variants=_ordered([0.5, 1.0, 2.5], _wide) + [(2, R(4), C(4)), (-1.5, _wide(3), C(3))])
def iv_case(v, x, c):
    return np.sum(special.iv(v, x) * c)


@case(special.i0e, variants=_unary(_signed))
def i0e_case(x, c):
    return np.sum(special.i0e(x) * c)


@case(special.i1e, variants=_unary(_signed))
def i1e_case(x, c):
    return np.sum(special.i1e(x) * c)


@case(special.ive, wrt=(1,), variants=_ordered([0.5, 1.0, 2.5], _wide) + [(2, _signed(4), C(4)), (0, _signed(4), C(4))])
def ive_case(v, x, c):
    return np.sum(special.ive(v, x) * c)


@case(special.k0, variants=_unary(P))
def k0_case(x, c):
    return np.sum(special.k0(x) * c)


@case(special.k1, variants=_unary(P))
def k1_case(x, c):
    return np.sum(special.k1(x) * c)


@case(special.kn, wrt=(1,), variants=_ordered([0, 1, 3], P))
def kn_case(n, x, c):
    return np.sum(special.kn(n, x) * c)


@case(special.kv, wrt=(1,), variants=_ordered([0.5, 1.0, 2.5], P) + [(-1.5, P(3), C(3))])
def kv_case(v, x, c):
    return np.sum(special.kv(v, x) * c)


@case(special.k0e, variants=_unary(P))
def k0e_case(x, c):
    return np.sum(special.k0e(x) * c)


@case(special.k1e, variants=_unary(P))
def k1e_case(x, c):
    return np.sum(special.k1e(x) * c)


@case(special.kve, wrt=(1,), variants=_ordered([0.5, 1.0, 2.5], P) + [(-1.5, P(3), C(3))])
def kve_case(v, x, c):
    return np.sum(special.kve(v, x) * c)
