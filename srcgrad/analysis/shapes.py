"""Which values of a generated function have the same shape, without running it.

Every value gets the set of *leaves* its shape is broadcast from. A
parameter, or the result of anything not elementwise (a matmul, a
reduction, a subscript), is its own leaf; an elementwise operation's result
has the union of its operands' leaves; a Python number has none. Values with
equal leaf sets have equal shapes, because broadcasting is a function of the
leaves' shapes. A name assigned once gets its value's set. A name assigned
again (a loop's carry, an adjoint added to in order, `d = d + e`, a restore
from the stack) gets one only when every value it is given has the same set
(or it holds a number wherever it is assigned: the empty set).

A reduction with `keepdims=True` over constant axes (`np.max(a, axis=1,
keepdims=True)`) is a `Reduced` leaf: a's shape with those axes 1, which
broadcasts against a to a's shape. So in a union that holds a's leaves it
adds nothing (`absorbed`): `a - np.max(a, axis=1, keepdims=True)` has a's
leaf set.
"""
from __future__ import annotations

import bisect
import collections

import gast
import numpy

from .. import nodes, runtime
from ..rules import facts
from ..rules.known import REDUCTIONS
from .carried import Outline, carried, is_restore as _is_restore
from .kinds import kind_of



_NO_LEAVES = frozenset()


class Reduced(collections.namedtuple("Reduced", "over axis")):
    """The leaf of a `keepdims=True` reduction of a value with leaf set `over`
    along `axis` (an int, a tuple of ints, or None for every axis)."""


_REDUCTION_KEYWORDS = frozenset(["axis", "keepdims", "dtype", "ddof"])


