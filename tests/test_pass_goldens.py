"""Golden before/after text for each optimisation pass (srcgrad/optimize/),
and for sharing repeats before differentiation (srcgrad/normalize/share.py).

Each case below feeds one pass a small piece of generated code, written as
source text, and keeps what the pass makes of it in
tests/golden/passes/<case>.txt: the code before, the code after and whether
the pass said it changed anything. The test fails, showing the diff, when a
pass's output changes. After a change made on purpose, regenerate with

    SRCGRAD_UPDATE_GOLDEN=1 python -m pytest tests/test_pass_goldens.py

and review `git diff tests/golden/passes/` as part of the change.

In the input text, a line `# text` is a line comment of generated code
(`nodes.Comment`). Names resolve as in generated code: `np.*` to NumPy, the
runtime helpers to srcgrad's.
"""
import pathlib
import re

import gast
import numpy as np
import pytest

from golden.compare import check_golden
from srcgrad import codegen, frontend, nodes, optimize, runtime
from srcgrad.naming import Names
from srcgrad.normalize import normalize
from srcgrad.normalize.share import share_repeats
from srcgrad.optimize.copies import fold_constants, propagate
from srcgrad.optimize.cse import common_subexpressions
from srcgrad.optimize.dce import eliminate_dead
from srcgrad.optimize.inplace import accumulate_in_place, accumulate_top_level
from srcgrad.optimize.release import release
from srcgrad.optimize.sameshape import settle_shapes
from srcgrad.optimize.saves import drop_unread_saves
from srcgrad.optimize.scalars import elide_unbroadcast
from srcgrad.optimize.seeds import scalar_seeds, spelled_seeds
from srcgrad.optimize.shapetape import tape_shapes
from srcgrad.optimize.valueonly import drop_value_only
from srcgrad.analysis.resolve import resolve

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden" / "passes"

HELPERS = ("unbroadcast", "unbroadcast_to", "unreduce", "reduced_size", "zeros_like", "shape_of",
           "require_scalar", "masked_product", "broadcast_like", "unindex", "zero_at", "written_adjoint")


def _callee(call):
    func = call.func
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and func.value.id == "np":
        return getattr(np, func.attr, None)
    if isinstance(func, gast.Name) and func.id in HELPERS:
        return getattr(runtime, func.id)
    return None


def _setting(params, scalars=(), **more):
    return optimize.Setting(params, frozenset(scalars), _callee, {h: h for h in HELPERS}, **more)


_COMMENT_LINE = re.compile(r"^(\s*)# (.*)$", re.M)


def _code(text: str) -> list:
    """Statements from source text; `# text` lines become line comments."""
    text = _COMMENT_LINE.sub(lambda m: f"{m.group(1)}__comment__({m.group(2)!r})", text.strip("\n"))

    def comments(stmts):
        out = []
        for s in stmts:
            if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) \
                    and getattr(s.value.func, "id", None) == "__comment__":
                s = nodes.comment(s.value.args[0].value)
            nodes.map_blocks(s, comments)
            out.append(s)
        return out

    return comments(gast.parse(text).body)


def _text(stmts: list) -> str:
    body = codegen.to_source(nodes.function("f", [], stmts or [gast.Pass()]))
    return "".join(line[4:] + "\n" for line in body.splitlines()[1:])


def _sweeps_text(sweeps) -> str:
    forward, backward = sweeps
    return f"forward:\n{_text(forward)}backward:\n{_text(backward)}"


def _joint(forward: str, backward: str):
    return _code(forward), _code(backward)


# --- the cases: name -> (what it shows, run) where run() -> (before text, after text, changed) ---

def _one(pass_, code: str, *args, **kwargs):
    stmts = _code(code)
    before = _text(stmts)
    after, changed = pass_(stmts, *args, **kwargs)
    return before, _text(after), changed


def _both(pass_, forward: str, backward: str, *args):
    sweeps = _joint(forward, backward)
    before = _sweeps_text(sweeps)
    after, changed = pass_(sweeps, *args)
    return before, _sweeps_text(after), changed


