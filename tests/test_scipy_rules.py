"""The scipy.special and scipy.signal rules beyond the rule-case table: second
derivatives through them (their derivatives are written with calls that have
rules), the located errors where a derivative has no closed form, the
integer orders SciPy truncates, and the modules' absence without SciPy."""
import subprocess
import sys

import numpy as np
import pytest
from scipy import signal, special

import srcgrad
from differences import differenced_hessian as _differenced_hessian

rng = np.random.default_rng(14)


def f_gamma_beta(x):
    return np.sum(special.gamma(x) * special.beta(x, x[::-1] + 0.5)) + np.sum(special.betaln(x, 2.0) ** 2)


def f_incomplete(x):
    return np.sum(special.gammainc(1.5, x) * special.betainc(2.0, 0.7, x / 3.0)
                  + special.rgamma(x) * special.multigammaln(x + 2.0, 3))


def f_bessel(x):
    return np.sum(special.jv(1.5, x) * special.i1(x) + special.yn(2, x) ** 2 + special.kve(0.5, x)
                  + special.ive(2.0, x) * special.j0(x))


def f_normal_entropy(x):
    p = special.ndtr(x)
    return np.sum(special.log_ndtr(x) * special.erfcx(x) + special.ndtri(p * 0.9 + 0.05) ** 2
                  + special.kl_div(p, 0.5) + special.entr(p) * special.zeta(3.0, x + 2.0))


def f_convolve(x):
    kernel = np.array([0.5, -1.0, 2.0])
    smooth = signal.convolve(x * x, kernel, mode="same")
    outer = signal.fftconvolve(x[None, :], np.outer(x, x), "valid", axes=1)
    return np.sum(smooth * signal.correlate(x, np.sin(x), mode="valid")[0]) + np.sum(signal.convolve(x, x) ** 2) \
        + np.sum(outer * signal.oaconvolve(x, np.cos(x))[:5])


@pytest.mark.parametrize("fn, x", [
    (f_gamma_beta, rng.uniform(0.8, 2.5, size=4)),
    (f_incomplete, rng.uniform(0.5, 2.5, size=4)),
    (f_bessel, rng.uniform(0.5, 6.0, size=4)),
    (f_normal_entropy, rng.normal(size=4)),
    (f_convolve, rng.normal(size=5)),
], ids=["gamma-beta", "incomplete", "bessel", "normal-entropy", "convolve"])
def test_hessian_through_scipy_rules_matches_differenced_gradient(fn, x):
    expected = _differenced_hessian(fn, x)
    actual = srcgrad.hessian(fn)(x)
    assert np.max(np.abs(expected)) > 1e-3  # the second derivative is not trivially zero
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6 * max(1.0, np.max(np.abs(expected))))


def test_hvp_through_convolve_of_both_inputs():
    def energy(w):
        return np.sum(signal.convolve(w[:4], w[4:], mode="valid") ** 2)

    w, v = rng.normal(size=6), rng.normal(size=6)
    expected = _differenced_hessian(energy, w) @ v
    np.testing.assert_allclose(srcgrad.hvp(energy)(w, v), expected, rtol=1e-6, atol=1e-8)


# --- derivatives with no closed form: located errors, never a silent zero ------------


def uses_gammainc_shape(a, x):
    return np.sum(special.gammainc(a, x))


def uses_betainc_b(a, b, x):
    return np.sum(special.betainc(a, b, x))


def uses_bessel_order(v, x):
    return np.sum(special.iv(v * 2.0, x) + special.jv(1.0, x))


def uses_zeta_exponent(s, q):
    return np.sum(special.zeta(s + 1.0, q))


def uses_stopped_order(v, x):
    return np.sum(special.iv(srcgrad.stop_gradient(v), x) * v)


