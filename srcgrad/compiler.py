"""The pipeline on one screen: a function in, a compiled derivative out.

    parse -> fence -> normalize -> resolve -> activity -> reverse -> optimize -> codegen

`derive(fn, wrt, options)` runs it; `keep_stages=True` also returns each
stage's source text (for tests and for `srcgrad show --stages`).
"""
from __future__ import annotations

import inspect

import gast

from . import codegen, nested, nodes, runtime, watch, writes
from .analysis.activity import activity
from .analysis.aliases import alias_groups, check_aliases
from .analysis.effects import check_effects, model_writes
from .errors import located
from .fence import fence
from .forward import forward
from .frontend import ParsedFunction, parse, signature
from .naming import Names
from .normalize import nograd, normalize
from .normalize.desugar import bind_loop_items
from .optimize import free_early, optimize, whole_function
from .analysis.shapes import resolver
from .optimize.copies import fold_constants
from .optimize.dce import eliminate_dead
from .optimize.inplace import accumulate_in_place
from .optimize.scalars import elide_unbroadcast
from .optimize.shapetape import tape_shapes
from .optimize.share import share_repeats
from .optimize.speculate import fast_twin
from .options import Options, optimizing, unoptimized  # noqa: F401 (re-exported)
from .analysis.resolve import resolve, statements, ufunc_operands_as_arrays
from .reverse import reverse
from .scope import check_constant_positions, check_real
from .sequences import bind_sequence_ops
from .rules import facts, registry



class _Context:
    """What the reverse pass needs from the compiler: names, lines, globals."""

    def __init__(self, parsed: ParsedFunction, names: Names, locals_: set[str], require_scalar: bool):
        self.parsed = parsed
        self.source = parsed.source
        self.names = names
        self.locals = locals_
        self.require_scalar = require_scalar
        self.helpers: dict = {}  # emitted name -> object, passed as closure cells
        self._pairs: dict = {}  # (callee, wrt, kinds) -> names of its forward/backward
        self.callees: list = []  # (user function, its Compiled) bound into this derivative
        self.scalar_params: set[str] = set()
        self.scalar_names: set[str] = set()
        self.container_names: set[str] = set()
        self.dict_names: set[str] = set()  # may hold a dict: a write may add a key
        self.mutated: set[str] = set()  # written in place (x[i] = v): restored, never versioned
        self.records: dict = {}  # dict parameter read only as params["k"] -> {key: field}
        self.field_owner: dict = {}  # field -> (parameter, key)
        self.dense: dict = {}  # list-of-numbers parameter read only as x[i] -> its adjoint list
        self.array_params: set[str] = set()
        self.views: dict = {}  # name -> names that may share its memory (when any is mutated)
        self._emitted: dict = {}
        self.optimize = True  # callees are built as the caller is (Options.optimize)

    def _callee(self, op, active: list[str], stmt, mode: str):
        """The callee's derivative, compiled once per (callee, wrt, argument kinds)."""
        from . import cache

        callee = op.callee
        params = [p for p, v in signature(callee).parameters.items()
                  if v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)]
        kinds = tuple(self._kind_of(op.bindings.get(p)) for p in params)
        options = Options(tuple(active), kinds=kinds, split=mode == "split",
                          mode="forward" if mode == "forward" else "reverse", optimize=self.optimize)
        try:
            compiled = cache.compiled(callee, options)
        except cache.Recursion:
            raise located(self.source, stmt, f"{op.label}() calls itself (directly or "
                          "through other functions) with values being differentiated",
                          "recursion is not supported: write the recursion as a loop") from None
        self.callees.append((callee, compiled))
        return compiled, (mode, callee, tuple(active), kinds)

    def split_pair(self, op, active: list[str], stmt) -> tuple[str, str]:
        """Names of the forward/backward pair of the user function `op.callee`,
        differentiated with respect to its parameters `active` (compiled once)."""
        compiled, key = self._callee(op, active, stmt, "split")
        if key not in self._pairs:
            forward, backward = compiled.bind(op.callee)
            base = _callee_base(op)
            names = (self.names.claim(f"_{base}_forward"), self.names.claim(f"_{base}_backward"))
            self.helpers[names[0]], self.helpers[names[1]] = forward, backward
            self._pairs[key] = names
        return self._pairs[key]

    def helper(self, obj, preferred: str) -> str:
        """A closure cell for `obj` (a user rule), under a readable unused name."""
        for name, value in self.helpers.items():
            if value is obj:
                return name
        name = self.names.claim(preferred)
        self.helpers[name] = obj
        return name

    def jvp_of(self, op, active: list[str], stmt) -> tuple[str, list]:
        """Name of the tangent function of the user function `op.callee` (with respect
        to its parameters `active`), and its tangent parameters' names."""
        compiled, key = self._callee(op, active, stmt, "forward")
        if key not in self._pairs:
            name = self.names.claim(f"_{_callee_base(op)}_jvp")
            self.helpers[name] = compiled.bind(op.callee)
            self._pairs[key] = (name, compiled.tangent_params)
        return self._pairs[key]

    def _kind_of(self, node) -> str:
        if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            return "scalar"
        if isinstance(node, gast.Name) and node.id in self.scalar_names:
            return "scalar"
        return "other"

    def is_local(self, ident: str) -> bool:
        return ident in self.locals

    def line(self, lineno: int) -> str:
        return self.parsed.line(lineno)

    def rename_global(self, ident: str) -> str:
        """The name generated code uses for template global `ident`."""
        if ident in self._emitted:
            return self._emitted[ident]
        obj = registry.template_global(ident)
        emitted = None
        candidates = [ident] + self.parsed.namespace.items_bound_to(obj)
        for name in candidates:
            if not self.is_local(name) and name in self.parsed.namespace \
                    and self.parsed.namespace.lookup(name) is obj:
                emitted = name
                break
        if emitted is None:
            emitted = self.names.claim(ident)
            self.helpers[emitted] = obj
        self._emitted[ident] = emitted
        return emitted


