"""A-normal form: one operation per statement, every operand an atom.

Assumes: desugared. Guarantees (checked by `check_anf`): every statement is

    name = <atom>                          a copy or a constant
    name = <atom> <op> <atom>              BinOp
    name = <op> <atom>                     UnaryOp
    name = <atom> <cmp> <atom>             Compare (a chain is split)
    name = <callee>(<args>)                Call; callee is a dotted global name or
                                           `<local>.<method>`; args are atoms or list/tuple
                                           literals of them, keyword values likewise
    name = <local>.<attr>                  Attribute of a local value
    name = <local>[<index>]                Subscript; index built from atoms and slices
    name = (<atom>, ...) / [<atom>, ...]   a literal
    name = <boolean expression>            BoolOp / f-string, kept whole (never differentiated)
    expression statement, assert
    return <atom>                          last

where an atom is a Name, a Constant, or a dotted reference to a global
(`np.pi`). The assigned name never appears among its own operands, so a rule
can tell the result from the inputs. Every statement keeps the original line
number and column.

    h = np.tanh(x @ w)     ->   _t1 = x @ w
                                h = np.tanh(_t1)
    x = x * x              ->   _t2 = x * x
                                x = _t2
"""
from __future__ import annotations

import gast

from .. import nodes
from ..errors import SourceInfo, unsupported
from ..naming import Names

_KEPT_WHOLE = (gast.BoolOp, gast.JoinedStr)


def anf(fn, names: Names, source: SourceInfo, is_local, is_module_path=None, hidden_reads=None):
    """`fn` (a tree `normalize` made and owns: changed in place) in A-normal form."""
    fn.body = _Anf(names, source, is_local, is_module_path, hidden_reads).body(fn.body)
    return fn