@pytest.mark.parametrize("fn, args, wrt, param", [
    (uses_gammainc_shape, (1.5, np.array([0.5, 2.0])), 0, "'a'"),
    (uses_betainc_b, (2.0, 3.0, np.array([0.2, 0.6])), 1, "'b'"),
    (uses_bessel_order, (0.75, np.array([0.5, 2.0])), 0, "'v'"),
    (uses_zeta_exponent, (2.0, np.array([0.5, 2.0])), 0, "'x'"),
])
@pytest.mark.parametrize("transform", ["grad", "jvp"])
def test_an_active_shape_or_order_is_a_located_error(fn, args, wrt, param, transform):
    with pytest.raises(srcgrad.SrcGradError) as info:
        if transform == "grad":
            srcgrad.grad(fn, wrt=wrt)(*args)
        else:
            tangents = tuple(np.ones_like(np.asarray(a)) if i == wrt else None for i, a in enumerate(args))
            srcgrad.jvp(fn, args, tangents)
    message = str(info.value)
    assert "test_scipy_rules.py" in message and f"{param}, which has no derivative rule" in message
    assert "closed form" in message


def test_the_other_arguments_still_differentiate_when_the_shape_is_constant():
    x = np.array([0.3, 1.7])
    got = srcgrad.grad(uses_gammainc_shape, wrt=1)(1.5, x)
    np.testing.assert_allclose(got, np.exp(-x) * np.sqrt(x) / special.gamma(1.5), rtol=1e-12)
    got = srcgrad.grad(uses_betainc_b, wrt=2)(2.0, 3.0, x / 2.0)
    np.testing.assert_allclose(got, (x / 2.0) * (1.0 - x / 2.0) ** 2 / special.beta(2.0, 3.0), rtol=1e-12)


def test_a_stopped_order_takes_a_zero_derivative_as_the_hint_says():
    x = np.array([0.5, 2.0])
    got = srcgrad.grad(uses_stopped_order)(0.75, x)
    assert got == pytest.approx(np.sum(special.iv(0.75, x)), rel=1e-12)


# --- integer orders ---------------------------------------------------------------------


def uses_yn(n, x):
    return np.sum(special.yn(n, x) * x)


@pytest.mark.filterwarnings("ignore:floating point number truncated")
def test_yn_truncates_a_fractional_order_in_its_derivative_as_scipy_does():
    # yn(0.5, x) is Y_0(x) (SciPy truncates, with a warning): the derivative is -Y_1,
    # not the (Y_{-0.5} - Y_{1.5}) / 2 the recurrence gives without truncating.
    x = np.array([0.7, 1.9, 4.2])
    expected = special.y0(x) - x * special.y1(x)
    np.testing.assert_allclose(srcgrad.grad(uses_yn, wrt=1)(0.5, x), expected, rtol=1e-12)
    _, tangent = srcgrad.jvp(uses_yn, (-0.5, x), (None, np.ones(3)))
    assert tangent == pytest.approx(np.sum(expected), rel=1e-12)


def test_convolve_adjoint_of_a_plain_sum_is_padded_to_the_output():
    # the adjoint of a full reduction stays a number; the rule broadcasts it first
    def total(x):
        return np.sum(signal.convolve(x, np.array([1.0, 2.0, 3.0]), mode="same"))

    x = rng.normal(size=5)
    srcgrad.check_grads(total, (x,), modes=("reverse", "forward"))
    np.testing.assert_allclose(srcgrad.grad(total)(x), [5.0, 6.0, 6.0, 6.0, 3.0])


# --- without SciPy ------------------------------------------------------------------


def test_the_scipy_rule_modules_name_themselves_when_scipy_is_missing(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['scipy'] = None\n"  # import scipy now raises ImportError
        "import srcgrad, srcgrad.rules\n"
        "for name in ('scipy_special', 'scipy_special_bessel', 'scipy_signal'):\n"
        "    try:\n"
        "        __import__('srcgrad.rules.' + name)\n"
        "    except ModuleNotFoundError as err:\n"
        "        assert err.name == 'srcgrad.rules.' + name, err.name\n"
        "        print(name, 'missing')\n"
        "import numpy as np\n"
        "def f(x):\n"
        "    return np.sum(np.sin(x))\n"
        "print(srcgrad.grad(f)(np.zeros(2)))\n"
    )
    script = tmp_path / "without_scipy.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["scipy_special missing", "scipy_special_bessel missing",
                                "scipy_signal missing", "[1. 1.]"]