class Shapes:
    """Leaf sets of a function's names; `callee(call)` resolves a call's function."""

    def __init__(self, body: list, params: list[str], callee, scalars: set[str], single=None, kinds=None,
                 outline: Outline | None = None):
        self.callee = callee
        self.kinds = kinds or {}  # value kinds (analysis/kinds.py): which receivers are NumPy values
        outline = Outline(body, params) if outline is None else outline  # (`body`'s bindings)
        self.single = outline.single if single is None else single
        base: dict[str, frozenset] = {p: frozenset([p]) for p in params if p in self.single}
        for name in scalars:  # numbers (or 0-d values) wherever they are assigned
            base[name] = frozenset()
        # names bound more than once: in a loop, or only at the top level, in order (an
        # adjoint `d = d + e`, whose values the single names after each binding read)
        stores = carried(body, self.single, outline)
        straight = {n for n, found in stores.items() if n not in base and all(top for _, top in found)}
        candidates = {n for n in stores if n not in base} - straight
        while True:
            bad = self._walk(outline, base, candidates, frozenset(params), straight)
            if not bad:
                break
            candidates -= bad
        self._accumulated(outline)

    def _walk(self, outline: Outline, base: dict, carried_: set, params: frozenset, straight=frozenset()) -> set:
        """Leaf sets for the names of a body (`outline`: its bindings), supposing each
        name of `carried_` (bound more than once: `analysis.carried`) has one leaf
        set for all its values: a parameter its own, another name its first value's
        (its own where that is unknown, if it is bound at the top level: once).
        Returns the names for which the supposition fails (a later value of another
        shape, as far as leaf sets tell); with none, it holds for all of them, by
        induction over the function's steps. A name assigned once in a loop gets its
        value's leaf set too, since it is computed the same way on every pass.

        A name of `straight`, bound only at the top level, is followed in order:
        the names computed after each of its bindings read that value's leaf set
        (none, where it is unknown or restored), and it keeps one in the end only
        where all its values have the same."""
        self.leaves = dict(base)
        for name in (carried_ | straight) & params:
            self.leaves[name] = frozenset([name])
        values = {name: [frozenset([name])] for name in straight & params}
        bad = set()
        for stmt, target, top in outline.assigns:
            if target in self.single:
                if target not in self.leaves:
                    found = self.of(stmt.value)
                    self.leaves[target] = found if found is not None else frozenset([target])
            elif target in straight:
                found = None if _is_restore(stmt.value) else self.of(stmt.value)
                values.setdefault(target, []).append(found)
                if found is None:
                    self.leaves.pop(target, None)
                else:
                    self.leaves[target] = found
            elif target in carried_ and target not in bad and not _is_restore(stmt.value):
                found = self.of(stmt.value)
                if target not in self.leaves:  # its first value
                    if found is None and not top:
                        bad.add(target)
                    else:
                        self.leaves[target] = found if found is not None else frozenset([target])
                elif found != self.leaves[target]:
                    bad.add(target)
        for name, found in values.items():
            if found[0] is not None and all(leaves == found[0] for leaves in found):
                self.leaves[name] = found[0]
            else:
                self.leaves.pop(name, None)
        return bad

    def _accumulated(self, outline: Outline) -> None:
        """An adjoint assigned once at the top level, then only added to (`d = d + e`,
        `d -= e`) by values whose leaves are within its own, keeps its shape: it
        gets its first value's leaf set. (`outline`: the body's bindings.)"""
        nested = {n.id for s in outline.compound for n in nodes.name_nodes(s) if not isinstance(n.ctx, gast.Load)}
        found: dict[str, frozenset | None] = {}
        for stmt in outline.updates:  # (top-level assignments and `+=` to names, in order)
            if stmt.__class__ is gast.AugAssign:
                name, added = stmt.target.id, stmt.value if isinstance(stmt.op, (gast.Add, gast.Sub)) else None
            else:
                name, value = stmt.targets[0].id, stmt.value
                if name in self.single or name in self.leaves and name not in found:
                    continue
                if name not in found:
                    found[name] = self.of(value)
                    continue
                added = value.right if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub)) \
                    and isinstance(value.left, gast.Name) and value.left.id == name else None
            if name in found and found[name] is not None:
                leaves = self.of(added) if added is not None and name not in nodes.loaded_names(added) else None
                if leaves is None or not leaves <= found[name]:
                    found[name] = None
        for name, leaves in found.items():
            if leaves is not None and name not in nested:
                self.leaves[name] = leaves

    def of(self, expr) -> frozenset | None:
        """The leaf set of an expression, or None when it is not known."""
        cls = expr.__class__  # (by identity: gast's node classes are never subclassed)
        if cls is gast.Name:
            return self.leaves.get(expr.id)
        if cls is gast.Constant:
            number = isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool)
            return _NO_LEAVES if number else None
        if cls is gast.BinOp:
            if expr.op.__class__ is gast.MatMult:
                return None
            left, right = expr.left, expr.right  # (a name's leaves read here: the commonest operand)
            left = self.leaves.get(left.id) if left.__class__ is gast.Name else self.of(left)
            if left is None:
                return None
            right = self.leaves.get(right.id) if right.__class__ is gast.Name else self.of(right)
            if right is None:
                return None
            return absorbed(left | right)
        if cls is gast.UnaryOp:
            op = expr.op.__class__
            return self.of(expr.operand) if op is gast.USub or op is gast.UAdd else None
        if cls is not gast.Call:
            return None
        if expr.keywords:
            return self.reduced(expr)
        fn = self.callee(expr)
        args = expr.args
        if len(args) == 1 and facts.is_identity(fn):  # stop_gradient(x) is x
            return self.of(args[0])
        if is_elementwise(fn, len(args)):
            return self.union(args)
        if (fn is runtime.unbroadcast or fn is runtime.unbroadcast_against) and len(args) == 2:
            return self.of(args[1])
        if fn is runtime.unreduce and args:
            return self.of(args[1]) if len(args) > 1 else None
        if fn is runtime.unindex and len(args) == 3 \
                and kind_of(args[1], self.kinds, self.callee) == "np":
            return self.of(args[1])  # zeros of a's shape, g placed at the index
        return None

    def union(self, exprs) -> frozenset | None:
        out: frozenset = _NO_LEAVES
        leaves = self.leaves
        for e in exprs:
            found = leaves.get(e.id) if e.__class__ is gast.Name else self.of(e)
            if found is None:
                return None
            out |= found
        return absorbed(out)

    def reduced(self, call) -> frozenset | None:
        """The leaf set of `numpy.max(a, axis=c, keepdims=True)` (any reduction of the
        facts table, with constant axes), or None."""
        keywords = {k.arg: k.value for k in call.keywords}
        if not keywords.keys() <= _REDUCTION_KEYWORDS:
            return None
        func = call.func
        if isinstance(func, gast.Attribute) and not call.args and func.attr in REDUCTIONS \
                and kind_of(func.value, self.kinds, self.callee) == "np":
            operand = func.value  # `e.sum(axis=1, keepdims=True)` of a NumPy value
        else:
            found = facts.of(self.callee(call))
            if found is None or not found.reduces or len(call.args) != 1:
                return None
            operand = call.args[0]
        keep = keywords.get("keepdims")
        axis = constant_axis(keywords.get("axis"))
        if not (isinstance(keep, gast.Constant) and keep.value is True) or axis is UNKNOWN:
            return None
        over = self.of(operand)
        if not over:  # unknown, or a number's (shape () whatever the axis)
            return over
        return frozenset([Reduced(over, axis)])


