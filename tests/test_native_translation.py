"""Translation validation of the numba backend (issue 17, item 4): where numba
compiles a derivative, it gives the Python backend's result.

Each case of the corpora of tests/test_translation_validation.py (the
program-corpus tables, the rule cases, the examples, generated fuzz programs)
is differentiated with `backend="auto"` by `grad`, `value_and_grad`, `jvp` and
`vjp` (its pullback at a random cotangent) and with the Python backend; where numba ran,
values, gradients and tangents must agree to 1e-12 relative and have the same
structure (tests/native_translation.py). Where numba refused, the
Python build ran and the refusal must be a SrcGradError. The summary line
counts what numba compiled, what fell back, and what disagreed.

    pytest tests/test_native_translation.py             # CI: a fixed sample, ~150 s of CPU in 2 parts
    pytest -m fuzz tests/test_native_translation.py --fuzz-n 2000
                                                        # long profile: every case,
                                                        # and --fuzz-n // 10 fuzz programs,
                                                        # in 8 parts that pytest-xdist spreads

A case where the Python backend raises the user's error (a math domain
error) is counted apart ("user error"), with what the numba build did: it
raises the same error (srcgrad/native's checked numerics), or, where it gave
values instead, the summary says so.
"""
import collections
import math
import re

import numpy as np
import pytest

import srcgrad

import fuzzfamilies
import native_translation
import translation

numba = pytest.importorskip("numba")

CI_FUZZ_N = 200  # --fuzz-n at its default: the CI profile


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))


def _refusal_kind(refusal) -> str:
    """A refusal's reason without its names and lines: what to count it under."""
    reason = getattr(refusal, "reason", str(refusal)).split("\n")[0]
    reason = reason.split(" (generated line:")[0]
    if "no compiled version of srcgrad's runtime helper" in reason:
        return "no compiled helper " + reason.split("runtime helper ")[1].split(",")[0]
    reason = re.sub(r"the derivative of [\w.<>]+", "the derivative", reason)
    return re.sub(r"'[^']*'", "'...'", reason)[:90]  # argument and function names


def validate(cases) -> tuple:
    """(counts of outcomes over the cases' transforms, counts of refusal kinds, failures)."""
    counts, refusals, failures = collections.Counter(), collections.Counter(), []
    for case in cases:
        try:
            outcomes = native_translation.compare_native(case.fn, case.args, case.wrt, case.modes)
        except native_translation.Disagreement as exc:
            failures.append(f"{case.id}: {exc}")
            continue
        for name, outcome in outcomes.items():
            counts[outcome.ran] += 1
            if outcome.refusal is not None:
                refusals[_refusal_kind(outcome.refusal)] += 1
            if outcome.error is not None:
                refusals[f"{name}: Python raised {type(outcome.error).__name__}, {outcome.ran}"] += 1
    return counts, refusals, failures


LONG_SHARDS = 8  # the long profile's cases, in this many tests: pytest-xdist spreads them
CI_SHARDS = 2  # the CI sample's


def pytest_generate_tests(metafunc):
    if "shard" in metafunc.fixturenames:
        long = metafunc.config.getoption("--fuzz-n") > CI_FUZZ_N
        metafunc.parametrize("shard", range(LONG_SHARDS if long else CI_SHARDS))


