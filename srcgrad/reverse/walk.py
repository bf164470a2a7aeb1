"""Phase 1 of reverse mode: walk the forward code, number versions, build adjoints.

Each statement becomes a record (`Assign`, `SetItem`, `If`, `Loop`, `Plain`)
holding its instantiated adjoint and, for every name that adjoint reads,
which *version* of the variable it means. Outside loops a version is a
number (a later assignment makes a new one; where branches meet, a merged
one); a variable assigned inside a loop is `MANAGED`: its values are
restored by pops, never versioned.

Every record carries `key`, a serial number the walk gives it as it makes
it: the later phases name a forward statement by it (a `Restore`'s site,
the `origin` of the backward statements its adjoint produced, where a saved
version is written), never by the identity of its tree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import gast

from .. import nodes, templates
from ..normalize.anf import is_append
from .adjoints import adjoint_items, local_reads

MANAGED = "managed"  # a read of a loop variable: restored by pops, never versioned


@dataclass
class Record:
    """What every statement record has: `stmt`, the forward statement, and
    `key`, its serial number in this walk (unique per function)."""

    stmt: object
    key: int = field(default=-1, kw_only=True)


@dataclass
class Assign(Record):
    z: str
    items: list | None
    refs: dict
    loop: "Loop | None"
    call: tuple | None = None  # a user function's split pair: (forward, tape, free names)
    invariant: bool = False  # the same value every iteration: never taped
    operands: dict | None = None  # in loops: the version of each local operand (to recompute it)


@dataclass
class SetItem(Record):
    """`x[index] = v`: x changes in place; restored after its adjoint."""

    x: str
    index: object
    items: list | None
    refs: dict
    loop: "Loop | None"


@dataclass
class If(Record):
    refs: dict  # the test's version, and every name's version before the branch
    body: list
    orelse: list


@dataclass
class Loop(Record):
    body: list
    entry: dict  # versions of the names the body does not assign
    post: dict  # versions after the loop, as the enclosing code reads them
    counter: str
    parent: "Loop | None"
    managed: set
    bound: object = None  # `n` of `for i in range(n)` when the backward can run range(n) reversed
    backward: object = None  # its backward loop, once the backward sweep is built


@dataclass
class Plain(Record):
    loop: "Loop | None"


class Walk:
    def __init__(self, ops, act, ctx, calls, fn=None):
        self._definitions: dict[str, list] | None = None  # see `definitions`
        self.fn = fn
        self.ops = ops
        self.act = act
        self.ctx = ctx
        self.calls = calls  # compiles called user functions as split pairs (`calls.SplitPairs`)
        self.next_vid: dict[str, int] = {}
        self.def_site: dict = {}  # (name, version) -> the Site that makes that version
        self.flows_into: dict = {}
        self.records = 0  # how many records the walk has made: the next one's key

    @property
    def definitions(self) -> dict[str, list]:
        """name -> what binds it in `fn`: its assignments `name = value`, None for any
        other binding. Only a loop over `range` asks (`reversible_bound`): worked out
        then, once (the walk reads `fn`, never changes it)."""
        if self._definitions is None:
            fn = self.fn
            self._definitions = {}
            simple = {} if fn is None else {
                id(s.targets[0]): s for s in nodes.walk(fn)
                if s.__class__ is gast.Assign and isinstance(s.targets[0], gast.Name)}
            for n in nodes.name_nodes(fn) if fn is not None else ():
                if isinstance(n.ctx, (gast.Store, gast.Param)):
                    self._definitions.setdefault(n.id, []).append(simple.get(id(n)))
        return self._definitions

    def next_key(self) -> int:
        self.records += 1
        return self.records

    def new(self, name: str, site: int, joins: bool = False) -> int:
        """A new version of `name`, made by the statement whose record has key `site`
        (`joins`: a branch or loop, after which a path may not have bound it)."""
        self.next_vid[name] = vid = self.next_vid.get(name, 0) + 1
        self.def_site[(name, vid)] = Site(site, joins)
        return vid

    def mark_invariant(self, info: "Loop", assigned: set[str]) -> None:
        """Flag body statements that compute the same value in every iteration.

        `c = g / length` directly in an outermost loop's body, from values the
        loop never changes, assigned once in the loop and not read before that
        statement in the body: its variable holds that one value throughout
        the backward loop, so it needs no tape.
        """
        counts: dict[str, int] = {}
        for n in nodes.name_nodes(info.stmt):
            if isinstance(n.ctx, gast.Store):
                counts[n.id] = counts.get(n.id, 0) + 1
        read_before: set[str] = set()
        # in-place changes count too: stores into entries, and calls that may write
        varying = set(assigned) | self.ctx.facts.mutated | self.call_written(info.stmt)
        for child in info.body:
            stmt = child.stmt
            if isinstance(child, Assign) and child.call is None and stmt in info.stmt.body:
                op = self.ops[id(stmt)]
                if op.kind in ("rule", "copy", "zero") and counts.get(child.z) == 1 \
                        and not (nodes.loaded_names(stmt.value) & varying) \
                        and child.z not in read_before and child.z not in self.ctx.facts.mutated:
                    child.invariant = True
                    varying.discard(child.z)
            read_before |= nodes.loaded_names(stmt)

    def call_written(self, loop) -> set[str]:
        """Names a call in `loop` may change in place (`L.reverse()`, a helper that
        writes its argument, a call the facts table does not know), and every name
        that may share memory with one: a value computed from them is not the same
        in every iteration, even though no statement rebinds them."""
        from ..analysis.aliases import alias_groups
        from ..analysis.effects import resolve_call

        out: set[str] = set()
        for call in nodes.walk(loop):
            if call.__class__ is not gast.Call:
                continue
            resolved = resolve_call(call, self.ctx.parsed.namespace, self.ctx.is_local)
            if resolved.facts is not None:
                targets = resolved.written
            else:
                targets = resolved.args + [v for _, v in resolved.keywords]
            for t in targets:
                out |= nodes.loaded_names(t)
        if out and self.fn is not None:
            args = self.fn.args
            params = [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs]
            groups = alias_groups(self.fn.body, params, appends=False)
            out = out.union(*(groups.get(n, {n}) for n in out))
        return out

    def reversible_bound(self, stmt, assigned: set[str]):
        """`n` of `for i in range(n)` when the loop surely runs range(n) through:
        no `break`, i not rebound in the body, and n a Python int the loop does not change (evaluated once
        in the forward sweep, and again by the backward loop, `range(n - 1, -1, -1)`).
        None for any other loop: its backward loop counts the trips instead."""
        it = stmt.iter if isinstance(stmt, gast.For) else None
        if not (isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and it.func.id == "range"
                and len(it.args) == 1 and not it.keywords and not self.ctx.is_local("range")
                and self._global("range") is range and not _breaks(stmt.body)):
            return None
        n = it.args[0]
        if isinstance(n, gast.Name) and n.id in assigned:
            return None
        if any(stmt.target.id in stored(s) for s in stmt.body):
            return None  # the index is rebound: the iteration ends with another value
        return n if self._python_int(n) else None

    def _python_int(self, node, depth: int = 0) -> bool:
        """`node` holds a Python int (or a Python number, which range() rejects)."""
        if isinstance(node, gast.Constant):
            return type(node.value) is int
        if not isinstance(node, gast.Name) or depth > 8:
            return False
        if node.id in self.ctx.facts.scalar_names:
            return True
        defs = self.definitions.get(node.id, [])
        if len(defs) != 1 or defs[0] is None:
            return False
        value = defs[0].value
        callee = getattr(self.ops.get(id(defs[0])), "callee", None)
        if callee is len:
            return True  # len() always returns an int
        if (callee is min or callee is max) and isinstance(value, gast.Call) and len(value.args) > 1 \
                and not value.keywords:  # one of its arguments: zip's trip count, min(len(a), len(b))
            return all(self._python_int(a, depth + 1) for a in value.args)
        if isinstance(value, gast.Subscript) and isinstance(value.slice, gast.Constant) \
                and type(value.slice.value) is int and isinstance(value.value, gast.Name):
            return self._array_shape(value.value)  # an entry of an array's shape
        return isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Sub, gast.Mult)) \
            and self._python_int(value.left, depth + 1) and self._python_int(value.right, depth + 1)

    def _array_shape(self, node) -> bool:
        """`node` (a name) holds `a.shape` of an array argument `a` that is never
        rebound: a tuple of Python ints."""
        defs = self.definitions.get(node.id, [])
        if len(defs) != 1 or defs[0] is None:
            return False
        value = defs[0].value
        return isinstance(value, gast.Attribute) and value.attr == "shape" and isinstance(value.value, gast.Name) \
            and value.value.id in self.ctx.facts.array_params and self.definitions.get(value.value.id) == [None]

    def _global(self, ident: str):
        try:
            return self.ctx.parsed.namespace.lookup(ident)
        except KeyError:
            return None

    def refs(self, names, cur, managed) -> dict:
        return {n: (MANAGED if n in managed else cur.get(n)) for n in names}

    def block(self, stmts, cur, managed, loop) -> list:
        return [self.statement(s, cur, managed, loop) for s in stmts]

    def statement(self, stmt, cur, managed, loop):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            return self.setitem(stmt, cur, managed, loop)
        if isinstance(stmt, gast.Assign) and self.ops[id(stmt)].kind == "user" \
                and self.act.is_active(stmt.targets[0].id):
            return self.user_call(stmt, self.ops[id(stmt)], cur, managed, loop)
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt, cur, managed, loop)
        key = self.next_key()
        if isinstance(stmt, gast.Assign):
            z = stmt.targets[0].id
            items = None
            reads: set[str] = set()
            if self.act.is_active(z):
                loaded: set = set()  # (what the items read, noted as they are made)
                items = adjoint_items(stmt, self.ops[id(stmt)], self.act, self.ctx, loaded)
                is_local = self.ctx.is_local
                reads = {n for n in loaded if is_local(n)} - {z}
            refs = self.refs(reads, cur, managed)
            operands = None
            if loop is not None:
                operands = self.refs({n for n in nodes.loaded_names(stmt.value) if self.ctx.is_local(n)},
                                     cur, managed)
            if z in managed:
                refs[z] = MANAGED
            else:
                cur[z] = refs[z] = self.new(z, key)
            return Assign(stmt, z, items, refs, loop, operands=operands, key=key)
        if isinstance(stmt, gast.If):
            return self.branch(stmt, cur, managed, loop, key)
        if is_append(stmt):
            return self.append(stmt, cur, managed, loop, key)
        for n in sorted(stored(stmt)):
            if n not in managed:
                cur[n] = self.new(n, key)
        return Plain(stmt, loop, key=key)

    def user_call(self, stmt, op, cur, managed, loop):
        """`z = helper(args)`: forward `z, tape = _helper_forward(args)`, backward through
        `_helper_backward(dz, tape)`, the helper differentiated once as a split pair."""
        z = stmt.targets[0].id
        names = self.ctx.names

        def adjoint_of(var):
            return names.adjoint(var) if self.act.is_active(var) else None

        active = [p for p, node in op.bindings.items() if templates.is_active_operand(node, adjoint_of)]
        forward, backward = self.calls.split_pair(op, active, stmt)
        tape = names.fresh("tape")
        grads = names.fresh("g")
        self.ctx.locals.add(tape)
        items = [templates.Local(grads, nodes.quote_expr(f"{backward}({names.adjoint(z)}, {tape})"))]
        for i, param in enumerate(active):
            part = nodes.quote_expr(f"{grads}[{i}]" if len(active) > 1 else grads)
            items.extend(templates.contributions(op.bindings[param], part, adjoint_of, names.fresh))
        if len(active) == 1:  # a one-gradient backward returns a 1-tuple
            items[0] = templates.Local(grads, nodes.quote_expr(f"{backward}({names.adjoint(z)}, {tape})[0]"))
        refs = self.refs(local_reads(items, self.ctx) - {z, tape}, cur, managed)
        key = self.next_key()
        if loop is not None or z in managed:
            managed.add(z)
            refs[z] = MANAGED
        else:
            cur[z] = refs[z] = self.new(z, key)
        # The tape is read only by this statement's own adjoint, in the same branch
        # and iteration: never versioned (in loops, pushed and popped like the rest).
        refs[tape] = MANAGED
        if loop is not None:
            managed.add(tape)
        free = tuple(getattr(op.callee, "free", ()))  # a nested helper's outer variables
        return Assign(stmt, z, items, refs, loop, call=(forward, tape, free), key=key)

    def append(self, stmt, cur, managed, loop, key):
        """`lst.append(v)`: the backward takes v's adjoint off the end of dlst, then
        `lst.pop()` undoes the append."""
        lst, item = stmt.value.func.value.id, stmt.value.args[0]
        items = None
        if self.act.is_active(lst):
            adj = self.ctx.names.adjoint(lst)
            items = []
            if isinstance(item, gast.Name) and self.act.is_active(item.id):
                items.append(templates.Contribution(item.id, nodes.quote_expr(
                    f"{self.ctx.rename_global('last_item_adjoint')}({adj}, v)", v=item)))
            items.append(Update(lst, nodes.quote_expr(f"{self.ctx.rename_global('drop_last')}({adj})")))
        reads = {n for n in local_reads(items or [], self.ctx) if n != lst}
        return SetItem(stmt, lst, None, items, self.refs(reads, cur, managed), loop, key=key)

    def setitem(self, stmt, cur, managed, loop):
        target = stmt.targets[0]
        x, index, value = target.value.id, target.slice, stmt.value
        items = None
        if self.act.is_active(x):
            adj = self.ctx.names.adjoint(x)
            items = []
            if isinstance(value, gast.Name) and self.act.is_active(value.id):
                items.append(templates.Contribution(value.id, nodes.quote_expr(
                    f"{self.ctx.rename_global('written_adjoint')}({adj}, i, v)",
                    i=index_expr(index), v=value)))
            items.append(Update(x, nodes.quote_expr(
                f"{self.ctx.rename_global('zero_at')}({adj}, i)", i=index_expr(index))))
        reads = (local_reads(items or [], self.ctx) | nodes.loaded_names(index)) - {x}
        reads = {n for n in reads if self.ctx.is_local(n)}
        refs = self.refs(reads, cur, managed)
        return SetItem(stmt, x, index, items, refs, loop, key=self.next_key())

    def branch(self, stmt, cur, managed, loop, key):
        pre = dict(cur)
        test = {stmt.test.id} if isinstance(stmt.test, gast.Name) and self.ctx.is_local(stmt.test.id) else set()
        cur_b, cur_o = dict(cur), dict(cur)
        body = self.block(stmt.body, cur_b, managed, loop)
        orelse = self.block(stmt.orelse, cur_o, managed, loop)
        for n in sorted(stored(stmt) - managed):
            merged = self.new(n, key, joins=True)
            for end in (cur_b.get(n), cur_o.get(n)):
                if end is not None and end != pre.get(n):
                    self.flows_into[(n, end)] = merged
            cur[n] = merged
        refs = {n: (MANAGED if n in managed else v) for n, v in pre.items()}
        refs.update(self.refs(test, pre, managed))
        return If(stmt, refs, body, orelse, key=key)

    def loop(self, stmt, cur, managed, parent):
        assigned = stored(stmt)
        inner = managed | assigned
        info = Loop(stmt, [], {}, {}, self.ctx.names.fresh("n"), parent, inner, key=self.next_key())
        info.entry = {n: (MANAGED if n in inner else v) for n, v in cur.items()}
        info.body = self.block(stmt.body, dict(cur), inner, info)
        info.bound = self.reversible_bound(stmt, assigned)
        if parent is None:
            self.mark_invariant(info, assigned)
        for n in sorted(assigned - managed):
            cur[n] = self.new(n, info.key, joins=True)
        info.post = {n: (MANAGED if n in managed else v) for n, v in cur.items()}
        return info


class Site(NamedTuple):
    """Where a version of a variable is made: the `key` of the statement's record;
    `joins`: a branch or a loop, after which a path may not have bound it."""

    key: int
    joins: bool


@dataclass(frozen=True)
class Update:
    """`dx = value` for an adjoint that changes without a new contribution."""

    target: str
    value: object


def _breaks(stmts) -> bool:
    """A `break` of this loop (not of a loop nested in it)."""
    for stmt in stmts:
        if isinstance(stmt, gast.Break):
            return True
        if isinstance(stmt, gast.If) and (_breaks(stmt.body) or _breaks(stmt.orelse)):
            return True
    return False


def index_expr(index):
    """Subscript syntax as an expression: `1:3` -> `slice(1, 3, None)`."""
    if isinstance(index, gast.Slice):
        parts = [getattr(index, k) or nodes.const(None) for k in ("lower", "upper", "step")]
        return gast.Call(func=nodes.name("slice"), args=[nodes.clone(p) for p in parts], keywords=[])
    if isinstance(index, gast.Tuple):
        return nodes.tuple_of([index_expr(e) for e in index.elts])
    return nodes.clone(index)


def stored(stmt) -> set[str]:
    return {n.id for n in nodes.name_nodes(stmt) if isinstance(n.ctx, gast.Store)}

