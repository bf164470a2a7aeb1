"""The pipeline on one screen: a function in, a compiled derivative out.

    parse -> fence -> nested.extract -> normalize -> resolve -> activity -> analyze
          -> reverse (sweeps) -> optimize -> settle -> assemble -> codegen
          |  forward (tangents) -> optimize -> assemble -> codegen

`derive(fn, options, compile=...)` runs it; `compile(callee, options)` is how
the derivatives of called user functions are built (the compile cache passes
its own lookup). `keep_stages=True` also returns each stage's source text (for
tests and for `srcgrad show --stages`).
"""
from __future__ import annotations

import dataclasses
import linecache
from dataclasses import dataclass, replace

import gast

from . import codegen, nested, nodes, watch, writes
from .analysis.activity import activity
from .analysis.aliases import blocks_around
from .analysis.assigned import unproven_reads
from .analysis.buffers import unsure_buffers
from .analysis.effect_check import check_effects, model_writes
from .analysis.effects import holds_array, returned_args
from .analysis.resolve import resolve, statements, ufunc_operands_as_arrays
from .analysis.shapes import checked_flow, entry_scalars, resolver
from .analysis.values import analyze, container_names
from .boundary import Static
from .callees import Recursion
from .context import Context
from .errors import Location, SrcGradError
from .fence import fence, resolve_static
from .forward import Tangents, forward, tangent_function
from .fresh import made_record
from .frontend import ParsedFunction, is_module_path, parse
from .naming import Names
from .native import lowering as native_lowering, pairs as native_pairs
from .normalize import nograd, normalize
from .normalize.truth import tests_decided_once
from .normalize.aux import split_aux
from .normalize.comprehensions import EXPANDED as COMPREHENSION_SIGNS, expand as expand_comprehensions
from .normalize.desugar import bind_loop_items, spread_shapes
from . import optimize
from .normalize.share import share_repeats
from .unparse import unparse
from .optimize.fastpath import fast_path
from .optimize.setting import kinds_of
from .optimize.raises import fresh_numbers
from .options import Options, optimizing, unoptimized  # noqa: F401 (re-exported)
from .reverse import reverse
from .runtime import UNBOUND, arguments_unshared, bound_local, entries_unshared, real_buffer
from .reverse.calls import SplitPairs
from .reverse.function import grad_function, split_pair
from .scope import check_constant_positions, check_real
from .shadowing import keep_builtins
from .sequences import bind_sequence_ops


@dataclass
class Lowered:
    """A function after the front end and the analyses: what either mode differentiates."""

    parsed: ParsedFunction
    tree: object  # the parsed def, nested defs taken out (its body normalized: read its signature only)
    nested_defs: list
    params: list
    names: Names
    ctx: Context
    anf: object  # the normalized function
    ops: dict  # id(statement) -> Op
    act: object  # analysis.activity.Activity
    aux: str | None  # has_aux: the name holding the auxiliary value
    generated: bool  # srcgrad's own generated code, differentiated again


def parameter_names(tree) -> list[str]:
    """Every named parameter, in signature order (positional-only, plain, keyword-only)."""
    args = tree.args
    return [a.id for a in list(getattr(args, "posonlyargs", None) or []) + args.args + args.kwonlyargs]


def derive(fn, options: Options, keep_stages: bool = False, *, compile=None):
    """Build the derivative of `fn` that `options` asks for: a `codegen.Compiled`.

    `compile(callee, options)` builds the derivatives of the user functions `fn`
    calls (the cache passes `cache.compiled`); by default they are built afresh."""
    compile = compile or _uncached(frozenset())
    stages = {} if keep_stages else None
    try:
        low = lower(fn, options, stages)
        if options.mode == "forward":
            compiled = _derive_forward(low, options, Tangents(low.ctx, compile, options.optimize, options.lazy,
                                                               options.backend))
        else:
            compiled = _derive_reverse(low, options, SplitPairs(low.ctx, compile, options.optimize, options.lazy,
                                                                 options.backend))
    except SrcGradError as err:
        raise _in_user_source(err, options.backend) from None
    if stages is not None:
        stages[options.mode] = compiled.source
        return compiled, stages
    return compiled


