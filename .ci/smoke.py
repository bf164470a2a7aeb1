"""Smoke test of an installed srcgrad (a wheel or an sdist in a fresh environment).

Run from outside the repository, so that the installed package is the one
imported: `python /path/to/.ci/smoke.py`.
"""
import pathlib
import sys

import numpy as np

import srcgrad

REPO = pathlib.Path(__file__).resolve().parent.parent
location = pathlib.Path(srcgrad.__file__).resolve()
assert REPO not in location.parents, f"imported the repository's srcgrad ({location}), not the installed one"
assert "scipy" not in sys.modules, "import srcgrad imported SciPy"


def loss(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


w, x = np.array([0.5, -0.25]), np.array([[1.0, 2.0], [-1.0, 0.5]])
h = np.tanh(x @ w)
expected = x.T @ (2.0 * h * (1.0 - h * h))
assert np.allclose(srcgrad.grad(loss)(w, x), expected, rtol=1e-12, atol=0)
assert np.allclose(srcgrad.jvp(loss, (w, x), (np.array([1.0, 0.0]), None))[1], expected[0])


def cube(t):
    return t ** 3


assert srcgrad.grad(srcgrad.grad(cube))(2.0) == 12.0
print(f"smoke test passed: srcgrad {srcgrad.__version__} from {location.parent}, "
      f"NumPy {np.__version__}, Python {sys.version.split()[0]}")
