"""Stacks of numbers as preallocated arrays, where a loop's trip count is known before it.

Run by `lowering.lower`, last, on the stacks its split left: one list per
taped value, `_stack_theta = []`, pushed in the forward sweep
(`_stack_theta.append(theta)`) and popped in the backward sweep
(`theta = _stack_theta.pop()`). A numba list grows by calls into numba's
runtime; an array written through an index does not. A stack becomes

    _stack_theta = numpy.empty(STEPS)          (just before the forward loop)
    _top_theta = 0
        _stack_theta[_top_theta] = theta       (each push)
        _top_theta += 1
        ...
        _top_theta -= 1                        (each pop)
        theta = _stack_theta[_top_theta]

which is the same stack, last in first out, in an array of fixed length:
each pop reads what the matching push wrote, as the list's pop did. It is
rewritten only where that length is known before the first push and every
value fits the array's element type unchanged:

- every push is inside one top-level `for` over `range(...)`, with no
  `break`, `continue` or `return` in it, and every pop after that loop;
- each iteration pushes a fixed number of values: pushes at the loop's top
  level, inside a branch whose arms push equally often, or inside a nested
  `for` over a `range` whose bounds the outer loop does not change (and are
  ints by construction, bound before it: they are evaluated before the outer
  loop). A branch that pushes on one arm only, a `while`, an inner loop over
  the outer's index keep the list;
- the length is the loop's trip count, `len(range(...))` of its own bounds,
  evaluated right before it, times that number;
- the array holds what numba's list held, by a small type inference
  (numberkinds.py): float64 where the values are numbers and numba types
  what is pushed as float64 (every assignment in the loop is a float, or the
  loop carries a float back to its head: an int from before the loop,
  `s = a`, is unified with it there), int64 where every assignment is an
  int, bool where every one is a truth value. A stack of arrays, of shapes, of entries
  of an array argument (whose dtype the generated code cannot know), or of a
  value that may be None (a temporary pushed before its first assignment)
  stays a list.
"""
from __future__ import annotations

import builtins

import gast

from .. import nodes
from . import numerics
from .numberkinds import Kinds

_DTYPES = {"float": None, "int": "int64", "bool": "bool_"}
_EXITS = (gast.Break, gast.Continue, gast.Return)


def preallocate(fn, params_kinds: dict, ctx, lookup) -> None:
    """Rewrite each stack of `fn` (its `_stack_v = []` at the top level) that qualifies
    (see the module docstring) as an array and a cursor; `lookup(name)` is the object a
    global name of the generated code is (None if unknown)."""
    stacks = [s for s in fn.body if _is_new_list(s) and s.targets[0].id.startswith("_stack")]
    if not stacks:
        return
    kinds = Kinds(fn, params_kinds, lookup)
    plans = [p for p in (_plan(fn, made, kinds, lookup) for made in stacks) if p is not None]
    numpy_name = ctx.rename_global("numpy")
    for loop in dict.fromkeys(p[1] for p in plans):  # in the order of the stacks, one loop at a time
        mine = [p for p in plans if p[1] is loop]
        trips = _trips(loop, lookup, kinds)
        made = []
        if len(mine) > 1 and not isinstance(trips, (gast.Name, gast.Constant)):  # counted once
            name = ctx.names.claim("_trips")
            made.append(nodes.assign(name, trips))
            trips = nodes.name(name)
        for stack_made, _, count, kind in mine:
            stack = stack_made.targets[0].id
            top = ctx.names.claim(stack.replace("_stack", "_top", 1))
            dtype = _DTYPES[kind]
            empty = nodes.quote_expr(f"{numpy_name}.empty(n)" if dtype is None
                                     else f"{numpy_name}.empty(n, {numpy_name}.{dtype})",
                                     n=_size(nodes.clone(trips), count, ctx, lookup))
            made += [nodes.assign(stack, empty), nodes.assign(top, nodes.const(0))]
            fn.body.remove(stack_made)
            _replace(fn.body, stack, top)
        at = next(i for i, s in enumerate(fn.body) if s is loop)
        fn.body[at:at] = made