def _restores(anf, namespace) -> dict:
    """id(statement) -> (container, the value's node) of each in-place write a generated
    backward makes by a helper: `restore_entry(d, key, old)` and `scatter_add(d, index, v)`,
    both linear in (d, value): their tangent is the same call on the tangents."""
    from .runtime import restore_entry, scatter_add

    out = {}
    for stmt in statements(anf.body):
        call = stmt.value if isinstance(stmt, gast.Expr) else None
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Name) and len(call.args) == 3 \
                and isinstance(call.args[0], gast.Name):
            try:
                found = namespace.lookup(call.func.id)
            except KeyError:
                continue
            if found is restore_entry or found is scatter_add:
                out[id(stmt)] = (call.args[0].id, call.args[2])
    return out


def _in_user_source(err: SrcGradError, backend: str = "python") -> SrcGradError:
    """An error located in srcgrad's generated code (a derivative differentiated
    again), located instead at the user's line that code was made for. (In the numba
    backend, the refusal of a construct numba would run differently, its hint kept.)"""
    where = err.location
    found = codegen.user_location(where.filename, where.lineno) \
        if where is not None and where.filename.startswith("<srcgrad") else None
    if found is None:
        return err
    filename, lineno = found
    code = linecache.getline(filename, lineno)
    location = Location(filename, lineno, len(code) - len(code.lstrip()), code)
    if backend == "numba":
        return SrcGradError(f"in the second derivative (forward mode over the generated gradient): {err.reason} "
                            f"(in the generated derivative, {where.filename} line {where.lineno})", location,
                            err.hint)
    hint = (err.hint or "this line's derivative cannot be differentiated again yet") + \
        " (hessian, hvp and grad of grad need that; first-order derivatives of it work)"
    return SrcGradError(f"second derivatives are not supported here: {err.reason} (in the "
                        f"generated derivative, {where.filename} line {where.lineno})", location, hint)