def _callee_base(op) -> str:
    """A readable identifier for a called user function, in its derivatives' names: its
    own name; for a lambda, a partial or a callable object, the name it was called by."""
    name = getattr(op.callee, "__name__", "").lstrip("_")
    if not name.isidentifier() or not inspect.isfunction(op.callee):
        name = op.label.rsplit(".", 1)[-1].lstrip("_")
    return name if name.isidentifier() else "lambda"


def parameter_names(tree) -> list[str]:
    """Every named parameter, in signature order (positional-only, plain, keyword-only)."""
    args = tree.args
    return [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs]


def derive(fn, options: Options, keep_stages: bool = False):
    """Build the reverse-mode derivative of `fn`: a `codegen.Compiled`."""
    parsed = parse(fn)
    fence(parsed)
    tree, nested_defs = nested.extract(parsed.tree)
    params = parameter_names(tree)
    names = Names(nodes.names_in(tree) | {tree.name})
    aux = _split_aux(tree, names, parsed.source) if options.has_aux else None
    locals_ = set(params) | {n.id for n in nodes.name_nodes(tree) if isinstance(n.ctx, gast.Store)}
    model_writes(tree, parsed.namespace, lambda n: n in locals_)
    ctx = _Context(parsed, names, locals_, require_scalar=not options.split)
    ctx.split = options.split
    ctx.optimize = options.optimize
    ctx.scalar_params = {p for p, k in zip(params, options.kinds) if k == "scalar"}
    ctx.array_params = {p for p, k in zip(params, options.kinds) if k == "array"}
    stages = {}
    scalar_params = {p for p, k in zip(params, options.kinds) if k == "scalar"}
    sequence_params = {p for p, k in zip(params, options.kinds) if k in ("array", "numbers")}
    anf_fn = normalize(tree, names, parsed.source, ctx.is_local, scalar_params,
                       lambda path: _is_module_path(parsed.namespace, path), sequence_params)
    ctx.locals |= {n.id for n in nodes.name_nodes(anf_fn) if isinstance(n.ctx, gast.Store)}
    if keep_stages:
        stages["normalize"] = codegen.to_source(anf_fn)
    lifted = _lifted(tree, nested_defs, parsed, ctx.locals)
    ops = resolve(anf_fn, parsed.namespace, parsed.source, ctx.is_local, lifted)
    bind_loop_items(anf_fn, ctx.rename_global)  # `_s1 = loop_items(d)`
    if nograd.marked(anf_fn):
        from .markers import stop_gradient

        nograd.bind(anf_fn, ctx.helper(stop_gradient, "stop_gradient"))  # `y = stop_gradient(_t1)`
    lists = _container_names(anf_fn, params, options.kinds, ops)
    if lists:
        ctx.locals |= ufunc_operands_as_arrays(anf_fn, ops, lists, ctx.rename_global("numpy"), names.fresh,
                                               parsed.namespace, parsed.source, ctx.is_local)
    sequences = bind_sequence_ops(anf_fn, ops, params, options.kinds, parsed.source)
    if options.optimize:
        share_repeats(anf_fn, ops, params, options.kinds)
    returned = anf_fn.body[-1].value if isinstance(anf_fn.body[-1], gast.Return) else None
    ret_name = returned.id if isinstance(returned, gast.Name) else None
    act = activity(anf_fn, ops, list(options.wrt), ret_name,
                   frozenset(p for p, k in zip(params, options.kinds) if k in ("array", "scalar", "numbers")))
    check_constant_positions(anf_fn, ops, act, parsed.source)
    check_real(anf_fn, act, parsed.source)
    ctx.scalar_names = _scalar_names(anf_fn, ops, params, options.kinds,
                                     _number_globals(anf_fn, parsed.namespace, ctx.is_local))
    ctx.container_names = _container_names(anf_fn, params, options.kinds, ops, sequences)
    ctx.dict_names = _dict_names(anf_fn, params, options.kinds)
    # srcgrad's own code (differentiated again for hvp) models its tape's pops
    check_effects(anf_fn, ops, act, ctx, lifted, options.mode,
                  generated=parsed.source.filename.startswith("<srcgrad"))
    # srcgrad's own generated code (differentiated again for hvp) is alias-safe by
    # construction: its stack holds many values, which the syntactic check would join.
    _find_records(anf_fn, params, options.kinds, ctx)
    generated = parsed.source.filename.startswith("<srcgrad")
    ctx.mutated = check_aliases(anf_fn, ops, parsed.source, check=not generated)
    # which names may view a variable written in place (its restore must outlive them)
    ctx.views = alias_groups(anf_fn.body, params, appends=False) if ctx.mutated else {}
    if options.mode == "forward":
        return _derive_forward(tree, anf_fn, ops, act, params, names, ctx, parsed, nested_defs,
                               options, stages if keep_stages else None)
    sweeps = reverse(anf_fn, ops, act, list(options.wrt), ctx)
    scalars = set(ctx.scalar_names)
    scalars |= {saved for (name, _), saved in sweeps.state.saves.items() if name in scalars}
    scalars |= {names.adjoint(n) for n in scalars}

    def optimized(stmts):
        return optimize(stmts, set(sweeps.gradients), scalars, ctx.rename_global("unbroadcast"),
                        ctx._emitted.get("math", "math"), frozenset(names.adjoint_names()),
                        _number_helpers(ctx),
                        keep=sweeps.side_effects, arithmetic=_arithmetic_helpers(ctx))

    # Without a loop nothing is taped, so the tape need not wait for the optimizer: the
    # one run after the whole-function passes is enough.
    early = options.split or any(isinstance(s, (gast.For, gast.While)) for s in statements(anf_fn.body))
    if options.optimize:
        forward, backward = sweeps.finish(optimized(sweeps.backward) if early else sweeps.backward)
    else:  # the plain lowering (see `unoptimized`)
        forward, backward = sweeps.finish(sweeps.backward, recompute_loops=False)
    forward = nested.restore(forward, nested_defs)
    if options.optimize:
        backward, _ = eliminate_dead(backward, set(sweeps.gradients))
        forward = _drop_unread_saves(forward, backward, set(sweeps.state.temps.values()) | sweeps.counts)
    kinds = dict(zip(params, options.kinds))
    callee = resolver(ctx.is_local, ctx.helpers, parsed.namespace.lookup)
    value_kinds = {}
    deferred = None
    if not options.split and options.optimize:
        forward, backward, value_kinds = whole_function(forward, backward, kinds, scalars, callee, ctx._emitted,
                                           optimized,
                                           value_needed=options.return_value or aux is not None or options.debug_nans,
                                           optimized_yet=early)
    if "zeros_like" in ctx._emitted and options.optimize:  # no pass after these two knows `+=`
        backward = accumulate_in_place(backward, ctx._emitted["zeros_like"])
    if not options.split and options.optimize:
        forward, backward = tape_shapes(forward, backward, sweeps.state.stack, ctx._emitted, names.fresh,
                                        ctx.rename_global)
    grads = [nodes.name(g) for g in sweeps.gradients]
    if options.split:
        functions = _split_pair(tree, forward, backward, sweeps, grads, params, names, ctx, options)
    else:
        result = grads[0] if len(grads) == 1 else nodes.tuple_of(grads)
        if options.return_value:
            returned = sweeps.returned
            if isinstance(returned, gast.Name):
                # The backward sweep may restore the returned variable (a loop pops it
                # back): keep the value as the forward sweep left it.
                kept = names.claim("_value")
                value = nodes.name(returned.id)
                if returned.id in ctx.mutated:
                    value = nodes.quote_expr(f"{ctx.rename_global('fresh_tape')}(v)", v=returned.id)
                forward.append(nodes.assign(kept, value))
                returned = nodes.name(kept)
            result = nodes.tuple_of([returned, result])
        if aux is not None:
            kept = aux
            if ctx.mutated or any(n.id == aux and isinstance(n.ctx, gast.Store)
                                  for s in backward for n in nodes.name_nodes(s)):
                # The backward sweep restores what the function wrote in place (aux may
                # hold it), or rebinds aux: keep aux as the forward sweep left it.
                kept = names.claim("_aux_kept")
                value = nodes.name(aux)
                if ctx.mutated:
                    value = nodes.quote_expr(f"{ctx.rename_global('fresh_tape')}(v)", v=aux)
                forward.append(nodes.assign(kept, value))
            result = nodes.tuple_of([result, nodes.name(kept)])
        out = nodes.without_body(tree)
        out.name = names.claim(("value_and_grad_" if options.return_value else "grad_") + tree.name)
        body = forward + backward
        if options.debug_nans:
            body = _with_finite_checks(body, ctx)
        elif options.optimize:
            body = free_early(body, value_kinds, set(sweeps.gradients) | nodes.loaded_names(result))
        out.body = _dedupe_comments(body + [nodes.ret(result)])
        out.returns = None
        functions = [out]
        if options.optimize and not (options.debug_nans or options.nan_safe or generated):
            functions, deferred = _fast_path(out, backward, sweeps, kinds, value_kinds, callee, names, ctx,
                                             options)
    texts = [codegen.to_sources(f, note=ctx.line) for f in functions]
    source = "\n\n".join(plain for plain, _ in texts)
    annotated = "\n\n".join(noted for _, noted in texts)
    free = sorted(ctx.helpers) + [n for n in parsed.closure if n not in ctx.helpers]
    compiled = codegen.Compiled([f.name for f in functions], source, free, ctx.helpers, annotated,
                                twin=deferred)
    compiled.reads = watch.reads(parsed, ops, ctx.callees)
    compiled.writes = writes.written_params(anf_fn, ops, params)
    if keep_stages:
        stages["reverse"] = source
        return compiled, stages
    return compiled


