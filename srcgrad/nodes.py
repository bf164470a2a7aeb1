"""Building and copying gast nodes.

Passes build new nodes here, from quoted source text where they can, so that
a gast release that adds a field to a node touches this module only. Passes
may *match* on gast classes (`isinstance(node, gast.Name)`); they do not
construct them.
"""
from __future__ import annotations

import ast
import functools
import threading

import gast
from gast import ast3 as gast_ast3


def parse(text: str):
    """`gast.parse(text)`, the same tree, made faster: each `ast` node is converted by a
    function made once for its class (a function's first build converts every node of
    its source), gast's own conversion methods used where it has them."""
    tree = parse_ast(text)
    return (_CONVERT.get(tree.__class__) or _converter(tree.__class__))(tree)


# CPython 3.11 and 3.12 count the depth of the Python objects `ast.parse` builds in
# state all threads share: two parses at once can fail with "SystemError: AST
# constructor recursion depth mismatch". srcgrad's own parses take turns.
_PARSE_LOCK = threading.Lock()


def parse_ast(text: str, mode: str = "exec"):
    """`ast.parse(text, mode=mode)`, one thread at a time (see `_PARSE_LOCK`)."""
    with _PARSE_LOCK:
        return ast.parse(text, mode=mode)


# ast node class -> the function converting one of its nodes to gast (`_converter`)
_CONVERT: dict = {}


def _converter(cls):
    """The function converting an `ast` node of class `cls` to the gast node gast's
    `Ast3ToGAst` makes of it: gast's own method for the classes it has one for (`Name`,
    `arg`, `FunctionDef`...), else the node of gast's class of that name with the same
    fields (children converted) and positions, made without gast's constructor."""
    method = getattr(_ToGast, "visit_" + cls.__name__, None)
    if method is not None and method is not getattr(ast.NodeVisitor, "visit_Constant", None):
        # (NodeVisitor's visit_Constant looks for the visit_Num-style methods gast
        # defines only for Python < 3.8, then copies generically)
        convert = method.__get__(_TO_GAST)
    else:
        made = getattr(gast, cls.__name__, None)
        if made is None:  # a node gast does not have
            def convert(node):
                return None
        elif not cls._fields and not cls._attributes:  # a context, an operator: nothing to copy
            convert = functools.partial(made.__new__, made)
        else:
            convert = _copier(made, cls._fields)
    _CONVERT[cls] = convert
    return convert


def _copier(made, fields: tuple):
    """The generic conversion to gast class `made` of a node with `fields`: its
    `__dict__` (fields, then positions) copied, the children converted in it."""
    AST, new, converters = ast.AST, made.__new__, _CONVERT

    def convert(node):
        converted = new(made)
        into = converted.__dict__
        into.update(node.__dict__)
        for field in fields:
            value = into.get(field)
            if value.__class__ is list:
                into[field] = [(converters.get(v.__class__) or _converter(v.__class__))(v)
                               if isinstance(v, AST) else _TO_GAST._visit(v) for v in value]
            elif isinstance(value, AST):
                into[field] = (converters.get(value.__class__) or _converter(value.__class__))(value)
        return converted

    return convert


class _ToGast(gast_ast3.Ast3ToGAst):
    """gast's `Ast3ToGAst`, for its own conversion methods (`visit_arg`,
    `visit_FunctionDef`... for this Python version): their children are converted by
    `_converter`'s functions."""

    def visit(self, node):
        return (_CONVERT.get(node.__class__) or _converter(node.__class__))(node)

    def _visit(self, node):
        if isinstance(node, ast.AST):
            return self.visit(node)
        if node.__class__ is list:
            return [self._visit(n) for n in node]
        return node

    def visit_Name(self, node):
        # gast's own, without its constructor and `ast.copy_location` calls: a parse meets
        # a Name in every other node
        new_node = gast.Name.__new__(gast.Name)
        into = new_node.__dict__
        src = node.__dict__
        ctx = src["ctx"]
        into.update(id=src["id"], ctx=(_CONVERT.get(ctx.__class__) or _converter(ctx.__class__))(ctx),
                    annotation=None, type_comment=None)
        for attr in _POSITIONS:  # (copy_location: an end position is copied even when None)
            value = src.get(attr)
            if value is not None or attr[0] == "e" and hasattr(node, attr):
                into[attr] = value
        return new_node


