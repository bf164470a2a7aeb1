"""Subscripts and writes: the adjoint of `a[index]`, of `x[index] = v`, and undoing writes.

A write overwrites entries, so its reverse sweep restores the old entries
(`copy_slice`, `restore_entry`) and clears the adjoint where they were
(`zero_at`). In a loop, the adjoint of an array read entry by entry is a
buffer the derivative owns (`owned_adjoint`), added into in place
(`scatter_add`, or `dx[i] += g` where the index is basic: see
optimize/inplace.py). Values that change in place get copies nothing else shares
(`owned`), and a tape the backward restores in place is copied before a
pullback runs again (`fresh_tape`).
"""
import numpy

from .containers import fill_grad, rebuilt
from .core import array_copy, as_array, duck, unbroadcast, zeros_shaped


def unindex(g, a, index):
    """The adjoint of `a` in `a[index]`: `g` placed in zeros shaped like `a`.

    Integer-array and boolean indices go through `numpy.add.at`, so repeated
    indices add up; basic indices (ints, slices) are a plain assignment.
    """
    if isinstance(a, dict):
        return {index: g}
    if isinstance(a, (list, tuple)):
        out = [None] * len(a)
        out[index] = g
        return rebuilt(a, out)
    dtype = numpy.result_type(as_array(g).dtype, numpy.float64) \
        if as_array(g).dtype.kind != "f" else as_array(g).dtype
    out = zeros_shaped(g if duck(g) else a, numpy.shape(a), dtype)
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (numpy.ndarray, list)) for p in parts):
        numpy.add.at(out, index, g)
    else:
        out[index] = g
    return out


def scatter_add(g, index, v):
    """`g[index] += v` in place, with `numpy.add.at`'s sum over repeated integer
    indices: what `g = g + unindex(v, a, index)` computes, without a new array.

    `g` is an adjoint buffer the derivative owns (see `owned_adjoint`). Basic
    indices and boolean masks name each entry once, so a plain `+=` is exact.
    """
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (numpy.ndarray, list)) and as_array(p).dtype.kind != "b" for p in parts):
        numpy.add.at(g, index, v)
    else:
        g[index] += v


def owned_adjoint(g):
    """A copy of the adjoint `g` that the derivative owns and may add into in place:
    a new array, of a floating (or complex) dtype, that no other name holds."""
    g = as_array(g)
    return array_copy(g, dtype=g.dtype if g.dtype.kind in "fc" else numpy.result_type(g, numpy.float64))


def take_adjoint_helper(g, a, indices, axis=None, mode="raise"):
    """Adjoint of numpy.take(a, indices, axis, mode=mode): `g` scattered back with numpy.add.at.

    add.at accumulates, so an index taken several times gets the sum.
    """
    shape = numpy.shape(a)
    g = as_array(g)
    out = numpy.zeros(shape, dtype=numpy.result_type(g.dtype, float))
    target = numpy.reshape(out, -1) if axis is None else numpy.moveaxis(out, axis, 0)
    n = target.shape[0]
    indices = as_array(indices)
    if mode == "wrap":
        indices = numpy.mod(indices, n)
    elif mode == "clip":
        indices = numpy.clip(indices, 0, n - 1)
    if axis is not None:
        axis = axis % len(shape)
        g = numpy.moveaxis(g, tuple(range(axis, axis + indices.ndim)), tuple(range(indices.ndim)))
    numpy.add.at(target, indices, g)
    return out


# --- writes: x[index] = v --------------------------------------------------------


def owned(g):
    """A copy of `g` that nothing else shares (so a later in-place change cannot leak)."""
    return array_copy(g)


def owned_tangent(t):
    """A tangent of a value that changes in place: a copy nothing else shares."""
    if isinstance(t, numpy.ndarray):
        return numpy.array(t, dtype=t.dtype if t.dtype.kind == "f" else numpy.float64)
    if isinstance(t, list):
        return list(t)
    if isinstance(t, dict):
        return dict(t)
    return t


