"""Globals the numba backend compiles in (FINDINGS18 #7, #8).

A NumPy float64 global is compiled in as the float it is and watched for
rebinding like a Python number; under backend="auto", a build refused for a
global's value is tried again once that global is rebound (`.refusal` then
names the new value, or is None). Each value is the Python backend's.
"""
import numpy as np
import pytest

import srcgrad

numba = pytest.importorskip("numba")

SIGMA = np.sqrt(0.04)  # a numpy.float64
K = 2.0


def vol_scaled(x, n):
    s = 0.0
    for i in range(n):
        s += SIGMA * x * x + K * x
    return s


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))


def test_a_numpy_float64_global_is_compiled_in_and_read_again_when_rebound():
    global SIGMA, K
    d = srcgrad.grad(vol_scaled, backend="auto")
    python = srcgrad.grad(vol_scaled)
    try:
        assert d(1.5, 3) == python(1.5, 3) == pytest.approx(3 * (2 * SIGMA * 1.5 + 2.0), rel=1e-12)
        assert d.backend == "numba", d.refusal
        assert "SIGMA = 0.2" in d.native.text  # as the float it is
        SIGMA = np.float64(0.7)
        assert d(1.5, 3) == python(1.5, 3) == pytest.approx(3 * (2 * 0.7 * 1.5 + 2.0), rel=1e-12) and d.backend == "numba"
        # a float32 stays refused (numba would compute in float64): Python runs, and says why
        K = np.float32(3.0)
        assert d(1.5, 3) == python(1.5, 3) and d.backend == "python"
        assert "'K' is a numpy.float32" in str(d.refusal)
        assert "can change without being rebound" not in str(d.refusal)
        # the global a number again: numba is tried again, and runs
        K = 0.5
        assert d(1.5, 3) == python(1.5, 3) == pytest.approx(3 * (2 * 0.7 * 1.5 + 0.5), rel=1e-12)
        assert d.backend == "numba" and d.refusal is None
        # vjp's split pair and jvp retry too
        K = np.float32(3.0)
        value, pullback = srcgrad.vjp(vol_scaled, 1.5, 3, backend="auto")
        assert pullback(1.0) == python(1.5, 3) and pullback.backend == "python"
        K = 0.5
        value, pullback = srcgrad.vjp(vol_scaled, 1.5, 3, backend="auto")
        assert pullback(1.0) == python(1.5, 3)
        assert pullback.backend == "numba" or "'K'" not in str(pullback.refusal)  # tried again
        assert srcgrad.jvp(vol_scaled, (1.5, 3), (1.0, None), backend="auto")[1] == python(1.5, 3)
    finally:
        SIGMA, K = np.sqrt(0.04), 2.0


def test_numba_refuses_a_float32_global_by_name():
    global K
    K = np.float32(3.0)
    try:
        with pytest.raises(srcgrad.SrcGradError, match="'K' is a numpy.float32, a NumPy scalar"):
            srcgrad.grad(vol_scaled, backend="numba")(1.5, 3)
    finally:
        K = 2.0


ZERO, TEN = np.float64(0.0), np.float64(10.0)


def over_a_numpy_zero(x):
    return x / ZERO + x * TEN ** 400 + ZERO / (x - x)


def test_a_numpy_float64_global_keeps_numpy_s_arithmetic():
    """Division by it and its powers are NumPy's (inf, nan: no ZeroDivisionError or
    OverflowError) in the numba build too, as in the Python backend."""
    with np.errstate(all="ignore"):
        want = srcgrad.value_and_grad(over_a_numpy_zero)(2.0)
        d = srcgrad.value_and_grad(over_a_numpy_zero, backend="numba")
        got = d(2.0)
    assert d.backend == "numba"
    np.testing.assert_array_equal(np.array(got, dtype=float), np.array(want, dtype=float))
    assert np.isinf(got[0]) or np.isnan(got[0])