_TO_GAST = _ToGast()

_POSITIONS = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def parse_stmts(text: str) -> list:
    """Parse `text` (one or more statements) into a list of gast statements.

    Positions are cleared, so that `stamp` can give the nodes the user's line.
    The same few texts are quoted again and again: each is parsed once and
    then copied.
    """
    return clone(_parsed(text))


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> list:
    body = parse(text).body
    for stmt in body:
        for node in walk(stmt):
            for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
                if hasattr(node, attr):
                    setattr(node, attr, None)
    return body


def quote_stmt(text: str, **subs):
    """One statement from source text, with names replaced by nodes or names.

        quote_stmt("z = x * y", z="h", x=left_node, y="w")
    """
    (stmt,) = parse_stmts(text)
    return substitute(stmt, subs)


def quote_expr(text: str, **subs):
    """One expression from source text, with names replaced by nodes or names."""
    return substitute(parse_stmts(text)[0].value, subs)


def substitute(node, subs: dict):
    """Replace `Name` nodes whose id is a key of `subs` (in place; returns the root).

    A string value renames; a node value is copied in (its context adjusted).
    A replacement is not searched again.
    """
    if not subs:
        return node
    if node.__class__ is gast.Name:
        return _substituted(node, subs)
    stack = [node]
    pop, push, AST, Name = stack.pop, stack.append, gast.AST, gast.Name
    while stack:
        n = pop()
        for field in n._fields:
            value = getattr(n, field, None)
            if value.__class__ is list:
                for i, item in enumerate(value):
                    if item.__class__ is Name:
                        value[i] = _substituted(item, subs)
                    elif isinstance(item, AST):
                        push(item)
            elif value.__class__ is Name:
                setattr(n, field, _substituted(value, subs))
            elif isinstance(value, AST):
                push(value)
    return node


def _substituted(n, subs: dict):
    if n.id not in subs:
        return n
    new = subs[n.id]
    if isinstance(new, str):
        n.id = new
        return n
    new = clone(new)
    _set_ctx(new, n.ctx)
    return new


def _set_ctx(node, ctx):
    if isinstance(node, (gast.Name, gast.Tuple, gast.List, gast.Subscript, gast.Attribute)):
        node.ctx = _SHARED_CONTEXTS.get(type(ctx)) or type(ctx)()
        if isinstance(node, (gast.Tuple, gast.List)):
            for e in node.elts:
                _set_ctx(e, ctx)


# One instance of each context for the nodes made here, as Python's own parser shares
# them: a context has no fields, and nothing changes one in place (`clone` shares them).
_LOAD, _STORE, _DEL = gast.Load(), gast.Store(), gast.Del()
_SHARED_CONTEXTS = {gast.Load: _LOAD, gast.Store: _STORE, gast.Del: _DEL}


def _made(cls, **fields):
    """A node of class `cls` with `fields`: what gast's keyword constructor makes, faster."""
    node = cls.__new__(cls)
    node.__dict__.update(fields)
    return node


def name(ident: str, store: bool = False):
    """A `Name` node loading (or storing) `ident`."""
    node = _new_name(gast.Name)  # (gast's keyword constructor does the same, slower)
    into = node.__dict__  # (item by item: faster than an update from keywords)
    into["id"] = ident
    into["ctx"] = _STORE if store else _LOAD
    into["annotation"] = None
    into["type_comment"] = None
    return node


_new_name = gast.Name.__new__