UNKNOWN = object()


def constant_axis(node):
    """The axis a keyword's value spells (an int, a tuple of ints, None when
    absent or None), or `UNKNOWN`."""
    if node is None or isinstance(node, gast.Constant) and node.value is None:
        return None
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) and type(e.value) is int
                                            for e in node.elts):
        return tuple(e.value for e in node.elts)
    return UNKNOWN


def absorbed(leaves: frozenset) -> frozenset:
    """`leaves` without the `Reduced` leaves that the others cover (their shape
    broadcasts to the rest's): the canonical leaf set of that shape."""
    if len(leaves) < 2:
        return leaves  # (a `Reduced` leaf's `over` is never empty: alone, it stays)
    for leaf in leaves:
        if type(leaf) is Reduced:
            break
    else:
        return leaves  # (the commonest case, without a generator step per leaf)
    while True:
        gone = next((leaf for leaf in leaves if type(leaf) is Reduced and leaf.over <= leaves - {leaf}), None)
        if gone is None:
            return leaves
        leaves = leaves - {gone}


def checked_scalars(body: list, defs: dict, kinds: dict, callee, require, outline=None) -> set[str]:
    """Names of shape () because a check passed: `require_scalar(v)` (the helper's
    emitted name `require`) at the top level of `body` stops the function unless
    `v` has shape (), and broadcasting never drops an axis, so every operand of
    an elementwise operation (numeric: arithmetic, a ufunc) that made `v` has
    shape () too, and so on up. `defs`: the top-level values of names assigned
    once (`kinds.top_level_defs`); the statements after the check are the only
    ones that may read these facts, and a name assigned once is bound before it.
    `outline`: `body`'s bindings, when they are at hand (its top-level expressions)."""
    found: set[str] = set()
    todo = [s.value.args[0].id for s in (body if outline is None else outline.exprs)
            if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and isinstance(s.value.func, gast.Name)
            and s.value.func.id == require and len(s.value.args) == 1 and isinstance(s.value.args[0], gast.Name)]
    while todo:
        name = todo.pop()
        if name in found or name not in defs:
            continue
        found.add(name)
        value = defs[name]
        if isinstance(value, gast.Name):
            operands = [value]
        elif isinstance(value, gast.BinOp) and not isinstance(value.op, gast.MatMult):
            operands = [value.left, value.right]
        elif isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
            operands = [value.operand]
        elif isinstance(value, gast.Call) and not value.keywords and (
                facts.is_identity(callee(value)) and len(value.args) == 1
                or isinstance(callee(value), numpy.ufunc) and is_elementwise(callee(value), len(value.args))):
            operands = value.args
        else:
            continue
        if all(kind_of(e, kinds, callee) is not None for e in operands):  # numbers and NumPy values
            todo += [e.id for e in operands if isinstance(e, gast.Name)]
    return found


def assigned_once(body: list, params) -> set[str]:
    """Names bound exactly once in `body` (a parameter counts as bound; `del`
    binds nothing)."""
    stores = collections.Counter(list(params))
    stores.update(nodes.stored_names(body))
    return {n for n, count in stores.items() if count == 1}


def is_elementwise(fn, nargs: int) -> bool:
    """A function whose result has the broadcast shape of its `nargs` operands
    (not a generalized ufunc such as `matmul`, whose core dimensions change)."""
    if isinstance(fn, numpy.ufunc):
        return fn.nout == 1 and fn.nin == nargs and fn.signature is None
    return nargs == 2 and facts.elementwise_helper(fn)


