"""Forward mode: a tangent statement after each primal statement.

Assumes: ANF, resolved ops, activity. Guarantees: statements that compute
the function and, beside every active value `x`, its tangent `x_dot` — the
directional derivative along the input tangents. Branches and loops are
kept as written, with the tangent code inside them, so nothing is taped.

Every assignment of an active variable assigns its tangent too (zeros where
that assignment carries none), so a later read always finds one. A tangent
that may be written in place (`x[i] = v` gives `x_dot[i] = v_dot`) is made
an owned copy where its variable is assigned, never shared with another.
"""
from __future__ import annotations

import gast

from .. import nodes, runtime, templates
from ..analysis.resolve import statements
from ..analysis.shapes import resolver
from ..errors import located
from ..normalize.anf import is_append
from ..rules import facts as table
from ..reverse.adjoints import adjoint_items, refuse


class _Forward:
    def __init__(self, ops, act, ctx, calls):
        self.ops = ops
        self.act = act
        self.ctx = ctx
        self.calls = calls  # compiles called user functions' tangent functions (`calls.Tangents`)
        self.last_line = None
        self.written_globals: set[str] = set()  # globals written in place (BUF[:] = v)
        self.mirrored: frozenset = frozenset()  # tangents sharing memory as their values do
        self._written = None  # names written in place and their views (`fresh_of_written`, asked once)
        self._callee = None  # resolves a generated call (`may_alias`), made when first asked

    def mirrors(self, value) -> bool:
        """Whether `value` (a name, or a subscript of one) is a mirrored name's memory:
        then its tangent (that name's tangent, or the same subscript of it) shares
        memory as the value does, and a write through either name shows through
        the other in both. A generated gradient relies on that: its backward sweep
        restores an overwritten slice through one name (`_y1[1:] = _y2`, or
        `y = _y1` then `y[1:] = _y2`) and reads it through a view (`_t1 = y[1:]`)."""
        if isinstance(value, gast.Subscript):
            value = value.value
        return isinstance(value, gast.Name) and value.id in self.mirrored

    def fresh_of_written(self, value, op) -> bool:
        """`value` is always new memory (the table's facts: it views no argument), made
        from a name written in place somewhere (or a view of one). Its rule may hand
        back that name's tangent itself (`u = t * 1.0` has the tangent `t_dot`), which a
        later `t_dot[0] = ...` would change under u: such a tangent gets its own copy."""
        if isinstance(value, gast.Subscript):
            return False  # an entry or a view: its tangent is the same of the tangent
        found = table.of(op.callee)
        if found is None or found.views:
            return False
        if self._written is None:
            self._written = self.ctx.facts.written()
        return not self._written.isdisjoint(nodes.loaded_names(value))

    def may_alias(self, tangent) -> bool:
        """A tangent expression that may be an operand's tangent itself or a view of it:
        a name, an index, a method, or a call of a helper the table does not say makes
        new memory (`broadcast_like(t_dot, u)` is t_dot where the shapes agree)."""
        if isinstance(tangent, (gast.Name, gast.Subscript, gast.Attribute)):
            return True
        if isinstance(tangent, gast.Call):
            if self._callee is None:
                self._callee = resolver(self.ctx.is_local, self.ctx.helpers, self.ctx.parsed.namespace.lookup)
            obj = self._callee(tangent)
            found = table.of(obj) if obj is not None else None
            return found is None or bool(found.views)
        return False  # arithmetic: new memory

    # names and values ------------------------------------------------------
    def active(self, name: str) -> bool:
        return (self.ctx.is_local(name) or name in self.written_globals) and self.act.is_active(name)

    def tangent_of(self, name: str):
        return self.ctx.names.tangent(name) if self.active(name) else None

    def zeros(self, operand):
        """A zero tangent shaped like `operand` (0.0 for a known Python number)."""
        if isinstance(operand, gast.Name) and operand.id in self.ctx.facts.scalar_names:
            return nodes.const(0.0)
        if isinstance(operand, gast.Constant):
            return nodes.const(0.0)
        return nodes.quote_expr(f"{self.ctx.rename_global('zeros_like')}(v)", v=nodes.loaded(operand))

    def tangent_expr(self, operand):
        """The tangent of an operand: its variable's, a literal of them, or zeros."""
        if isinstance(operand, gast.Name) and self.tangent_of(operand.id) is not None:
            return nodes.name(self.tangent_of(operand.id))
        if isinstance(operand, (gast.List, gast.Tuple)):
            return type(operand)(elts=[self.tangent_expr(e) for e in operand.elts], ctx=gast.Load())
        return self.zeros(operand)

    def set_tangent(self, z: str, value, line, owned: bool = False):
        if owned:
            value = nodes.quote_expr(f"{self.ctx.rename_global('owned_tangent')}(v)", v=value)
        return nodes.assign(self.ctx.names.tangent(z), value, line)

    # statements --------------------------------------------------------------
    def block(self, stmts) -> list:
        out: list = []
        for stmt in stmts:
            line = getattr(stmt, "lineno", None)
            if line is not None and line != self.last_line and not isinstance(stmt, gast.Return):
                out.append(nodes.comment(f"line {line}: {self.ctx.line(line)}"))
                self.last_line = line
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt) -> list:
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            return self.setitem(stmt)
        if isinstance(stmt, gast.Assign):
            return self.assign(stmt)
        if isinstance(stmt, gast.If):
            self.last_line = None
            branch = gast.If(test=stmt.test, body=self.block(stmt.body) or [gast.Pass()],
                             orelse=self.block(stmt.orelse))
            self.last_line = None
            return [branch]
        if isinstance(stmt, (gast.For, gast.While)):
            loop = nodes.clone(stmt)
            self.last_line = None
            loop.body = self.block(stmt.body) or [gast.Pass()]
            self.last_line = None
            target = getattr(stmt, "target", None)
            if isinstance(target, gast.Name) and self.active(target.id) and isinstance(stmt.iter, gast.Call) \
                    and nodes.dotted(stmt.iter.func) == "range":
                # an integer index that later code makes active (a generated gradient pushes it)
                loop.body.insert(0, self.set_tangent(target.id, nodes.const(0.0), None))
            return [loop]
        if is_append(stmt):
            return self.append(stmt)
        if id(stmt) in getattr(self.ctx, "restores", {}):
            return self.restore(stmt)
        popped = _popped_list(stmt.value, self.ctx) if isinstance(stmt, gast.Expr) else None
        if popped is not None:  # lst.pop(), the value discarded
            return [stmt] + self.pop(popped, None, stmt.lineno)
        return [stmt]

    def assign(self, stmt) -> list:
        z = stmt.targets[0].id
        out = [stmt]
        popped = _popped_list(stmt.value, self.ctx)
        if popped is not None:  # z = lst.pop(): the tangent comes off the tangent list
            return out + self.pop(popped, z, stmt.lineno)
        if not self.active(z):
            return out
        line = stmt.lineno
        op = self.ops[id(stmt)]
        owned = z in self.ctx.facts.mutated and not self.mirrors(stmt.value)
        fresh = op.kind == "rule" and self.fresh_of_written(stmt.value, op)
        if op.kind == "user":
            return self.user_call(stmt, op)
        if op.kind == "custom":
            return out + [self.custom(stmt, op, owned)]
        if op.kind == "copy":
            source = stmt.value
            value = self.tangent_expr(source) if isinstance(source, gast.Name) else self.zeros(source)
            return out + [self.set_tangent(z, value, line, owned and not self.mirrors(source))]
        if op.kind in ("zero", "setitem"):
            return out + [self.set_tangent(z, self.zeros(nodes.name(z)), line, owned)]
        if op.kind != "rule":
            adjoint_items(stmt, op, self.act, self.ctx)  # raises the located error
        rule = self._tangent_rule(op, stmt)
        refuse(stmt, op, "forward", self.ctx)
        if rule.linear_in is not None:
            operand = op.bindings.get(rule.linear_in)
            if operand is None or not templates.is_active_operand(operand, self.tangent_of):
                return out + [self.set_tangent(z, self.zeros(nodes.name(z)), line, owned)]
            value = _replace_operand(stmt.value, operand, self.tangent_expr(operand))
            return out + [self.set_tangent(z, value, line, owned or fresh and self.may_alias(value))]
        items = templates.instantiate_tangent(rule.template, op.bindings, self.tangent_of,
                                              self.ctx.rename_global, self.ctx.names.fresh, self.zeros)
        first = True
        tangent = self.ctx.names.tangent(z)
        for item in items:
            if isinstance(item, templates.Local):
                out.append(nodes.assign(item.name, item.value, line))
                continue
            value = item.value if first else nodes.binop(nodes.name(tangent), "+", item.value)
            out.append(nodes.assign(tangent, value, line))
            fresh = fresh and first and self.may_alias(value)  # a sum of two is new memory
            first = False
        if first:  # no input carried a tangent
            out.append(self.set_tangent(z, self.zeros(nodes.name(z)), line))
        elif owned or fresh:
            out.append(self.set_tangent(z, nodes.name(tangent), line, owned=True))
        return out

    def custom(self, stmt, op, owned):
        """`z_dot = my_op_jvp((x_dot, ...), z, x, ...)`, zeros for inactive arguments."""
        from ..rules import registry

        rule = registry.user_jvp(op.callee)
        if rule is None:
            raise located(self.ctx.source, stmt, f"{op.label} has a defvjp rule but no defjvp rule",
                          "register its forward rule with srcgrad.defjvp, or use reverse mode")
        z = stmt.targets[0].id
        name = self.ctx.helper(rule, getattr(rule, "__name__", "jvp_rule"))
        args = [op.bindings[i] for i in range(len(op.bindings))]
        tangents = nodes.tuple_of([self.tangent_expr(a) for a in args])
        call = gast.Call(func=nodes.name(name), args=[tangents, nodes.name(z)]
                         + [nodes.loaded(a) for a in args], keywords=[])
        return self.set_tangent(z, call, stmt.lineno, owned)

    def _tangent_rule(self, op, stmt):
        from ..rules import registry

        rule = registry.lookup(op.callee if op.callee is not None else op.rule.primitive, mode="forward")
        if rule is None:
            rule = registry.lookup(op.rule.primitive, mode="forward")
        if rule is None:
            raise located(self.ctx.source, stmt, f"{op.label} has no forward-mode (tangent) rule",
                          "use reverse mode (grad/vjp), or register one with srcgrad.defjvp")
        return rule

    def setitem(self, stmt) -> list:
        target = stmt.targets[0]
        x = target.value.id
        out = [stmt]
        if not self.active(x):
            return out
        tangent = gast.Subscript(value=nodes.name(self.ctx.names.tangent(x)),
                                 slice=nodes.clone(target.slice), ctx=gast.Store())
        value = self.tangent_expr(stmt.value)
        out.append(gast.Assign(targets=[tangent], value=value, type_comment=None))
        return out

    def restore(self, stmt) -> list:
        """`restore_entry(d, key, old)` (a generated backward putting an entry back):
        the same for the tangent, `restore_entry(d_dot, key, old_dot)`. An `old`
        popped off a stack pops the tangent stack too, whatever is restored."""
        x, key, old = stmt.value.args
        lst = _popped_list(old, self.ctx)
        if lst is not None:
            old_dot = nodes.quote_expr(f"{self.ctx.names.tangent(lst)}.pop()") if self.active(lst) else None
        elif isinstance(old, gast.Name) and self.tangent_of(old.id) is not None:
            old_dot = nodes.name(self.tangent_of(old.id))
        else:
            old_dot = None
        if not self.active(x.id):
            return [stmt] + ([nodes.stamp(nodes.expr_stmt(old_dot), stmt.lineno)] if lst and old_dot else [])
        if old_dot is None:
            old_dot = self.zeros(old) if lst is None else nodes.const(0.0)
        call = gast.Call(func=nodes.clone(stmt.value.func), args=[
            nodes.name(self.ctx.names.tangent(x.id)), nodes.clone(key), old_dot], keywords=[])
        return [stmt, nodes.stamp(nodes.expr_stmt(call), stmt.lineno)]

    def pop(self, lst: str, z: str | None, line) -> list:
        """The tangent side of `z = lst.pop()` (or a discarded `lst.pop()`).

        An active list has a tangent list of the same length (`append` pushes a
        tangent for every item, zeros for an inactive one), so every pop pops it
        too, whatever becomes of the value: a stack of a generated gradient pops
        saved shapes and counts that carry no tangent between the values that do.
        """
        if not self.active(lst):
            return [] if z is None or not self.active(z) else \
                [self.set_tangent(z, self.zeros(nodes.name(z)), line)]
        source = nodes.quote_expr(f"{self.ctx.names.tangent(lst)}.pop()")
        if z is None or not self.active(z):
            return [nodes.stamp(nodes.expr_stmt(source), line)]
        return [self.set_tangent(z, source, line)]

    def append(self, stmt) -> list:
        lst = stmt.value.func.value.id
        out = [stmt]
        if not self.active(lst):
            return out
        item = self.tangent_expr(stmt.value.args[0])
        out.append(nodes.expr_stmt(nodes.quote_expr(f"{self.ctx.names.tangent(lst)}.append(v)", v=item)))
        return out

    def user_call(self, stmt, op) -> list:
        """`z, z_dot = _helper_jvp(args, tangents of the active ones)`."""
        z = stmt.targets[0].id
        active = [p for p, node in op.bindings.items()
                  if templates.is_active_operand(node, self.tangent_of)]
        jvp_name, tangent_params = self.calls.jvp_of(op, active, stmt)
        call = nodes.clone(stmt.value)
        call.func = nodes.name(jvp_name)
        free = tuple(getattr(op.callee, "free", ()))
        call.keywords = list(call.keywords) + [gast.keyword(arg=n, value=nodes.name(n)) for n in free]
        call.keywords += [gast.keyword(arg=t, value=self.tangent_expr(op.bindings[p]))
                          for p, t in zip(active, tangent_params, strict=True)]
        targets = nodes.tuple_of([nodes.name(z, store=True),
                                  nodes.name(self.ctx.names.tangent(z), store=True)], store=True)
        new = gast.Assign(targets=[targets], value=call, type_comment=None)
        gast.copy_location(new, stmt)
        return [new]