class _Anf:
    def __init__(self, names: Names, source: SourceInfo, is_local, is_module_path=None, hidden_reads=None):
        # A dotted global read is an atom only through modules (`np.pi`): an attribute
        # of another object (a property, perhaps) is read once, into a temporary.
        self.is_module_path = is_module_path or (lambda path: True)
        self.names = names
        self.source = source
        self.is_local = is_local
        self.hidden_reads = hidden_reads or {}  # nested helper -> the outer locals it reads
        self.out: list = []
        self.where = None

    def body(self, body) -> list:
        saved, self.out = self.out, []
        for stmt in body:
            self.where = stmt
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
                target = stmt.targets[0]
                index = self.index(target.slice)
                value = self.atom(stmt.value)
                self.emit(gast.Assign(targets=[gast.Subscript(value=nodes.name(target.value.id),
                                                              slice=index, ctx=gast.Store())],
                                      value=value, type_comment=None))
            elif isinstance(stmt, gast.Assign):
                self.assign(stmt.targets[0].id, stmt.value)
            elif isinstance(stmt, gast.Return):
                value = self.atom(stmt.value)
                self.emit(gast.Return(value=value))
            elif isinstance(stmt, gast.If):
                test = self.atom(stmt.test)
                self.where = stmt
                self.emit(gast.If(test=test, body=self.block(stmt.body, stmt),
                                  orelse=self.block(stmt.orelse, stmt, empty_ok=True)))
            elif isinstance(stmt, gast.For):
                args = [self.atom(a) for a in stmt.iter.args]
                self.where = stmt
                loop = nodes.quote_stmt("for i in range():\n    pass", i=stmt.target.id)
                loop.iter.args = args
                loop.body = self.block(stmt.body, stmt)
                self.emit(loop)
            elif isinstance(stmt, gast.While):
                self.emit_while(stmt)
            elif _is_append(stmt, self.is_local):
                item = self.atom(stmt.value.args[0])
                call = nodes.clone(stmt.value)
                call.args = [item]
                self.emit(gast.Expr(value=call))
            else:  # expression statements, assert, break: as written
                self.out.append(stmt)
        result, self.out = self.out, saved
        return result

    def block(self, body, owner, empty_ok: bool = False) -> list:
        """A nested block, normalized; `pass` when it would be empty (but an else)."""
        out = [s for s in self.body(body) if not isinstance(s, gast.Pass)]
        self.where = owner
        return out or ([] if empty_ok else [gast.Pass()])

    def emit_while(self, stmt) -> None:
        """`while <test>:` with the test's operations before the loop and at the body's end."""
        saved, self.out = self.out, []
        test = self.atom(stmt.test)
        test_stmts, self.out = self.out, saved
        self.out.extend(test_stmts)
        self.where = stmt
        body = self.block(stmt.body, stmt)
        if body == [] or (len(body) == 1 and isinstance(body[0], gast.Pass)):
            body = []
        body = body + [nodes.clone(s) for s in test_stmts]
        loop = gast.While(test=test, body=body or [gast.Pass()], orelse=[])
        self.emit(loop)

    def emit(self, stmt) -> None:
        gast.copy_location(stmt, self.where)
        nodes.stamp(stmt, self.where.lineno, self.where.col_offset)
        self.out.append(stmt)

    def assign(self, target: str, value) -> None:
        value = self.operation(value)
        if target in self.reads(value) and not nodes.is_atom(value):
            temp = self.names.fresh("t")
            self.emit(nodes.assign(temp, value))
            value = nodes.name(temp)
        self.emit(nodes.assign(target, value))

    def reads(self, value) -> set[str]:
        """The names an operation reads, a nested helper's outer variables included."""
        names = nodes.loaded_names(value)
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Name):
            names |= set(self.hidden_reads.get(value.func.id, ()))
        return names

    def atom(self, expr):
        """Reduce `expr` to an atom, emitting statements for its operations."""
        if nodes.is_atom(expr) or self.is_constant_ref(expr):
            return expr
        value = self.operation(expr)
        temp = self.names.fresh("t")
        self.emit(nodes.assign(temp, value))
        return nodes.name(temp)

    def is_constant_ref(self, expr) -> bool:
        """A global read through modules only: the same value whenever it is read."""
        if not self.is_global_ref(expr):
            return False
        path = nodes.dotted(expr)
        return "." not in path or self.is_module_path(path.rsplit(".", 1)[0])

    def is_global_entry(self, expr) -> bool:
        """`fs[1]`, `self.layers[0]`: a constant entry of a global (or closure) value, a
        callee the compiler can know (analysis/statics.py), kept whole."""
        return isinstance(expr, gast.Subscript) and isinstance(expr.slice, gast.Constant) \
            and type(expr.slice.value) is int and (self.is_global_ref(expr.value)
                                                    or self.is_global_entry(expr.value))

    def is_global_ref(self, expr) -> bool:
        path = nodes.dotted(expr)
        return path is not None and not self.is_local(path.split(".")[0])

    def operation(self, expr):
        """`expr` with each operand reduced to an atom: one operation."""
        if nodes.is_atom(expr) or self.is_constant_ref(expr) or isinstance(expr, _KEPT_WHOLE):
            return expr
        if isinstance(expr, gast.BinOp):
            return gast.BinOp(left=self.atom(expr.left), op=expr.op, right=self.atom(expr.right))
        if isinstance(expr, gast.UnaryOp):
            if isinstance(expr.op, gast.USub) and isinstance(expr.operand, gast.Constant):
                return nodes.const(-expr.operand.value)
            return gast.UnaryOp(op=expr.op, operand=self.atom(expr.operand))
        if isinstance(expr, gast.Compare):
            return self.compare(expr)
        if isinstance(expr, gast.Call):
            return self.call(expr)
        if isinstance(expr, gast.Attribute):
            return gast.Attribute(value=self.atom(expr.value), attr=expr.attr, ctx=gast.Load())
        if isinstance(expr, gast.Subscript):
            return gast.Subscript(value=self.atom(expr.value), slice=self.index(expr.slice),
                                  ctx=gast.Load())
        if isinstance(expr, (gast.Tuple, gast.List)):
            return self.literal(expr)
        if isinstance(expr, gast.Dict):
            return gast.Dict(keys=[self.atom(k) for k in expr.keys],
                             values=[self.argument(v) for v in expr.values])
        if isinstance(expr, gast.IfExp):
            return self.conditional(expr)
        raise unsupported(self.source, expr, f"the expression `{type(expr).__name__}`")

    def conditional(self, expr):
        """`a if c else b` becomes an `if` statement; only the taken side is evaluated."""
        test = self.atom(expr.test)
        temp = self.names.fresh("t")
        where = self.where
        branches = []
        for side in (expr.body, expr.orelse):
            saved, self.out = self.out, []
            self.where = where
            value = self.operation(side)
            self.emit(nodes.assign(temp, value))
            branches.append(self.out)
            self.out = saved
        self.where = where
        self.emit(gast.If(test=test, body=branches[0], orelse=branches[1]))
        return nodes.name(temp)

    def compare(self, expr):
        if len(expr.ops) == 1:
            return gast.Compare(left=self.atom(expr.left), ops=expr.ops,
                                comparators=[self.atom(expr.comparators[0])])
        # a < b < c  ->  a < b and b < c (b evaluated once; kept whole after that)
        operands = [self.atom(expr.left)] + [self.atom(c) for c in expr.comparators]
        parts = [gast.Compare(left=operands[i], ops=[op], comparators=[operands[i + 1]])
                 for i, op in enumerate(expr.ops)]
        return gast.BoolOp(op=gast.And(), values=parts)

    def call(self, expr):
        func = expr.func
        if isinstance(func, gast.Attribute) and not self.is_global_ref(func):
            func = gast.Attribute(value=self.atom(func.value), attr=func.attr, ctx=gast.Load())
        elif not (isinstance(func, gast.Name) or self.is_global_ref(func) or self.is_global_entry(func)):
            raise unsupported(self.source, expr, "calling the result of an expression",
                              "srcgrad differentiates the function a call runs, so it must know it when "
                              "compiling: call it by its name, or index a global tuple or list of "
                              "functions (or an attribute holding one) with a constant: fs[1](x)")
        args = [self.argument(a) for a in expr.args]
        keywords = [gast.keyword(arg=k.arg, value=self.argument(k.value)) for k in expr.keywords]
        return gast.Call(func=func, args=args, keywords=keywords)

    def argument(self, expr):
        """Call arguments keep list/tuple literals, with atoms inside."""
        if isinstance(expr, (gast.Tuple, gast.List)):
            return self.literal(expr)
        return self.atom(expr)

    def literal(self, expr):
        elts = [self.argument(e) for e in expr.elts]
        return type(expr)(elts=elts, ctx=gast.Load())

    def index(self, expr):
        if isinstance(expr, gast.Slice):
            parts = {k: (None if getattr(expr, k) is None else self.atom(getattr(expr, k)))
                     for k in ("lower", "upper", "step")}
            return gast.Slice(**parts)
        if isinstance(expr, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in expr.elts], ctx=gast.Load())
        return self.atom(expr)