def const(value):
    """A `Constant` node."""
    return gast.Constant(value=value, kind=None)


def assign(target: str, value, lineno: int | None = None):
    """`target = value`, optionally stamped with the original line number."""
    stmt = _made(gast.Assign, targets=[name(target, store=True)], value=value, type_comment=None)
    if lineno is not None:
        stamp(stmt, lineno)
    return stmt


def tuple_of(elts, store: bool = False):
    """A `Tuple` node of the given element nodes."""
    return gast.Tuple(elts=list(elts), ctx=gast.Store() if store else gast.Load())


def delete(idents) -> object:
    """`del a, b`."""
    return _made(gast.Delete, targets=[_made(gast.Name, id=i, ctx=_DEL, annotation=None, type_comment=None)
                                       for i in idents])


def expr_stmt(value, lineno: int | None = None):
    """An expression statement."""
    stmt = gast.Expr(value=value)
    if lineno is not None:
        stamp(stmt, lineno)
    return stmt


def ret(value):
    """`return value`."""
    return gast.Return(value=value)


def binop(left, op: str, right):
    """`left <op> right` for op in + - * / ** @ (by symbol)."""
    return quote_expr(f"_l {op} _r", _l=left, _r=right)


class Comment(gast.stmt):
    """A line comment of generated code, `# text`, as a statement of its own kind.

    It holds no expression, so a pass that looks for names, calls or
    assignments finds none in it and needs no case for it; only the passes
    that drop or move statements decide what happens to the comment heading
    them (`dce` drops a comment left heading nothing, `codegen` prints it).
    """
    _fields = ("text",)


def comment(text: str) -> Comment:
    """The line comment `# text`."""
    return Comment(text=text)


def is_comment(stmt) -> bool:
    return stmt.__class__ is Comment


def function(fn_name: str, params, body, defaults=()):
    """A `def` with positional parameters `params` (names)."""
    args = gast.arguments(args=[gast.Name(id=p, ctx=gast.Param(), annotation=None, type_comment=None)
                                for p in params],
                          posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=list(defaults))
    return gast.FunctionDef(name=fn_name, args=args, body=list(body), decorator_list=[],
                            returns=None, type_comment=None, type_params=[])


def module(body):
    return gast.Module(body=list(body), type_ignores=[])


def stamp(node, lineno: int, col: int = 0):
    """Give `node` and its children without a position the original line."""
    positioned = _POSITIONED
    stack = [node]
    pop, push, fields_of, AST, Name, Constant = stack.pop, stack.append, _NAME_FIELDS.get, gast.AST, \
        gast.Name, gast.Constant
    while stack:  # (`walk`'s nodes, without a generator step per node: ANF stamps every statement)
        n = pop()
        cls = n.__class__
        has = positioned.get(cls)
        if has is None:
            has = positioned[cls] = "lineno" in getattr(cls, "_attributes", ())
        if has and getattr(n, "lineno", None) is None:
            n.lineno = lineno
            n.col_offset = col
        fields = fields_of(cls)  # (operators, in the fields left out, have no position)
        if fields is None:
            fields = _name_fields(cls)
        for field in fields:
            value = getattr(n, field, None)
            c = value.__class__
            if c is Constant or c is Name and value.annotation is None:
                # a leaf, stamped here rather than pushed (the commonest children)
                if getattr(value, "lineno", None) is None:
                    value.lineno = lineno
                    value.col_offset = col
            elif c is list:
                for item in value:
                    c = item.__class__
                    if c is Constant or c is Name and item.annotation is None:
                        if getattr(item, "lineno", None) is None:
                            item.lineno = lineno
                            item.col_offset = col
                    elif isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
    return node


_POSITIONED: dict = {}  # node class -> whether its nodes have a position (statements, expressions)