def _popped_list(value, ctx):
    """The local list `lst` when `value` is `lst.pop()` (as stacks in generated code are)."""
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
            and value.func.attr == "pop" and not value.args and not value.keywords \
            and isinstance(value.func.value, gast.Name) and ctx.is_local(value.func.value.id):
        return value.func.value.id
    return None


def _replace_operand(call, operand, replacement):
    """A copy of `call` with `operand` (found by identity) replaced."""
    if isinstance(call, gast.Call):
        new = nodes.clone(call)
        if isinstance(call.func, gast.Attribute) and call.func.value is operand:
            new.func.value = replacement
            return new
        for i, a in enumerate(call.args):
            if a is operand:
                new.args[i] = replacement
                return new
        for i, k in enumerate(call.keywords):
            if k.value is operand:
                new.keywords[i].value = replacement
                return new
    if isinstance(call, gast.UnaryOp):
        return gast.UnaryOp(op=call.op, operand=replacement)
    if isinstance(call, gast.Subscript):
        return gast.Subscript(value=replacement, slice=nodes.clone(call.slice), ctx=gast.Load())
    if isinstance(call, gast.Attribute):
        return gast.Attribute(value=replacement, attr=call.attr, ctx=gast.Load())
    raise AssertionError(f"linear rule operand not found in {type(call).__name__}")