def _split_aux(tree, names: Names, source) -> str:
    """For has_aux: every `return loss, aux` becomes `_aux = aux; return loss` (with
    `_loss = loss` first when loss is an expression with effects); returns the aux
    variable's name. A return that is not a written-out pair is a SrcGradError."""
    aux, loss = names.claim("_aux"), names.claim("_loss")

    def rewrite(stmts: list) -> list:
        out = []
        for stmt in stmts:
            if isinstance(stmt, gast.Return):
                value = stmt.value
                if not (isinstance(value, gast.Tuple) and len(value.elts) == 2):
                    raise located(source, stmt, "with has_aux=True the function must return a pair "
                                  "(loss, aux) written out in its return statement",
                                  "write `return loss, aux`")
                first, second = value.elts
                returned = first
                if not isinstance(first, (gast.Name, gast.Constant)):  # evaluated before aux
                    out.append(nodes.stamp(nodes.assign(loss, first), stmt.lineno))
                    returned = nodes.name(loss)
                out.append(nodes.stamp(nodes.assign(aux, second), stmt.lineno))
                out.append(nodes.stamp(nodes.ret(returned), stmt.lineno))
                continue
            nodes.map_blocks(stmt, rewrite)  # try is fenced off; with and loop bodies, if branches
            out.append(stmt)
        return out

    tree.body = rewrite(tree.body)
    return aux