def loaded(node):
    """A copy of `node` read rather than assigned (every Name in it in Load context)."""
    if node.__class__ is gast.Name and node.annotation is None:
        # (the commonest case, a template's operand: `clone`'s copy made directly)
        src = node.__dict__
        made = _new_name(gast.Name)
        into = made.__dict__
        into["id"] = src.get("id")
        into["ctx"] = _LOAD
        into["annotation"] = None
        into["type_comment"] = src.get("type_comment")
        for attr in _NAME_POSITIONS:
            if attr in src:
                into[attr] = src[attr]
        return made
    node = clone(node)
    _set_ctx(node, _LOAD)
    return node


_NAME_POSITIONS = gast.Name._attributes


_CONTEXTS = frozenset({gast.Load, gast.Store, gast.Del, gast.Param})


def clone(node, replace=None):
    """A deep copy of `node` (a tree of gast nodes and lists): its fields and
    positions, nothing else. Faster than copy.deepcopy, which keeps a memo a
    tree does not need; the fields are read from and written to the nodes'
    `__dict__` directly, as this runs for thousands of nodes per build.

    With `replace`, a node for which `replace(node)` is not None is replaced
    by that result (not copied, not searched further).
    """
    cls = node.__class__
    if cls is list:
        return [clone(n, replace) for n in node]
    if cls in _CONTEXTS or not isinstance(node, gast.AST):
        return node  # contexts have no fields: shared, never changed in place
    if replace is not None:
        new = replace(node)
        if new is not None:
            return new
    new = cls.__new__(cls)
    into, src = new.__dict__, node.__dict__
    for field in cls._fields:
        value = src.get(field)
        if value.__class__ is list:
            value = [clone(v, replace) if isinstance(v, gast.AST) or v.__class__ is list else v
                     for v in value]
        elif isinstance(value, gast.AST):
            value = clone(value, replace)
        into[field] = value
    for attr in cls._attributes:
        if attr in src:
            into[attr] = src[attr]
    return new


def structure(node):
    """A hashable key of `node`'s fields (not its positions): two trees have equal
    keys exactly when their `gast.dump` texts are equal, and it costs a fraction of
    that text (the passes that find repeated expressions key them by it)."""
    cls = node.__class__
    if cls is list:
        return tuple([structure(n) for n in node])
    if isinstance(node, gast.AST):
        out = [cls]
        for name in cls._fields:
            value = getattr(node, name, _ABSENT)
            # what dump leaves out alike: a missing field, an empty list, a None default
            if value is _ABSENT or value.__class__ is list and not value \
                    or value is None and getattr(cls, name, 42) is None:
                out.append(_ABSENT)
            else:
                out.append(structure(value))
        return tuple(out)
    return node if isinstance(node, str) else (repr(node),)  # (dump shows a value's repr)


_ABSENT = object()


def note(stmt, **notes) -> None:
    """Facts a later stage finds a generated statement by (`origin`: the walk record
    whose adjoint made it; `sweep`: "backward"). `clone` drops them: a copy is new code."""
    stmt.__dict__.update(notes)


def noted(stmt, name: str):
    return stmt.__dict__.get(name)


def without_body(fn):
    """A copy of the function definition `fn` with an empty body (its signature,
    decorators and positions copied): the shell of a generated function."""
    body, fn.body = fn.body, []
    try:
        return clone(fn)
    finally:
        fn.body = body


def walk(node):
    """Every node below `node` (itself included), like `gast.walk` but in depth-first
    order and faster: the passes walk statements hundreds of times per build."""
    stack = [node]
    pop, push, fields_of, AST = stack.pop, stack.append, _CHILD_FIELDS.get, gast.AST
    while stack:
        n = pop()
        yield n
        fields = fields_of(n.__class__)
        if fields is None:
            fields = child_fields(n.__class__)
        for field in fields:  # (push_children, inlined: this runs for every node)
            value = getattr(n, field, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)


