"""The benchmark workloads (benchmarks/workloads.py) on tiny sizes: no timing, only correctness.

Each hand-written gradient must match central finite differences, and
srcgrad's `grad` must match the hand-written gradient, so the numbers that
`python -m benchmarks` reports compare equal work.
"""
import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import srcgrad  # noqa: E402
from benchmarks import backends, check, workloads  # noqa: E402

NAMES = [w.name for w in workloads.WORKLOADS]


@pytest.mark.parametrize("name", NAMES)
def test_hand_gradient_matches_finite_differences(name):
    w = workloads.BY_NAME[name]
    args = w.make_args(np.random.default_rng(1), True)
    assert check.fd_coordinates(w, args) < 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_srcgrad_matches_hand_gradient(name):
    w = workloads.BY_NAME[name]
    args = w.make_args(np.random.default_rng(2), True)
    want = w.hand_grad(*args)
    got = srcgrad.grad(w.fun, wrt=w.wrt)(*args)
    assert backends.max_rel_error(got, want) < 1e-9


@pytest.mark.parametrize("name", NAMES)
def test_srcgrad_value_and_grad_matches(name):
    w = workloads.BY_NAME[name]
    args = w.make_args(np.random.default_rng(3), True)
    value, got = srcgrad.value_and_grad(w.fun, wrt=w.wrt)(*args)
    assert backends.max_rel_error(got, w.hand_grad(*args)) < 1e-9
    assert value == pytest.approx(w.fun(*args), rel=1e-12)


def test_twenty_line_function_differentiates(tmp_path):
    """The function the first-build probe compiles has 20 lines and a correct gradient."""
    import importlib.util
    path = tmp_path / "twenty_lines_smoke.py"
    path.write_text(workloads.TWENTY_LINES)
    spec = importlib.util.spec_from_file_location("twenty_lines_smoke", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    body = workloads.TWENTY_LINES.split("def twenty", 1)[1].splitlines()[1:]
    assert sum(1 for line in body if line.strip()) == 20
    rng = np.random.default_rng(4)
    args = (rng.normal(size=4), rng.normal(size=(6, 4)), rng.normal(size=6))
    srcgrad.check_grads(mod.twenty, args)


def test_overhead_probes_agree():
    x = np.array([1.0, 2.0, 3.0])
    assert srcgrad.grad(workloads.tiny)(1.5) == workloads.tiny_grad(1.5)
    np.testing.assert_allclose(srcgrad.grad(workloads.tiny_sum)(x), workloads.tiny_sum_grad(x))