def lower(fn, options: Options, stages: dict | None = None) -> Lowered:
    """The front end and the analyses, for both modes: parse, fence, take out nested
    defs, normalize, resolve, activity, the value facts and the build-time checks."""
    parsed = parse(fn, fresh=False)  # only read: `nested.extract` works on its own copy
    fence(parsed)
    tree, nested_defs = nested.extract(parsed.tree)
    # one walk for the names (those stored, every one used), the calls and the comprehensions
    found = nodes.of_class(tree, (gast.Name,) + COMPREHENSION_SIGNS)
    spread_shapes(tree, lambda func: resolve_static(parsed, func), [n for n in found if n.__class__ is gast.Call])
    params = parameter_names(tree)
    named = [n for n in found if n.__class__ is gast.Name]  # (what a Starred spread_shapes took out held stays)
    stored = {n.id for n in named if isinstance(n.ctx, gast.Store)}
    parsed, static = _with_static(parsed, params, options.kinds, stored)
    names = Names({n.id for n in named} | {tree.name})
    parsed, builtins_kept = keep_builtins(parsed, tree, names, options.kinds)
    expanded = expand_comprehensions(tree, names, parsed.source, parsed.namespace,
                                     (set(params) - static) | stored, found)
    aux = split_aux(tree, names, parsed.source) if options.has_aux else None
    if expanded or aux is not None:  # (else the tree binds the same names as before)
        stored = _stored(tree)
    ctx = Context(parsed, names, (set(params) - static) | stored)  # the loops' names too
    ctx.helpers.update(builtins_kept)
    model_writes(tree, parsed.namespace, ctx.is_local)
    kinds = options.kinds
    # `tree` is this build's own copy (`nested.extract`'s), and after normalization only its
    # signature is read: it is normalized in place, and what `nested` reads of its nested
    # defs' bindings is taken first
    bound = nested.bound_once(tree)
    anf = normalize(tree, names, parsed.source, ctx.is_local,
                    {p for p, k in zip(params, kinds) if k == "scalar"},
                    lambda path: is_module_path(parsed.namespace, path),
                    {p for p, k in zip(params, kinds) if k in ("array", "numbers", "dask")},
                    lambda call: returned_args(call, parsed.namespace, ctx.is_local),
                    nested.hidden_reads(tree, nested_defs, ctx.locals, getattr(fn, "siblings", None), bound),
                    lambda name: holds_array(parsed.namespace, name), copy=False)
    if options.lazy or "dask" in kinds:  # a Dask test computes: once, not again backward
        tests_decided_once(anf, names)
    ctx.locals |= _stored(anf)
    if stages is not None:
        stages["normalize"] = codegen.to_source(anf)
    lifted = nested.lifted(tree, nested_defs, parsed, ctx.locals, getattr(fn, "siblings", None), bound)
    ops = resolve(anf, parsed.namespace, parsed.source, ctx.is_local, lifted)
    bind_loop_items(anf, ctx.rename_global)  # `_s1 = loop_items(d)`
    if nograd.marked(anf):
        from .markers import stop_gradient

        nograd.bind(anf, ctx.helper(stop_gradient, "stop_gradient"))  # `y = stop_gradient(_t1)`
    lists = container_names(anf, params, kinds, ops)
    ctx.locals |= ufunc_operands_as_arrays(anf, ops, lists, lambda: ctx.rename_global("numpy"), names.fresh,
                                           parsed.namespace, parsed.source, ctx.is_local)
    sequences = bind_sequence_ops(anf, ops, params, kinds, parsed.source,
                                  generated=parsed.source.filename.startswith("<srcgrad"))
    if options.optimize:
        share_repeats(anf, ops, params, kinds)
    returned = anf.body[-1].value if isinstance(anf.body[-1], gast.Return) else None
    generated = parsed.source.filename.startswith("<srcgrad")
    # a generated gradient's backward puts dict entries back: `restore_entry(d, key, old)`
    ctx.restores = _restores(anf, parsed.namespace) if generated else {}
    act = activity(anf, ops, list(options.wrt), returned.id if isinstance(returned, gast.Name) else None,
                   frozenset(p for p, k in zip(params, kinds) if k in ("array", "scalar", "numbers", "dask")),
                   restores=ctx.restores, generated=generated)
    check_constant_positions(anf, ops, act, parsed.source)
    check_real(anf, act, parsed.source)
    # srcgrad's own generated code (differentiated again for hvp) models its tape's pops, and
    # is alias-safe by construction: its stack holds many values, which the check would join.
    ctx.facts = analyze(anf, ops, params, kinds, sequences, parsed.namespace, ctx.is_local, parsed.source,
                        check=not generated, lifted=lifted)
    if ctx.facts.entry_checks:
        _check_entries_when_run(anf, ctx.facts.entry_checks, ctx.helper(entries_unshared, "entries_unshared"))
    if ctx.facts.mutated and not generated:
        written = [p for p in params if p in ctx.facts.mutated]
        # globals and closure variables written in place: an argument may be one (`f(OUT)`)
        outer = sorted(n for n in ctx.facts.mutated if n not in params and not ctx.is_local(n))
        if written and len(params) > 1 or outer and params:
            _check_arguments_when_run(anf, params + outer, written + outer,
                                      ctx.helper(arguments_unshared, "arguments_unshared"), outer)
        # wrt arrays and numbers run as float64, a list of floats holds floats; a dict or other
        # container written in place holds no array to round
        real = frozenset(p for p, k in zip(params, kinds)
                         if k == "numbers" or p in options.wrt and k in ("array", "scalar"))
        unchecked = real | {p for p, k in zip(params, kinds) if k in ("record", "container")}
        checks = unsure_buffers(anf, ops, act.is_active, ctx.facts.mutated, params, real, parsed.namespace.lookup,
                                unchecked)
        if checks:
            _check_buffers_when_run(anf, checks, ctx.helper(real_buffer, "real_buffer"))
    if not generated:
        reads = unproven_reads(anf, params)
        if reads:
            _check_bound_when_run(anf, reads, ctx.helper(bound_local, "bound_local"))
            # bound up front (a save before the first assignment) to what the check tells apart
            ctx.unbound_value = ctx.helper(UNBOUND, "UNBOUND")
            ctx.maybe_unbound = {name for _, names in reads for name in names}
    if ctx.restores:  # written in place too: their tangents are owned, as a subscript write's
        ctx.facts = replace(ctx.facts, mutated=ctx.facts.mutated | {x for x, _ in ctx.restores.values()})
    check_effects(anf, ops, act, ctx, lifted, options.mode, generated=generated)
    for p in ctx.facts.dense:  # a list of numbers' adjoint: a plain list, `dx`
        names.adjoint(p)
    for field, preferred in ctx.facts.field_adjoints.items():  # params["W1"]'s adjoint: `dW1`
        names.name_adjoint(field, preferred)
    return Lowered(parsed, tree, nested_defs, params, names, ctx, anf, ops, act, aux, generated)


