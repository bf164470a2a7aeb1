"""A derivative's plan: the functions with source that give its value, and how
their results are put together.

A derivative srcgrad returns (grad(f), value_and_grad(f), jacobian(f),
hessian(f), hvp(f), and any transform of those) has, for given argument
values, a *plan*: the functions with source ("leaves", generated code or the
user's own function) whose results give its value, and how their results are
put together (`assemble`: stacking, nesting, giving a gradient its
argument's structure). Assembling is linear, so the directional derivative
of a plan is forward mode applied to each leaf (generated code is read back
like a user's function: its text is in `linecache`) with the same assembly.

This module holds the leaves and plans, and the structural helpers that
turn forward-mode columns into gradients, Jacobians and pullbacks (numbers
and arrays in dicts, lists and tuples). The transforms that build plans are
in `transforms.py`.
"""
from __future__ import annotations

import contextlib
import contextvars
import weakref

import numpy

from .. import frontend
from ..bound import JVP_BOUND, bound_for
from ..boundary import as_gradient, kind_of, tangent_like
from ..options import Options
from ..errors import SrcGradError
from ..runtime.core import sequence_like


def is_derivative(fun) -> bool:
    """Whether `fun` is a derivative srcgrad returned (anything with a plan)."""
    return callable(getattr(type(fun), "_plan", None))


# --- leaves: one function with source, and what feeds each of its parameters ----

_LAYOUT: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # fn -> ((param, positional only), ...)