def of_class(node, classes) -> list:
    """The nodes below `node` (a node or a list of them, itself included) whose class
    is one of `classes` (a tuple of classes, matched exactly), in `walk`'s order:
    `[n for n in walk(node) if n.__class__ in classes]` without a generator step per
    node (the passes look for a few calls among thousands of nodes)."""
    out: list = []
    stack = list(reversed(node)) if node.__class__ is list else [node]
    pop, push, AST, Name, Constant = stack.pop, stack.append, gast.AST, gast.Name, gast.Constant
    # Leaves not asked for are not pushed: a constant has no children, nor has a name
    # without an annotation (the commonest nodes; the others keep their order), nor
    # operators (the fields holding them are left out unless an operator is asked for).
    skip_name, skip_constant = Name not in classes, Constant not in classes
    if _OPERATORS.isdisjoint(classes):
        fields_of, fields_of_new = _NAME_FIELDS.get, _name_fields
    else:
        fields_of, fields_of_new = _CHILD_FIELDS.get, child_fields
    while stack:
        n = pop()
        cls = n.__class__
        if cls in classes:
            out.append(n)
        fields = fields_of(cls)
        if fields is None:
            fields = fields_of_new(cls)
        for field in fields:  # (push_children, inlined)
            value = getattr(n, field, None)
            c = value.__class__
            if c is list:
                for item in value:
                    c = item.__class__
                    if c is Constant and skip_constant or c is Name and skip_name and item.annotation is None:
                        continue
                    if isinstance(item, AST):
                        push(item)
            elif c is Constant and skip_constant or c is Name and skip_name and value.annotation is None:
                continue
            elif isinstance(value, AST):
                push(value)
    return out


# Per node class, the fields that can hold child nodes worth visiting: not the
# load/store context, names and attributes (strings), nor a constant's value.
_NOT_CHILDREN = frozenset({"ctx", "type_comment", "id", "attr"})
_CHILD_FIELDS: dict = {gast.Constant: ()}


def child_fields(cls) -> tuple:
    """The fields of node class `cls` that can hold child nodes worth visiting."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _NOT_CHILDREN)
    return fields


_child_fields = child_fields

# The same without operator fields (`op`, `ops`): operators hold no names, and the
# walks that look for names only need not visit them.
_NAME_FIELDS: dict = {gast.Constant: ()}


def _name_fields(cls) -> tuple:
    fields = _NAME_FIELDS.get(cls)
    if fields is None:
        fields = _NAME_FIELDS[cls] = tuple(f for f in child_fields(cls) if f not in ("op", "ops"))
    return fields


def push_children(n, push) -> None:
    for field in _child_fields(n.__class__):
        value = getattr(n, field, None)
        if value.__class__ is list:
            for item in value:
                if isinstance(item, gast.AST):
                    push(item)
        elif isinstance(value, gast.AST):
            push(value)


class Transformer(gast.NodeTransformer):
    """`gast.NodeTransformer`, faster. The optimization passes rewrite every expression
    of a derivative several times per build, and about half the nodes they meet are
    leaves (names, constants, operators, contexts): a leaf the transformer has no
    `visit_<Class>` method for is not visited at all, as visiting it would only hand
    it back unchanged (a name with an annotation is visited as before). Methods are
    looked up once per node class, and names and constants' values are never visited."""

    _skipped: frozenset = frozenset()
    _dispatch: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._skipped = frozenset(leaf for leaf in _LEAVES if not _visits(cls, leaf))
        cls._dispatch = {}  # node class -> this class's method for it

    def visit(self, node):
        method = self._dispatch.get(node.__class__)
        if method is None:
            method = self._dispatch[node.__class__] = getattr(
                type(self), "visit_" + node.__class__.__name__, Transformer.generic_visit)
        return method(self, node)

    def generic_visit(self, node):
        AST, Name, skipped = gast.AST, gast.Name, self._skipped
        for field in _child_fields(node.__class__):
            old = getattr(node, field, None)
            if old.__class__ is list:
                new = None  # a new list only from the first item a visit replaces
                for k, item in enumerate(old):
                    if isinstance(item, AST):
                        cls = item.__class__
                        if cls in skipped and (cls is not Name or item.annotation is None):
                            if new is not None:
                                new.append(item)
                            continue
                        visited = self.visit(item)
                        if visited is item and new is None:
                            continue
                        if new is None:
                            new = old[:k]
                        if visited is None:
                            continue
                        if not isinstance(visited, AST):
                            new.extend(visited)
                            continue
                        item = visited
                    if new is not None:
                        new.append(item)
                if new is not None:
                    old[:] = new
            elif isinstance(old, AST):
                cls = old.__class__
                if cls in skipped and (cls is not Name or old.annotation is None):
                    continue
                replaced = self.visit(old)
                if replaced is None:
                    delattr(node, field)
                elif replaced is not old:
                    setattr(node, field, replaced)
        return node


