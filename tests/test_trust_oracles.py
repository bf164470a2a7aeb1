"""Issue 12, section 3 (oracles): the machinery that checks srcgrad from outside.

Regression tests for what translation validation found (tests/translation.py),
and tests of the fuzzer's construct families (tests/fuzzfamilies.py): every
family writes programs that run, an oracle flags a wrong derivative, a located
refusal of a family construct counts as rejected, and loop state does not
count as a kink.
"""
import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import unoptimized

import fuzzfamilies
import fuzzgen


def _one_armed_backward(x, flag):
    if flag > 0.0:
        y = np.sin(x)
    else:
        y = x * 1.0
        y = np.zeros_like(y)
    return np.sum(y)


@pytest.mark.parametrize("flag", [1.0, -1.0])
def test_a_backward_branch_left_with_only_its_comment_is_still_a_block(flag):
    """Found by translation validation. The unoptimised build of an `else` whose
    adjoint is empty (its value is a constant) generated `else:` with nothing but
    a comment (codegen), and the `if` arm zeroed the adjoint of `_t2`, a value
    only the `else` arm assigns (reverse: the adjoint of a result passed nothing
    back was never retired). Dead code elimination hid both in the optimised build."""
    x = np.array([0.2, 0.9])
    with unoptimized():
        g = srcgrad.grad(_one_armed_backward)(x, flag)
        _, t = srcgrad.jvp(_one_armed_backward, (x, flag), (np.ones(2), None))
    expected = np.cos(x) if flag > 0 else np.zeros(2)
    np.testing.assert_allclose(g, expected, rtol=1e-14)
    assert t == pytest.approx(float(np.sum(expected)), rel=1e-14)
    srcgrad.check_grads(_one_armed_backward, (x, flag), wrt=0, modes=("reverse", "forward"))


@pytest.mark.parametrize("family", fuzzfamilies.FAMILIES)
def test_every_family_writes_programs_that_run(family):
    for seed in range(12):
        prog = fuzzgen.program_from_seed(seed, families=[family], share=1.0)
        assert prog.family == family
        module = fuzzgen.load(prog.source)
        with np.errstate(all="raise"):
            value = module.f(*fuzzgen._copy(prog.args))
        assert np.ndim(value) == 0 and np.isfinite(value), prog
        if prog.reference:  # the twin agrees with f where the block's inputs are the base point's
            ref = module.__dict__[prog.reference](*fuzzgen._copy(prog.args), *fuzzgen._copy(prog.args))
            assert ref == pytest.approx(value, rel=1e-12), prog


@pytest.mark.parametrize("family", fuzzfamilies.DEFAULT)
def test_the_default_families_pass_on_their_first_programs(family):
    """Every default family in CI, whatever share hypothesis's draws give it."""
    for seed in range(5):
        prog = fuzzgen.program_from_seed(seed, families=[family], share=1.0)
        assert fuzzgen.check_program(prog) in ("ok", "skipped", "rejected")


def test_family_selection():
    assert fuzzfamilies.selected("default") == fuzzfamilies.DEFAULT
    assert fuzzfamilies.selected("all") == fuzzfamilies.FAMILIES
    assert fuzzfamilies.selected("none") == ()
    assert fuzzfamilies.selected("aliases, seq_slices") == ("aliases", "seq_slices")
    with pytest.raises(ValueError, match="unknown fuzz families"):
        fuzzfamilies.selected("aliasses")


_HEADER = "import math\n\nimport numpy as np\n\nimport srcgrad\n\n\n"


def _program(body, args, family="", **extra):
    source = _HEADER + "def f(x):\n" + "".join(f"    {line}\n" for line in body)
    return fuzzgen.Program(source, [args], ("x",), ["x"], family=family, **extra)


def test_a_located_refusal_of_a_family_construct_counts_as_rejected():
    body = ["try:", "    y = x * 2.0", "finally:", "    pass", "return np.sum(y)"]
    x = np.array([0.3, 0.4])
    assert fuzzgen.check_program(_program(body, x, family="aliases")) == "rejected"
    with pytest.raises(fuzzgen.FuzzFailure, match="rejected"):  # the base generator's must pass
        fuzzgen.check_program(_program(body, x))