def resolver(is_local, helpers: dict, lookup):
    """`callee(call)`: the object a call's dotted function name refers to, or None.

    `lookup(name)` finds a global (KeyError when there is none); local names
    and attributes of values are never resolved.
    """
    Attribute, Name = gast.Attribute, gast.Name

    def callee(call):
        # (asked of every call by many passes: the dotted path's parts read without
        # joining them, and no list of them for a plain name)
        node, attrs = call.func, None
        if node.__class__ is Attribute:
            attrs = []
            while node.__class__ is Attribute:
                attrs.append(node.attr)
                node = node.value
        if node.__class__ is not Name:
            return None
        head = node.id
        if is_local(head):
            return None
        if head in helpers:
            obj = helpers[head]
        else:
            try:
                obj = lookup(head)
            except KeyError:
                return None
        if attrs is not None:
            for attr in reversed(attrs):
                obj = getattr(obj, attr, None)
        return obj
    return callee


# --- before differentiation: entries of vectors -----------------------------------

_VECTOR_MAKERS = ("zeros", "ones", "empty")


def entry_scalars(stmts, ops: dict, numbers, params, arrays=frozenset(),
                  scalars=frozenset()) -> tuple[frozenset, frozenset]:
    """`(zero_d, vectors)` of an ANF function's statements (`stmts`, flat, loops'
    bodies included; `ops` resolves them; `numbers` holds Python numbers; a
    parameter is bound by the caller, so it is neither).

    `vectors`: names only ever bound to `numpy.zeros(n)` (`ones`, `empty`) of a
    number, float64 arrays of one axis; writing an entry (`x[i] = v`) keeps that.
    `zero_d`: names of shape () wherever they are bound: an entry `x[i]` of a
    vector at a Python number, a full reduction (`numpy.sum(a)`, the facts
    table's `reduces`) of a NumPy value (see `_numpy_valued`; `arrays`: the
    parameters of kind "array"), a number, a parameter of kind "scalar"
    (`scalars`: a Python number, whatever the body binds to it later), and arithmetic, copies and
    elementwise ufuncs (and `math` functions) of such values and numbers. Static shapes cannot see
    these in a loop, where every name is bound again each iteration; with them
    the backward sweep needs no `unbroadcast` and tapes no shape for them.
    The greatest fixed point: every name starts in, a binding of another form
    takes it out.
    """
    import math

    stmts = list(stmts)  # (read twice: the bindings, then the attributes)
    bindings: dict[str, list] = {p: [None] for p in params}
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            bindings.setdefault(stmt.targets[0].id, []).append(stmt)
        elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            continue  # an entry written: the shape stays
        elif isinstance(stmt, gast.For):  # (its body's statements come on their own)
            counter = isinstance(stmt.target, gast.Name) and isinstance(stmt.iter, gast.Call) \
                and nodes.dotted(stmt.iter.func) == "range"
            for node in nodes.name_nodes(stmt.target):
                bindings.setdefault(node.id, []).append(_RANGE if counter else None)
        elif not isinstance(stmt, (gast.If, gast.While)):
            for node in nodes.name_nodes(stmt):
                if not isinstance(node.ctx, gast.Load):
                    bindings.setdefault(node.id, []).append(None)

    def number(node) -> bool:
        if isinstance(node, gast.Constant):
            return type(node.value) in (int, float)
        return isinstance(node, gast.Name) and node.id in numbers

    def vector(stmt) -> bool:
        op = ops.get(id(stmt))
        value = stmt.value
        return op is not None and isinstance(value, gast.Call) and not value.keywords \
            and len(value.args) == 1 and number(value.args[0]) \
            and any(op.callee is getattr(numpy, m) for m in _VECTOR_MAKERS)

    # Python ints wherever bound: loop counters and their arithmetic (to start with, the
    # names each of whose bindings is of that form, whatever the operands' names hold)
    ints = set()
    for name, found in bindings.items():
        for s in found:  # (a binding is an assignment, `_RANGE` or None)
            if s is not _RANGE and (s is None or s.value.__class__ is not gast.BinOp or not _arithmetic(s)):
                break
        else:
            ints.add(name)
    counted_reads: list = []  # the names whose membership in `ints` the current check read

    def whole(node) -> bool:
        if isinstance(node, gast.Constant):
            return type(node.value) is int
        if isinstance(node, gast.Name):
            counted_reads.append(node.id)
            return node.id in ints
        return False

    def counted(s) -> bool:
        return s is _RANGE or s is not None and isinstance(getattr(s, "value", None), gast.BinOp) \
            and isinstance(s.value.op, (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)) \
            and whole(s.value.left) and whole(s.value.right)

    _shrink(ints, lambda name: all(counted(s) for s in bindings[name]), counted_reads)
    # `x.resize(...)`, `x.shape = ...` change a shape in place: only these attributes are plain reads
    reshaped = {node.value.id for node in nodes.of_class(stmts, (gast.Attribute,))
                if isinstance(node.value, gast.Name) and node.attr not in ("shape", "size", "ndim", "dtype")}
    vectors = {n for n, found in bindings.items() if n not in numbers and n not in reshaped
               and all(s is not None and s is not _RANGE and vector(s) for s in found)}
    zero_d = {n for n in bindings if n not in numbers and n not in vectors}

    consulted: list = []  # the names whose membership in `zero_d` the current check read

    def atom(node) -> bool:
        if number(node):
            return True
        if isinstance(node, gast.Name):
            consulted.append(node.id)
            return node.id in zero_d
        return False

    arrayish = []  # `_numpy_valued`, once a reduction asks (most functions have none)

    def scalar(stmt) -> bool:
        value = stmt.value
        cls = value.__class__  # (by identity: gast's node classes are never subclassed)
        if cls is gast.Call:
            args = value.args
            if value.keywords or not args:
                return False
            op = ops.get(id(stmt))
            fn = None if op is None else op.callee
            if len(args) == 1 and args[0].__class__ is gast.Name:
                found = facts.of(fn)
                if found is not None and found.reduces:
                    if not arrayish:
                        arrayish.append(_numpy_valued(bindings, ops, number, arrays))
                    if args[0].id in arrayish[0]:
                        return True
            elementwise = isinstance(fn, numpy.ufunc) and fn.nout == 1 and fn.nin == len(args) \
                and fn.signature is None
            if not elementwise and not (getattr(math, getattr(fn, "__name__", ""), None) is fn
                                        and facts.maps_numbers(fn)):
                return False
            return all(atom(a) for a in args)
        if cls is gast.Constant:
            return number(value)
        if cls is gast.Subscript:
            return value.value.__class__ is gast.Name and value.value.id in vectors and whole(value.slice)
        if cls is gast.Name:
            consulted.append(value.id)
            return value.id in zero_d
        if cls is gast.BinOp:
            return value.op.__class__ is not gast.MatMult and atom(value.left) and atom(value.right)
        if cls is gast.UnaryOp:
            return isinstance(value.op, (gast.USub, gast.UAdd)) and atom(value.operand)
        return False

    def holds(name) -> bool:
        for s in bindings[name]:
            if s is None:  # bound by the caller, or not by an assignment
                if name not in scalars:
                    return False
            elif s is _RANGE or not scalar(s):
                return False
        return True

    _shrink(zero_d, holds, consulted)
    return frozenset(zero_d), frozenset(vectors)


