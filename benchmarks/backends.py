"""Backends: one small adapter per way of getting a gradient.

`prepare(workload, args)` returns a `Prepared`: a zero-argument `call` that
computes the gradient (forward only for the `numpy` backend), and `to_tree`,
which turns what `call` returned into NumPy arrays / floats with the
structure of the hand-written gradient, so every backend can be checked
against it. Peers run the workload's own code object with the globals `np`
and `math` swapped for their namespace (`rebind`).
"""
from __future__ import annotations

import dataclasses
import math
import time
import types
from typing import Any, Callable

import numpy as np


class Unavailable(Exception):
    """The backend is not installed (or cannot run this workload); the reason is the message."""


class Refused(Exception):
    """srcgrad refused to build the derivative in this backend (a SrcGradError, as a user
    would get it); its first line is the table's status."""


@dataclasses.dataclass
class Prepared:
    call: Callable[[], Any]
    to_tree: Callable[[Any], Any] | None = None      # None: forward only, nothing to check
    value_of: Callable[[Any], float] | None = None   # for value_and_grad: the value returned
    first_call_s: float | None = None                # build/trace/compile + first run
    tracemalloc_ok: bool = True                      # allocations visible to tracemalloc
    # other calls of the same derivative, timed in the same group: name -> (call, to_tree)
    variants: dict = dataclasses.field(default_factory=dict)


def rebind(fun, np_ns, math_ns):
    """The same code object as `fun`, with `np` and `math` looked up in other namespaces."""
    g = dict(fun.__globals__)
    g["np"] = np_ns
    g["math"] = math_ns
    return types.FunctionType(fun.__code__, g, fun.__name__, fun.__defaults__, fun.__closure__)


