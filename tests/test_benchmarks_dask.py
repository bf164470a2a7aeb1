"""The Dask section of `python -m benchmarks` (benchmarks/dask_section.py) on tiny data:
its gradients are checked against NumPy's, its computations are counted, its
table renders, and without Dask it says it was skipped."""
import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import dask_section, runner  # noqa: E402

pytest.importorskip("dask.array")  # the test extra installs it; a bare install skips here


def _tiny_run():
    s = runner.Settings(quick=True)
    s.repeats, s.min_repeats, s.repeat_s, s.budget_s = 1, 1, 0.0, 0.0
    return dask_section.run(s, runner.Timed, runner.calibrate, runner.interleaved,
                            allowed_cpus=None, rows=64)


def test_the_section_checks_counts_and_times_every_derivative():
    result = _tiny_run()
    keys = [row["key"] for row in result["rows"]]
    assert keys == ["mlp/grad", "mlp/value_and_grad", "logreg/grad", "logreg/value_and_grad"]
    for row in result["rows"]:
        assert "status" not in row, row
        assert row["n"] == 64
        # a gradient on Dask data is computed at least once, by the call or after it
        assert row["computes"] + row["computes_after"] >= 1
        assert row["numpy_s"] > 0 and row["dask_s"] > 0
        assert row["ratio"] == pytest.approx(row["dask_s"] / row["numpy_s"])
    text = "\n".join(dask_section.render(result, runner.fmt_time))
    assert "threaded scheduler, 2 workers" in text
    assert "| MLP 50-64-10, params dict: `grad` | 64 |" in text
    assert text.count("\n| ") == 1 + 4  # the heading row and one row per derivative


def test_a_wrong_gradient_is_reported_not_timed(monkeypatch):
    monkeypatch.setattr(dask_section, "materialise", lambda result: _scaled(result))
    result = _tiny_run()
    assert all(row["status"].startswith("MISMATCH") for row in result["rows"])
    assert all("dask_s" not in row for row in result["rows"])


def _scaled(result):
    import dask

    value = dask.compute(result)[0]
    if isinstance(value, tuple):
        return value[0], _scaled(value[1])
    if isinstance(value, dict):
        return {k: 1.01 * np.asarray(v) for k, v in value.items()}
    return 1.01 * np.asarray(value)


def test_without_dask_the_section_says_it_was_skipped(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)  # `import dask` raises ImportError
    monkeypatch.setitem(sys.modules, "dask.array", None)
    result = dask_section.run(runner.Settings(quick=True), runner.Timed, runner.calibrate,
                              runner.interleaved)
    assert result == {"skipped": dask_section.MISSING}
    assert dask_section.render(result, runner.fmt_time)[0].endswith(
        'skipped: dask is not installed (pip install -e ".[dask]")')
