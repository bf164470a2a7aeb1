"""Every registered derivative rule, checked against central differences.

Walks the rule-case table (tests/rule_cases/): each case runs through the
whole compiler and `check_grads`. A registered primitive (rule, alias or
zero-gradient entry) that no case covers fails the completeness test, so no
rule can exist untested.
"""
import pytest

import srcgrad
from srcgrad.rules import registry
from rule_cases import CASES


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