def _is_append(stmt, is_local) -> bool:
    """`lst.append(item)` on a local list: a statement the sweeps replay and undo."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    return (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and call.func.attr == "append" and isinstance(call.func.value, gast.Name)
            and is_local(call.func.value.id) and len(call.args) == 1 and not call.keywords)


def is_append(stmt) -> bool:
    """After ANF: `lst.append(atom)` (the receiver a name)."""
    call = stmt.value if isinstance(stmt, gast.Expr) else None
    return (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and call.func.attr == "append" and isinstance(call.func.value, gast.Name)
            and len(call.args) == 1 and not call.keywords)


def check_anf(fn) -> None:
    """Assert `fn` is in the form the module docstring lists (for tests)."""
    def is_arg(e):
        if isinstance(e, (gast.Tuple, gast.List)):
            return all(is_arg(x) for x in e.elts)
        return nodes.is_atom(e) or nodes.dotted(e) is not None

    for stmt in fn.body:
        if isinstance(stmt, gast.Return):
            assert stmt is fn.body[-1] and is_arg(stmt.value), "return must be last, of an atom"
            continue
        if not isinstance(stmt, gast.Assign):
            continue
        (target,) = stmt.targets
        if isinstance(target, gast.Subscript):
            assert isinstance(target.value, gast.Name) and is_arg(stmt.value), "x[i] = atom"
            continue
        assert isinstance(target, gast.Name), "one name per assignment"
        value = stmt.value
        if isinstance(value, gast.BinOp):
            assert is_arg(value.left) and is_arg(value.right), "binary operands must be atoms"
        elif isinstance(value, gast.UnaryOp):
            assert is_arg(value.operand)
        elif isinstance(value, gast.Call):
            assert all(is_arg(a) for a in value.args), "call arguments must be atoms"
            assert all(is_arg(k.value) for k in value.keywords)
        if not nodes.is_atom(value) and not isinstance(value, _KEPT_WHOLE):
            operand_names = nodes.loaded_names(value)
            assert target.id not in operand_names, f"{target.id} is its own operand"
