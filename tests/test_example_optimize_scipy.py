"""examples/optimize_scipy.py: BFGS and Newton-CG fits fed by srcgrad recover the curve.

SciPy is in the `test` extra: pip install -e ".[test]".
"""
import pathlib
import runpy
import sys

import numpy as np
import pytest

import srcgrad

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))


def _example():
    try:
        import scipy  # noqa: F401
        missing = False
    except ImportError:
        missing = True
    if missing:
        pytest.fail('SciPy is not installed; examples/optimize_scipy.py needs it. '
                    'Install the test extra: pip install -e ".[test]"', pytrace=False)
    import optimize_scipy
    return optimize_scipy


def test_both_fits_recover_the_true_parameters():
    ex = _example()
    fits = ex.main(verbose=False)
    assert set(fits) == {"BFGS", "Newton-CG"}
    for method, params in fits.items():
        assert np.allclose(params, ex.TRUE_PARAMS, atol=0.1), (method, params)
    # Both reach the same least-squares minimum, where the gradient vanishes.
    assert np.allclose(fits["BFGS"], fits["Newton-CG"], atol=1e-3)
    t, y = ex.make_data()
    for params in fits.values():
        assert np.max(np.abs(ex.jac(params, t, y))) < 1e-5


def test_gradient_and_hessian_vector_products_match_finite_differences():
    ex = _example()
    t, y = ex.make_data(n=20)
    rng = np.random.default_rng(4)
    params = ex.TRUE_PARAMS + 0.3 * rng.normal(size=4)
    srcgrad.check_grads(ex.loss, (params, t, y), wrt=0)
    value, g = ex.fun(params, t, y)
    assert isinstance(value, float) and value == pytest.approx(ex.loss(params, t, y))
    assert g.dtype == np.float64 and g.shape == (4,)
    for _ in range(3):
        p = rng.normal(size=4)
        eps = 1e-5
        numeric = (ex.jac(params + eps * p, t, y) - ex.jac(params - eps * p, t, y)) / (2 * eps)
        assert np.allclose(ex.hessp(params, p, t, y), numeric, rtol=1e-6, atol=1e-8)


def test_script_prints_iterations_and_solutions(capsys):
    _example()
    runpy.run_path(str(EXAMPLES / "optimize_scipy.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "BFGS iteration   1" in out and "Newton-CG iteration   1" in out
    assert "BFGS: Optimization terminated successfully" in out
    assert "Newton-CG: Optimization terminated successfully" in out
