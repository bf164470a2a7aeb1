"""Translation validation (issue 12, section 3): every optimisation pass
preserves the derivative.

Each case of the project's corpora (tests/programs via the tests that list
them, tests/rule_cases, the examples, generated fuzz programs) is
differentiated twice, with the optimisation passes and without any
(`srcgrad.compiler.unoptimized()`), in reverse mode (`grad`,
`value_and_grad`, `vjp`) and forward mode (`jvp`); values, gradients and
tangents must agree to 1e-12 relative (tests/translation.py).

    pytest tests/test_translation_validation.py     # CI: a fixed sample, ~15 s
    pytest -m fuzz --fuzz-n 20000                   # long profile: every case,
                                                    # and --fuzz-n // 10 fuzz programs
    (--fuzz-families selects the construct families among the fuzz programs)
"""
import numpy as np
import pytest

import srcgrad
import srcgrad.cache
from srcgrad.compiler import Options, unoptimized

import fuzzfamilies
import translation

CI_FUZZ_N = 200  # --fuzz-n at its default: the CI profile


def _sample(cases, every):
    return cases[::every]


@pytest.mark.fuzz
def test_optimised_and_unoptimised_builds_agree_on_the_corpora(request):
    n = request.config.getoption("--fuzz-n")
    long_profile = n > CI_FUZZ_N
    programs, rules = translation.program_cases(), translation.rule_cases()
    examples = translation.example_cases()
    families = fuzzfamilies.selected(request.config.getoption("--fuzz-families"))
    if long_profile:
        cases = programs + rules + examples + translation.fuzz_cases(range(10_000, 10_000 + n // 10), families)
    else:
        cases = _sample(programs, 3) + _sample(rules, 10) + examples \
            + translation.fuzz_cases(range(10_000, 10_020), families)
    counts = {"ok": 0, "rejected": 0}
    failures = []
    for case in cases:
        try:
            counts[translation.compare(case.fn, case.args, case.wrt, case.modes)] += 1
        except translation.Disagreement as exc:
            failures.append(f"{case.id}: {exc}")
    request.config._fuzz_summaries.append(
        f"srcgrad translation validation: {len(cases)} cases, {counts['ok']} agree, "
        f"{counts['rejected']} rejected by both builds, {len(failures)} disagree")
    assert not failures, "\n".join(failures[:10])
    assert counts["ok"] >= 0.95 * len(cases)  # a corpus of rejections would validate nothing


def test_the_corpora_are_found():
    """Every corpus contributes: a renamed table must not silently empty it."""
    programs = translation.program_cases()
    files = {case.fn.__code__.co_filename.rsplit("/", 1)[-1] for case in programs}
    assert len(programs) > 200
    assert {"control_flow.py", "loops.py", "iterative.py", "tricky.py", "subscript_writes.py",
            "containers.py", "appends.py", "calls.py", "nested_defs.py"} <= files
    assert len(translation.rule_cases()) > 800
    assert len(translation.example_cases()) == 14
    assert len(translation.fuzz_cases(range(10))) >= 8


def _repeated(x):
    a = np.sin(x) * 2.0
    b = np.sin(x) * 2.0
    return np.sum(a * b)


def _code(derivative) -> str:
    """The generated source without its comments."""
    return "\n".join(line for line in srcgrad.source(derivative).splitlines()
                     if not line.lstrip().startswith("#"))


def test_the_unoptimised_build_runs_no_pass_and_is_cached_beside_the_optimised_one():
    x = np.array([0.3, -0.7, 1.1])
    optimised = srcgrad.grad(_repeated)
    with unoptimized():
        plain = srcgrad.grad(_repeated)
    expected = 8.0 * np.sin(x) * np.cos(x)  # d/dx sum(4 sin(x)^2)
    np.testing.assert_allclose(optimised(x), expected, rtol=1e-13)
    np.testing.assert_allclose(plain(x), expected, rtol=1e-13)
    # the shared-expression pass computes sin(x) * 2.0 once; the plain lowering twice,
    # with no fast path (no NaN-safe twin) and no early `del`s
    assert _code(optimised).count("= np.sin(x)") == 1
    assert _code(plain).count("= np.sin(x)") == 2
    assert "del " not in _code(plain) and "del " in _code(optimised)
    assert Options(("x",)).optimize and not plain._optimize
    with unoptimized():
        assert not Options(("x",)).optimize
    before = srcgrad.cache.compile_count
    optimised(x), plain(x)
    assert srcgrad.cache.compile_count == before