def _backward_with_facts(pass_, forward: str, backward: str, params: dict, *args, scalars=(), forward_too=False):
    """A pass over the backward sweep that reads the facts of both sweeps."""
    fwd, bwd = _joint(forward, backward)
    before = _sweeps_text((fwd, bwd))
    known = optimize.facts(fwd + bwd, _setting(params, scalars))
    if forward_too:
        fwd, changed = pass_(fwd, bwd, known, *args)
    else:
        bwd, changed = pass_(bwd, known, fwd, params, *args)
    return before, _sweeps_text((fwd, bwd)), changed


def _spelled(code: str, params: dict):
    """`spelled_seeds` over the whole (assembled) function."""
    stmts = _code(code)
    before = _text(stmts)
    setting = _setting(params, rename_global=lambda ident: {"numpy": "np"}.get(ident, ident))
    after, changed = spelled_seeds(stmts, optimize.facts(stmts, setting), setting)
    return before, _text(after), changed


def _repeats(x):
    a = np.sin(x ** 2)
    b = np.log1p(x ** 2)
    return a * b


def _shared():
    """`normalize/share.py`, before differentiation: on the ANF function, with its Ops."""
    parsed = frontend.parse(_repeats)
    tree = parsed.tree
    local = {"x"} | {n.id for n in gast.walk(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    anf = normalize(tree, Names(nodes.names_in(tree) | {tree.name}), parsed.source, lambda ident: ident in local)
    ops = resolve(anf, parsed.namespace, parsed.source, lambda ident: ident in local)
    before = _text(anf.body)
    share_repeats(anf, ops, ["x"], ("array",))
    return before, _text(anf.body), None


CASES = {
    "share_repeats": ("a repeated pure expression computed once, before differentiation", _shared),
    "propagate": ("copies and constants forwarded into later reads; the reader's name survives", lambda: _one(
        propagate, """
# backward of line 3: z = y * w
_dt1 = dz * w
dy = _dt1
dw = dz * y
# backward of line 2: y = x * 2.0
_dt2 = dy
dx = _dt2 * 2.0
""", {"dx", "dw"})),
    "eliminate_dead": ("assignments nobody reads go, with a comment left heading nothing; a pop stays",
                       lambda: _one(eliminate_dead, """
# backward of line 4: return y
_dt3 = dy * 2.0
# backward of line 3: y = x * w
unused = dy * w
dx = dy * w
_t1 = _stack.pop()
""", {"dx"})),
    "elide_unbroadcast": ("unbroadcast of numbers dropped; a guard on numbers becomes plain arithmetic",
                          lambda: _one(elide_unbroadcast, """
ds = unbroadcast(dy * 2.0, s)
dc = masked_product(ds, c)
dx = unbroadcast(dy, x)
""", {"s", "ds", "dy", "c", "dc"}, {"unbroadcast"}, "math", frozenset(), {"masked_product": "*"})),
    "fold_constants": ("constant arithmetic folded", lambda: _one(fold_constants, """
x_dot = 0.0 * y_dot + 2.0 * 3.0
z_dot = -(-x_dot)
y = x ** 1
w = -(-x)
""", frozenset({"y_dot", "x_dot"}))),
    "common_subexpressions": ("a repeated pure forward expression computed once, in both sweeps",
                              lambda: _both(lambda sweeps: common_subexpressions(
                                  sweeps, {"x": "array"},
                                  optimize.facts(sweeps[0] + sweeps[1], _setting({"x": "array"}))), """
_t2 = x ** 2
_t3 = np.sin(_t2)
_t6 = x ** 2
_t7 = np.log1p(_t6)
""", """
_dt6 = _dt7 / (1.0 + _t6)
_dt2 = _dt3 * np.cos(_t2)
""")),
    "scalar_seeds": ("the adjoint of a full reduction stays a number while it can",
                     lambda: _backward_with_facts(scalar_seeds, """
_t1 = np.sin(x)
_t5 = _t1 * 2.0
_t8 = np.sum(_t5)
""", """
_dt5 = unreduce(1.0, _t5, None, False)
_dt1 = unbroadcast(_dt5 * 2.0, _t1)
dx = _dt1 * np.cos(x)
""", {"x": "array"}, "unreduce")),
    "spelled_seeds": ("a seed left in the function as numpy.ones / numpy.full where the value "
                      "kinds show a NumPy value (a loop's carry, restored from the tape); "
                      "a name the tape may restore from another's push, or once None, and a number, kept",
                      lambda: _spelled("""
h = np.zeros(n)
s = None
for _i1 in range(3):
    _t6 = W @ h
    _stack.append(h)
    h = np.tanh(_t6)
    _stack.append(s)
    s = np.sum(h)
    _other.append(h)
    _other.append(h)
    _other.append(h)
    q = _other.pop()
_t7 = np.sum(h)
dh = unreduce(1.0, h, None, False)
dh2 = unreduce(2.0, h, None, False)
ds = unreduce(1.0, s, None, False)
dq = unreduce(1.0, q, None, False)
dy = unreduce(1.0, y, None, False)
for _i1 in range(3):
    h = _stack.pop()
    s = _stack.pop()
""", {"W": "array", "n": "scalar", "y": "scalar"})),
    "settle_shapes": ("unbroadcast to the same shape dropped; shapes read from the earliest value",
                      lambda: _backward_with_facts(settle_shapes, """
_t1 = np.sin(x)
_t2 = _t1 * x
_t3 = np.exp(_t2)
""", """
_dt2 = unbroadcast(_dt3 * _t3, _t2)
_dt1 = unbroadcast(_dt2 * x, _t1)
dx = 1.0 * (_dt1 * np.cos(x))
""", {"x": "array"})),
    "settle_shapes_unit": ("a product with a name that settling left a copy of the unit seed is its float "
                           "factor, in the same round; not a name written in place later, nor an array of any dtype",
                           lambda: _backward_with_facts(settle_shapes, """
_t1 = np.sin(x)
_t2 = np.exp(x)
s = np.sum(_t1)
""", """
_ds = 1.0
_dt1 = unbroadcast(_ds, s)
dx = _dt1 * np.cos(x)
de = _dt1 * _t2
dv = _dt1 * v
_t2[0] = 5.0
""", {"x": "array", "v": "array"})),
    "drop_value_only": ("under grad, forward statements only the value needed go",
                        lambda: _backward_with_facts(drop_value_only, """
_t1 = np.sin(x)
_t2 = np.sum(_t1)
require_scalar(_t2)
""", """
_dt1 = unreduce(1.0, x, None, False)
dx = _dt1 * np.cos(x)
""", {"x": "array"}, "require_scalar", forward_too=True)),
    "accumulate_top_level": ("`dx = dx + e` into a fresh array of its own becomes `dx += e`",
                             lambda: _one(lambda stmts: accumulate_top_level(
                                 stmts, optimize.facts(stmts, _setting({"x": "array"}))), """
dx = np.cos(x) * 2.0
_dt1 = np.sin(x)
dx = dx + _dt1
""")),
    "accumulate_in_place": ("a zero-initialised adjoint only added to in a loop accumulates in place",
                            lambda: _one(accumulate_in_place, """
dW = zeros_like(W)
for i in range(2, -1, -1):
    _dt1 = _stack.pop()
    dW = dW + _dt1
""", _setting({}, ()))),
    "scatter_in_place": ("an adjoint read entry by entry in a loop: one owned buffer, added into in place",
                         lambda: _one(accumulate_in_place, """
dxs = unbroadcast(_dt9, xs)
for i in range(2, -1, -1):
    _t2 = i + 1
    _dt3 = written_adjoint(dxs, _t2, _t3)
    dxs = zero_at(dxs, _t2)
    dxs = dxs + unindex(_dt4, xs, i)
    dxs = dxs + unindex(_dt5, xs, slice(i, _t2, None))
    dxs = dxs + unindex(_dt6, xs, idx)
""", _setting({}, ("i", "_t2", "_dt3", "_t3"), entries=frozenset({"dxs"}),
              numbers=frozenset({"_t3"}), rename_global=lambda h: h))),
    "tape_shapes": ("a taped value read only for its shape is taped as its shape",
                    lambda: _both(lambda sweeps: tape_shapes(sweeps, "_stack", _setting(
                        {}, (), fresh=lambda base: f"_{base}1", rename_global=lambda h: h)), """
_stack = []
for i in range(3):
    _t4 = x * i
    _stack.append(_t4)
    s = s + np.sum(_t4)
""", """
for i in range(2, -1, -1):
    _t4 = _stack.pop()
    dx = dx + unbroadcast(ds * i, _t4)
""")),
    "release": ("NumPy temporaries deleted after their last read", lambda: _one(
        lambda stmts: release(stmts, optimize.facts(stmts, _setting({"x": "array"})), {"dx"}), """
# line 2: y = np.sin(x * 2.0)
_t1 = x * 2.0
y = np.sin(_t1)
# backward of line 2
_dt1 = np.cos(_t1)
dx = _dt1 * 2.0
""")),
    "drop_unread_saves": ("a save the backward sweep no longer reads goes", lambda: _both(
        lambda sweeps: drop_unread_saves(sweeps, {"_y1", "_y2"}), """
_y1 = y
y = y * 2.0
_y2 = y
y = np.sin(y)
""", """
y = _y2
dy = dy * np.cos(y)
""")),
    "backward_fixed_point": ("the backward passes in turn until none changes anything", lambda: _one(
        lambda stmts: optimize.backward_fixed_point(stmts, _setting(
            {"x": "array"}, {"s", "ds", "dz"}, gradients=("dx", "ds"))), """
# backward of line 3: return s * x
_dt2 = dz
ds = unbroadcast(_dt2 * 1.0, s)
_t9 = ds
# backward of line 2: z = s * x
_dt1 = _dt2
dx = _dt1 * s
""")),
    "tangent": ("forward mode's passes, scalar elision and folding, to their fixed point", lambda: _one(
        lambda stmts: (optimize.tangent(stmts, _setting({"x": "scalar"}, {"x", "x_dot", "y", "y_dot"},
                                                        unbroadcast="broadcast_like")), None), """
y = x * 2.0
y_dot = broadcast_like(x_dot * 2.0, y)
z_dot = 0.0 * y_dot + 1.0 * 2.0
""")),
}


def _golden_text(name: str) -> str:
    what, run = CASES[name]
    before, after, changed = run()
    changed = "" if changed is None else f" (changed: {bool(changed)})"
    return f"{name}: {what}\n--- before\n{before}--- after{changed}\n{after}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_pass_output_matches_its_golden_text(name):
    check_golden(GOLDEN / f"{name}.txt", _golden_text(name), f"the output of the pass {name}")


def test_every_golden_file_has_a_case():
    """A golden text whose case is gone is a stale file, not a passing test."""
    assert {p.stem for p in GOLDEN.glob("*.txt")} == set(CASES)


def test_a_pass_that_never_settles_is_reported_not_looped():
    flip = {"n": 0}

    def restless(stmts):
        flip["n"] += 1
        return stmts, True

    with pytest.raises(optimize.NoFixedPoint, match="internal error"):
        optimize.fixed_point([], [restless])
    assert flip["n"] == optimize.ROUNDS


def test_comments_print_without_notes_in_nested_blocks():
    """Regression (this refactor): a `nodes.Comment` in a block printed without
    notes (`to_source(fn)`, as the stages and these goldens print) must come out
    as `# text`, in a loop body too, and a block of nothing but comments gets a
    `pass`."""
    loop = gast.parse("for i in range(3):\n    y = y * 2.0").body[0]
    loop.body.insert(0, nodes.comment("backward of line 2: y = y * 2.0"))
    empty = gast.parse("if c:\n    pass").body[0]
    empty.body = [nodes.comment("nothing left")]
    text = codegen.to_source(nodes.function("f", ["y", "c"], [nodes.comment("top"), loop, empty,
                                                               nodes.ret(nodes.name("y"))]))
    assert text == ("def f(y, c):\n    # top\n    for i in range(3):\n"
                    "        # backward of line 2: y = y * 2.0\n        y = y * 2.0\n"
                    "    if c:\n        # nothing left\n        pass\n    return y\n")
