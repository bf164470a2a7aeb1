"""The numba section of `python -m benchmarks` (benchmarks/numba_section.py) on tiny settings:
the "srcgrad numba" column is checked against the hand-written gradient (Rosenbrock's list
and array calls), a refusal is a status, the spring is checked and timed, a second
process starts from numba's cache, and the tables render with their targets."""
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import backends, numba_section, report, runner, workloads  # noqa: E402

pytest.importorskip("numba")  # the test extra installs it; a bare install skips here


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))


def _tiny():
    s = runner.Settings(quick=True)
    s.repeats, s.min_repeats, s.repeat_s, s.budget_s = 1, 1, 0.0, 0.0
    return s


def test_rosenbrock_list_and_array_calls_are_checked_and_timed_beside_hand():
    res = runner.run_workload(workloads.BY_NAME["rosenbrock"], ["hand", "srcgrad_numba"], _tiny(), 0)
    info = res["backends"]["srcgrad_numba"]
    assert info["status"] == "ok" and info["max_rel_err"] < 1e-12
    array = info["variants"]["array"]
    assert "status" not in array and array["max_rel_err"] < 1e-12
    hand = res["backends"]["hand"]["median_s"]
    assert info["ratio"] == pytest.approx(info["median_s"] / hand)
    assert array["ratio"] == pytest.approx(array["median_s"] / hand)
    assert info["compile_s"] > 0  # the first call built and compiled it
    floor = info["variants"]["njit floor"]  # numba's own cost of a call, checked like the others
    assert "status" not in floor and floor["max_rel_err"] < 1e-12
    assert floor["ratio"] == pytest.approx(floor["median_s"] / hand)
    lines = "\n".join(numba_section.render({"workloads": [res], "probes": {"numba": {}}}, "{:.3g}".format))
    floor_row = next(line for line in lines.splitlines() if "numba's floor" in line)
    assert floor_row.rstrip().endswith("|  |  |")  # no target, no verdict: it is not srcgrad's


def test_a_refusal_is_the_status_not_a_failure(monkeypatch):
    def refused(w, args):
        raise backends.Refused("workloads.py:3:4: the numba backend has no compiled version of x")
    monkeypatch.setitem(backends.BACKENDS, "srcgrad_numba", ("srcgrad numba", refused))
    res = runner.run_workload(workloads.BY_NAME["pendulum"], ["hand", "srcgrad_numba"], _tiny(), 0)
    status = res["backends"]["srcgrad_numba"]["status"]
    assert status == "refused: workloads.py:3:4: the numba backend has no compiled version of x"
    text = "\n".join(numba_section.render({"workloads": [res], "probes": {"numba": {}}}, report.fmt_time))
    assert f"| {status} | — |" in text


def test_refusal_text_names_the_file_by_its_base_name():
    import srcgrad

    err = srcgrad.SrcGradError("the numba backend has no compiled version of h",
                               srcgrad.errors.Location("/a/b/workloads.py", 12, 4, "    return h(x)\n"))
    assert backends.refusal_text(err) == "workloads.py:12:4: the numba backend has no compiled version of h"


def test_the_spring_is_checked_then_timed_against_its_forward_run():
    row = numba_section.spring(_tiny(), runner.Timed, runner.calibrate, runner.interleaved, 40)
    assert "status" not in row, row
    assert row["n"] == 40
    assert min(row[k] for k in ("forward_s", "hand_s", "srcgrad_s", "numba_s")) > 0
    assert row["ratio"] == pytest.approx(row["numba_s"] / row["forward_s"])


def test_a_second_process_loads_the_pendulum_from_numbas_cache():
    got = numba_section.startup_times("pendulum", 1)
    assert "status" not in got, got
    assert got["cold_cache"] == (0, 1)  # the first process compiled the entry
    assert got["warm_cache"] == (1, 0)  # the second loaded it
    assert got["cold_s"] > 0 and got["warm_s"] > 0 and got["import_s"] > 0


def test_numba_alone_compiles_then_loads_its_one_line_function(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path))
    monkeypatch.delitem(sys.modules, "numba_alone", raising=False)
    first, second = numba_section.child("numba alone"), numba_section.child("numba alone")
    assert (first["hits"], first["misses"]) == (0, 1)
    assert (second["hits"], second["misses"]) == (1, 0)  # a new module object: from the disk cache
    assert first["first_call_s"] > 0 and first["backend"] == "numba"


def test_the_tables_show_each_ratio_against_its_target():
    def timed(seconds, **more):
        return {"status": "ok", "median_s": seconds, "ratio": seconds / 1e-4, **more}

    pendulum = {"name": "pendulum", "title": "pendulum", "backends": {
        "hand": timed(1e-4), "srcgrad": timed(1.5e-4), "srcgrad_numba": timed(1.5e-5),
        "jax_jit": {"status": "skipped (--quick)"}}}
    rosen = {"name": "rosenbrock", "title": "Rosenbrock", "backends": {
        "hand": timed(1e-4), "srcgrad_numba": timed(2e-4, variants={"array": timed(4e-5)})}}
    probe = {"spring": {"n": 8000, "forward_s": 1e-3, "hand_s": 2e-3, "srcgrad_s": 4e-3, "numba_s": 5e-5,
                        "ratio": 0.05},
             "startup": [{"name": "pendulum", "import_s": 0.2, "cold_s": 0.9, "warm_s": 0.5,
                          "cold_cache": (0, 1), "warm_cache": (1, 0), "repeats": 3}]}
    text = "\n".join(numba_section.render({"workloads": [rosen, pendulum], "probes": {"numba": probe}},
                                          report.fmt_time))
    assert "| pendulum | 100 µs | 150 µs (1.50×) | skipped (--quick) | 15 µs | 0.15 | ≤ 0.2 | met |" in text
    assert "| Rosenbrock | 100 µs | — | — | 200 µs | 2.00 | ≤ 0.5 | **missed** |" in text
    assert ("| Rosenbrock: the same values as a float64 array | 100 µs | — | — | 40 µs | 0.40 | ≤ 0.5 | met |"
            in text)
    assert "| rnn | not run" in text
    assert "| n = 8,000 | 1 ms | 2 ms | 4 ms | 50 µs | 0.050 | ≤ 1.0 | met |" in text
    assert "| pendulum, grad wrt (g, length, damping) | 200 ms | 900 ms | 500 ms | 0 / 1, 1 / 0 |" in text


def test_without_numba_the_section_says_it_was_skipped(monkeypatch):
    from srcgrad import native

    monkeypatch.setattr(native, "available", lambda: False)
    result = numba_section.run(_tiny(), runner.Timed, runner.calibrate, runner.interleaved)
    assert result == {"skipped": 'skipped: numba is not installed (pip install -e ".[numba]")'}
    with pytest.raises(backends.Unavailable):
        backends.srcgrad_numba(workloads.BY_NAME["pendulum"], (9.81, 1.3, 0.4))