def _leaf_classes() -> frozenset:
    """Node classes whose nodes have no children a Transformer visits (a `Name`: only
    its annotation, None in an expression)."""
    found = {gast.Name, gast.Constant}
    for base in (gast.operator, gast.unaryop, gast.cmpop, gast.boolop, gast.expr_context):
        stack = [base]
        while stack:
            cls = stack.pop()
            found.add(cls)
            stack.extend(cls.__subclasses__())
    return frozenset(found)


def _visits(kind, leaf) -> bool:
    """Whether transformer class `kind` has a method of its own for nodes of class `leaf`
    (`ast.NodeVisitor.visit_Constant` only hands a constant to `visit_Num`, `visit_Str`...
    where they exist, else to `generic_visit`)."""
    own = getattr(kind, "visit_" + leaf.__name__, None)
    if leaf is not gast.Constant:
        return own is not None
    return own is not getattr(ast.NodeVisitor, "visit_Constant", None) or any(
        hasattr(kind, "visit_" + old) for old in ("Num", "Str", "Bytes", "NameConstant", "Ellipsis"))

_LEAVES = _leaf_classes()
_OPERATORS = _LEAVES - {gast.Name, gast.Constant}  # (and the load/store contexts)


def name_nodes(node) -> list:
    """Every `Name` node below `node` (a node or a list of them), in no set order."""
    out: list = []
    add = out.append
    stack = list(node) if node.__class__ is list else [node]
    pop, push, Name, Constant, fields_of, AST = stack.pop, stack.append, gast.Name, gast.Constant, \
        _NAME_FIELDS.get, gast.AST
    while stack:
        n = pop()
        cls = n.__class__
        if cls is Name:
            add(n)
            if n.annotation is not None:
                push(n.annotation)
            continue
        fields = fields_of(cls)
        if fields is None:
            fields = _name_fields(cls)
        for field in fields:  # (push_children, inlined; a name without children taken at once)
            value = getattr(n, field, None)
            c = value.__class__
            if c is Name and value.annotation is None:
                add(value)
            elif c is list:
                for item in value:
                    c = item.__class__
                    if c is Name and item.annotation is None:
                        add(item)
                    elif c is not Constant and isinstance(item, AST):
                        push(item)
            elif c is not Constant and isinstance(value, AST):
                push(value)
    return out


