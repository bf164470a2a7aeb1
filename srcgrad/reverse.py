"""Reverse mode: a forward sweep, then a backward sweep, in one function.

Assumes: ANF, resolved ops, activity. Guarantees: statements that recompute
the function (forward sweep) and then run each active statement's adjoint
template in reverse order (backward sweep), replaying every branch and loop
the forward sweep took.

Adjoints. Every version of a variable shares one adjoint name (`dx`). The
engine assigns the first contribution (`dx = e`) and adds the later ones
(`dx = dx + e`, never in place: an adjoint may alias another); after a
statement's adjoint has run, the adjoint of its result starts afresh, since
earlier statements saw an earlier version of that variable. Where branches
meet or a loop repeats, an adjoint that only some paths initialise is set to
zero on the others.

Values the backward sweep reads are kept in two ways:
- outside loops, by *version*: when the forward sweep later overwrites a
  value that an adjoint needs, the old one is kept under a saved name
  (`_x1 = x`) and the adjoint reads that;
- inside loops, by *restoring*: before a loop statement overwrites a
  variable that the loop's backward code reads, its old value is pushed on
  `_stack`; the backward sweep pops it back right after that statement's
  adjoint, so every adjoint sees the values of its own iteration. Loop trip
  counts (`_n1`) are counted, and branch conditions are ordinary variables,
  pushed when they live in a loop. Only what the backward code reads is
  pushed: a loop-invariant operand never is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import gast

from . import nodes, templates
from .errors import located
from .normalize.anf import is_append
from .resolve import Op

_FORWARD_ONLY_CALLS = {"print"}
MANAGED = "managed"  # a read of a loop variable: restored by pops, never versioned


@dataclass
class Sweeps:
    forward: list | None  # written by `finish`
    backward: list  # with pop markers until `finish`
    gradients: list  # adjoint names of the wrt parameters, in order
    returned: object  # the returned atom
    side_effects: set = field(default_factory=set)  # calls that must stay
    finish: object = None  # finish(optimized backward) -> (forward, backward)
    state: object = None
    seed_name: str = ""  # the adjoint of the returned value: the seed parameter when split


# --- phase 1: walk the forward code, instantiate adjoints, number versions ------

@dataclass
class _Assign:
    stmt: object
    z: str
    items: list | None
    refs: dict
    loop: "_Loop | None"
    call: tuple | None = None  # a user function's split pair: (forward, tape, free names)
    invariant: bool = False  # the same value every iteration: never taped


@dataclass
class _SetItem:
    """`x[index] = v`: x changes in place; restored after its adjoint."""

    stmt: object
    x: str
    index: object
    items: list | None
    refs: dict
    loop: "_Loop | None"


@dataclass
class _If:
    stmt: object
    refs: dict  # the test's version, and every name's version before the branch
    body: list
    orelse: list


@dataclass
class _Loop:
    stmt: object
    body: list
    entry: dict  # versions of the names the body does not assign
    post: dict  # versions after the loop, as the enclosing code reads them
    counter: str
    parent: "_Loop | None"
    managed: set


@dataclass
class _Plain:
    stmt: object
    loop: "_Loop | None"


class _Walk:
    def __init__(self, ops, act, ctx):
        self.ops = ops
        self.act = act
        self.ctx = ctx
        self.next_vid: dict[str, int] = {}
        self.def_site: dict = {}
        self.flows_into: dict = {}

    def new(self, name: str, site) -> int:
        self.next_vid[name] = vid = self.next_vid.get(name, 0) + 1
        self.def_site[(name, vid)] = site
        return vid

    def mark_invariant(self, info: "_Loop", assigned: set[str]) -> None:
        """Flag body statements that compute the same value in every iteration.

        `c = g / length` directly in an outermost loop's body, from values the
        loop never changes, assigned once in the loop and not read before that
        statement in the body: its variable holds that one value throughout
        the backward loop, so it needs no tape.
        """
        counts: dict[str, int] = {}
        for n in gast.walk(info.stmt):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                counts[n.id] = counts.get(n.id, 0) + 1
        read_before: set[str] = set()
        varying = set(assigned) | self.ctx.mutated  # in-place changes count too
        for child in info.body:
            stmt = child.stmt
            if isinstance(child, _Assign) and child.call is None and stmt in info.stmt.body:
                op = self.ops[id(stmt)]
                if op.kind in ("rule", "copy", "zero") and counts.get(child.z) == 1 \
                        and not (nodes.loaded_names(stmt.value) & varying) \
                        and child.z not in read_before and child.z not in self.ctx.mutated:
                    child.invariant = True
                    varying.discard(child.z)
            read_before |= nodes.loaded_names(stmt)

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
        if isinstance(stmt, gast.Assign):
            z = stmt.targets[0].id
            items = None
            reads: set[str] = set()
            if self.act.is_active(z):
                items = _adjoint_items(stmt, self.ops[id(stmt)], self.act, self.ctx)
                reads = _local_reads(items, self.ctx) - {z}
            refs = self.refs(reads, cur, managed)
            if z in managed:
                refs[z] = MANAGED
            else:
                cur[z] = refs[z] = self.new(z, stmt)
            return _Assign(stmt, z, items, refs, loop)
        if isinstance(stmt, gast.If):
            return self.branch(stmt, cur, managed, loop)
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt, cur, managed, loop)
        if is_append(stmt):
            return self.append(stmt, cur, managed, loop)
        if isinstance(stmt, gast.Expr):
            _check_forward_only(stmt, self.act, self.ctx)
        for n in sorted(_stored(stmt)):
            if n not in managed:
                cur[n] = self.new(n, stmt)
        return _Plain(stmt, loop)

    def user_call(self, stmt, op, cur, managed, loop):
        """`z = helper(args)`: forward `z, tape = _helper_forward(args)`, backward through
        `_helper_backward(dz, tape)`, the helper differentiated once as a split pair."""
        z = stmt.targets[0].id
        names = self.ctx.names

        def adjoint_of(var):
            return names.adjoint(var) if self.act.is_active(var) else None

        active = [p for p, node in op.bindings.items() if templates.is_active_operand(node, adjoint_of)]
        forward, backward = self.ctx.split_pair(op, active, stmt)
        tape = names.fresh("tape")
        grads = names.fresh("g")
        self.ctx.locals.add(tape)
        items = [templates.Local(grads, nodes.quote_expr(f"{backward}({names.adjoint(z)}, {tape})"))]
        for i, param in enumerate(active):
            part = nodes.quote_expr(f"{grads}[{i}]" if len(active) > 1 else grads)
            items.extend(templates.contributions(op.bindings[param], part, adjoint_of, names.fresh))
        if len(active) == 1:  # a one-gradient backward returns a 1-tuple
            items[0] = templates.Local(grads, nodes.quote_expr(f"{backward}({names.adjoint(z)}, {tape})[0]"))
        refs = self.refs(_local_reads(items, self.ctx) - {z, tape}, cur, managed)
        for name in (z, tape):
            if loop is not None or name in managed:
                managed.add(name)
                refs[name] = MANAGED
            else:
                cur[name] = refs[name] = self.new(name, stmt)
        free = tuple(getattr(op.callee, "free", ()))  # a nested helper's outer variables
        return _Assign(stmt, z, items, refs, loop, call=(forward, tape, free))

    def append(self, stmt, cur, managed, loop):
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
            items.append(_Update(lst, nodes.quote_expr(f"{self.ctx.rename_global('drop_last')}({adj})")))
        reads = {n for n in _local_reads(items or [], self.ctx) if n != lst}
        return _SetItem(stmt, lst, None, items, self.refs(reads, cur, managed), loop)

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
                    i=_index_expr(index), v=value)))
            items.append(_Update(x, nodes.quote_expr(
                f"{self.ctx.rename_global('zero_at')}({adj}, i)", i=_index_expr(index))))
        reads = (_local_reads(items or [], self.ctx) | nodes.loaded_names(index)) - {x}
        reads = {n for n in reads if self.ctx.is_local(n)}
        refs = self.refs(reads, cur, managed)
        return _SetItem(stmt, x, index, items, refs, loop)

    def branch(self, stmt, cur, managed, loop):
        pre = dict(cur)
        test = {stmt.test.id} if isinstance(stmt.test, gast.Name) and self.ctx.is_local(stmt.test.id) else set()
        cur_b, cur_o = dict(cur), dict(cur)
        body = self.block(stmt.body, cur_b, managed, loop)
        orelse = self.block(stmt.orelse, cur_o, managed, loop)
        for n in sorted(_stored(stmt) - managed):
            merged = self.new(n, stmt)
            for end in (cur_b.get(n), cur_o.get(n)):
                if end is not None and end != pre.get(n):
                    self.flows_into[(n, end)] = merged
            cur[n] = merged
        refs = {n: (MANAGED if n in managed else v) for n, v in pre.items()}
        refs.update(self.refs(test, pre, managed))
        return _If(stmt, refs, body, orelse)

    def loop(self, stmt, cur, managed, parent):
        assigned = _stored(stmt)
        inner = managed | assigned
        info = _Loop(stmt, [], {}, {}, self.ctx.names.fresh("n"), parent, inner)
        info.entry = {n: (MANAGED if n in inner else v) for n, v in cur.items()}
        info.body = self.block(stmt.body, dict(cur), inner, info)
        if parent is None:
            self.mark_invariant(info, assigned)
        for n in sorted(assigned - managed):
            cur[n] = self.new(n, stmt)
        info.post = {n: (MANAGED if n in managed else v) for n, v in cur.items()}
        return info


def _marker(stmt):
    return stmt.value.args[0].value, stmt.value.args[1].value


def _marker_index(stmt):
    """The index expression of a subscript-restore marker, or None."""
    args = stmt.value.args
    return args[2] if len(args) > 2 else None


def _reads_without_markers(stmt) -> set[str]:
    """Names the statement reads, not counting branches left with nothing but markers.

    A marker that restores a slice (`x[i] = old`) reads its index when it stays.
    """
    out: set[str] = set()
    for s in _walk_stmts([stmt]):
        if isinstance(s, gast.If):
            if _only_markers(s.body) and _only_markers(s.orelse):
                continue
            out |= nodes.loaded_names(s.test)
        elif isinstance(s, gast.For):
            out |= nodes.loaded_names(s.iter)
        elif _is_pop_marker(s):
            if _marker_index(s) is not None:
                out |= nodes.loaded_names(_marker_index(s))
        elif isinstance(s, (gast.Assign, gast.Expr, gast.Return)):
            out |= nodes.loaded_names(s)
    return out


def _only_markers(stmts) -> bool:
    return all(_is_pop_marker(s) or nodes.is_comment(s) or isinstance(s, gast.Pass)
               or (isinstance(s, gast.If) and _only_markers(s.body) and _only_markers(s.orelse))
               for s in stmts)


def _walk_stmts(stmts):
    for s in stmts:
        yield s
        for name in ("body", "orelse"):
            inner = getattr(s, name, None)
            if isinstance(inner, list) and not isinstance(s, gast.Assign):
                yield from _walk_stmts(inner)


def _drop_markers(stmt, reads: set[str], top_only: bool = False) -> bool:
    """Remove markers of values nobody reads; True if any went."""
    removed = False
    for s in ([stmt] if top_only else _walk_stmts([stmt])):
        for name in ("body", "orelse"):
            inner = getattr(s, name, None)
            if not isinstance(inner, list) or isinstance(s, gast.Assign):
                continue
            kept = []
            for t in inner:
                if _is_pop_marker(t):
                    var, index = _marker(t)
                    if var not in reads:
                        removed = True
                        continue
                kept.append(t)
            setattr(s, name, kept)
    return removed


def _markers_to_pops(stmt, backward: "_Backward", top_only: bool = False) -> None:
    """Markers become restores: `x = _stack.pop()` in loops, `x = _x1` at top level."""
    for s in ([stmt] if top_only else _walk_stmts([stmt])):
        for name in ("body", "orelse"):
            inner = getattr(s, name, None)
            if not isinstance(inner, list) or isinstance(s, gast.Assign):
                continue
            out = []
            for t in inner:
                if _is_pop_marker(t):
                    var, index = _marker(t)
                    key = backward.keys[index]
                    backward.pushed.add(key)
                    if key[0] == "append":
                        out.append(nodes.expr_stmt(nodes.quote_expr(f"{var}.pop()")))
                        continue
                    if top_only:
                        backward.temps[key] = backward.ctx.names.fresh(var.lstrip("_"))
                        old = nodes.name(backward.temps[key])
                    else:
                        old = nodes.quote_expr(f"{backward.stack_name()}.pop()")
                    where = _marker_index(t)
                    if where is None:
                        t = nodes.assign(var, old)
                    else:
                        target = gast.Subscript(value=nodes.name(var), slice=nodes.clone(where),
                                                ctx=gast.Store())
                        t = gast.Assign(targets=[target], value=old, type_comment=None)
                out.append(t)
            if name == "body" and not out:
                out = [gast.Pass()]
            setattr(s, name, out)


@dataclass(frozen=True)
class _Update:
    """`dx = value` for an adjoint that changes without a new contribution."""

    target: str
    value: object


def _index_expr(index):
    """Subscript syntax as an expression: `1:3` -> `slice(1, 3, None)`."""
    if isinstance(index, gast.Slice):
        parts = [getattr(index, k) or nodes.const(None) for k in ("lower", "upper", "step")]
        return gast.Call(func=nodes.name("slice"), args=[nodes.clone(p) for p in parts], keywords=[])
    if isinstance(index, gast.Tuple):
        return nodes.tuple_of([_index_expr(e) for e in index.elts])
    return nodes.clone(index)


def _stored(stmt) -> set[str]:
    return {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


# --- phase 2: the backward sweep -----------------------------------------------

POP_MARKER = "__srcgrad_pop__"


def _is_pop_marker(stmt) -> bool:
    return (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)
            and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id == POP_MARKER)


class _Backward:
    def __init__(self, walk: _Walk, final: dict, ctx):
        self.walk = walk
        self.final = final
        self.ctx = ctx
        self.saves: dict = {}
        self.pushed: set = set()  # keys of _Pop markers that became real pops
        self.stack = None  # the stack's name, once anything is pushed
        self.keys: list = []  # marker index -> (kind, statement id[, name])
        self.temps: dict = {}  # key of a top-level restore -> the saved value's name

    def pop_marker(self, name: str, key, index=None):
        """Where a saved value would be restored; `settle` decides once optimized."""
        if key not in self.keys:
            self.keys.append(key)
        args = [nodes.const(name), nodes.const(self.keys.index(key))]
        if index is not None:
            args.append(nodes.clone(index))
        return nodes.expr_stmt(gast.Call(func=nodes.name(POP_MARKER), args=args, keywords=[]))

    # names -------------------------------------------------------------
    def is_final(self, name: str, vid) -> bool:
        seen = 0
        while vid is not None and seen < 10_000:
            if self.final.get(name) == vid:
                return True
            vid = self.walk.flows_into.get((name, vid))
            seen += 1
        return False

    def resolve(self, name: str, ref) -> str:
        if ref is None or ref == MANAGED or self.is_final(name, ref):
            return name
        key = (name, ref)
        if key not in self.saves:
            self.saves[key] = self.ctx.names.fresh(name.lstrip("_"))
        return self.saves[key]

    def renamed(self, expr, refs: dict):
        used = nodes.loaded_names(expr)
        mapping = {n: self.resolve(n, r) for n, r in refs.items() if n in used}
        mapping = {k: v for k, v in mapping.items() if k != v}
        return nodes.substitute(nodes.clone(expr), mapping) if mapping else expr

    def zero(self, var: str, refs: dict):
        """`dv = 0` for `var` as the given versions see it."""
        adj = self.ctx.names.adjoint(var)
        if var in self.ctx.scalar_names:
            return nodes.assign(adj, nodes.const(0.0))
        value = self.renamed(nodes.quote_expr(f"{self.ctx.rename_global('zeros_like')}(v)", v=var),
                             {var: refs.get(var)})
        return nodes.assign(adj, value)

    # statements ----------------------------------------------------------
    def block(self, infos, init: set):
        out: list = []
        for info in reversed(infos):
            if isinstance(info, _SetItem):
                self.setitem(info, init, out)
            elif isinstance(info, _Assign):
                self.assign(info, init, out)
            elif isinstance(info, _If):
                self.branch(info, init, out)
            elif isinstance(info, _Loop):
                self.loop(info, init, out)
            elif info.loop is not None and _stored(info.stmt):
                for n in sorted(_stored(info.stmt)):
                    out.append(self.pop_marker(n, ("plain", id(info.stmt), n)))
        return out, init

    def assign(self, info: _Assign, init: set, out: list) -> None:
        z, line = info.z, info.stmt.lineno
        if info.items is not None and z in init:
            out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
            for item in info.items:
                value = self.renamed(item.value, info.refs)
                if isinstance(item, templates.Local):
                    out.append(nodes.assign(item.name, value, line))
                    continue
                adj = self.ctx.names.adjoint(item.target)
                if item.target in init and item.target in self.ctx.container_names:
                    value = nodes.quote_expr(f"{self.ctx.rename_global('add_grad')}(a, e)", a=adj, e=value)
                elif item.target in init:
                    value = nodes.binop(nodes.name(adj), "+", value)
                out.append(nodes.assign(adj, value, line))
                init.add(item.target)
            init.discard(z)
        if info.call is not None and info.loop is not None:  # pushed after z: popped first
            tape = info.call[1]
            out.append(self.pop_marker(tape, ("plain", id(info.stmt), tape)))
        if (info.loop is not None and not info.invariant) or z in self.ctx.mutated:
            out.append(self.pop_marker(z, ("assign", id(info.stmt))))

    def setitem(self, info: _SetItem, init: set, out: list) -> None:
        x, line = info.x, info.stmt.lineno
        if info.items is not None and x in init:
            out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
            for item in info.items:
                value = self.renamed(item.value, info.refs)
                adj = self.ctx.names.adjoint(item.target)
                if isinstance(item, _Update):
                    out.append(nodes.assign(adj, value, line))
                    continue
                if item.target in init:
                    value = nodes.binop(nodes.name(adj), "+", value)
                out.append(nodes.assign(adj, value, line))
                init.add(item.target)
        if info.index is None:  # an append: undone by lst.pop()
            out.append(self.pop_marker(x, ("append", id(info.stmt))))
            return
        index = self.renamed(info.stmt.targets[0].slice, info.refs)
        out.append(self.pop_marker(x, ("setitem", id(info.stmt)), index))

    def branch(self, info: _If, init: set, out: list) -> None:
        body, init_b = self.block(info.body, set(init))
        orelse, init_o = self.block(info.orelse, set(init))
        union = init_b | init_o
        body += [self.zero(v, info.refs) for v in sorted(union - init_b)]
        orelse += [self.zero(v, info.refs) for v in sorted(union - init_o)]
        init.clear()
        init.update(union)
        if not body and not orelse:
            return
        test = self.renamed(info.stmt.test, info.refs)
        line = info.stmt.lineno
        out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
        out.append(gast.If(test=test, body=body or [gast.Pass()], orelse=orelse))

    def loop(self, info: _Loop, init: set, out: list) -> None:
        start = set(init)
        while True:  # the adjoints a backward iteration hands to the next one
            body, end = self.block(info.body, set(start))
            grown = set(init) | end
            if grown == start:
                break
            start = grown
        body += [self.zero(v, info.entry) for v in sorted(start - end)]
        before = [self.zero(v, info.post) for v in sorted(start - set(init))]
        init.update(start)
        if isinstance(info.stmt, gast.For):
            target = info.stmt.target.id
            body.insert(0, self.pop_marker(target, ("target", id(info.stmt))))
        line = info.stmt.lineno
        repeat = nodes.quote_stmt(f"for {self.ctx.names.claim_once('_')} in range({info.counter}):\n    pass")
        repeat.body = body or [gast.Pass()]
        out.append(nodes.comment(f"backward of line {line}: {self.ctx.line(line)}"))
        out.extend(before)
        out.append(repeat)
        if info.parent is not None:
            out.append(self.pop_marker(info.counter, ("counter", id(info.stmt))))
            out[-1], out[-2] = out[-2], out[-1]  # the count is restored before the loop runs

    def settle(self, stmts: list) -> list:
        """Turn pop markers into pops where the loop's backward code reads the value.

        Run on the optimized backward sweep, so that a value only an optimized-away
        statement read is never taped. Dropping a marker can empty a branch and
        so stop a condition being read: iterate until nothing changes.
        """
        out = self._settle_loops(stmts)
        # Restores outside loops (variables changed in place): kept when anything reads them.
        holder = gast.If(test=nodes.const(True), body=out, orelse=[])
        while _drop_markers(holder, _reads_without_markers(holder), top_only=True):
            pass
        for s in _walk_stmts(out):
            if isinstance(s, gast.If) and not isinstance(s, (gast.For, gast.While)):
                while _drop_markers(s, _reads_without_markers(holder), top_only=True):
                    pass
        _markers_to_pops(holder, self, top_only=True)
        for s in _walk_stmts(holder.body):
            if isinstance(s, gast.If):
                _markers_to_pops(s, self, top_only=True)
        return holder.body

    def _settle_loops(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            if isinstance(stmt, (gast.For, gast.While)):
                stmt = self._settle_loop(stmt)
            elif isinstance(stmt, gast.If):
                stmt.body = self._settle_loops(stmt.body) or [gast.Pass()]
                stmt.orelse = self._settle_loops(stmt.orelse)
            out.append(stmt)
        return out

    def _settle_loop(self, loop):
        while True:
            reads = _reads_without_markers(loop)
            removed = _drop_markers(loop, reads)
            if not removed:
                break
        _markers_to_pops(loop, self)
        return loop

    def stack_name(self) -> str:
        if self.stack is None:
            self.stack = self.ctx.names.claim("_stack")
        return self.stack


# --- phase 3: the forward sweep ------------------------------------------------

class _Forward:
    def __init__(self, backward: _Backward, walk: _Walk, ctx):
        self.bw = backward
        self.ctx = ctx
        self.saves_at: dict = {}
        self.maybe_unbound: set[str] = set()  # saved after a branch or loop that may not bind it
        for (name, vid), saved in sorted(backward.saves.items(), key=lambda kv: kv[1]):
            site = walk.def_site.get((name, vid))
            if isinstance(site, (gast.If, gast.For, gast.While)):
                self.maybe_unbound.add(name)
            self.saves_at.setdefault(id(site) if site is not None else None, []).append(
                nodes.assign(saved, nodes.name(name)))
        self.last_line = None

    def push(self, name: str):
        return nodes.expr_stmt(nodes.quote_expr(f"{self.bw.stack_name()}.append(v)", v=name))

    def save(self, key, value):
        """Keep `value` for the restore that `key` names: in a temp, or on the stack."""
        if key in self.bw.temps:
            return nodes.assign(self.bw.temps[key], value)
        return nodes.expr_stmt(nodes.quote_expr(f"{self.bw.stack_name()}.append(v)", v=value))

    def block(self, infos) -> list:
        out: list = []
        for info in infos:
            stmt = info.stmt
            line = getattr(stmt, "lineno", None)
            if line is not None and line != self.last_line:
                out.append(nodes.comment(f"line {line}: {self.ctx.line(line)}"))
                self.last_line = line
            if isinstance(info, _SetItem) and info.index is None:
                out.append(stmt)  # an append: nothing to save, the backward pops it
            elif isinstance(info, _SetItem):
                key = ("setitem", id(stmt))
                if key in self.bw.pushed:
                    old = nodes.quote_expr(f"{self.ctx.rename_global('copy_slice')}(x, i)",
                                           x=info.x, i=_index_expr(info.index))
                    out.append(self.save(key, old))
                out.append(stmt)
            elif isinstance(info, _Assign):
                key = ("assign", id(stmt))
                if key in self.bw.pushed:
                    out.append(self.save(key, nodes.name(info.z)))
                if info.call is not None:
                    forward, tape, free = info.call
                    if ("plain", id(stmt), tape) in self.bw.pushed:
                        out.append(self.push(tape))
                    call = nodes.clone(stmt.value)
                    call.func = nodes.name(forward)
                    call.keywords = list(call.keywords) + [gast.keyword(arg=n, value=nodes.name(n))
                                                           for n in free]
                    stmt = gast.Assign(targets=[nodes.tuple_of([nodes.name(info.z, store=True),
                                                                nodes.name(tape, store=True)], store=True)],
                                       value=call, type_comment=None)
                    gast.copy_location(stmt, info.stmt)
                out.append(stmt)
            elif isinstance(info, _If):
                branch = gast.If(test=stmt.test, body=self.block(info.body) or [gast.Pass()],
                                 orelse=self.block(info.orelse))
                out.append(branch)
            elif isinstance(info, _Loop):
                out.extend(self.loop(info))
            else:
                for n in sorted(_stored(stmt)):
                    if ("plain", id(stmt), n) in self.bw.pushed:
                        out.append(self.push(n))
                if isinstance(stmt, gast.With):
                    out.append(nodes.comment("no_grad: run as written, not differentiated"))
                    out.extend(_unwrap_with(stmt))
                else:
                    out.append(stmt)
            out.extend(self.saves_at.get(id(stmt), []))
        return out

    def loop(self, info: _Loop) -> list:
        stmt = nodes.clone(info.stmt)
        count = info.counter
        body = [nodes.assign(count, nodes.binop(nodes.name(count), "+", nodes.const(1)))]
        body += self.block(info.body)
        self.last_line = None
        if isinstance(stmt, gast.For) and ("target", id(info.stmt)) in self.bw.pushed:
            at = len(body)
            if body and isinstance(body[-1], gast.If) and any(isinstance(s, gast.Break) for s in body[-1].body):
                at -= 1  # before the final `if <flag>: break`
            body.insert(at, self.push(stmt.target.id))
        stmt.body = body
        out = [nodes.assign(count, nodes.const(0)), stmt]
        if ("counter", id(info.stmt)) in self.bw.pushed:
            out.append(self.push(count))
        return out


def _unwrap_with(stmt) -> list:
    out: list = []
    for s in stmt.body:
        out.extend(_unwrap_with(s) if isinstance(s, gast.With) else [s])
    return out


# --- the pass ------------------------------------------------------------------

def reverse(fn, ops: dict, act, wrt: list[str], ctx) -> Sweeps:
    """Build both sweeps of `fn`; `ctx` supplies names, lines, globals and scalars.

    The backward sweep comes back with pop markers; the caller optimizes it
    and hands it to `Sweeps.finish`, which settles what the loops tape and
    writes the forward sweep to match.
    """
    body = list(fn.body)
    ret = body.pop() if body and isinstance(body[-1], gast.Return) else None
    if ret is None:
        raise located(ctx.source, fn, "the function has no `return` of a value",
                      "return the scalar to differentiate")
    args = fn.args
    params = [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs]
    walk = _Walk(ops, act, ctx)
    cur = {p: 0 for p in params}
    infos = walk.block(body, cur, set(ctx.mutated), None)

    backward = _Backward(walk, dict(cur), ctx)
    returned = ret.value
    init: set[str] = set()
    seed: list = []
    seed_name = None
    if isinstance(returned, gast.Name) and act.is_active(returned.id):
        if getattr(ctx, "split", False):  # the backward function takes the seed
            seed_name = ctx.names.adjoint(returned.id)
        else:
            seed = [nodes.assign(ctx.names.adjoint(returned.id), nodes.const(1.0))]
        init.add(returned.id)
    if seed_name is None:
        seed_name = ctx.names.claim("_dout")
    sweep, init = backward.block(infos, init)
    gradients = []
    tail: list = []
    for p in wrt:
        if p not in init:
            tail.append(backward.zero(p, {p: 0}))
        gradients.append(ctx.names.adjoint(p))

    def finish(optimized: list):
        settled = backward.settle(optimized)
        forward_pass = _Forward(backward, walk, ctx)
        forward = forward_pass.block(infos)
        entry = list(forward_pass.saves_at.get(None, []))
        unbound = set(forward_pass.maybe_unbound) - set(params)
        if backward.stack is not None:
            entry.insert(0, nodes.assign(backward.stack, nodes.quote_expr("[]")))
        unbound |= set(_maybe_unbound(backward.pushed, infos, params))
        entry += [nodes.assign(n, nodes.const(None)) for n in sorted(unbound)]
        if ctx.require_scalar:
            forward.append(nodes.expr_stmt(nodes.quote_expr(
                f"{ctx.rename_global('require_scalar')}(r)", r=returned)))
        return entry + forward, settled

    keep = {POP_MARKER}
    return Sweeps(None, seed + sweep + tail, gradients, returned, keep, finish, backward, seed_name)


def _maybe_unbound(pushed: set, infos, params) -> list[str]:
    """Saved variables that a first save could find unassigned: set to None up front."""
    names: set[str] = set()
    assigned_before: set[str] = set(params)
    for info in infos:
        for key in pushed:
            name = key[2] if key[0] == "plain" else _pushed_name(key, [info])
            if name is not None and name not in assigned_before:
                names.add(name)
        if isinstance(info, _Assign):
            assigned_before.add(info.z)
    return sorted(names)


def _pushed_name(key, infos):
    """The variable a push key refers to (for initialising it before any push)."""
    kind, ident = key[0], key[1]
    for info in _all_infos(infos):
        if id(info.stmt) == ident:
            if kind == "assign" and isinstance(info, _Assign):
                return info.z
            if kind == "target":
                return info.stmt.target.id
            if kind == "counter":
                return None  # counts are assigned before they are pushed
    return None


def _all_infos(infos):
    for info in infos:
        yield info
        if isinstance(info, _If):
            yield from _all_infos(info.body)
            yield from _all_infos(info.orelse)
        elif isinstance(info, _Loop):
            yield from _all_infos(info.body)


def _adjoint_items(stmt, op: Op, act, ctx) -> list:
    z = stmt.targets[0].id
    if op.kind == "copy":
        source = stmt.value
        if not (isinstance(source, gast.Name) and ctx.is_local(source.id)):
            return []  # a constant or a global: nothing to pass the gradient to
        return [templates.Contribution(source.id, nodes.name(ctx.names.adjoint(z)))]
    if op.kind in ("zero", "setitem"):
        return []  # a zero-gradient operation: nothing flows back
    if op.kind == "badcall":
        raise located(ctx.source, stmt, op.label, op.hint)
    if op.kind == "rule" and op.rule.mode != "reverse":
        raise located(ctx.source, stmt, f"{op.label} has a forward-mode rule only",
                      "use forward mode (jvp) for this function")
    if op.kind == "rule":
        def adjoint_of(var):
            return ctx.names.adjoint(var) if act.is_active(var) else None

        return templates.instantiate(op.rule.template, op.bindings, adjoint_of,
                                     ctx.rename_global, ctx.names.fresh)
    if op.kind == "custom":
        return _custom_vjp_items(stmt, op, act, ctx)
    if op.kind == "opaque" and op.label in ("Tuple", "List"):
        raise located(ctx.source, stmt, "a tuple or list of values being differentiated "
                      "is not supported yet",
                      "keep the values in separate variables, or build an array with "
                      "numpy.array or numpy.stack")
    if op.kind == "opaque":
        raise located(ctx.source, stmt, f"a `{op.label}` expression over values being "
                      "differentiated has no derivative",
                      "use numpy.where(condition, a, b) to choose between values")
    raise located(ctx.source, stmt, f"{op.label} has no derivative rule",
                  "register one with srcgrad.defvjp, or wrap the value in "
                  "srcgrad.stop_gradient(...) if it should carry no gradient")


def _custom_vjp_items(stmt, op, act, ctx) -> list:
    """`_g = my_op_vjp(dz, z, *args)`; each active argument takes its entry (None: zero)."""
    from .rules import registry

    rule = registry.user_vjp(op.callee)
    if rule is None:
        raise located(ctx.source, stmt, f"{op.label} has a defjvp rule but no defvjp rule",
                      "register its reverse rule with srcgrad.defvjp")
    z = stmt.targets[0].id
    name = ctx.helper(rule, getattr(rule, "__name__", "vjp_rule"))
    grads = ctx.names.fresh("g")
    args = [op.bindings[i] for i in range(len(op.bindings))]
    call = gast.Call(func=nodes.name(name), args=[nodes.name(ctx.names.adjoint(z)), nodes.name(z)]
                     + [nodes.loaded(a) for a in args], keywords=[])
    normalized = nodes.quote_expr(f"{ctx.rename_global('rule_gradients')}(c, {len(args)})", c=call)
    items = [templates.Local(grads, normalized)]

    def adjoint_of(var):
        return ctx.names.adjoint(var) if act.is_active(var) else None

    for i, arg in enumerate(args):
        part = nodes.quote_expr(f"{ctx.rename_global('fill_grad')}({grads}[{i}], a)", a=nodes.loaded(arg))
        items.extend(templates.contributions(arg, part, adjoint_of, ctx.names.fresh))
    return items


def _local_reads(items, ctx) -> set[str]:
    out: set[str] = set()
    for item in items:
        out |= {n for n in nodes.loaded_names(item.value) if ctx.is_local(n)}
    return out


def _check_forward_only(stmt, act, ctx) -> None:
    """Expression statements run in the forward sweep only; they may not hide an
    in-place change of a value being differentiated. print, logging and
    warnings calls are known to be harmless."""
    call = stmt.value
    path = nodes.dotted(call.func) if isinstance(call, gast.Call) else None
    if path is not None and _is_reporting(path, ctx):
        return
    touched = [n for n in nodes.loaded_names(stmt.value) if act.is_active(n)]
    if touched:
        raise located(ctx.source, stmt, f"a call whose result is discarded, on the "
                      f"differentiated value {touched[0]!r}",
                      "assign the result to a variable; use print or logging to report values")


def _is_reporting(path: str, ctx) -> bool:
    import logging
    import warnings

    head = path.split(".")[0]
    if ctx.is_local(head):
        return False
    try:
        obj = ctx.parsed.namespace.lookup(head)
    except KeyError:
        return False
    from . import runtime

    if obj is runtime.require_scalar or obj is runtime.check_finite:  # in generated code
        return True
    return obj is print or obj is logging or obj is warnings or isinstance(obj, logging.Logger)