def _plan(fn, made, kinds, lookup):
    """(the `_stack_v = []` statement, the loop that pushes, the count per iteration,
    the element kind) for a stack that qualifies, else None."""
    stack = made.targets[0].id
    users = [i for i, s in enumerate(fn.body) if s is not made and _mentions(s, stack)]
    if not users or not isinstance(fn.body[users[0]], gast.For) or fn.body.index(made) > users[0]:
        return None
    at = users[0]
    loop = fn.body[at]
    if not _plain_loop(loop) or _trips(loop, lookup, kinds) is None:
        return None
    uses = [s for i in users for s in nodes.walk_statements([fn.body[i]]) if _own_mention(s, stack)]
    pushes = [s for s in uses if any(s is t for t in nodes.walk_statements([loop]))]
    pops = [s for s in uses if not any(s is t for t in pushes)]
    keys = {_pushed(s, stack) for s in pushes}
    if None in keys or len(keys) != 1 or any(_popped(s, stack) is None for s in pops) \
            or len(pops) != len(pushes):
        return None
    count = _per_iteration(loop.body, stack, _stored(loop), fn.body[:at], fn, lookup)
    kind = kinds.pushed_kind(next(iter(keys)), loop, pushes[0])
    if count is None or kind is None:
        return None
    return made, loop, count, kind


def _own_mention(stmt, name: str) -> bool:
    """Whether `stmt` names `name` itself (for a block: in its test, target or iterable)."""
    if isinstance(stmt, (gast.If, gast.While)):
        return _mentions(stmt.test, name)
    if isinstance(stmt, gast.For):
        return _mentions(stmt.target, name) or _mentions(stmt.iter, name)
    return _mentions(stmt, name)


def _is_new_list(stmt) -> bool:
    return isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
        and isinstance(stmt.value, gast.List) and not stmt.value.elts


def _method_of(node, stack: str, method: str) -> bool:
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and node.func.attr == method \
        and isinstance(node.func.value, gast.Name) and node.func.value.id == stack


def _pushed(stmt, stack: str):
    """v of `stack.append(v)` (a name), else None."""
    if isinstance(stmt, gast.Expr) and _method_of(stmt.value, stack, "append") and len(stmt.value.args) == 1 \
            and not stmt.value.keywords and isinstance(stmt.value.args[0], gast.Name):
        return stmt.value.args[0].id
    return None


