"""Shared test set-up: the example programs in tests/programs are importable by name."""
import pathlib
import sys

import pytest

PROGRAMS = pathlib.Path(__file__).parent / "programs"
if str(PROGRAMS) not in sys.path:
    sys.path.insert(0, str(PROGRAMS))


# --- random-program fuzzing (tests/test_fuzz.py, tests/fuzzgen.py) -------------------
# The default run checks about 200 generated programs; the long profile is
#     pytest -m fuzz --fuzz-n 20000           (add --fuzz-seed N for other programs,
#                                              --fuzz-families all for every construct family)


def pytest_addoption(parser):
    group = parser.getgroup("srcgrad fuzz")
    group.addoption("--fuzz-n", type=int, default=200,
                    help="number of random programs tests/test_fuzz.py checks (default 200)")
    group.addoption("--fuzz-seed", type=int, default=None,
                    help="seed for the fuzz programs (default: hypothesis derandomize, fixed)")
    group.addoption("--fuzz-native", choices=("auto", "on", "off"), default="auto",
                    help="also compare the numba backend with the Python one on each fuzz program "
                         "(tests/test_fuzz.py): 'auto' (default) in the long profile where numba is installed")
    group.addoption("--fuzz-families", default="default",
                    help="construct families (tests/fuzzfamilies.py) mixed into the fuzz programs: "
                         "'default' (fuzzfamilies.DEFAULT), 'all', 'none' or a comma-separated list")


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: random-program differential testing "
                            "(long profile: pytest -m fuzz --fuzz-n 5000)")
    config.addinivalue_line("markers", "fast: the fast suite, run on every Python x NumPy "
                            "combination (noxfile.py): pytest -m fast")
    config._fuzz_summaries = []


def pytest_sessionfinish(session):
    # under pytest-xdist a worker hands its summary lines to the controller (pytest_testnodedown)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fuzz_summaries"] = list(session.config._fuzz_summaries)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown where xdist is not loaded
def pytest_testnodedown(node, error):
    node.config._fuzz_summaries.extend(getattr(node, "workeroutput", {}).get("fuzz_summaries", ()))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for line in getattr(config, "_fuzz_summaries", []):
        terminalreporter.write_line(line)


# --- the fast suite (pytest -m fast; noxfile.py runs it on every Python x NumPy) -------
# Every derivative rule in both modes against finite differences, the API, the
# transforms, control flow, containers, user calls and function forms: what
# differs between Python and NumPy versions, in well under a minute.
FAST = {
    "test_rules.py", "test_rules_elementwise.py", "test_rules_numpy_conventions.py",
    "test_rules_linalg_math_builtins_conventions.py", "test_api.py", "test_transforms.py",
    "test_higher_order.py", "test_control_flow.py", "test_subscripts_and_containers.py",
    "test_user_calls.py", "test_function_forms.py", "test_custom_rules.py", "test_no_grad.py",
    "test_forward_only.py", "test_errors.py", "test_call_path.py", "test_fast_path.py",
    "test_whole_function.py", "test_import_cost.py",
}


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        if item.path.name in FAST:
            item.add_marker(pytest.mark.fast)