def zero_at(g, index):
    """A copy of the adjoint `g` with zeros at `index`: the overwritten entries' share."""
    if isinstance(g, dict):  # a dict's adjoint: a missing key is a zero entry
        out = dict(g)
        out.pop(index, None)
        return out
    if isinstance(g, (list, tuple)):  # a list's adjoint: None is a zero entry
        out = list(g)
        out[index] = None if isinstance(index, int) else [None] * len(out[index])
        return type(g)(out)
    out = array_copy(g, dtype=numpy.result_type(g, numpy.float64) if as_array(g).dtype.kind != "f"
                     else as_array(g).dtype)
    out[index] = 0
    return out


MISSING = object()  # the saved "old value" of a dict key that a write added: restoring it removes the key


def copy_slice(x, index):
    """The entries `x[index]` about to be overwritten, as a copy (basic slices are views);
    MISSING for a key the write adds to a dict."""
    if type(x) is dict and index not in x:
        return MISSING
    old = x[index]
    return old.copy() if hasattr(old, "copy") else old


def restore_entry(x, index, old):
    """Undo `x[index] = v` on a container: put the old entry back, or remove an added key."""
    if old is MISSING:
        del x[index]
    else:
        x[index] = old


def written_adjoint(g, index, v):
    """The adjoint of `v` in `x[index] = v`: the entries of `g` that `v` landed on.

    With repeated integer indices NumPy keeps the last write, so only the
    winning copies of `v` receive gradient.
    """
    if isinstance(g, dict):  # a dict's adjoint: a missing key is a zero entry
        return fill_grad(g.get(index), v)
    if isinstance(g, (list, tuple)):  # a list's adjoint: its entries, None for zero
        return fill_grad(g[index], v)
    picked = array_copy(as_array(g)[index])  # a 0-d array's adjoint may be a float
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(p, (numpy.ndarray, list)) and as_array(p).dtype.kind in "iu" for p in parts):
        ids = numpy.full(numpy.shape(g), -1)
        order = numpy.arange(picked.size).reshape(picked.shape)
        ids[index] = order
        picked = numpy.where(ids[index] == order, picked, 0.0)
    if picked.ndim == 0 and not duck(picked):  # one entry: a NumPy scalar, as `g[index]` reads it (0-d arrays are slow)
        picked = picked[()]
    return unbroadcast(picked, v)


# --- lists built with append ------------------------------------------------------


def last_item_adjoint(g, item):
    """The adjoint of the item `lst.append(item)` added: the last entry of `g`."""
    return fill_grad(None if g is None else g[len(g) - 1], item)


def drop_last(g):
    """The list adjoint `g` before the append: without its last entry."""
    return None if g is None else g[:-1]


# --- a pullback run again: its stack and tape copied -----------------------------


def copy_stack(stack):
    """A copy of a split derivative's stack, which its backward pops: a pullback can
    run again. A function of its own, linear in the stack, so that forward mode
    over the backward copies the tangent stack alike (`hessian` through a helper)."""
    return list(stack)


def fresh_tape(tape):
    """A copy of a tape whose arrays the backward restores in place, so a pullback
    can run again. Arrays that share memory share it in the copy too: a taped
    view of a row still sees that row restored."""
    import copy

    owners: dict = {}
    memo: dict = {}

    def fresh(value):
        if value is None or type(value) in (float, int, bool, complex, str) or isinstance(value, numpy.generic):
            return value  # immutable: the tape's numbers (most of a loop's tape) need no copy
        if id(value) in memo:
            return memo[id(value)]
        if isinstance(value, numpy.ndarray):
            root = value
            while isinstance(root.base, numpy.ndarray):
                root = root.base
            if id(root) not in owners:
                owners[id(root)] = (root, root.copy(order="K"))
            original, duplicate = owners[id(root)]
            if value is original:
                out = duplicate
            elif duplicate.strides == original.strides:
                offset = (value.__array_interface__["data"][0]
                          - original.__array_interface__["data"][0])
                out = numpy.ndarray(value.shape, value.dtype, buffer=duplicate, offset=offset,
                                    strides=value.strides)
            else:  # an owner of unusual layout: copy this view on its own
                out = value.copy()
        elif isinstance(value, list):
            out = []
            memo[id(value)] = out
            out.extend(fresh(v) for v in value)
        elif isinstance(value, tuple):
            out = tuple(fresh(v) for v in value)
        elif isinstance(value, dict):
            out = {k: fresh(v) for k, v in value.items()}
        else:
            out = copy.deepcopy(value)
        memo[id(value)] = out
        return out

    return fresh(tape)