@pytest.mark.fuzz
def test_the_numba_backend_gives_the_python_backends_results_on_the_corpora(request, shard):
    n = request.config.getoption("--fuzz-n")
    families = fuzzfamilies.selected(request.config.getoption("--fuzz-families"))
    programs, rules, examples = translation.program_cases(), translation.rule_cases(), translation.example_cases()
    if n > CI_FUZZ_N:  # the long profile: every case, this shard's share of them
        cases = programs + rules + examples + translation.fuzz_cases(range(10_000, 10_000 + n // 10), families)
        cases = cases[shard::LONG_SHARDS]
    else:
        # about 100 transforms, ~150 s of CPU: each one numba compiles costs ~1 s
        cases = programs[::40] + rules[::200] + examples[::4] + translation.fuzz_cases(range(10_000, 10_003), families)
        cases = cases[shard::CI_SHARDS]
    counts, refusals, failures = validate(cases)
    ran = counts["numba"] + counts["python"]  # the transforms the Python backend runs
    part = f" (part {shard + 1} of {LONG_SHARDS if n > CI_FUZZ_N else CI_SHARDS})"
    request.config._fuzz_summaries.append(
        f"srcgrad numba translation validation{part}: {len(cases)} cases, {sum(counts.values())} transforms "
        f"(grad, value_and_grad, jvp, vjp): {counts['numba']} compiled by numba and agree, "
        f"{counts['python']} fell back to Python, {counts['rejected']} rejected by both backends, "
        f"{sum(v for k, v in counts.items() if k.startswith('user error'))} raised the user's error in Python, "
        f"{len(failures)} disagree")
    request.config._fuzz_summaries.append(
        "    most common refusals: " + "; ".join(f"{v} x {k}" for k, v in refusals.most_common(8)))
    assert not failures, "\n".join(failures[:10])
    # measured (CI sample, numba 0.68, before the helpers of issue 17's item 2 landed): 37 of
    # the 161 transforms Python runs compiled (23%); a backend that refused everything
    # would validate nothing
    assert counts["numba"] >= 0.15 * ran, (counts, refusals.most_common(8))


# --- what the corpora found (regression tests) ------------------------------------


def released_temporary(x, s):
    v1 = np.cosh(x)
    v3 = np.tanh(np.subtract(v1, v1))
    return np.sinh(s) + 0.5 * np.sum(v3)


def test_a_derivative_that_frees_a_temporary_early_compiles():
    """The optimised derivative `del`s a NumPy temporary after its last use, which
    numba refuses ("Illegal IR, del found"): the numba lowering drops the `del`s."""
    x = np.array([0.3, -0.2, 1.1])
    df = srcgrad.grad(released_temporary, wrt=(0, 1), backend="numba")
    assert "del " in srcgrad.source(srcgrad.grad(released_temporary, wrt=(0, 1)))  # the Python build's
    got = df(x, 0.4)
    assert df.backend == "numba" and "del " not in df.native.text
    want = srcgrad.grad(released_temporary, wrt=(0, 1))(x, 0.4)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-15)
    assert got[1] == pytest.approx(math.cosh(0.4), rel=1e-12)


def masked_mean(a):
    return np.sum(a[a > -0.4])


def test_a_failure_inside_numbas_compiler_is_refused_at_the_users_line():
    """numba's lowering asserts on a 2-D boolean mask (no message): the refusal names
    the failed check and the line, not just "numba refused it"."""
    a, a_dot = np.array([[0.3, -0.7], [1.2, 0.1]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.jvp(masked_mean, (a,), (a_dot,), backend="numba")
    assert "numba's compiler failed (AssertionError" in str(info.value)
    assert info.value.location is not None
    assert info.value.location.lineno == masked_mean.__code__.co_firstlineno + 1
    assert srcgrad.jvp(masked_mean, (a,), (a_dot,), backend="auto") == (1.6, 8.0)


def scaled_tanh(x, scale=0.5):
    return scale * math.tanh(x)


def test_a_tangent_function_moved_positional_keeps_no_default_on_the_wrong_parameter():
    """The tangent function `jvp_f(x, scale=0.5, *, x_dot)` takes its keyword-only
    tangent by position in numba; the default must not slide onto `x_dot`
    (`jvp_f(x, scale, x_dot=0.5)`, which a call of the module would take silently).
    `scale` keeps its own (a caller's generated code may leave it out), `x_dot` gets None."""
    value, tangent = srcgrad.jvp(scaled_tanh, (0.3,), (1.0,), backend="numba")
    assert (value, tangent) == srcgrad.jvp(scaled_tanh, (0.3,), (1.0,))
    assert tangent == pytest.approx(0.5 * (1.0 - math.tanh(0.3) ** 2), rel=1e-14)
    [(_, bound, _check)] = [v for k, v in srcgrad.bound.JVP_BOUND[scaled_tanh].items()
                            if isinstance(k, tuple) and k[-1] == "numba"]
    assert "def jvp_scaled_tanh(x, scale=0.5, x_dot=None):" in bound.native.text
    assert bound.native.dispatcher(0.3, 2.0, 1.0) == srcgrad.jvp(scaled_tanh, (0.3, 2.0), (1.0, None))


def squares_and_count(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[i]
    return s, len(x)


def test_value_and_grad_with_aux_gives_a_lists_gradient_as_a_list():
    """The adjoint of a list returned inside ((value, dx), aux) is an array too (it stayed
    a list, and the boundary's conversion crashed on it)."""
    got = srcgrad.value_and_grad(squares_and_count, has_aux=True, backend="numba")([1.0, 2.0])
    assert got == srcgrad.value_and_grad(squares_and_count, has_aux=True)([1.0, 2.0]) == ((5.0, 2), [2.0, 4.0])
    assert type(got[1]) is list


def times(x, n):
    return x * n


def doubles_first(x):
    x[0] = x[0] * 2.0
    return x[0] + x[1]


def test_refusals_name_the_argument_or_the_line():
    with pytest.raises(srcgrad.SrcGradError, match=r"argument 'n' of times: an int beyond 64 bits"):
        srcgrad.grad(times, backend="numba")(1.5, 2 ** 70)
    assert srcgrad.grad(times, backend="auto")(1.5, 2 ** 70) == float(2 ** 70)
    with pytest.raises(srcgrad.SrcGradError, match="list of floats x") as info:
        srcgrad.grad(doubles_first, backend="numba")([1.0, 2.0])
    assert info.value.location.lineno == doubles_first.__code__.co_firstlineno + 1


def doubled_if_float(x, c):
    return x * c * isinstance(x, float) + x * c * (type(x) is float)


def test_a_function_that_calls_type_is_refused_at_its_line():
    """numba's `type(x) is float` is False for a float: the gradient was half Python's."""
    with pytest.raises(srcgrad.SrcGradError, match=r"numba's type\(\)") as info:
        srcgrad.grad(doubled_if_float, backend="numba")(0.7, 1.5)
    assert info.value.location.lineno == doubled_if_float.__code__.co_firstlineno + 1
    df = srcgrad.grad(doubled_if_float, backend="auto")
    assert df(0.7, 1.5) == srcgrad.grad(doubled_if_float)(0.7, 1.5) == 3.0 and df.backend == "python"


# --- where Python raises the user's error -------------------------------------------


def log_of(x):
    return math.log(x) * x


def cubed_count(x, n):
    return x * n ** 3


def test_where_python_raises_the_users_error_numba_raises_it_too():
    """The validation's "user error" outcome: numba's checked numerics raise Python's
    error (a math domain error, an int past 64 bits) rather than give nan or a wrapped int."""
    outcomes = native_translation.compare_native(log_of, (-1.0,), 0)
    assert {k: (o.ran, type(o.error)) for k, o in outcomes.items()} == {
        k: ("user error: both raise", ValueError) for k in ("grad", "value_and_grad", "jvp", "vjp")}
    with pytest.raises(OverflowError, match="64 bits"):
        srcgrad.grad(cubed_count, backend="numba")(1.5, 10 ** 7)  # n ** 3 = 10 ** 21 > 2 ** 63
    assert srcgrad.grad(cubed_count)(1.5, 10 ** 7) == 1e21