def _fast_path(out, backward, sweeps, kinds, value_kinds, callee, names, ctx, options):
    """([the function to compile], the deferred NaN-safe twin or None): see
    optimize/speculate.py. The twin's text is made only when it is first needed."""
    guards = _arithmetic_helpers(ctx, arrays=True)
    if not guards:
        return [out], None
    arrays = sum(len(ctx.records[p]) if p in ctx.records else kinds.get(p) != "scalar" for p in options.wrt)
    pair = fast_twin(out, names.claim(out.name + "_nan_safe"), backward, guards, value_kinds, callee,
                     sweeps.gradients, arrays, ctx.rename_global, ctx.mutated)
    if pair is None:
        return [out], None
    fast, twin = pair
    return [fast], (twin.name, lambda: codegen.to_sources(twin, note=ctx.line))


def _derive_forward(tree, anf_fn, ops, act, params, names, ctx, parsed, nested_defs, options, stages):
    """`jvp_f(args, *, x_dot, ...) -> (value, value_dot)`: the tangent function."""
    body, returned, returned_dot = forward(anf_fn, ops, act, list(options.wrt), ctx)
    if options.optimize:  # the forward sweep's only passes: scalar elision, constant folding
        scalars = set(ctx.scalar_names) | {names.tangent(n) for n in ctx.scalar_names}
        body, _ = elide_unbroadcast(body, scalars, {ctx.rename_global("broadcast_like")},
                                    ctx._emitted.get("math", "math"),
                                    _number_helpers(ctx),
                                    _arithmetic_helpers(ctx))
        fold_constants(body, frozenset(names.adjoint_names()))
    body = nested.restore(body, nested_defs)
    out = nodes.without_body(tree)
    out.name = names.claim("jvp_" + tree.name)
    out.returns = None
    tangent_params = [names.tangent(p) for p in options.wrt]
    out.args.kwonlyargs = list(out.args.kwonlyargs) + [
        gast.Name(id=t, ctx=gast.Param(), annotation=None, type_comment=None) for t in tangent_params]
    out.args.kw_defaults = list(out.args.kw_defaults) + [None] * len(tangent_params)
    if options.debug_nans:
        body = _with_finite_checks(body, ctx)
    out.body = _dedupe_comments(body + [nodes.ret(nodes.tuple_of([returned, returned_dot]))])
    source, annotated = codegen.to_sources(out, note=ctx.line)
    free = sorted(ctx.helpers) + [n for n in parsed.closure if n not in ctx.helpers]
    compiled = codegen.Compiled([out.name], source, free, ctx.helpers, annotated)
    compiled.tangent_params = tangent_params
    compiled.reads = watch.reads(parsed, ops, ctx.callees)
    compiled.writes = writes.written_params(anf_fn, ops, params)
    if stages is not None:
        stages["forward"] = source
        return compiled, stages
    return compiled


