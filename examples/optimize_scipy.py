"""Fit a logistic growth curve with SciPy's optimisers, fed by srcgrad.

Run it from the repository root:

    pip install -e ".[test]" && python examples/optimize_scipy.py

The model has four parameters (height, rate, midpoint, baseline):

    y = baseline + height * expit(rate * (t - midpoint))

and is fitted to noisy synthetic data by least squares, twice:

1. BFGS, with `jac=True`: `srcgrad.value_and_grad` gives the loss and its
   gradient in one call, so SciPy never differences the loss.
2. Newton-CG, with `hessp`: `srcgrad.hvp` gives Hessian-vector products
   (forward mode over the reverse-mode gradient), so the 4 x 4 Hessian is
   never formed; Newton-CG needs only its products with search directions.

`scipy.special.expit` is differentiated by srcgrad's rule for it (the
derivative is z * (1 - z)), not traced into.
"""
import numpy as np
import scipy.optimize
from scipy import special

import srcgrad

TRUE_PARAMS = np.array([3.0, 1.5, 4.0, 0.5])   # height, rate, midpoint, baseline
START = np.array([1.0, 1.0, 5.0, 0.0])


def model(params, t):
    """The logistic curve at times `t`."""
    height, rate, midpoint, baseline = params[0], params[1], params[2], params[3]
    return baseline + height * special.expit(rate * (t - midpoint))


def loss(params, t, y):
    """Half the mean squared residual."""
    residual = model(params, t) - y
    return 0.5 * np.mean(residual * residual)


loss_and_grad = srcgrad.value_and_grad(loss)    # d loss / d params (argument 0)
loss_grad = srcgrad.grad(loss)
loss_hvp = srcgrad.hvp(loss, wrt=0)             # (params, t, y, v=p) -> Hessian @ p


def make_data(seed=0, n=80, noise=0.05):
    """Times in [0, 10] and the true curve there plus Gaussian noise (seeded)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 10.0, n)
    return t, model(TRUE_PARAMS, t) + noise * rng.normal(size=n)


def fun(params, t, y):
    """The loss and its gradient for `minimize(..., jac=True)`: a float and a float array."""
    value, g = loss_and_grad(params, t, y)
    return float(value), np.asarray(g, dtype=float)


def jac(params, t, y):
    return np.asarray(loss_grad(params, t, y), dtype=float)


def hessp(params, p, t, y):
    """The Hessian of the loss at `params` times the vector `p` (forward over reverse)."""
    return np.asarray(loss_hvp(params, t, y, v=p), dtype=float)


def _printer(label, t, y, verbose):
    """A minimize callback printing the loss and parameters at each iteration."""
    count = [0]

    def callback(xk, *_):
        count[0] += 1
        if verbose:
            print(f"  {label} iteration {count[0]:3d}  loss {loss(xk, t, y):.6f}  "
                  f"params {np.array2string(xk, precision=4)}")

    return callback


def main(verbose=True):
    """Fit the curve with BFGS and with Newton-CG; return {method: fitted parameters}."""
    t, y = make_data()
    fits = {}

    result = scipy.optimize.minimize(fun, START, args=(t, y), jac=True, method="BFGS",
                                     callback=_printer("BFGS", t, y, verbose))
    fits["BFGS"] = result.x
    if verbose:
        print(f"BFGS: {result.message} ({result.nit} iterations, "
              f"{result.nfev} loss+gradient calls)")
        print(f"  fitted {np.array2string(result.x, precision=4)}")

    result = scipy.optimize.minimize(loss, START, args=(t, y), jac=jac, hessp=hessp,
                                     method="Newton-CG",
                                     callback=_printer("Newton-CG", t, y, verbose))
    fits["Newton-CG"] = result.x
    if verbose:
        print(f"Newton-CG: {result.message} ({result.nit} iterations, "
              f"{result.nhev} Hessian-vector products)")
        print(f"  fitted {np.array2string(result.x, precision=4)}")
        print(f"  true   {np.array2string(TRUE_PARAMS, precision=4)}")
    return fits


if __name__ == "__main__":
    main()
