"""The first build's shortcuts give what the slow ways gave (issue 15: first build time).

- `nodes.parse` is `gast.parse`, node for node, positions included;
- `nodes.structure` keys two trees equal exactly when `gast.dump` shows them equal;
- the tree `frontend` keeps per function is handed out without a copy where it is
  only read (the fence, the compiler's front end): no build may change it;
- `settle_shapes` asks which names are written in place only where a product may
  become `1.0 * y`: `_may_be_one` sees through the calls that settle to their
  first argument;
- `nodes.of_class` is `walk` filtered, in walk's order; the walks for names skip
  operators and miss no name; constant folding's pre-check never says no where
  folding changes something; a transformer leaves alone the lists no visit changed.

That the generated code stays byte-identical is checked with `tests/snapshot.py`
(every derivative of the translation-validation corpora and the fuzz programs),
before and after a change.
"""
from __future__ import annotations

import pathlib

import gast
import numpy as np
import pytest

import srcgrad
from srcgrad import frontend, nodes
from srcgrad.optimize.sameshape import _may_be_one

ROOT = pathlib.Path(__file__).resolve().parent.parent

SNIPPETS = [
    "def f(x, /, y=1, *args, z: int = 2, **kw) -> float:\n    return x\n",
    "async def g():\n    async with a as b:\n        await c\n    async for i in d:\n        pass\n",
    "x = [i * j for i in range(3) if i for j in range(i)]\ny = {k: v for k, v in z.items()}\n",
    "s = f'{a!r:>{width}} and {b}'\nb = b'bytes'\nn = None\nt = True\ne = ...\nc = 1j\n",
    "if (n := len(a)) > 10:\n    del a[0], b.c\nelse:\n    global q\n",
    "try:\n    pass\nexcept (ValueError, TypeError) as err:\n    raise RuntimeError() from err\n"
    "except Exception:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
    "lam = lambda a, *b, c=3, **d: a if b else c\nx[1:2, ..., ::3] = -y ** 2 @ z\n",
    "@decorator(1)\nclass C(Base, metaclass=M):\n    x: int\n    def m(self):\n        yield from self\n",
    "match p:\n    case [1, *rest] if rest:\n        pass\n    case {'k': v, **others}:\n        pass\n"
    "    case Point(x=0) | None as q:\n        pass\n    case _:\n        pass\n",
    "import a.b as c\nfrom . import d\nfrom ..e import (f as g, h)\nassert x, 'msg'\nwhile x: break\n",
    "with open(p) as f, lock:\n    x += 1\n    y: list = []\n    nonlocal_ = not x and y or z\n",
]


def _sources():
    texts = list(SNIPPETS)
    for path in sorted((ROOT / "srcgrad").rglob("*.py")) + sorted((ROOT / "tests" / "golden").glob("*.py")):
        texts.append(path.read_text())
    return texts


def test_parse_is_gast_parse_node_for_node():
    """Every field and position the same as gast's own conversion gives."""
    for text in _sources():
        assert gast.dump(nodes.parse(text), include_attributes=True) == \
            gast.dump(gast.parse(text), include_attributes=True)


def _expressions():
    for text in _sources()[::4]:  # (a quarter of the modules: thousands of distinct nodes, in seconds)
        for node in gast.walk(nodes.parse(text)):
            if isinstance(node, (gast.expr, gast.stmt)):
                yield node


def test_structure_keys_equal_exactly_when_dumps_are():
    by_dump, by_key = {}, {}
    for node in _expressions():
        text, key = gast.dump(node), nodes.structure(node)
        assert by_dump.setdefault(text, key) == key, text
        assert by_key.setdefault(key, text) == text, text
    assert len(by_dump) > 1000  # a real corpus was compared


@pytest.mark.parametrize("left, right", [
    ("1", "1.0"), ("1", "True"), ("0.0", "-0.0"), ("f(x)", "f(x, )"), ("'1'", "1"), ("None", "'None'"),
    ("a[1]", "a[1,]"), ("x.y", "x.z"), ("f(*a)", "f(a)"),
])
def test_structure_tells_apart_what_dump_tells_apart(left, right):
    a, b = nodes.parse(left).body[0].value, nodes.parse(right).body[0].value
    assert (nodes.structure(a) == nodes.structure(b)) == (gast.dump(a) == gast.dump(b))


def test_structure_ignores_what_dump_ignores():
    """Positions, a missing field, an empty list and a None default are not shown by dump."""
    a = nodes.parse("f(x)").body[0].value
    b = nodes.clone(a)
    gast.copy_location(b, gast.Constant(value=1, kind=None, lineno=99, col_offset=3))
    assert nodes.structure(a) == nodes.structure(b)
    del b.keywords  # (a pass that drops a field: `Transformer` deletes it)
    assert gast.dump(a) == gast.dump(b) and nodes.structure(a) == nodes.structure(b)


KEPT = '''
import numpy as np
from srcgrad import no_grad


def kept(x, ws):
    sq = lambda t: t * t

    def inner(v):
        return np.sin(v) * 2.0

    total = 0.0
    for i, w in enumerate(ws):
        total = total + w * inner(x[i])
    with no_grad():
        scale = 1.0 / (np.max(np.abs(x)) + 1.0)
    ys = [sq(v) for v in x]
    return total * scale + sum(ys) + np.sum(x ** 2)
'''