_RANGE = object()  # a binding as a `for` loop's counter
_INT_OPERATORS = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)


def _arithmetic(s) -> bool:
    """A binding `entry_scalars` counts as a Python int where the names it reads are
    ints: a loop's counter, or int arithmetic of names and int constants."""
    if s is _RANGE:
        return True
    value = getattr(s, "value", None)
    return value.__class__ is gast.BinOp and isinstance(value.op, _INT_OPERATORS) \
        and all(e.__class__ is gast.Name or e.__class__ is gast.Constant and type(e.value) is int
                for e in (value.left, value.right))


def _numpy_valued(bindings: dict, ops: dict, number, arrays) -> set:
    """Names holding an array or a NumPy scalar wherever they are bound (so a full
    reduction of one is a scalar): parameters of kind "array", and arithmetic,
    ufuncs and subscripts of such values and numbers. The greatest fixed point."""
    found = {n for n, bound in bindings.items() if all(s is not None or n in arrays for s in bound)}
    consulted: list = []  # the names whose membership in `found` the current check read

    def named(node) -> bool:
        if isinstance(node, gast.Name):
            consulted.append(node.id)
            return node.id in found
        return False

    def operand(node) -> bool:
        return number(node) or named(node)

    def made(stmt) -> bool:
        if stmt is None:
            return True  # a parameter of kind "array" (the others are out from the start)
        if stmt is _RANGE or stmt.__class__ is not gast.Assign:
            return False
        value = stmt.value
        cls = value.__class__  # (by identity: gast's node classes are never subclassed)
        if cls is gast.Call:
            args = value.args
            if not args or value.keywords:
                return False
            op = ops.get(id(stmt))
            fn = None if op is None else op.callee
            if not (isinstance(fn, numpy.ufunc) and fn.nout == 1 and fn.signature is None and facts.is_pure(fn)):
                return False
            for a in args:
                if not operand(a):
                    return False
            return True
        if cls is gast.BinOp:
            sides = [value.left, value.right]
            return all(operand(e) for e in sides) and any(named(e) for e in sides)
        if cls is gast.UnaryOp:
            return isinstance(value.op, (gast.USub, gast.UAdd)) and named(value.operand)
        if cls is gast.Subscript:
            return named(value.value)
        return False

    def holds(name) -> bool:
        for s in bindings[name]:
            if not made(s):
                return False
        return True

    _shrink(found, holds, consulted)
    return found