def _check_entries_when_run(fn, checks, helper: str) -> None:
    """Before each write into an array that an entry read out of it earlier may view
    (`tmp = u[0]`, then `u[0] = ...`: see `aliases.check_aliases`), a statement that
    raises when it does, as the function runs."""
    done: dict = {}  # id(block) -> (the names checked, the write after the check)
    for write, array, entries in checks:
        names = [array] + entries
        block, index, _ = blocks_around(fn.body, write, fn)[-1]
        last = done.get(id(block))
        if last is not None and last[0] == names and not set(names) & set(nodes.stored_names(
                block[block.index(last[1]) + 1:index])):
            done[id(block)] = (names, write)
            continue  # the same values as at the check before (`u[0] = u[2]; u[2] = tmp`)
        where = write.targets[0].slice  # the write's index, passed on where it is names and numbers
        parts = where.elts if isinstance(where, gast.Tuple) else [where]
        at = f", at={unparse(where)}" if all(isinstance(p, (gast.Name, gast.Constant)) for p in parts) else ""
        check = nodes.quote_stmt(f"{helper}({', '.join(names)}{at})")
        nodes.stamp(check, write.lineno, write.col_offset)
        block.insert(index, check)
        done[id(block)] = (names, write)


def _check_arguments_when_run(fn, params: list, written: list, helper: str, outer=()) -> None:
    """On entry, a statement that raises where an argument the function writes into
    shares memory with another argument (`f(y, y)`), or an argument with a global the
    function writes (`outer`, among `params`: `f(OUT)`), as the function runs."""
    also = f", outer={tuple(outer)!r}" if outer else ""
    check = nodes.quote_stmt(f"{helper}({', '.join(params)}, names={tuple(params)!r}, "
                             f"written={tuple(written)!r}{also})")
    nodes.stamp(check, fn.lineno, fn.col_offset)  # (the `def` line: it checks the arguments)
    fn.body.insert(0, check)


def _check_bound_when_run(fn, reads: list, helper: str) -> None:
    """Before each statement that reads a local no assignment may have bound yet, a
    statement that raises f's UnboundLocalError when none has (`analysis.assigned`)."""
    for stmt, names in reads:
        block, index, _ = blocks_around(fn.body, stmt, fn)[-1]
        for name in reversed(names):
            check = nodes.quote_stmt(f"{helper}({name}, {name!r})")
            nodes.stamp(check, stmt.lineno, stmt.col_offset)
            block.insert(index, check)


