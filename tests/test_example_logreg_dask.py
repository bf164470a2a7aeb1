"""examples/logreg_dask.py: a lazily generated, row-chunked Dask dataset, fitted by BFGS
with srcgrad's gradient, recovers the weights its labels were drawn from.

Dask and SciPy are in the test extra: pip install -e ".[test]".
"""
import pathlib
import runpy
import sys

import numpy as np
import pytest

import srcgrad

da = pytest.importorskip("dask.array")  # the test extra installs it; a bare install skips here

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

import logreg_dask as ex  # noqa: E402


@pytest.fixture(autouse=True)
def _threads():
    import dask

    with dask.config.set(scheduler="threads"):
        yield


def test_the_data_is_lazy_chunked_by_rows_and_reproducible():
    X, y = ex.make_data(rows=10_000, features=3, chunk_rows=4_000)
    assert isinstance(X, da.Array) and isinstance(y, da.Array)
    assert X.chunks == ((4_000, 4_000, 2_000), (3,)) and y.chunks == ((4_000, 4_000, 2_000),)
    # a chunk comes from its own seed: computed alone, or in a later call, it is the same
    X2, y2 = ex.make_data(rows=10_000, features=3, chunk_rows=4_000)
    np.testing.assert_array_equal(X.blocks[1].compute(), X2.compute()[4_000:8_000])
    np.testing.assert_array_equal(y.compute(), y2.compute())
    values = X.compute()
    assert np.all(np.abs(values) <= np.sqrt(3.0)) and abs(values.std() - 1.0) < 0.05
    assert set(np.unique(y.compute())) == {0.0, 1.0}
    # a dataset far larger than memory is only a graph until something computes it
    big, _ = ex.make_data(rows=100_000_000, features=40, chunk_rows=500_000)
    assert big.nbytes == 32 * 10**9 and big.numblocks == (200, 1)


def test_the_gradient_on_dask_data_is_numpys_on_the_same_data():
    X, y = ex.make_data(rows=3_000, features=5, chunk_rows=1_000)
    Xn, yn = X.compute(), y.compute()
    w = np.random.default_rng(0).normal(size=5)
    value, g = ex.fun(w, X, y)
    want_value, want = srcgrad.value_and_grad(ex.loss)(w, Xn, yn)
    assert isinstance(value, float) and value == pytest.approx(want_value, rel=1e-12)
    np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-14)
    srcgrad.check_grads(ex.loss, (w, Xn[:40], yn[:40]), wrt=0)


def test_bfgs_recovers_the_true_weights():
    w, w_true, result = ex.main(rows=40_000, features=4, chunk_rows=10_000, verbose=False)
    assert result.success, result.message
    assert np.linalg.norm(w - w_true) < 0.1 * np.linalg.norm(w_true), (w, w_true)
    assert np.linalg.norm(result.jac) < 1e-5


def test_the_script_runs_as_a_user_runs_it(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["logreg_dask.py"])
    runpy.run_path(str(EXAMPLES / "logreg_dask.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "100,000 rows x 40 features, 4 chunks of 25,000 rows" in out
    assert "iteration   1  loss" in out
    assert "Optimization terminated successfully" in out
    assert "peak memory" in out and "dataset 0.03 GiB" in out
    error = float(out.split("|w - w_true| / |w_true| = ")[1].split()[0])
    assert error < 0.1
