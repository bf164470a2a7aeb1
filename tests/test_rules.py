"""Every registered derivative rule, checked against central differences.

Walks the rule-case table (tests/rule_cases/): each case runs through the
whole compiler and `check_grads`. A registered primitive (rule, alias or
zero-gradient entry) that no case covers fails the completeness test, so no
rule can exist untested. Every declared zero (a zero-gradient primitive, a
rule parameter without a `d[...]` line) is checked by central differences
too: a zero that is not one fails.
"""
import inspect

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.rules import registry
from rule_cases import CASES, ZERO_CASES
from rule_cases.zeros import INTEGER_ONLY


REVERSE = [c for c in CASES if "reverse" in c.modes]
FORWARD = [c for c in CASES if "forward" in c.modes]


@pytest.mark.parametrize("case", REVERSE, ids=[c.id for c in REVERSE])
def test_rule_matches_finite_differences(case):
    srcgrad.check_grads(case.fn, case.args, wrt=case.wrt)


@pytest.mark.parametrize("case", FORWARD, ids=[c.id for c in FORWARD])
def test_tangent_rule_matches_finite_differences(case):
    srcgrad.check_grads(case.fn, case.args, wrt=case.wrt, modes=("forward",))


def test_every_adjoint_rule_has_a_tangent_rule():
    missing = [r.name for p, r in registry.adjoint_rules().items()
               if registry.lookup(p, mode="forward") is None]
    assert not missing, f"adjoint rules with no tangent rule: {sorted(missing)}"


def test_every_tangent_only_rule_has_a_forward_case():
    forward_covered = {p for c in FORWARD for p in c.primitives}
    missing = [r.name for p, r in registry.tangent_rules().items()
               if p not in registry.adjoint_rules() and p not in forward_covered]
    assert not missing, f"forward-only rules with no case: {sorted(missing)}"


def _covered():
    return {p for c in CASES for p in c.primitives}


def test_every_adjoint_rule_has_a_case():
    missing = [r.name for p, r in registry.adjoint_rules().items() if p not in _covered()]
    assert not missing, f"rules with no case in tests/rule_cases: {sorted(missing)}"


def test_every_alias_has_a_case():
    missing = [registry.qualname(k) for k in registry.aliases() if k not in _covered()]
    assert not missing, f"aliases with no case in tests/rule_cases: {sorted(missing)}"


def test_every_zero_gradient_primitive_has_a_case():
    # stop_gradient is the identity, so finite differences cannot see its
    # zero gradient: tests/test_no_grad.py checks it against hand-derived values.
    own = {srcgrad.stop_gradient}
    missing = [n for p, n in registry.nondifferentiable_primitives().items()
               if p not in _covered() and p not in own]
    assert not missing, f"zero-gradient primitives with no case: {sorted(missing)}"


# --- declared zeros: checked by central differences --------------------------------

# Rule parameters that hold integers, flags, strings, dtypes or shapes by NumPy's
# own signature: no float reaches them, so their zero derivative holds trivially.
NON_FLOAT_PARAMS = {"axis", "axes", "axis1", "axis2", "keepdims", "shape", "newshape", "order",
                    "copy", "dtype", "offset", "k", "source", "destination", "shift", "reps",
                    "repeats", "indices", "mode", "kind", "pad_width", "index", "args", "num",
                    "endpoint", "subok", "keys",  # keys: a dict display's keys, identities
                    "where", "method", "returned", "rowvar", "bias", "density",  # masks, flags, names
                    "UPLO", "full_matrices", "compute_uv", "hermitian", "lower", "trans", "unit_diagonal",
                    "indices_or_sections", "kth", "edge_order", "axisa", "axisb", "axisc", "deg",
                    "allow_singular", "reverse"}
# Rule parameters with no zero case, and why.
NO_ZERO_CASE_PARAMS = {"scipy.special._basic.polygamma(n)": "the order: NaN unless an integer",
                       "scipy.special._spfun_stats.multigammaln(d)": "the dimension: ValueError unless an integer",
                       "numpy.linalg.matrix_power(n)": "the power: an integer (NumPy rejects a float)",
                       "numpy.diff(n)": "a count: NumPy rejects a float",
                       "numpy.bincount(x)": "bin numbers: NumPy rejects a float array",
                       "numpy.bincount(minlength)": "a count: NumPy rejects a float",
                       "numpy.rollaxis(start)": "an axis position: NumPy fails on a float start that moves an axis",
                       "numpy.select(condlist)": "booleans: NumPy rejects a float condition",
                       "scipy.stats.poisson.logpmf(k)": "the count: -inf (constant) off the integers",
                       "scipy.stats.poisson.logpmf(loc)": "a shift of the count: as k",
                       "scipy.linalg._basic.solve_banded(l_and_u)": "the band counts: integers (SciPy slices with them)"}