def test_a_located_alias_refusal_of_a_base_program_counts_as_rejected():
    """Seed 204 of the long profile: `z = v[0, 0]` may be a view for all the alias
    check knows (a 3-d `v`), so `v += x` after it is refused, located; that is a
    rejection, not a failure. Any other refusal of a base program still fails."""
    body = ["v = x / 2.0", "z = v[0]", "v += x", "return z"]
    x = np.array([0.3, 0.4])
    assert fuzzgen.check_program(_program(body, x)) == "rejected"


def test_the_reference_oracle_flags_a_wrong_gradient():
    """A reference twin that treats the block as differentiable disagrees with
    no_grad's constant: the oracle must say so (and agree with the right one)."""
    body = ["y = x * 3.0", "with srcgrad.no_grad():", "    z = y * 2.0", "return np.sum(z * x)"]
    x = np.array([0.3, -0.4])
    right = _program(body, x, family="no_grad_rebind", reference="ref")
    right.source += "\n\ndef ref(x, x0):\n    z = x0 * 3.0 * 2.0\n    return np.sum(z * x)\n"
    assert fuzzgen.check_program(right) == "ok"
    wrong = _program(body, x, family="no_grad_rebind", reference="ref")
    wrong.source += "\n\ndef ref(x, x0):\n    z = x * 3.0 * 2.0\n    return np.sum(z * x)\n"
    with pytest.raises(fuzzgen.FuzzFailure, match="mismatch:reverse"):
        fuzzgen.check_program(wrong)


def test_the_autograd_oracle_flags_a_gradient_that_differs():
    prog = _program(["return np.sum(np.sin(x) * x)"], np.array([0.3, -0.4]))
    x = prog.args[0]
    fuzzgen._autograd_check(prog, [np.sin(x) + x * np.cos(x)])  # the true gradient: passes
    with pytest.raises(fuzzgen.FuzzFailure, match="mismatch:autograd"):
        fuzzgen._autograd_check(prog, [np.sin(x)])


def test_the_higher_order_oracle_checks_grad2_and_the_hessian():
    scalar = _program(["return np.sin(x) * x + 0.5 * x ** 3"], 0.4, orders=("grad2",))
    assert fuzzgen.check_program(scalar) == "ok"
    array = _program(["return np.sum(np.sin(x) * x[::-1]) + 0.5 * np.sum(x ** 3)"],
                     np.array([0.4, 0.3, -0.2]), orders=("hvp", "hessian"))
    assert fuzzgen.check_program(array) == "ok"


def test_integer_loop_state_is_no_kink():
    source = _HEADER + ("def f(x):\n    lr = 0.3\n    for i in range(3):\n        if i == 2:\n"
                        "            lr = 0.1\n        x = x - lr * x * x\n    return x\n")
    m, value = fuzzgen.margin(source, "f", [0.5])
    x = 0.5
    for lr in (0.3, 0.3, 0.1):
        x = x - lr * x * x
    assert m == np.inf and value == x


_UNSUMMED = [
    # seed 503: a number broadcast by np.where; autograd's gradient has the right shape
    # and the wrong value (3.376 against the differences' 2.410, which srcgrad gives)
    ("def f(x, c):\n    return np.mean(np.tanh(np.where(c > x, c, 0.5 * x)) ** 2) + np.sin(c)\n",
     [np.array([0.123, 0.123]), 0.264], ("x", "c"), ["x", "c"]),
    # the long profile: autograd gives a number's gradient, broadcast by np.where, unsummed
    ("def f(s, C):\n    return np.sum(np.where(s > C, s, 0.5 * C))\n",
     [0.15, np.array([0.097, 0.174])], ("s",), ["s", "C"]),
    # seed 200: x's gradient (3,) comes back (3, 3), unsummed over the broadcast rows
    ("def f(x, A):\n    return np.sum(np.sin(np.where(x > A, x, 0.5 * A)))\n",
     [np.array([0.124, 0.357, 0.122]), np.full((3, 3), 0.123)], ("x", "A"), ["x", "A"]),
    # seed 502: and x's other contribution (0.5 * sum(x)) is added into every row, so
    # summing autograd's rows back counts it twice; seed 503: the same for a number
    # (its gradient comes back summed, but wrong): autograd is not asked about np.where
    ("def f(x, A):\n    v1 = np.where(x > A, x, 0.5 * A)\n"
     "    return np.sum(v1) + 0.5 * np.sum(x) + 0.5 * np.sum(v1)\n",
     [np.array([0.123, 0.122, -0.07, 0.124]),
      np.array([[0.124, 0.123, 0.123, 0.123], [0.122, 0.123, 0.123, 0.125]])], ("x", "A"), ["x", "A"]),
]