def _layout(fn) -> tuple:
    """`fn`'s named parameters in order, each with whether it is positional-only."""
    layout = _LAYOUT.get(fn)
    if layout is None:
        layout = _LAYOUT[fn] = tuple(
            (p.name, p.kind is p.POSITIONAL_ONLY) for p in frontend.signature(fn).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
    return layout


def _copied(value):
    """`value` with every array and container in it copied (numbers as they are)."""
    if isinstance(value, numpy.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return sequence_like(value, [_copied(v) for v in value])
    return value


def _shared_copies(given: list) -> list:
    """Copies of the arrays `given` that share memory where they do (`f(y, y)`,
    `f(y, y[:])`): one copy of each array owning the memory, and the same views of it."""
    owners: dict = {}  # id(the array owning the memory) -> its copy
    out = []
    for value in given:
        root = value
        while isinstance(root.base, numpy.ndarray):
            root = root.base
        if id(root) not in owners:
            owners[id(root)] = root.copy(order="K")
        duplicate = owners[id(root)]
        if value is root:
            out.append(duplicate)
        elif duplicate.strides == root.strides:  # the same view of the copy
            offset = value.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            out.append(numpy.ndarray(value.shape, value.dtype, buffer=duplicate, offset=offset,
                                     strides=value.strides))
        else:  # an owner of unusual layout: this view on its own
            out.append(value.copy())
    return out


def _fed(source, values: dict):
    """The value a feed gives: ("arg", name) reads the call's arguments, ("const", v) is v."""
    return values[source[1]] if source[0] == "arg" else source[1]


class Leaf:
    """A function with source, called with the derivative's arguments and constants.

    `feeds` maps each of its parameters to ("arg", name of the derivative's
    parameter) or ("const", value). Its result nests `depth` (value, tangent)
    pairs around the raw value of the function it started from; `convert(raw,
    values)` gives that raw value the structure the user sees (a gradient
    shaped like its argument); it is structural and linear, so it converts
    every tangent of the raw value too.
    """

    __slots__ = ("fn", "feeds", "depth", "convert", "tangents")

    def __init__(self, fn, feeds: dict, depth: int = 0, convert=None, tangents: frozenset = frozenset()):
        self.fn, self.feeds, self.depth, self.convert = fn, feeds, depth, convert
        self.tangents = tangents  # the parameters fed a direction (a tangent function's)

    def run(self, values: dict):
        """Call the function on copies of the arrays and containers it is fed: a
        function that writes into its argument (and its tangent function, into the
        tangent) must neither change the caller's values nor move the point the
        next leaf is taken at. Arrays that share memory share it in their copies
        (`_shared_copies`): the leaf's own entry check (`runtime.arguments_unshared`,
        where the function writes into one of them) then refuses `f(y, y)` as the
        function's derivatives do, instead of differentiating a program of two
        arrays. A tangent is copied on its own (a tangent function writes into the
        tangent as into its value)."""
        positional, keywords, arrays = [], {}, []
        for param, only_positional in _layout(self.fn):
            source = self.feeds.get(param)
            if source is None:
                continue  # left to its default
            value = _fed(source, values)
            if value.__class__ is numpy.ndarray and param not in self.tangents:
                arrays.append((param, only_positional, len(positional), value))
            if only_positional:
                positional.append(_copied(value))
            else:
                keywords[param] = _copied(value)
        if len(arrays) > 1 and any(numpy.may_share_memory(a[3], b[3])
                                   for k, a in enumerate(arrays) for b in arrays[k + 1:]):
            for (param, only_positional, at, _), copy in zip(arrays, _shared_copies([a[3] for a in arrays])):
                if only_positional:
                    positional[at] = copy
                else:
                    keywords[param] = copy
        return self.fn(*positional, **keywords)

    def output(self, result, values: dict):
        """The leaf's value as the user sees it, from `run`'s result."""
        return _output(result, self.depth, self.convert, values)

    def primal_output(self, result, values: dict):
        """The value of the leaf this one is the tangent of, from `run`'s result."""
        return _output(result[0], self.depth - 1, self.convert, values)

    def forward(self, values: dict, directions: dict) -> "Leaf | Zero":
        """The directional derivative of this leaf: forward mode over its source.

        `directions` maps the derivative's parameters to feeds of their tangents;
        parameters not named are held constant.
        """
        params = [p for p, _ in _layout(self.fn) if p in self.feeds]
        moved = {p: directions[self.feeds[p][1]] for p in params
                 if self.feeds[p][0] == "arg" and self.feeds[p][1] in directions}
        if not moved:
            return Zero(self)
        kinds = tuple(kind_of(_fed(self.feeds[p], values)) for p in params)
        options = Options(tuple(p for p in params if p in moved), kinds=kinds, mode="forward")
        compiled, bound = _forward_function(self.fn, options)
        feeds = dict(self.feeds)
        for param, tangent_param in zip(options.wrt, compiled.tangent_params, strict=True):
            feeds[tangent_param] = moved[param]
        return Leaf(bound, feeds, self.depth + 1, self.convert, self.tangents.union(compiled.tangent_params))


def _output(result, depth: int, convert, values: dict):
    """The value (depth 0) or highest tangent in a result nesting `depth` pairs, in
    the structure `convert` gives the raw value (a linear, structural map)."""
    base = tangent = result
    for _ in range(depth):
        base = base[0]
        tangent = tangent[1] if isinstance(tangent, tuple) and len(tangent) == 2 else None
    if depth:  # a tangent has its value's structure (None: zero), and is converted as it is
        base = tangent_like(tangent, base)
    return convert(base, values) if convert is not None else base


class Zero:
    """The tangent of a leaf that does not depend on the moved arguments: zeros."""

    __slots__ = ("leaf",)

    def __init__(self, leaf):
        self.leaf = leaf

    def run(self, values: dict):
        return self.leaf.run(values)

    def output(self, result, values: dict):
        return tangent_like(None, self.leaf.output(result, values))

    def primal_output(self, result, values: dict):
        return self.leaf.output(result, values)

    def forward(self, values: dict, directions: dict) -> "Zero":
        return self


def _forward_function(fn, options: Options):
    """(compiled, bound) tangent function of `fn` for `options`, built once per `fn`
    (and again after a helper it was built from changed: see `watch`), in the backend
    `forward_backend` set (numba's wrapper says which ran: `.backend`, `.refusal`)."""
    return bound_for(JVP_BOUND, fn, options, _BACKEND.get())  # the table jvp keeps


_BACKEND = contextvars.ContextVar("srcgrad_forward_backend", default="python")


@contextlib.contextmanager
def forward_backend(backend: str):
    """Build the tangent functions of the plans made inside the block in `backend`
    ("python", "numba" or "auto"): hvp and hessian of a plain function compile forward
    mode over its generated gradient with numba this way."""
    token = _BACKEND.set(backend)
    try:
        yield
    finally:
        _BACKEND.reset(token)


def ran(leaves) -> tuple:
    """(the backend that ran the tangent functions among `leaves`, the refusal where
    "auto" ran Python instead): "numba" where numba ran every one of them."""
    fns = [leaf.leaf.fn if isinstance(leaf, Zero) else leaf.fn for leaf in leaves]
    native = [fn for fn in fns if hasattr(fn, "native")]  # numba's wrappers (`native.entry`)
    refusal = next((fn.refusal for fn in fns if getattr(fn, "refusal", None) is not None), None)
    if native and all(fn.backend == "numba" for fn in native) and refusal is None:
        return "numba", None
    return "python", refusal


def user_leaf(fun, values: dict) -> Leaf:
    """A user's function as a leaf: every parameter fed by the argument of its name.
    (Its source is read when forward mode first applies to it.)"""
    return Leaf(fun, {p: ("arg", p) for p, _ in _layout(fun) if p in values})


# --- plans ----------------------------------------------------------------------

class Plan:
    """Leaves, and `assemble(outputs)`: the derivative's value from the leaves' outputs."""

    __slots__ = ("leaves", "assemble")

    def __init__(self, leaves: list, assemble):
        self.leaves, self.assemble = leaves, assemble

    def run(self, values: dict):
        return self.assemble([leaf.output(leaf.run(values), values) for leaf in self.leaves])

    def run_pair(self, values: dict):
        """(the value of the plan this one is the tangent of, this plan's value): each
        leaf runs once (a tangent function also returns its primal)."""
        values_out, tangents_out = [], []
        for leaf in self.leaves:
            result = leaf.run(values)
            values_out.append(leaf.primal_output(result, values))
            tangents_out.append(leaf.output(result, values))
        return self.assemble(values_out), self.assemble(tangents_out)

    def forward(self, values: dict, directions: dict) -> "Plan":
        return Plan([leaf.forward(values, directions) for leaf in self.leaves], self.assemble)


def combine(plans: list, join) -> Plan:
    """One plan running `plans`; `join` gets their values in a list."""
    counts = [len(p.leaves) for p in plans]

    def assemble(outputs):
        results, start = [], 0
        for plan, count in zip(plans, counts):
            results.append(plan.assemble(outputs[start:start + count]))
            start += count
        return join(results)

    return Plan([leaf for p in plans for leaf in p.leaves], assemble)


def single(leaf) -> Plan:
    return Plan([leaf], lambda outputs: outputs[0])


# --- structures: numbers and arrays in dicts, lists and tuples ------------------

def leaves_of(tree) -> list:
    """The numbers and arrays of `tree`, in order (dict entries in insertion order)."""
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in leaves_of(v)]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in leaves_of(v)]
    return [tree]