# --- in-place operations NumPy checks: `a += e`, `out=a`, `numpy.copyto(a, v)` ---------


def in_place_result(value, target, kind):
    """What NumPy leaves in the array `target` after an in-place operation whose result
    the derivative computes anew as `value`: `target += e` (`kind` "+=", and the other
    augmented operators), a ufunc's `out=target` (`kind` its name) or
    `numpy.copyto(target, value)` ("copyto"). `value` itself where the operation
    keeps `target`'s shape and dtype (the usual case); rounded to `target`'s dtype where
    NumPy rounds (`acc += e` into float32: `float32(acc + e)`); NumPy's own error where
    NumPy refuses: a result that does not broadcast into `target`, or a cast other than
    'same_kind' (floats into an int array). A `target` that is no array (a number, a
    list) is rebound by `+=`: `value`. For `out=` and `copyto` the write that follows
    casts and broadcasts `value` itself."""
    if target.__class__ is not numpy.ndarray and not isinstance(target, numpy.ndarray):
        return value
    # the usual case first, with no call: a result of target's shape and dtype
    if value.__class__ is numpy.ndarray and value.shape == target.shape and (
            value.dtype is target.dtype or value.dtype == target.dtype):
        return value
    dtype, shape = getattr(value, "dtype", None), numpy.shape(value)
    if kind[-1] == "=":  # the augmented operators: the result must be target's shape
        if dtype == target.dtype and shape == target.shape:
            return value
        if shape == target.shape and dtype is not None and numpy.can_cast(dtype, target.dtype, "same_kind"):
            return numpy.asarray(value).astype(target.dtype)
    elif kind == "copyto":  # numpy.copyto casts 'same_kind' (the write broadcasts as copyto does)
        if dtype == target.dtype or dtype is not None and numpy.can_cast(dtype, target.dtype, "same_kind"):
            return value
    elif dtype is not None and numpy.can_cast(dtype, target.dtype, "same_kind") \
            and numpy.broadcast_shapes(shape, target.shape) == target.shape:
        return value  # out=: cast 'same_kind', and the output operand takes part in broadcasting
    _in_place_error(value, target, kind)
    return value


def _in_place_error(value, target, kind):
    """Raise the error NumPy raises for `in_place_result`'s operation, by making NumPy
    run it on stand-ins of the same shapes and dtypes (its own type and message)."""
    dtype, shape = numpy.result_type(value), numpy.shape(value)
    scratch = numpy.zeros(target.shape, target.dtype)
    if kind == "copyto":
        numpy.copyto(scratch, value)
        return
    name = {"+=": "add", "-=": "subtract", "*=": "multiply", "/=": "true_divide", "//=": "floor_divide",
            "%=": "remainder", "**=": "power", "@=": "matmul", "<<=": "left_shift", ">>=": "right_shift",
            "&=": "bitwise_and", "|=": "bitwise_or", "^=": "bitwise_xor"}.get(kind, kind)
    ufunc = getattr(numpy, name, None)
    if ufunc is None:  # a SciPy ufunc (`scipy.special.expit(x, out=a)`): SciPy is loaded then
        import sys

        ufunc = getattr(sys.modules.get("scipy.special"), name, None)
    if name == "matmul" and shape != target.shape:
        raise ValueError(f"matmul: the result of shape {shape} cannot be written into the array "
                         f"of shape {target.shape} in place")
    if name == "matmul":
        ufunc(numpy.zeros((1, 1), dtype), numpy.zeros((1, 1), dtype), out=numpy.zeros((1, 1), target.dtype))
    elif name == "clip":
        numpy.clip(numpy.zeros(shape, dtype), 0, 0, out=scratch)
    elif isinstance(ufunc, numpy.ufunc):
        ufunc(*[numpy.zeros(shape, dtype)] * ufunc.nin, out=scratch)
    if shape != target.shape and numpy.broadcast_shapes(shape, target.shape) != target.shape:
        raise ValueError(f"non-broadcastable output operand with shape {target.shape} doesn't match "
                         f"the broadcast shape {numpy.broadcast_shapes(shape, target.shape)}")
    raise TypeError(f"Cannot cast {name!r} output from {dtype!r} to {target.dtype!r} with casting rule "
                    f"'same_kind'")