def stored_names(node) -> list[str]:
    """The identifier of every `Name` stored below `node` (a node or a list of them),
    once per store, in no set order (`name_nodes` filtered, without its list of nodes)."""
    out: list = []
    add = out.append
    stack = list(node) if node.__class__ is list else [node]
    pop, push, Name, Constant, Store, fields_of, AST = stack.pop, stack.append, gast.Name, gast.Constant, \
        gast.Store, _NAME_FIELDS.get, gast.AST
    while stack:
        n = pop()
        cls = n.__class__
        if cls is Name:
            if n.ctx.__class__ is Store:
                add(n.id)
            if n.annotation is not None:
                push(n.annotation)
            continue
        fields = fields_of(cls)
        if fields is None:
            fields = _name_fields(cls)
        for field in fields:  # (push_children, inlined; a name without children taken at once)
            value = getattr(n, field, None)
            c = value.__class__
            if c is Name and value.annotation is None:
                if value.ctx.__class__ is Store:
                    add(value.id)
            elif c is list:
                for item in value:
                    c = item.__class__
                    if c is Name and item.annotation is None:
                        if item.ctx.__class__ is Store:
                            add(item.id)
                    elif c is not Constant and isinstance(item, AST):
                        push(item)
            elif c is not Constant and isinstance(value, AST):
                push(value)
    return out


def calls_and_stored_names(exprs: list) -> tuple[list, set]:
    """`(of_class(exprs, (gast.Call,)), set(stored_names(exprs)))`, the calls in the
    same order, from one walk (`aliases.written_in_place` asks both of a body)."""
    calls: list = []
    stored: set = set()
    add = stored.add
    stack = list(reversed(exprs))
    pop, push, Call, Name, Store, Constant, AST = stack.pop, stack.append, gast.Call, gast.Name, gast.Store, \
        gast.Constant, gast.AST
    fields_of = _CHILD_FIELDS.get
    while stack:
        n = pop()
        cls = n.__class__
        if cls is Call:
            calls.append(n)
        elif cls is Name:  # (a name with an annotation, or one of `exprs`)
            if n.ctx.__class__ is Store:
                add(n.id)
        fields = fields_of(cls)
        if fields is None:
            fields = child_fields(cls)
        for field in fields:  # (a name without children taken at once, a constant skipped)
            value = getattr(n, field, None)
            c = value.__class__
            if c is list:
                for item in value:
                    c = item.__class__
                    if c is Name and item.annotation is None:
                        if item.ctx.__class__ is Store:
                            add(item.id)
                    elif c is not Constant and isinstance(item, AST):
                        push(item)
            elif c is Name and value.annotation is None:
                if value.ctx.__class__ is Store:
                    add(value.id)
            elif c is not Constant and isinstance(value, AST):
                push(value)
    return calls, stored


def reads_and_stores(node) -> tuple[set[str], set[str]]:
    """`(loaded_names(node), the identifiers stored below node)` from one walk (the
    copy propagation asks both of every statement after a copy)."""
    loads: set[str] = set()
    stores: set[str] = set()
    stack = list(node) if node.__class__ is list else [node]
    pop, push, Name, Load, Store, Constant = stack.pop, stack.append, gast.Name, gast.Load, gast.Store, \
        gast.Constant
    fields_of, AST = _NAME_FIELDS.get, gast.AST
    while stack:
        n = pop()
        cls = n.__class__
        if cls is Name:
            ctx = n.ctx.__class__
            if ctx is Load:
                loads.add(n.id)
            elif ctx is Store:
                stores.add(n.id)
            if n.annotation is not None:
                push(n.annotation)
            continue
        fields = fields_of(cls)
        if fields is None:
            fields = _name_fields(cls)
        for field in fields:  # (push_children, inlined; a name without children taken at once,
            value = getattr(n, field, None)  # constants left: they have no names)
            c = value.__class__
            if c is Name and value.annotation is None:
                ctx = value.ctx.__class__
                if ctx is Load:
                    loads.add(value.id)
                elif ctx is Store:
                    stores.add(value.id)
            elif c is list:
                for item in value:
                    c = item.__class__
                    if c is Name and item.annotation is None:
                        ctx = item.ctx.__class__
                        if ctx is Load:
                            loads.add(item.id)
                        elif ctx is Store:
                            stores.add(item.id)
                    elif c is not Constant and isinstance(item, AST):
                        push(item)
            elif c is not Constant and isinstance(value, AST):
                push(value)
    return loads, stores