def rebuild(tree, items):
    """`tree`'s structure with its leaves taken in order from the iterator `items`."""
    if isinstance(tree, dict):
        return {k: rebuild(v, items) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return sequence_like(tree, [rebuild(v, items) for v in tree])
    return next(items)


def basis(tree) -> list:
    """Unit tangents along every scalar entry of `tree`, each shaped like `tree`."""
    out = []
    leaves = leaves_of(tree)
    for i, leaf in enumerate(leaves):
        for entry in numpy.ndindex(numpy.shape(leaf)):
            units = [_zeros_like(other) for other in leaves]
            if isinstance(leaf, numpy.ndarray):
                units[i][entry] = 1.0
            else:
                units[i] = 1.0
            out.append(rebuild(tree, iter(units)))
    return out


def _zeros_like(leaf):
    if isinstance(leaf, numpy.ndarray):
        return numpy.zeros(leaf.shape, leaf.dtype if leaf.dtype.kind == "f" else numpy.float64)
    return 0.0


def _scalar(value, what: str) -> float:
    """`value` as a float; a SrcGradError if it is not one number."""
    if isinstance(value, (float, int, numpy.floating, numpy.integer)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, numpy.ndarray) and value.shape == ():
        return float(value)
    shape = f"an array of shape {value.shape}" if isinstance(value, numpy.ndarray) \
        else f"a {type(value).__name__}"
    raise SrcGradError(f"{what} needs a function with one number as its value, but it returns {shape}",
                       hint="use srcgrad.jacobian for a function with an array or several "
                            "values; srcgrad.hessian(f) is jacobian(grad(f))")


def by_columns(plan: Plan, values: dict, names: tuple) -> tuple[Plan, list]:
    """The plan of `plan`'s tangents along every scalar entry of each argument in
    `names`, and how many columns each argument has."""
    leaves, counts = [], []
    for name in names:
        units = basis(values[name])
        counts.append(len(units))
        for unit in units:
            leaves += plan.forward(values, {name: ("const", unit)}).leaves
    per_column = len(plan.leaves)
    assemble = plan.assemble

    def columns(outputs):
        return [assemble(outputs[i:i + per_column]) for i in range(0, len(outputs), per_column)]

    return Plan(leaves, columns), counts


def split(columns: list, counts: list) -> list:
    out, start = [], 0
    for count in counts:
        out.append(columns[start:start + count])
        start += count
    return out


def gradient_of(columns: list, x, what: str):
    """A gradient shaped like the argument `x`, from its columns (one number each)."""
    return as_gradient(rebuild(x, _entries(x, [_scalar(c, what) for c in columns])), x)


def _entries(x, numbers: list):
    """Per leaf of `x`, its entries from `numbers` (a float, or an array of its shape)."""
    start = 0
    for leaf in leaves_of(x):
        shape = numpy.shape(leaf)
        size = int(numpy.prod(shape))
        chunk = numbers[start:start + size]
        start += size
        yield numpy.array(chunk, dtype=float).reshape(shape) if isinstance(leaf, numpy.ndarray) \
            else chunk[0]


def jacobian_of(columns: list, out, x):
    """out's structure of (x's structure of arrays shaped out_leaf.shape + x_leaf.shape)."""
    out_leaves = leaves_of(out)
    flat = [leaves_of(tangent_like(c, out)) for c in columns]
    blocks = []
    for j, out_leaf in enumerate(out_leaves):
        per_x, start = [], 0
        for x_leaf in leaves_of(x):
            size = int(numpy.prod(numpy.shape(x_leaf)))
            dtype = block_dtype(out_leaf, x_leaf)
            cols = [numpy.asarray(col[j], dtype=dtype) for col in flat[start:start + size]]
            start += size
            shape = numpy.shape(out_leaf) + numpy.shape(x_leaf)
            block = numpy.stack(cols, axis=-1).reshape(shape) if cols else numpy.zeros(shape, dtype)
            per_x.append(block if shape else x_leaf.dtype.type(block) if isinstance(x_leaf, numpy.floating)
                         else float(block))  # a number as a gradient gives one (as_gradient)
        blocks.append(rebuild(x, iter(per_x)))
    return rebuild(out, iter(blocks))


def jacobian_of_rows(rows: list, out, x):
    """`jacobian_of`'s result from rows of the Jacobian: the gradients (shaped like
    `x`) along each scalar entry of `out`, in the order of `basis(out)`."""
    flat = [leaves_of(tangent_like(r, x)) for r in rows]
    blocks, start = [], 0
    for out_leaf in leaves_of(out):
        size = int(numpy.prod(numpy.shape(out_leaf)))
        mine, start = flat[start:start + size], start + size
        per_x = []
        for i, x_leaf in enumerate(leaves_of(x)):
            shape = numpy.shape(out_leaf) + numpy.shape(x_leaf)
            block = numpy.stack([numpy.asarray(r[i], dtype=block_dtype(out_leaf, x_leaf)) for r in mine]).reshape(shape)
            per_x.append(block if shape else float(block))
        blocks.append(rebuild(x, iter(per_x)))
    return rebuild(out, iter(blocks))


def block_dtype(out, x):
    """The dtype of a Jacobian block of `out` in `x`: their floating dtypes promoted
    (float32 in and out keeps float32, as a gradient keeps its argument's),
    float64 where neither has one (Python numbers, integer arrays)."""
    found = [v.dtype for v in (out, x)
             if isinstance(v, (numpy.ndarray, numpy.floating)) and v.dtype.kind == "f"]
    return numpy.result_type(*found) if found else numpy.dtype(numpy.float64)


def pulled_back(columns: list, out, cotangent, x):
    """J^T cotangent from the columns of J (each shaped like `out`), shaped like `x`."""
    cot = leaves_of(tangent_like(cotangent, out))
    numbers = [sum(float(numpy.vdot(numpy.asarray(c, dtype=float), numpy.asarray(t, dtype=float)))
                   for c, t in zip(cot, leaves_of(tangent_like(col, out)), strict=True))
               for col in columns]
    return as_gradient(rebuild(x, _entries(x, numbers)), x)