def _lifted(tree, defs: list, parsed, locals_: set[str]) -> dict:
    """Nested helpers bound once to their name: name -> lifted function."""
    bound: dict[str, list] = {}
    for stmt in statements(tree.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            bound.setdefault(stmt.targets[0].id, []).append(nested.placeholder_index(stmt.value))
    out = {}
    for name, indices in bound.items():
        if len(indices) == 1 and indices[0] is not None:
            helper = nested.lift(defs[indices[0]], parsed, locals_)
            if helper is not None:
                out[name] = helper
    return out


def _split_pair(tree, forward, backward, sweeps, grads, params, names, ctx, options) -> list:
    """`f_forward(args) -> (value, tape)` and `f_backward(dvalue, tape) -> gradients`.

    The tape holds exactly the forward values the backward code reads. The
    backward works on a copy of the stack, so it can run more than once.
    """
    defined = set(params) | {n.id for n in nodes.name_nodes(forward) if isinstance(n.ctx, gast.Store)}
    read = nodes.loaded_names(backward)
    tape_names = sorted(read & defined)
    top_level = set(params) | {s.targets[0].id for s in forward
                               if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)}
    unbound = [nodes.assign(n, nodes.const(None)) for n in tape_names if n not in top_level]
    tape = names.claim("_tape")
    fwd = nodes.without_body(tree)
    fwd.name = names.claim(f"_{tree.name}_forward")
    fwd.returns = None
    packed = nodes.tuple_of([nodes.name(n) for n in tape_names])
    body = unbound + forward
    if options.debug_nans:
        body = _with_finite_checks(body, ctx)
    fwd.body = _dedupe_comments(body + [nodes.ret(nodes.tuple_of([sweeps.returned, packed]))])
    seed = sweeps.seed_name
    prologue = []
    if ctx.mutated & set(tape_names):  # restores write into taped arrays: work on a copy
        prologue.append(nodes.assign(tape, nodes.quote_expr(f"{ctx.rename_global('fresh_tape')}({tape})")))
    if tape_names:
        prologue.append(gast.Assign(targets=[nodes.tuple_of([nodes.name(n) for n in tape_names], store=True)],
                                    value=nodes.name(tape), type_comment=None))
    stack = sweeps.state.stack
    if stack is not None and stack in tape_names:
        prologue.append(nodes.assign(stack, nodes.quote_expr(f"{ctx.rename_global('copy_stack')}({stack})")))
    body = prologue + backward
    if options.debug_nans:
        body = _with_finite_checks(body, ctx)
    bwd = nodes.function(names.claim(f"_{tree.name}_backward"), [seed, tape],
                         _dedupe_comments(body + [nodes.ret(nodes.tuple_of(grads))]))
    return [fwd, bwd]