# Zero-gradient primitives with no zero case, and why.
NO_ZERO_CASE = {srcgrad.stop_gradient: "the identity: its zero gradient is a convention (test_no_grad.py)",
                runtime.method_axes: "the axes of x.transpose(*args): integers only"}


def _float_positions(case):
    found = [i for i, a in enumerate(case.args) if _is_float(a)]
    found += [k for k, v in case.kwargs.items() if _is_float(v)]
    return [p for p in found if not case.only or p in case.only]


def _is_float(value) -> bool:
    return type(value) is float or (isinstance(value, np.ndarray) and value.dtype.kind == "f")


def _moved(a, b) -> float:
    """How far two outputs of a primitive are apart (inf when their structure differs)."""
    if isinstance(a, (tuple, list)) and not isinstance(a, np.ndarray):
        if not isinstance(b, (tuple, list)) or len(a) != len(b):
            return np.inf
        return max([_moved(x, y) for x, y in zip(a, b)], default=0.0)
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return 0.0 if a == b else np.inf
    if x.shape != y.shape:
        return np.inf
    return float(np.max(np.abs(x - y), initial=0.0))


def _with(case, position, value):
    args, kwargs = list(case.args), dict(case.kwargs)
    if isinstance(position, int):
        args[position] = value
    else:
        kwargs[position] = value
    return case.call(case.primitive, *args, **kwargs)


@pytest.mark.parametrize("case", ZERO_CASES, ids=[c.id for c in ZERO_CASES])
def test_declared_zero_derivative_is_zero(case):
    positions = _float_positions(case)
    assert positions, f"{case.id}: no float argument to perturb"
    for position in positions:
        value = case.args[position] if isinstance(position, int) else case.kwargs[position]
        for index in np.ndindex(np.shape(value)):
            h = 1e-6 * max(1.0, abs(float(np.asarray(value)[index])))
            up, down = (np.array(value, dtype=float), np.array(value, dtype=float))
            up[index] += h
            down[index] -= h
            if type(value) is float:
                up, down = float(up), float(down)
            slope = _moved(_with(case, position, up), _with(case, position, down)) / (2 * h)
            assert slope <= 1e-6, (f"{case.id}: declared zero, but the output moves with argument "
                                   f"{position!r} at {index}: slope {slope:.3g}")


@pytest.mark.parametrize("primitive, args", INTEGER_ONLY, ids=[registry.qualname(p) for p, _ in INTEGER_ONLY])
def test_integer_only_zero_primitives_reject_floats(primitive, args):
    with pytest.raises(TypeError):
        primitive(*args)


def test_every_zero_gradient_primitive_has_a_zero_case():
    covered = {id(c.primitive) for c in ZERO_CASES} | {id(p) for p, _ in INTEGER_ONLY} | \
        {id(p) for p in NO_ZERO_CASE}
    missing = [n for p, n in registry.nondifferentiable_primitives().items() if id(p) not in covered]
    assert not missing, f"zero-gradient primitives with no zero case in tests/rule_cases/zeros.py: {sorted(missing)}"


def _identity(p):
    """Which primitive `p` is: its id, or for a bound method its object's and function's
    (each access makes a new bound method: scipy.stats.norm.logpdf)."""
    return (id(p.__self__), id(p.__func__)) if inspect.ismethod(p) else id(p)


def test_every_rule_zero_position_that_can_hold_a_float_is_checked():
    checked = {}
    for c in ZERO_CASES:
        checked.setdefault(_identity(c.primitive), set()).update(c.only)
    missing = []
    for p, rule in registry.adjoint_rules().items():
        params = list(rule.template.signature.parameters)
        written = {stmt.targets[0].slice.id for stmt in rule.template.body
                   if type(stmt.targets[0]).__name__ == "Subscript"}
        constant = set(registry.constant_params(p))
        for i, name in enumerate(params):
            kind = rule.template.signature.parameters[name].kind
            if name in written or name in NON_FLOAT_PARAMS or name in constant or \
                    kind is inspect.Parameter.VAR_POSITIONAL:
                continue
            if not checked.get(_identity(p), set()) & {i, name} and f"{rule.name}({name})" not in NO_ZERO_CASE_PARAMS:
                missing.append(f"{rule.name}({name})")
    assert not missing, f"rule parameters declared zero and never checked: {sorted(missing)}"