# --- after the check of a gradient's output: what flows into it -------------------

def checked_flow(body: list, returned: str, ops: dict) -> frozenset:
    """Names of shape () wherever they are bound, because `require_scalar` checks
    the returned value `returned` after the forward sweep (a joint gradient's
    output), and each value they get flows into it elementwise.

    Broadcasting never drops an axis: an elementwise operation's result has at
    least the axes of each operand. So a value has shape () if the next read of
    it, on every path, is an elementwise operation binding a name of this set
    (or the return of the checked value): `s = s + t` in a loop makes `s` and
    `t` of shape () every iteration when the last `s` is checked, as the value
    of each iteration flows on to the next one and the last one to the return.
    The greatest fixed point, over the ANF `body` (`ops` resolves its calls):
    only names bound by plain assignments at the top level of the body or of a
    top-level `for` loop, whose next reads are at that level too; a number
    bound is of shape () as it is. Every chain of reads ends at the check, as
    each read is later than the value it reads and the sweep is finite.
    """
    where: dict = {}  # id(stmt) -> (block, index, (loop, index in body) or None)
    bindings: dict = collections.defaultdict(list)
    excluded: set = set()
    mentioned: dict = {}  # id(stmt) -> the names it mentions, for the plain assignments

    def note(block, loop):
        for i, stmt in enumerate(block):
            where[id(stmt)] = (block, i, loop)
            if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name):
                target = stmt.targets[0]
                bindings[target.id].append(stmt)
                if target.annotation is None:  # (the commonest statement: its value walked once)
                    names, bound, reshaped = _value_names(stmt.value)
                    excluded.update(bound, reshaped)
                    names.add(target.id)
                    mentioned[id(stmt)] = names
                    continue
                inner = stmt.value
            else:
                inner = stmt
            if isinstance(stmt, gast.For) and loop is None and not stmt.orelse:
                note(stmt.body, (stmt, i))
                excluded.update(n.id for n in nodes.name_nodes(stmt.target))
                inner = [stmt.iter] + stmt.orelse
            for node in nodes.name_nodes(inner):
                if not isinstance(node.ctx, gast.Load):
                    excluded.add(node.id)
            # `x.resize(...)`, `x.shape = ...` change a shape in place: only these attributes are plain reads
            excluded.update(node.value.id for node in nodes.of_class(stmt, (gast.Attribute,))
                            if isinstance(node.value, gast.Name) and node.attr not in _PLAIN_ATTRIBUTES)

    note(body, None)
    found = set(bindings) - excluded

    def operands(value) -> list:
        if isinstance(value, gast.Name):
            return [value]
        if isinstance(value, gast.BinOp) and not isinstance(value.op, gast.MatMult):
            return [value.left, value.right]
        if isinstance(value, gast.UnaryOp) and isinstance(value.op, (gast.USub, gast.UAdd)):
            return [value.operand]
        if isinstance(value, gast.Call) and not value.keywords:
            return list(value.args)
        return []

    consulted: list = []  # the names whose membership in `found` the current check read

    def flows(stmt, name) -> bool:
        """`stmt` reads `name` as an operand of an elementwise binding of a name in `found`."""
        if isinstance(stmt, gast.Return):
            return name == returned and isinstance(stmt.value, gast.Name) and stmt.value.id == name
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
            return False
        consulted.append(stmt.targets[0].id)
        if stmt.targets[0].id not in found:
            return False
        value = stmt.value
        if isinstance(value, gast.Call):
            op = ops.get(id(stmt))
            fn = None if op is None else op.callee
            if not (value.args and not value.keywords and (is_elementwise(fn, len(value.args))
                                                         or facts.is_identity(fn) and len(value.args) == 1)):
                return False
        reads = False  # whether an operand is `name` itself (and none has it inside)
        for e in operands(value):
            c = e.__class__
            if c is gast.Name:
                reads = reads or e.id == name
            elif c is not gast.Constant and name in nodes.names_in(e):
                return False
        return reads

    mentions: dict = {}  # id(block) -> {name: the positions of the statements mentioning it}

    def next_read(block, start, stop, name):
        """True or False for the first statement of `block[start:stop]` that mentions
        `name` (whether it is a read that flows on), None when none does."""
        at = mentions.get(id(block))
        if at is None:  # (nothing here changes the body)
            at = mentions[id(block)] = collections.defaultdict(list)
            for i, stmt in enumerate(block):
                names = mentioned.get(id(stmt))
                for n in nodes.names_in(stmt) if names is None else names:
                    at[n].append(i)
        positions = at.get(name, ())
        k = bisect.bisect_left(positions, start)
        if k == len(positions) or positions[k] >= stop:
            return None
        return flows(block[positions[k]], name)

    def holds(stmt, name) -> bool:
        if isinstance(stmt.value, gast.Constant) and type(stmt.value.value) in (int, float):
            return True
        block, i, loop = where[id(stmt)]
        read = next_read(block, i + 1, len(block), name)
        if read is not None:
            return read
        if loop is None:
            return False
        head, at = loop  # the next iteration, or after the last one
        return next_read(block, 0, i + 1, name) is True and next_read(body, at + 1, len(body), name) is True

    def every(name) -> bool:
        for stmt in bindings[name]:
            if not holds(stmt, name):
                return False
        return True

    _shrink(found, every, consulted)
    return frozenset(found)