def _popped(stmt, stack: str):
    """v of `v = stack.pop()`, else None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name) \
            and _method_of(stmt.value, stack, "pop") and not stmt.value.args:
        return stmt.targets[0].id
    return None


def _mentions(node, name: str) -> bool:
    return any(isinstance(n, gast.Name) and n.id == name for n in gast.walk(node))


def _plain_loop(loop) -> bool:
    """A `for` without `else` and without an exit from it or from a loop inside it."""
    return not loop.orelse and not any(isinstance(n, _EXITS) for n in gast.walk(loop))


def _range_args(loop, lookup):
    """The bounds of `for t in range(...)`, else None."""
    it = loop.iter
    if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and lookup(it.func.id) is builtins.range \
            and 1 <= len(it.args) <= 3 and not it.keywords and isinstance(loop.target, gast.Name):
        return it.args
    return None


def _trips(loop, lookup, kinds):
    """The top-level loop's trip count as an expression over its own bounds, which the
    array is made with right before it (so they read the same values): pure reads only."""
    args = _range_args(loop, lookup)
    if args is None or not all(_pure(a, lookup) for a in args):
        return None
    if len(args) == 1 and _nonnegative_int(args[0], lookup, kinds):
        return nodes.clone(args[0])
    return gast.Call(func=nodes.name("len"), args=[nodes.clone(loop.iter)], keywords=[])


def _nonnegative_int(expr, lookup, kinds) -> bool:
    if isinstance(expr, gast.Constant):
        return type(expr.value) is int and expr.value >= 0
    if isinstance(expr, gast.Name):
        if expr.id in kinds.defs:  # `_t1 = len(xs)`, and nothing else
            return all(isinstance(v, gast.Call) and isinstance(v.func, gast.Name)
                       and kinds.callee(v.func) is builtins.len for _, v in kinds.defs[expr.id])
        value = lookup(expr.id)
        return type(value) is int and value >= 0  # a global the module carries as a constant
    return False


def _pure(expr, lookup) -> bool:
    """Reads only: names, constants, arithmetic, `len(x)` and `checked_index(n)`."""
    if isinstance(expr, (gast.Name, gast.Constant)):
        return True
    if isinstance(expr, gast.BinOp):
        return _pure(expr.left, lookup) and _pure(expr.right, lookup)
    if isinstance(expr, gast.UnaryOp):
        return _pure(expr.operand, lookup)
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and len(expr.args) == 1 \
            and not expr.keywords and lookup(expr.func.id) in (builtins.len, numerics.checked_index):
        return _pure(expr.args[0], lookup)
    return False


def _stored(node) -> set:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}


def _per_iteration(stmts, stack: str, changed: set, before: list, fn, lookup):
    """How many values one run of `stmts` pushes on `stack`, as {factors: coefficient},
    where factors is a tuple of the inner loops' `range(...)` calls (a product of their
    trip counts), or None where that is not fixed."""
    total: dict = {}
    for stmt in stmts:
        if not _mentions(stmt, stack):
            continue
        if _pushed(stmt, stack) is not None:
            part = {(): 1}
        elif isinstance(stmt, gast.If):
            part = _per_iteration(stmt.body, stack, changed, before, fn, lookup)
            orelse = _per_iteration(stmt.orelse, stack, changed, before, fn, lookup)
            if part is None or orelse is None or _texts(part) != _texts(orelse):
                return None
        elif isinstance(stmt, gast.For):
            inner = _range_args(stmt, lookup)
            if inner is not None and len(inner) == 1 and _checked_name(inner[0], lookup) is not None:
                inner = [_checked_name(inner[0], lookup)]
            if inner is None or stmt.orelse or not all(_invariant(a, changed, before, fn, lookup) for a in inner):
                return None
            each = _per_iteration(stmt.body, stack, changed, before, fn, lookup)
            if each is None:
                return None
            part = {(stmt.iter,) + factors: n for factors, n in each.items()}
        else:
            return None
        for factors, n in part.items():
            same = next((f for f in total if _text(f) == _text(factors)), factors)
            total[same] = total.get(same, 0) + n
    return total


def _text(factors: tuple) -> tuple:
    return tuple(sorted(gast.dump(f) for f in factors))


def _texts(count: dict) -> dict:
    """A count without its nodes, to compare two of them."""
    return {_text(factors): n for factors, n in count.items()}


def _invariant(expr, changed: set, before: list, fn, lookup) -> bool:
    """An inner loop's bound, evaluated before the outer loop instead: an int by
    construction (the numerics check wraps one that may not be in `checked_index`,
    which `_size` drops: see numerics.range_length), from names the outer loop does
    not assign and that are bound before it."""
    if isinstance(expr, gast.Constant):
        return type(expr.value) is int
    if isinstance(expr, gast.Name):
        if expr.id in changed:
            return False
        if expr.id in {a.id for a in fn.args.args}:
            return True
        if expr.id in _stored(fn):  # a local: assigned at the top level before the loop
            return any(isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], gast.Name)
                       and s.targets[0].id == expr.id for s in before)
        return type(lookup(expr.id)) is int
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Add, gast.Sub, gast.Mult)):
        return _invariant(expr.left, changed, before, fn, lookup) \
            and _invariant(expr.right, changed, before, fn, lookup)
    return False


def _checked_name(expr, lookup):
    """n of `checked_index(n)`, a name; else None."""
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and lookup(expr.func.id) \
            is numerics.checked_index and len(expr.args) == 1 and isinstance(expr.args[0], gast.Name):
        return expr.args[0]
    return None


def _size(trips, count: dict, ctx, lookup):
    """trips * (the sum of count's terms)."""
    terms = []
    for factors, n in count.items():
        term = None
        for it in factors:
            checked = _checked_name(it.args[0], lookup) if len(it.args) == 1 else None
            if checked is not None:
                trip = gast.Call(func=nodes.name(ctx.helper(numerics.range_length, "range_length")),
                                 args=[nodes.clone(checked)], keywords=[])
            else:
                trip = gast.Call(func=nodes.name("len"), args=[nodes.clone(it)], keywords=[])
            term = trip if term is None else gast.BinOp(left=term, op=gast.Mult(), right=trip)
        if term is None:
            term = nodes.const(n)
        elif n != 1:
            term = gast.BinOp(left=term, op=gast.Mult(), right=nodes.const(n))
        terms.append(term)
    total = terms[0]
    for term in terms[1:]:
        total = gast.BinOp(left=total, op=gast.Add(), right=term)
    if isinstance(total, gast.Constant) and total.value == 1:
        return trips
    return gast.BinOp(left=trips, op=gast.Mult(), right=total)


def _replace(body: list, stack: str, top: str) -> None:
    """Each push and pop of `stack` in `body` (and the blocks inside it) through `top`."""
    out = []
    for stmt in body:
        pushed, popped = _pushed(stmt, stack), _popped(stmt, stack)
        if pushed is not None:
            write = nodes.parse_stmts(f"{stack}[{top}] = {pushed}\n{top} += 1")
            out += [_located(s, stmt) for s in write]
            continue
        if popped is not None:
            read = nodes.parse_stmts(f"{top} -= 1\n{popped} = {stack}[{top}]")
            out += [_located(s, stmt) for s in read]
            continue
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and not isinstance(stmt, gast.Assign):
                _replace(inner, stack, top)
        out.append(stmt)
    body[:] = out


def _located(new, old):
    if hasattr(old, "lineno"):
        new.lineno = old.lineno
    return new