def names_in(node) -> set[str]:
    """Every identifier loaded or stored anywhere below `node` (a node or a list of them)."""
    return _names(node, loads=False)


def loaded_names(node) -> set[str]:
    """Identifiers read below `node` (a node or a list of them)."""
    return _names(node, loads=True)


def _names(node, loads: bool) -> set[str]:
    # A loop rather than `walk`: the passes ask this of every statement, many times,
    # and of the values in them: a comment, a name or a constant answered at once.
    cls = node.__class__
    if cls is Comment or cls is gast.Constant:
        return set()
    if cls is gast.Name and node.annotation is None:
        return {node.id} if not loads or node.ctx.__class__ is gast.Load else set()
    out: set[str] = set()
    add = out.add
    stack = list(node) if node.__class__ is list else [node]
    pop, push, Name, Load, Constant = stack.pop, stack.append, gast.Name, gast.Load, gast.Constant
    fields_of, AST = _NAME_FIELDS.get, gast.AST
    while stack:
        n = pop()
        cls = n.__class__
        if cls is Name:
            if not loads or n.ctx.__class__ is Load:
                add(n.id)
            if n.annotation is not None:
                push(n.annotation)
            continue
        fields = fields_of(cls)
        if fields is None:
            fields = _name_fields(cls)
        for field in fields:  # (push_children, inlined; a name without children taken at once)
            value = getattr(n, field, None)
            c = value.__class__
            if c is Name and value.annotation is None:
                if not loads or value.ctx.__class__ is Load:
                    add(value.id)
            elif c is list:
                for item in value:
                    c = item.__class__
                    if c is Name and item.annotation is None:
                        if not loads or item.ctx.__class__ is Load:
                            add(item.id)
                    elif c is not Constant and isinstance(item, AST):
                        push(item)
            elif c is not Constant and isinstance(value, AST):
                push(value)
    return out


def dotted(node) -> str | None:
    """'np.linalg.norm' for an attribute chain of names, else None."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def is_atom(node) -> bool:
    """A name or a constant: what ANF allows as an operand."""
    return isinstance(node, (gast.Name, gast.Constant))


def map_blocks(stmt, fn) -> None:
    """Replace each non-empty statement list nested in `stmt` (an if/for/while/with
    body, an else block) by `fn(list)`."""
    for field in ("body", "orelse"):
        inner = getattr(stmt, field, None)
        if inner.__class__ is list and inner:
            setattr(stmt, field, fn(inner))


def walk_statements(stmts):
    """Every statement of a block, with those nested in if/for/while bodies (in order).

    (No `with` block is left after desugaring: a no_grad block's statements are inlined.)
    """
    If, For, While = gast.If, gast.For, gast.While
    for stmt in stmts:
        yield stmt
        cls = stmt.__class__  # (by identity: gast's node classes are never subclassed)
        if cls is If or cls is For or cls is While:
            yield from walk_statements(stmt.body)
            yield from walk_statements(stmt.orelse)


def read_before_bound(stmts: list, names: set) -> set:
    """Those of `names` that `stmts` may read, in program order, before a statement
    has surely bound them: unbound on the first pass, or in a loop a value from
    the previous iteration (a loop body is read once, in order). A binding in a
    branch or loop body counts in that body only: after it, the body may not
    have run."""
    early: set = set()

    def visit(block, bound: set) -> None:
        for stmt in block:
            if isinstance(stmt, (gast.If, gast.While, gast.For)):
                early.update((loaded_names(stmt.iter if isinstance(stmt, gast.For) else stmt.test)
                              & names) - bound)
                inner = bound | names_in(stmt.target) if isinstance(stmt, gast.For) else bound
                visit(stmt.body, set(inner))
                visit(stmt.orelse, set(bound))
            else:
                early.update((loaded_names(stmt) & names) - bound)
                bound.update(n.id for n in name_nodes(stmt) if isinstance(n.ctx, gast.Store))
    visit(stmts, set())
    return early
