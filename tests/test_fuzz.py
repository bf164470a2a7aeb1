"""Random-program differential testing (issue 5, item 1).

Generated Python + NumPy programs (see tests/fuzzgen.py) are written to real
module files, imported and checked: reverse mode and forward mode against
central differences (`srcgrad.check_grads`), forward vs reverse (`jvp` along a
random tangent vs `<grad, tangent>`), split vs joint (`vjp` pullback vs `grad`).

    pytest tests/test_fuzz.py                   # CI profile: 200 programs
    pytest -m fuzz --fuzz-n 20000               # long profile, prints a summary line
    pytest -m fuzz --fuzz-n 5000 --fuzz-seed 7  # other programs
    pytest tests/test_fuzz.py --fuzz-families all            # every construct family
    pytest tests/test_fuzz.py --fuzz-families seq_slices,aliases
    pytest -m fuzz --fuzz-n 2000 --fuzz-native off           # without the numba backend

In the long profile (--fuzz-n above the default) where numba is installed,
each program that passes is also run with backend="auto" (`grad`,
`value_and_grad`, `jvp`): where numba compiles it, its results must be the
Python backend's to 1e-12 relative (fuzzgen's `_native_check`; the
summary counts what compiled). `--fuzz-native on` checks it in any profile.

A share of the programs (fuzzgen.FAMILY_SHARE) comes from the construct
families of tests/fuzzfamilies.py that are switched on (by default
fuzzfamilies.DEFAULT); the summary counts each family's outcomes, and a
family program that srcgrad refuses with a located SrcGradError counts as
rejected, not failed.

The programs are reproducible: hypothesis runs with `derandomize=True` (or the
given seed) and no example database.  A failure matching a bug already recorded
in tests/test_fuzz_regressions.py (fuzzgen.KNOWN_BUGS) is counted and the search
goes on; any other failure is shrunk by hypothesis to a minimal program and
reported.  The test fails when any program failed.
"""
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

import fuzzfamilies
import fuzzgen

CI_FUZZ_N = 200  # --fuzz-n at its default: the CI profile


@pytest.mark.fuzz
def test_random_programs(request, tmp_path, monkeypatch):
    n = request.config.getoption("--fuzz-n")
    user_seed = request.config.getoption("--fuzz-seed")
    families = fuzzfamilies.selected(request.config.getoption("--fuzz-families"))
    native = _native(request.config)
    if native:  # the compiled programs' modules go to a temporary cache, not the user's
        monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path / "native-cache"))
    stats = fuzzgen.Stats(checks=fuzzgen.CHECKS + (("native",) if native else ()))

    @settings(max_examples=n, derandomize=user_seed is None, database=None, deadline=None,
              print_blob=False, report_multiple_bugs=False, phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(fuzzgen.programs(families))
    def run(prog):
        stats.check(prog)

    if user_seed is not None:
        run = seed(user_seed)(run)
    try:
        run()
    finally:
        request.config._fuzz_summaries.append(stats.summary())
    assert stats.failed == 0, stats.summary()


def _native(config) -> bool:
    """Whether each program is also checked in the numba backend (`--fuzz-native`)."""
    choice = config.getoption("--fuzz-native")
    if choice == "auto":
        import importlib.util

        return config.getoption("--fuzz-n") > CI_FUZZ_N and importlib.util.find_spec("numba") is not None
    return choice == "on"