def _drop_unread_saves(forward: list, backward: list, kept: set[str]) -> list:
    """Saved values (`_x1 = x`) and loop trip counts (`_n1 = _n1 + 1`), kept only for
    the backward sweep, go where the final clean-up removed what read them."""
    unread = kept - nodes.loaded_names(backward)
    if not unread:
        return forward

    def drop(stmts: list) -> list:
        out = []
        for s in stmts:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and s.targets[0].id in unread:
                continue
            nodes.map_blocks(s, drop)
            out.append(s)
        return out or [gast.Pass()]

    return drop(forward)


def _dedupe_comments(stmts: list) -> list:
    """Drop a line comment that repeats the previous one in the same block."""
    out: list = []
    last = None
    for stmt in stmts:
        if nodes.is_comment(stmt):
            text = stmt.value.args[0].value
            if text == last:
                continue
            last = text
        nodes.map_blocks(stmt, _dedupe_comments)
        out.append(stmt)
    return out


def _with_finite_checks(body: list, ctx) -> list:
    """After each assignment, a check that names the statement and its original line."""
    check = ctx.rename_global("check_finite")
    out: list = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, (gast.If, gast.For, gast.While)):  # inside branches and loops too
            stmt.body = _with_finite_checks(stmt.body, ctx)
            stmt.orelse = _with_finite_checks(stmt.orelse, ctx)
            continue
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], (gast.Name, gast.Subscript)):
            target = stmt.targets[0]
            checked = target.value.id if isinstance(target, gast.Subscript) else target.id
            generated = codegen.statement_text(stmt)
            line = getattr(stmt, "lineno", None)
            origin = f"line {line}: {ctx.line(line)}" if line else "a value saved for the backward sweep"
            out.append(nodes.expr_stmt(gast.Call(
                func=nodes.name(check),
                args=[nodes.name(checked), nodes.const(generated), nodes.const(origin)],
                keywords=[])))
    return out


def _is_module_path(namespace, path: str) -> bool:
    """Whether every name along `path` ("np.linalg") is a module."""
    head, *rest = path.split(".")
    try:
        obj = namespace.lookup(head)
    except KeyError:
        return False
    for attr in [None] + rest:
        if attr is not None:
            obj = getattr(obj, attr, None)
        if not inspect.ismodule(obj):
            return False
    return True


def _number_helpers(ctx) -> frozenset:
    """The emitted names of the runtime helpers that map Python numbers to a Python
    number (the facts table's `numbers`)."""
    return frozenset(emitted for ident, emitted in ctx._emitted.items()
                     if facts.maps_numbers(getattr(runtime, ident, None)))


def _arithmetic_helpers(ctx, arrays: bool = False) -> dict:
    """The NaN-guarding helpers that are plain arithmetic on Python numbers (with
    `arrays`: on arrays, where `pole_ratio` is `/` too; see runtime.pole_ratio)."""
    ops = {"masked_product": "*", "tangent_ratio": "/", **({"pole_ratio": "/"} if arrays else {})}
    return {ctx._emitted[h]: op for h, op in ops.items() if h in ctx._emitted}