def _mirrored(body, ops, params: list, mutated: frozenset, generated: bool) -> frozenset:
    """Names whose tangent shares memory exactly as their value does (see `mirrors`).

    A name written in place is one: each of its assignments makes its tangent a
    copy of its own (`owned_tangent`), or binds it to a mirrored name's memory.
    So is a name every assignment of which is a mirrored name, a subscript of
    one (a view's tangent is the same view of the tangent; a copy's a copy), a
    `fresh_tape` of one, or a pop of a stack (the tangent stack pushed the tangent with the value). A
    parameter's tangent is the caller's, and mirrors only in generated code,
    whose tape the caller's jvp made; elsewhere a parameter written in place
    gets a copy of its tangent, which mirrors, and a user's tangent is never
    written. Everything else (a rule's result) may hand back an input's tangent
    (`y = x * 1.0` has the tangent `x_dot`) and mirrors nothing.
    """
    assigned: dict[str, list] = {}
    for stmt in statements(body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            assigned.setdefault(stmt.targets[0].id, []).append(stmt)
        elif isinstance(stmt, (gast.For, gast.While)):
            for n in gast.walk(getattr(stmt, "target", gast.Pass())):
                if isinstance(n, gast.Name):
                    assigned.setdefault(n.id, []).append(None)
    found = set(mutated) | (set(params) if generated else set())
    found |= {n for n in assigned if n not in params}

    def keeps(stmt) -> bool:
        if stmt is None:
            return False
        value, op = stmt.value, ops.get(id(stmt))
        if isinstance(value, gast.Subscript):
            value = value.value
        elif isinstance(value, gast.Call) and op is not None and op.kind == "rule" \
                and op.rule.primitive is runtime.fresh_tape and len(value.args) == 1:
            value = value.args[0]  # a copy of a tape, its arrays sharing as before; so its tangent's
        if isinstance(value, gast.Name):
            return value.id in found and op is not None and op.kind in ("copy", "rule")
        return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
            and value.func.attr == "pop" and not value.args
    changed = True
    while changed:
        changed = False
        for name, stmts in assigned.items():
            if name in found and name not in mutated and not all(map(keeps, stmts)):
                found.discard(name)
                changed = True
    return frozenset(found)


def forward(fn, ops: dict, act, wrt: list[str], ctx, calls, generated: bool = False):
    """(statements, returned atom, its tangent expression) of the tangent function of `fn`;
    `generated`: `fn` is srcgrad's own generated code (see `_mirrored`)."""
    body = list(fn.body)
    ret = body.pop()
    pass_ = _Forward(ops, act, ctx, calls)
    args = fn.args
    params = [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs]
    pass_.mirrored = _mirrored(body, ops, params, ctx.facts.mutated, generated)
    # A parameter outside wrt that a loop makes active needs a zero tangent to start from.
    # So does a global array the function writes into (`BUF[:] = x`): its tangent
    # starts at zero, like its value's dependence on the inputs.
    pass_.written_globals = {s.targets[0].value.id for s in statements(body)
                             if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript)
                             and not ctx.is_local(s.targets[0].value.id)}
    entry = [pass_.set_tangent(p, pass_.zeros(nodes.name(p)), fn.lineno)
             for p in params + sorted(pass_.written_globals) if p not in wrt and pass_.active(p)]
    # A parameter written in place writes its tangent in place too: into a copy, never
    # into the caller's tangent (the value itself changes as the function changes it).
    entry += [pass_.set_tangent(p, nodes.name(ctx.names.tangent(p)), fn.lineno, owned=True)
              for p in params if p in wrt and p in ctx.facts.mutated and pass_.active(p)]
    stmts = entry + pass_.block(body)
    returned = ret.value
    return stmts, returned, pass_.tangent_expr(returned)