@pytest.mark.parametrize("body, args, wrt, params", _UNSUMMED)
def test_autograd_unsummed_broadcast_gradient_is_no_answer(body, args, wrt, params):
    """autograd's np.where gradient of a broadcast operand is unreliable: the oracle
    does not ask autograd about programs with np.where (differences check them)."""
    prog = fuzzgen.Program(_HEADER + body, args, wrt, params)
    before = fuzzgen.AUTOGRAD_STATS["n/a"]
    fuzzgen._autograd_check(prog, [np.zeros(np.shape(args[params.index(p)])) for p in wrt])
    assert fuzzgen.AUTOGRAD_STATS["n/a"] == before + 1


def test_srcgrad_gradient_of_the_seed_502_program_matches_differences():
    x = np.array([0.123, 0.122, -0.07, 0.124])
    A = np.array([[0.124, 0.123, 0.123, 0.123], [0.122, 0.123, 0.123, 0.125]])

    def f(x, A):
        v1 = np.where(x > A, x, 0.5 * A)
        return np.sum(v1) + 0.5 * np.sum(x) + 0.5 * np.sum(v1)

    dx, dA = srcgrad.grad(f, wrt=(0, 1))(x, A)
    assert np.allclose(dx, 1.5 * np.sum(x > A, axis=0) + 0.5)
    assert np.allclose(dA, 0.75 * (x <= A))
    srcgrad.check_grads(f, (x, A), wrt=(0, 1), modes=("reverse", "forward"))


def test_autograd_gradient_of_the_wrong_shape_is_no_answer():
    """Found by the long profile (seed 202): autograd's gradient of `np.diag(A)` for a
    (3, 2) matrix comes back (2, 2). A gradient without its argument's shape is
    autograd's failure to answer, not a mismatch; a right-shaped wrong one still is."""
    source = _HEADER + "def f(A):\n    return np.sum(np.tanh(np.diag(A)))\n"
    A = np.full((3, 2), 0.123)
    prog = fuzzgen.Program(source, [A], ("A",), ["A"])
    dA = np.zeros((3, 2))
    dA[[0, 1], [0, 1]] = 1.0 - np.tanh(0.123) ** 2
    before = dict(fuzzgen.AUTOGRAD_STATS)
    fuzzgen._autograd_check(prog, [dA])
    assert fuzzgen.AUTOGRAD_STATS["n/a"] == before.get("n/a", 0) + 1
    square = _HEADER + "def f(A):\n    return np.sum(np.tanh(np.diag(A)))\n"
    prog = fuzzgen.Program(square, [np.full((2, 2), 0.123)], ("A",), ["A"])
    with pytest.raises(fuzzgen.FuzzFailure, match="mismatch:autograd"):
        fuzzgen._autograd_check(prog, [2.0 * dA[:2]])


def test_autograd_nan_gradient_is_no_answer():
    """Seed 401 of the long profile: autograd's gradient of `np.prod` divides by the
    product's factors, so a zero entry gives NaN where the true gradient (srcgrad's,
    checked by differences) is finite: that is no answer from autograd."""
    source = _HEADER + "def f(A):\n    return np.sum(np.prod(np.tanh(A), axis=0))\n"
    A = np.array([[0.123, 0.0], [-0.001, 0.123]])
    prog = fuzzgen.Program(source, [A], ("A",), ["A"])
    t = np.tanh(A)
    dA = (1.0 - t ** 2) * t[::-1]
    before = dict(fuzzgen.AUTOGRAD_STATS)
    fuzzgen._autograd_check(prog, [dA])
    assert fuzzgen.AUTOGRAD_STATS["n/a"] == before.get("n/a", 0) + 1