def _check_buffers_when_run(fn, checks: list, helper: str) -> None:
    """After each binding of an array a differentiated value is written into (on
    entry, for a parameter), a statement that raises when it holds integers or
    booleans, as the function runs (see `analysis.buffers`)."""
    for stmt, name in reversed(checks):  # (later ones first: the indices stay right)
        check = nodes.quote_stmt(f"{helper}({name}, {name!r})")
        if stmt is None:  # a parameter, on entry (the `def` line)
            nodes.stamp(check, fn.lineno, fn.col_offset)
            fn.body.insert(0, check)
        elif isinstance(stmt, gast.For):
            nodes.stamp(check, stmt.lineno, stmt.col_offset)
            stmt.body.insert(0, check)
        else:
            block, index, _ = blocks_around(fn.body, stmt, fn)[-1]
            nodes.stamp(check, stmt.lineno, stmt.col_offset)
            block.insert(index + 1, check)


def _derive_reverse(low: Lowered, options: Options, calls: SplitPairs):
    """`grad_f(args)`, or a split pair: both sweeps, optimized and settled, assembled."""
    ctx, names = low.ctx, low.names
    sweeps = reverse(low.anf, low.ops, low.act, list(options.wrt), ctx, calls, split=options.split)
    setting = _reverse_setting(low, sweeps, options) if options.optimize else None

    def settle(backward, recompute_loops=True):  # the tape: what the optimized backward sweep reads
        forward, backward = sweeps.finish(backward, recompute_loops=recompute_loops)
        saved = set(sweeps.tape.temps.values()) | sweeps.counts
        return nested.restore(forward, low.nested_defs), backward, sweeps.tape.stack, saved

    if options.optimize:
        # Without a loop nothing is taped, so the tape need not wait for the optimizer.
        loops = options.split or any(isinstance(s, (gast.For, gast.While)) for s in statements(low.anf.body))
        forward, backward = optimize.reverse(sweeps.backward, settle, setting, loops=loops,
                                             joint=not options.split,
                                             value_needed=options.return_value or low.aux is not None
                                             or options.debug_nans, seed=sweeps.seed_name)
    else:  # the plain lowering (see `unoptimized`)
        forward, backward, _, _ = settle(sweeps.backward, recompute_loops=False)
    deferred = made = None
    tape_copy_dropped = False
    if options.split:
        functions = split_pair(low.tree, forward, backward, sweeps, low.params, names, ctx, options.debug_nans)
        if options.backend == "numba":  # vjp's or a callee's pair (Python's numerics kept)
            moved, tape_copy_dropped = native_pairs.lower(
                *functions, dict(zip(low.params, options.kinds)), ctx, sweeps.tape.stack, sweeps.seed_name)
    else:
        out = grad_function(low.tree, forward, backward, sweeps, names, ctx, options, low.aux, setting,
                            low.params)
        functions = [out]
        # before the fast path: its plain `*` and `/` allocate as the guards they replace do
        made = _made_record(out, low, options, setting)
        if options.backend == "numba":  # guards cost little in native code: no fast path
            # a list `[0.0] * len(x)` proved new stays new as the array the wrapper makes a list
            numba_fresh = _fresh_list(out, low, options, setting) if setting is not None else False
            kinds = dict(zip(low.params, options.kinds))
            numbers = [w for w in options.wrt if kinds.get(w) == "scalar"]
            moved, reals = native_lowering.lower(out, kinds, ctx, numbers)
        elif options.optimize and not (options.debug_nans or options.nan_safe or low.generated):
            functions, deferred = fast_path(out, sweeps, names, ctx, options, setting,
                                            ctx.arithmetic_helpers(arrays=True))
    compiled = _compiled(low, functions, calls, twin=deferred, with_writes=options.split)
    compiled.native_kwonly = moved if options.backend == "numba" else ()
    compiled.native_reals = reals if options.backend == "numba" and not options.split else ()
    # a numba split pair whose backward restores arrays of its tape in place, on the tape itself
    compiled.tape_copy_dropped = options.split and options.backend == "numba" and tape_copy_dropped
    compiled.made = made
    if options.backend == "numba" and not options.split:
        compiled.fresh = numba_fresh
    elif not options.split and deferred is None:
        compiled.fresh = _fresh_list(out, low, options, setting)
    return compiled


