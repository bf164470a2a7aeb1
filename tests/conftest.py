"""Shared test set-up: the example programs in tests/programs are importable by name."""
import pathlib
import sys

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
    group.addoption("--fuzz-families", default="default",
                    help="construct families (tests/fuzzfamilies.py) mixed into the fuzz programs: "
                         "'default' (fuzzfamilies.DEFAULT), 'all', 'none' or a comma-separated list")


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: random-program differential testing "
                            "(long profile: pytest -m fuzz --fuzz-n 5000)")
    config._fuzz_summaries = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for line in getattr(config, "_fuzz_summaries", []):
        terminalreporter.write_line(line)