def _argnums(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


def _timed_first(call):
    t0 = time.perf_counter()
    out = call()
    return out, time.perf_counter() - t0


# ------------------------------------------------------------------ numpy, hand, srcgrad


def numpy_forward(w, args):
    f = w.fun
    return Prepared(call=lambda: f(*args))


def hand(w, args):
    g = w.hand_grad
    return Prepared(call=lambda: g(*args), to_tree=lambda r: r)


def srcgrad_grad(w, args):
    import srcgrad
    df = srcgrad.grad(w.fun, wrt=w.wrt)
    call = lambda: df(*args)  # noqa: E731
    _, first = _timed_first(call)
    return Prepared(call=call, to_tree=lambda r: r, first_call_s=first)


def srcgrad_value_and_grad(w, args):
    import srcgrad
    vg = srcgrad.value_and_grad(w.fun, wrt=w.wrt)
    call = lambda: vg(*args)  # noqa: E731
    _, first = _timed_first(call)
    return Prepared(call=call, to_tree=lambda r: r[1], value_of=lambda r: r[0], first_call_s=first)


def srcgrad_numba(w, args):
    """`grad(f, backend="numba")`, the workload as written. A list of Python floats is
    passed as it is (the backend converts it at its boundary); the variant "array" calls
    the same derivative with those values as a float64 array."""
    import srcgrad
    from srcgrad import native

    if not native.available():
        raise Unavailable("numba is not installed")
    df = srcgrad.grad(w.fun, wrt=w.wrt, backend="numba")
    call = lambda: df(*args)  # noqa: E731
    try:
        _, first = _timed_first(call)
    except srcgrad.SrcGradError as err:
        raise Refused(refusal_text(err)) from None
    if df.backend != "numba":  # backend="numba" runs numba or raises: never Python quietly
        raise RuntimeError(f"backend='numba' ran {df.backend}")
    variants = {}
    if any(isinstance(a, list) for a in args):
        arrays = tuple(np.array(a, dtype=np.float64) if isinstance(a, list) else a for a in args)
        array_call = lambda: df(*arrays)  # noqa: E731
        array_call()  # its own build and compile (another kind of argument), before the timing
        variants["array"] = (array_call, list)
        if w.name == "rosenbrock":  # the floor: numba's own cost of a call from Python
            import numba

            from .workloads import rosenbrock_grad_array
            floor = numba.njit(rosenbrock_grad_array)
            floor_call = lambda: floor(*arrays)  # noqa: E731
            floor_call()
            variants["njit floor"] = (floor_call, list)
    return Prepared(call=call, to_tree=lambda r: r, first_call_s=first, tracemalloc_ok=False,
                    variants=variants)


def refusal_text(err) -> str:
    """The first line of srcgrad's error, its file named by base name only."""
    first = str(err).splitlines()[0]
    path, sep, rest = first.partition(": ")
    if sep and path.count(":") >= 2 and "/" in path:
        first = path.rsplit("/", 1)[1] + sep + rest
    return first


# ------------------------------------------------------------------ HIPS autograd


def autograd_grad(w, args):
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError as err:
        raise Unavailable("not installed") from err
    amath = types.SimpleNamespace(sin=anp.sin, cos=anp.cos, exp=anp.exp, log=anp.log,
                                  tanh=anp.tanh, sqrt=anp.sqrt)
    f = rebind(w.fun, anp, amath)
    g = autograd.grad(f, argnum=w.wrt)
    call = lambda: g(*args)  # noqa: E731
    return Prepared(call=call, to_tree=lambda r: r)


# ------------------------------------------------------------------ JAX


def _jax():
    try:
        import jax
    except ImportError as err:
        raise Unavailable("not installed") from err
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
    jmath = types.SimpleNamespace(sin=jnp.sin, cos=jnp.cos, exp=jnp.exp, log=jnp.log,
                                  tanh=jnp.tanh, sqrt=jnp.sqrt)
    return jax, jnp, jmath


def _to_jax(jnp, tree):
    """Arrays go to the device once, outside the timing; Python floats stay floats."""
    if isinstance(tree, dict):
        return {k: _to_jax(jnp, v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_to_jax(jnp, v) for v in tree)
    if isinstance(tree, np.ndarray):
        return jnp.asarray(tree)
    return tree


def jax_grad(w, args):
    jax, jnp, jmath = _jax()
    g = jax.grad(rebind(w.fun, jnp, jmath), argnums=w.wrt)
    jargs = _to_jax(jnp, args)
    call = lambda: jax.block_until_ready(g(*jargs))  # noqa: E731
    return Prepared(call=call, to_tree=lambda r: r, tracemalloc_ok=False)


def jax_jit_grad(w, args):
    jax, jnp, jmath = _jax()
    g = jax.jit(jax.grad(rebind(w.fun, jnp, jmath), argnums=w.wrt))
    jargs = _to_jax(jnp, args)
    call = lambda: jax.block_until_ready(g(*jargs))  # noqa: E731
    _, first = _timed_first(call)
    return Prepared(call=call, to_tree=lambda r: r, first_call_s=first, tracemalloc_ok=False)


# ------------------------------------------------------------------ PyTorch (only if installed)


def _torch_namespaces(torch):
    f64 = torch.float64

    def t(v):
        return v if isinstance(v, torch.Tensor) else torch.as_tensor(v, dtype=f64)

    def unary(fn):
        return lambda x: fn(t(x))

    def reduce(fn):
        def r(x, axis=None, keepdims=False):
            x = t(x)
            return fn(x) if axis is None else fn(x, dim=axis, keepdim=keepdims)
        return r

    tnp = types.SimpleNamespace(
        tanh=unary(torch.tanh), exp=unary(torch.exp), log=unary(torch.log),
        log1p=unary(torch.log1p), sin=unary(torch.sin), cos=unary(torch.cos),
        sqrt=unary(torch.sqrt),
        sum=reduce(torch.sum), mean=reduce(torch.mean), max=reduce(torch.amax),
        logaddexp=lambda a, b: torch.logaddexp(t(a), t(b)),
        zeros=lambda shape: torch.zeros(shape, dtype=f64),
    )
    tmath = types.SimpleNamespace(sin=tnp.sin, cos=tnp.cos, exp=tnp.exp, log=tnp.log,
                                  tanh=tnp.tanh, sqrt=tnp.sqrt)
    return tnp, tmath


def torch_grad(w, args):
    try:
        import torch
    except ImportError as err:
        raise Unavailable("not installed") from err
    torch.set_num_threads(1)
    tnp, tmath = _torch_namespaces(torch)
    f = rebind(w.fun, tnp, tmath)
    leaves = []

    def convert(tree, requires_grad):
        if isinstance(tree, dict):
            return {k: convert(v, requires_grad) for k, v in tree.items()}
        if isinstance(tree, (list, tuple)):
            return type(tree)(convert(v, requires_grad) for v in tree)
        x = torch.tensor(np.asarray(tree, dtype=np.float64), dtype=torch.float64,
                         requires_grad=requires_grad)
        if requires_grad:
            leaves.append(x)
        return x

    wrt = _argnums(w.wrt)
    targs = [convert(a, i in wrt) for i, a in enumerate(args)]

    def call():
        return torch.autograd.grad(f(*targs), leaves)

    def to_tree(grads):
        it = iter(grads)

        def rebuild(tree):
            if isinstance(tree, dict):
                return {k: rebuild(v) for k, v in tree.items()}
            if isinstance(tree, (list, tuple)):
                return type(tree)(rebuild(v) for v in tree)
            return next(it).numpy()
        out = tuple(rebuild(args[i]) for i in wrt)
        return out if isinstance(w.wrt, tuple) else out[0]

    return Prepared(call=call, to_tree=to_tree, tracemalloc_ok=False)


# name -> (column header, adapter). Order is the table's column order.
BACKENDS: dict[str, tuple[str, Callable]] = {
    "numpy": ("f (forward)", numpy_forward),
    "hand": ("hand grad", hand),
    "srcgrad": ("srcgrad grad", srcgrad_grad),
    "srcgrad_vg": ("srcgrad v&g", srcgrad_value_and_grad),
    "autograd": ("autograd", autograd_grad),
    "jax": ("jax.grad", jax_grad),
    "jax_jit": ("jit(jax.grad)", jax_jit_grad),
    "srcgrad_numba": ("srcgrad numba", srcgrad_numba),  # beside jax.jit: both compile the loop
    "torch": ("torch f64", torch_grad),
}


# ------------------------------------------------------------------ comparing gradients


def leaves(tree) -> list[np.ndarray]:
    """The leaves of a gradient tree, as float64 arrays (dict keys sorted)."""
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in leaves(v)]
    return [np.asarray(tree, dtype=np.float64)]


def max_rel_error(got, want) -> float:
    """Largest |got - want| over all leaves, relative to the largest |want| of that leaf."""
    a, b = leaves(got), leaves(want)
    if len(a) != len(b):
        return math.inf
    worst = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            return math.inf
        scale = max(float(np.max(np.abs(y))) if y.size else 0.0, 1e-12)
        err = float(np.max(np.abs(x - y))) / scale if y.size else 0.0
        if not math.isfinite(err):
            return math.inf
        worst = max(worst, err)
    return worst