def _made_record(out, low: Lowered, options: Options, setting):
    """The keys of the record gradient `out` returns, when it proves each entry memory
    it allocated itself (`fresh.made_record`): grad of one record argument, optimized."""
    wrt = options.wrt
    if setting is None or len(wrt) != 1 or setting.params.get(wrt[0]) != "record" \
            or options.return_value or low.aux is not None:
        return None
    return made_record(out, low.params, kinds_of(out.body, setting), setting.callee)


def _fresh_list(out, low: Lowered, options: Options, setting) -> bool:
    """Whether `out` returns a new list of Python floats as long as its one argument, a
    list of numbers (`optimize.raises.fresh_numbers`): grad of that argument, optimized."""
    if setting is None or options.return_value or low.aux is not None:
        return False
    return list(options.wrt) == list(low.params) == [fresh_numbers(out, setting.params, setting.callee)]


def _reverse_setting(low: Lowered, sweeps, options: Options) -> optimize.Setting:
    """What reverse mode's optimisation passes read besides the code (see optimize/setting.py)."""
    ctx, names = low.ctx, low.names
    scalars = set(ctx.facts.scalar_names)
    scalars |= {saved for (name, _), saved in sweeps.tape.saves.items() if name in scalars}
    scalars |= {names.adjoint(n) for n in scalars}
    zero_d, vectors = entry_scalars(statements(low.anf.body), low.ops, ctx.facts.scalar_names, low.params,
                                    ctx.facts.array_params, ctx.facts.scalar_params)
    shape0 = set(zero_d)
    # require_scalar checks the returned value; a store into an entry of an array
    # (`forces[idx[k]] += f[k]`) is a flow checked_flow does not follow: none then
    if not options.split and isinstance(sweeps.returned, gast.Name) and not ctx.facts.mutated:
        shape0 |= checked_flow(low.anf.body, sweeps.returned.id, low.ops)
    numbers = shape0 | {saved for (name, _), saved in sweeps.tape.saves.items() if name in shape0}
    numbers |= {names.adjoint_of(n) for n in shape0 if names.adjoint_of(n) not in (None, sweeps.seed_name)}
    return optimize.Setting(
        dict(zip(low.params, options.kinds)), frozenset(scalars),
        resolver(ctx.locals.__contains__, ctx.helpers, low.parsed.namespace.lookup), ctx.emitted,
        gradients=tuple(sweeps.gradients), floats=frozenset(names.adjoint_names()),
        number_helpers=ctx.number_helpers(), arithmetic=ctx.arithmetic_helpers(),
        unbounded=ctx.unbounded_helpers(), unbroadcast=ctx.rename_global("unbroadcast"),
        math=ctx.emitted.get("math", "math"),
        fresh=names.fresh, rename_global=ctx.rename_global,
        containers=frozenset(names.adjoint(n) for n in ctx.facts.container_names | set(ctx.facts.dense)
                             if names.adjoint_of(n) is not None),
        numbers=frozenset(numbers), entries=frozenset(names.adjoint_of(n) for n in vectors
                                                       if names.adjoint_of(n) is not None),
        unshared=frozenset(n for n in vectors if not ctx.facts.views.get(n, {n}) - zero_d - {n}),
        vectors=frozenset(vectors),
        lazy=options.lazy or "dask" in options.kinds, native=options.backend == "numba")


