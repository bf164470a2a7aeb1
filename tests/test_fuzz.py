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


@pytest.mark.fuzz
def test_random_programs(request):
    n = request.config.getoption("--fuzz-n")
    user_seed = request.config.getoption("--fuzz-seed")
    families = fuzzfamilies.selected(request.config.getoption("--fuzz-families"))
    stats = fuzzgen.Stats()

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