def test_builds_leave_the_kept_tree_unchanged(tmp_path, monkeypatch):
    """grad() and the compiler read the tree frontend keeps without copying it: a
    change to it would show in every later build of the function."""
    path = tmp_path / "kept_module.py"
    path.write_text(KEPT)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__("kept_module")
    fn = module.kept
    x, ws = np.array([0.3, -1.2, 2.0]), [0.5, 1.5, -2.0]
    before = gast.dump(frontend.parse(fn, fresh=False).tree, include_attributes=True)
    g = srcgrad.grad(fn)(x, ws)
    srcgrad.value_and_grad(fn)(x, ws)
    srcgrad.jvp(fn, (x, ws), (np.ones(3), None))
    srcgrad.hessian(fn, wrt=0)(x, ws)
    assert gast.dump(frontend.parse(fn, fresh=False).tree, include_attributes=True) == before
    # and the gradient is the function's: `scale` a constant (no_grad), ys and the last
    # term each 2x
    scale = 1.0 / (np.max(np.abs(x)) + 1.0)
    assert np.allclose(g, 2.0 * np.array(ws) * np.cos(x) * scale + 4.0 * x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("text, one", [
    ("1.0", True), ("1", False), ("2.0", False), ("unbroadcast(1.0, y)", True),
    ("unbroadcast(unbroadcast(1.0, a), b)", True), ("unbroadcast(y, 1.0)", False), ("f()", False),
    ("y", False),
])
def test_may_be_one_sees_through_settling_calls(text, one):
    """`unbroadcast(1.0, y) * x` settles to `1.0 * x` within the same visit: the
    written names must be known for it, so the pre-check must say yes."""
    assert _may_be_one(nodes.parse(text).body[0].value) is one


# --- the walks' shortcuts (issue 15, first build, second round) ---------------------

def _statements():
    for text in _sources():
        yield from nodes.walk_statements(nodes.parse(text).body)


def test_of_class_is_walk_filtered_in_order():
    classes = (gast.Call, gast.BinOp, gast.Name)
    for stmt in _statements():
        assert nodes.of_class(stmt, classes) == [n for n in nodes.walk(stmt) if n.__class__ in classes]
    body = nodes.parse(KEPT).body
    assert nodes.of_class(body, (gast.Call,)) == \
        [n for s in body for n in nodes.walk(s) if n.__class__ is gast.Call]


def test_walks_for_names_see_every_name():
    """Skipping operator nodes loses no name, and one walk gives reads and stores."""
    for stmt in _statements():
        every = [n for n in gast.walk(stmt) if isinstance(n, gast.Name)]
        assert sorted(map(id, nodes.name_nodes(stmt))) == sorted(map(id, every))
        assert sorted(nodes.stored_names(stmt)) == sorted(n.id for n in every if isinstance(n.ctx, gast.Store))
        assert nodes.reads_and_stores(stmt) == (nodes.loaded_names(stmt), set(nodes.stored_names(stmt)))


def test_fold_pre_check_never_misses_a_fold():
    """`_foldable` may say yes where `fold` changes nothing, never no where it changes
    something: over every expression of the corpus and products built to fold."""
    from srcgrad.optimize.copies import _foldable, fold

    built = ["1.0 * da", "-1 * da", "1 * -da", "da * 1.0", "da / 1", "x ** 1", "0 * da", "0.0 + da",
             "2 * (1.0 * x)", "1.0 * (2 * x)", "2.0 * 3.0", "-(-x)", "-(3.0)", "2 % 3", "not 1",
             "f(1.0 * da, 2 * 3)", "power_derivative(x, 2.0)", "masked_product(2.0, x)", "x[1.0 * da]",
             "1.0 * x", "da * 2.0", "(1.0 * da) * y", "-(-(1.0 * da))", "+(-2.0)"]
    exprs = [nodes.parse(t).body[0].value for t in built]
    exprs += [s.value for s in _statements() if isinstance(s, gast.Assign)]
    floats = frozenset({"da", "db"})
    for expr in exprs:
        before = gast.dump(expr)
        folded = fold(nodes.clone(expr), floats)
        if not _foldable(expr, floats):
            assert gast.dump(folded) == before, before


class _Doubling(nodes.Transformer):
    def visit_Constant(self, node):
        return nodes.const(node.value * 2) if isinstance(node.value, int) and node.value > 1 else node

    def visit_Pass(self, node):
        return None

    def visit_Expr(self, node):
        return [node, nodes.parse("marker()").body[0]] if isinstance(node.value, gast.Name) else node


def test_transformer_keeps_what_no_visit_replaced():
    """A list field is rebuilt only from the first item replaced, removed or expanded."""
    tree = nodes.parse("def f(a):\n    a\n    pass\n    b = g(1, 2, a, 3)\n    return [1, a]\n")
    fn = tree.body[0]
    call, returned = fn.body[2].value, fn.body[3].value
    args, elts = call.args, returned.elts
    _Doubling().visit(tree)
    assert gast.unparse(tree).split() == \
        "def f(a):\n a\n marker()\n b = g(1, 4, a, 6)\n return [1, a]".split()
    assert call.args is args and returned.elts is elts  # lists changed in place
    assert args[0].value == 1 and args[2].__class__ is gast.Name