def _find_dense(fn, params, known: dict, ctx) -> None:
    """Lists and tuples of Python numbers read only as `x[i]` get a plain list as
    their adjoint, `dx[i] = dx[i] + g` in place: no merged containers."""
    candidates = {p for p in params if known.get(p) == "numbers"}
    if not candidates:
        return
    reads: dict[str, int] = {p: 0 for p in candidates}
    indexed: dict[str, int] = {p: 0 for p in candidates}
    for stmt in statements(fn.body):
        own = [stmt.test] if isinstance(stmt, (gast.If, gast.While)) else \
            [stmt.iter] if isinstance(stmt, gast.For) else [stmt]  # nested bodies come on their own
        for node in (n for part in own for n in gast.walk(part)):
            if isinstance(node, gast.Name) and node.id in candidates:
                reads[node.id] += 1
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                and value.value.id in candidates and not isinstance(value.slice, (gast.Slice, gast.Tuple)):
            indexed[value.value.id] += 1
        elif isinstance(stmt, gast.Assign) and isinstance(value, gast.Call) \
                and nodes.dotted(value.func) == "len" and len(value.args) == 1 \
                and isinstance(value.args[0], gast.Name) and value.args[0].id in candidates:
            indexed[value.args[0].id] += 1  # len(x) reads no entry
    for p in candidates:
        if reads[p] and reads[p] == indexed[p]:
            ctx.dense[p] = ctx.names.adjoint(p)


def _find_records(fn, params, kinds, ctx) -> None:
    """Record parameters (dicts/lists/tuples of arrays and numbers) read only as
    `params["W1"]` with constant keys get one adjoint per field (`dW1`), assembled
    into a dict at the end, rather than merged dicts. A nested container keeps
    the general container adjoint (fields could be containers themselves)."""
    known = dict(zip(params, kinds))
    uses: dict[str, set] = {p: set() for p in params if known.get(p) == "record"}
    _find_dense(fn, params, known, ctx)
    if not uses:
        return
    for stmt in statements(fn.body):
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and node.id in uses:
                uses[node.id].add(id(node))
    keyed: dict[str, dict] = {p: {} for p in uses}
    for stmt in statements(fn.body):
        value = getattr(stmt, "value", None)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                and isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
                and value.value.id in uses and isinstance(value.slice, gast.Constant) \
                and isinstance(value.slice.value, (str, int)):
            keyed[value.value.id].setdefault(value.slice.value, []).append(id(value.value))
    for p, fields in keyed.items():
        plain = {i for ids in fields.values() for i in ids}
        if not fields or plain != uses[p]:
            continue  # used some other way too: keep the whole-dict adjoint
        ctx.records[p] = {}
        for key in fields:
            field = f"{p}[{key!r}]"
            # dW1 reads best, unless the function has its own W1 (whose adjoint is dW1)
            plain = isinstance(key, str) and key.isidentifier() and not ctx.is_local(key)
            preferred = f"d{key}" if plain else f"d{p}_{key}"
            ctx.names.name_adjoint(field, preferred)
            ctx.records[p][key] = field
            ctx.field_owner[field] = (p, key)


def _container_names(fn, params, kinds, ops=None, sequences=frozenset()) -> set[str]:
    """Names that may hold a tuple, list or dict: their adjoints merge with add_grad.

    Parameters not known to be numbers or arrays, displays, `sequences` (names
    found to hold lists or tuples, such as concatenations), items of such names
    (a pytree's inner nodes) and copies of them.
    """
    known = dict(zip(params, kinds))
    records = {p for p in params if known.get(p) in ("record", "numbers")}  # entries are leaves

    def holds(value, stmt, out) -> bool:
        source = value.value if isinstance(value, gast.Subscript) else value
        if isinstance(value, gast.Subscript) and isinstance(source, gast.Name) and source.id in records \
                and not isinstance(value.slice, gast.Slice):
            return False  # an entry (a slice of a record is a list or tuple itself)
        op = ops.get(id(stmt)) if ops is not None else None
        return isinstance(value, (gast.Tuple, gast.List, gast.Dict)) or (
            isinstance(source, gast.Name) and source.id in out) or (
            op is not None and op.kind == "user") or _lists_items(op, out)

    seeds = {p for p in params if known.get(p) not in ("scalar", "array")} | set(sequences)
    return _assigned_closure(fn, seeds, holds)


def _assigned_closure(fn, seeds: set, holds) -> set[str]:
    """`seeds` and every name assigned a value that `holds(value, stmt, names so
    far)` accepts, to a fixed point over the function's statements."""
    out = set(seeds)
    changed = True
    while changed:
        changed = False
        for stmt in statements(fn.body):
            if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name) \
                    and stmt.targets[0].id not in out and holds(stmt.value, stmt, out):
                out.add(stmt.targets[0].id)
                changed = True
    return out