def _derive_forward(low: Lowered, options: Options, calls: Tangents):
    """`jvp_f(args, *, x_dot, ...) -> (value, value_dot)`: the tangent function."""
    ctx, names = low.ctx, low.names
    body, returned, returned_dot = forward(low.anf, low.ops, low.act, list(options.wrt), ctx, calls,
                                             generated=low.generated)
    if options.optimize:  # the forward sweep's only passes: scalar elision, constant folding
        scalars = set(ctx.facts.scalar_names) | {names.tangent(n) for n in ctx.facts.scalar_names}
        # a tangent written in place (its value is) must not become another name's: `u_dot = t_dot * 1.0`
        # is not folded to `u_dot = t_dot` where `t_dot[0] = ...` follows
        floats = frozenset(names.adjoint_names()) - {names.tangent(n) for n in ctx.facts.written()}
        setting = optimize.Setting(dict(zip(low.params, options.kinds)), frozenset(scalars), None, ctx.emitted,
                                   floats=floats, number_helpers=ctx.number_helpers(),
                                   arithmetic=ctx.arithmetic_helpers(), unbounded=ctx.unbounded_helpers(),
                                   unbroadcast=ctx.rename_global("broadcast_like"),
                                   math=ctx.emitted.get("math", "math"))
        body = optimize.tangent(body, setting)
    body = nested.restore(body, low.nested_defs)
    out, tangent_params = tangent_function(low.tree, body, returned, returned_dot, names, ctx, options)
    kinds = dict(zip(low.params, options.kinds))
    numbers = [(w, t) for w, t in zip(options.wrt, tangent_params) if kinds.get(w) == "scalar"]
    moved, reals = native_lowering.lower(out, kinds, ctx, [n for pair in numbers for n in pair]) \
        if options.backend == "numba" else ((), ())
    compiled = _compiled(low, [out], calls)
    compiled.native_kwonly = moved
    compiled.native_reals = reals
    compiled.tangent_params = tangent_params
    return compiled


def _compiled(low: Lowered, functions: list, calls, twin=None, with_writes: bool = True) -> codegen.Compiled:
    """The generated functions as text and code, bound to the helpers the compile made,
    with what they were built from (`watch.reads`) and, `with_writes`, the parameters
    they may write (`writes`, else None): what `jvp` and `vjp`'s pairs copy by, which a
    joint gradient's caller never asks."""
    ctx = low.ctx
    texts = [codegen.to_sources(f, note=ctx.line) for f in functions]
    source = "\n\n".join(plain for plain, _ in texts)
    annotated = "\n\n".join(noted for _, noted in texts)
    free = sorted(ctx.helpers) + [n for n in low.parsed.closure if n not in ctx.helpers]
    compiled = codegen.Compiled([f.name for f in functions], source, free, ctx.helpers, annotated, twin=twin)
    compiled.reads = watch.reads(low.parsed, low.ops, calls.bound)
    compiled.writes = writes.written_params(low.anf, low.ops, low.params, low.parsed.namespace,
                                            ctx.is_local) if with_writes else None
    compiled.origin = low.parsed.source.filename  # what its notes' line numbers refer to
    return compiled


def _uncached(building: frozenset):
    """Callees compiled with `derive` itself, for a `derive` called by hand (no cache)."""
    def compile(callee, options):
        if callee.__code__ in building:
            raise Recursion(callee.__code__)
        return derive(callee, options, compile=_uncached(building | {callee.__code__}))

    return compile


def _with_static(parsed: ParsedFunction, params: list, kinds: tuple, stored: set) -> tuple:
    """`parsed` seeing its function-valued parameters (kind `Static`, never rebound in the
    body) as the functions they hold, like globals: `act(h)` resolves to `numpy.tanh`'s
    rule or the user's `relu`; and the names of those parameters (no longer locals). The
    generated code still takes them and reads them as parameters: the same objects, as the
    derivative is built for each one (`Static` is part of the cache key)."""
    static = {p: k.value for p, k in zip(params, kinds) if isinstance(k, Static) and p not in stored}
    if not static:
        return parsed, set()
    return dataclasses.replace(parsed, namespace=parsed.namespace.with_values(static)), set(static)


def _stored(tree) -> set[str]:
    """The names stored anywhere in `tree`."""
    return set(nodes.stored_names(tree))