_PLAIN_ATTRIBUTES = frozenset(("shape", "size", "ndim", "dtype"))  # attributes that only read
_FIELDS: dict = {}  # node class -> `nodes.child_fields` of it


def _value_names(node) -> tuple[set, set, set]:
    """`(nodes.names_in(node), the names of node not loaded, the names x of the
    attributes x.a below it but x.shape, x.size, x.ndim, x.dtype)` from one walk
    (what `checked_flow` reads of an assigned value)."""
    names: set = set()
    bound: set = set()
    reshaped: set = set()
    stack = [node]
    pop, push, Name, Load, Attribute, Constant, AST = stack.pop, stack.append, gast.Name, gast.Load, \
        gast.Attribute, gast.Constant, gast.AST
    while stack:
        n = pop()
        cls = n.__class__
        if cls is Name:
            names.add(n.id)
            if n.ctx.__class__ is not Load:
                bound.add(n.id)
            if n.annotation is not None:
                push(n.annotation)
            continue
        if cls is Attribute and n.value.__class__ is Name and n.attr not in _PLAIN_ATTRIBUTES:
            reshaped.add(n.value.id)
        fields = _FIELDS.get(cls)
        if fields is None:
            fields = _FIELDS[cls] = nodes.child_fields(cls)
        for field in fields:
            value = getattr(n, field, None)
            if value.__class__ is list:
                for item in value:
                    if item.__class__ is not Constant and isinstance(item, AST):
                        push(item)
            elif value.__class__ is not Constant and isinstance(value, AST):
                push(value)
    return names, bound, reshaped


def _shrink(found: set, holds, consulted: list) -> None:
    """Take out of `found`, in place, each name for which `holds(name)` fails, until it
    holds for every name left: the greatest fixed point. `holds` reads `found` only for
    the names it appends to `consulted`, and holds only through their being in it; as
    `found` only shrinks, a name is checked again only when a name its last check
    consulted goes out (a worklist, not rounds over every name)."""
    readers: dict = collections.defaultdict(set)  # name -> the names whose check consulted it
    pending = sorted(found, reverse=True)
    while pending:
        name = pending.pop()
        if name not in found:
            continue
        consulted.clear()
        if holds(name):
            for other in consulted:
                readers[other].add(name)
        else:
            found.discard(name)
            pending.extend(sorted(readers.pop(name, set()) & found, reverse=True))