def _lists_items(op, containers: set[str]) -> bool:
    """`list(x)`, or `loop_items(x)` of anything but a name known to hold no
    container (an array, a number): a list, tuple or array."""
    if op is None or op.kind != "rule":
        return False
    if op.rule.primitive is list:
        return True
    x = op.bindings.get("x")
    return op.rule.primitive is runtime.loop_items and (not isinstance(x, gast.Name) or x.id in containers)


def _dict_names(fn, params, kinds) -> set[str]:
    """Names that may hold a dict: parameters not known to be numbers, arrays or
    lists of numbers, dict displays and `dict(...)`, and copies of them."""
    known = dict(zip(params, kinds))

    def holds(value, stmt, out) -> bool:
        return isinstance(value, gast.Dict) or (isinstance(value, gast.Name) and value.id in out) or (
            isinstance(value, gast.Call) and nodes.dotted(value.func) == "dict")

    return _assigned_closure(fn, {p for p in params if known.get(p) not in ("scalar", "array", "numbers")},
                             holds)


_RANGE_TARGET = object()  # marks a `for` target: an int from range(...)


def _number_globals(fn, namespace, is_local) -> set[str]:
    """Global (or closure) names the function reads that hold Python numbers now.

    Globals are read as constants; their kind is taken when the derivative is
    built, like the arguments' kinds.
    """
    out = set()
    for node in nodes.name_nodes(fn):
        if isinstance(node.ctx, gast.Load) and not is_local(node.id):
            try:
                value = namespace.lookup(node.id)
            except KeyError:
                continue
            if type(value) in (float, int):
                out.add(node.id)
    return out


def _scalar_names(fn, ops, params, kinds, number_globals=frozenset()) -> set[str]:
    """Names that hold Python scalars whenever the scalar-kind parameters do.

    The greatest fixed point: start from every name, drop those with an
    assignment that is not scalar arithmetic over scalars, until stable.
    """
    assigned: dict[str, list] = {}
    for stmt in statements(fn.body):
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Subscript):
            assigned.setdefault(stmt.targets[0].value.id, []).append(None)  # written in place
        elif isinstance(stmt, gast.Assign):
            assigned.setdefault(stmt.targets[0].id, []).append(stmt)
        elif isinstance(stmt, gast.For):  # always `range(...)` after normalization: ints
            assigned.setdefault(stmt.target.id, []).append(_RANGE_TARGET)
        elif not isinstance(stmt, (gast.Return, gast.If, gast.While)):
            for n in nodes.name_nodes(stmt):
                if isinstance(n.ctx, gast.Store):
                    assigned.setdefault(n.id, []).append(None)
    scalars = (set(assigned) | set(params)) - {p for p, k in zip(params, kinds) if k != "scalar"}
    scalars -= set(params[len(kinds):])
    number_lists = {p for p, k in zip(params, kinds) if k == "numbers"}  # entries are numbers
    scalars |= set(number_globals)
    changed = True
    while changed:
        changed = False
        for ident, stmts in assigned.items():
            if ident in scalars and not all(
                    s is _RANGE_TARGET or (s is not None and _is_scalar_stmt(s, ops.get(id(s)), scalars,
                                                                             number_lists))
                    for s in stmts):
                scalars.discard(ident)
                changed = True
    return scalars


def _is_scalar_stmt(stmt, op, scalars, number_lists=frozenset()) -> bool:
    value = stmt.value

    def atom_scalar(node):
        if isinstance(node, gast.Constant):
            return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        return isinstance(node, gast.Name) and node.id in scalars

    if op is None:
        return False
    if op.kind == "copy":
        return atom_scalar(value)
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name) \
            and value.value.id in number_lists and not isinstance(value.slice, (gast.Slice, gast.Tuple)):
        return True  # an entry of a list of Python numbers
    operands = [value.left, value.right] if isinstance(value, gast.BinOp) else \
        [value.operand] if isinstance(value, gast.UnaryOp) else \
        list(value.args) if isinstance(value, gast.Call) else None
    if operands is None or not all(atom_scalar(a) for a in operands):
        return False
    callee = op.callee
    return facts.maps_numbers(callee)
