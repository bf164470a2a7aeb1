"""Containers that carry gradients: tuples, lists and dicts, and the builtins that build them.

The adjoint of a container is a container of the same kind whose entries
are adjoints or None (no gradient reached that entry): `add_grad` merges
them, `fill_grad` turns None into zeros where a value needs a real one.
A NumPy function that reads a list or tuple reads it as an array, and its
rule gives an array adjoint: row i is the adjoint of entry i. Both forms
are valid adjoints of a list; where they meet, the array is taken apart
into its rows (`entry_adjoints`), never dropped.
"""
import numpy

from .core import as_array, broadcast_like, unbroadcast, zeros_like


def entry_adjoints(g, like):
    """The adjoints of the entries of the list or tuple `like`, from its adjoint `g`:
    `g`'s own entries, None for each when `g` is None, or the rows of an array."""
    if isinstance(g, (list, tuple)):
        return g
    if g is None:
        return [None] * len(like)
    if numpy.ndim(g) == 0 or numpy.shape(g)[0] != len(like):
        g = numpy.broadcast_to(g, numpy.shape(like))  # raises if the shapes disagree
    return list(g)


def rebuilt(like, items):
    """`items` as a list or a tuple like `like`; a named tuple (NumPy 2's SVDResult,
    EighResult, ...) as a plain tuple, whose constructor takes its fields one by one."""
    return list(items) if isinstance(like, list) else tuple(items)


def add_grad(a, b):
    """a + b for adjoints that may be containers or None."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = add_grad(out.get(key), value)
        return out
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        like = a if isinstance(a, (list, tuple)) else b
        return rebuilt(like, (add_grad(x, y) for x, y in zip(entry_adjoints(a, like), entry_adjoints(b, like),
                                                            strict=True)))
    return a + b


def fill_grad(g, like):
    """The adjoint `g` with every missing entry replaced by zeros shaped like `like`."""
    if g is None:
        return zeros_like(like)
    if isinstance(like, dict):
        return {k: fill_grad(g.get(k) if isinstance(g, dict) else None, v) for k, v in like.items()}
    if isinstance(like, (list, tuple)) and isinstance(g, (list, tuple)):
        return rebuilt(like, (fill_grad(x, v) for x, v in zip(g, like)))
    return g


def pack_tuple(*items):
    """`(a, b, ...)`: the key of the tuple-display rule; also a working function."""
    return tuple(items)


def pack_list(*items):
    """`[a, b, ...]`: the key of the list-display rule."""
    return list(items)


def pack_dict(keys, values):
    """`{k1: a, k2: b, ...}`: the key of the dict-display rule."""
    return dict(zip(keys, values))


def unpack_adjoint(g, items):
    """Per-item adjoints of a tuple or list display, zeros where none arrived."""
    return [fill_grad(None if g is None else g[i], item) for i, item in enumerate(items)]


def dict_unpack_adjoint(g, keys, values):
    """Per-value adjoints of a dict display, zeros where none arrived."""
    return [fill_grad(None if g is None else g.get(k), v) for k, v in zip(keys, values)]


def record_adjoint(like, entries):
    """The adjoint of a list or tuple argument from its entries' adjoints ({index: adjoint})."""
    if isinstance(like, dict):  # (an entry it does not have was read by no code that ran)
        return {k: v for k, v in entries.items() if k in like or v is not None}
    return rebuilt(like, (entries.get(i) for i in range(len(like))))


# --- the builtins that read containers: for loops, float, sum, list ---------------

_INDEXABLE = (list, tuple, numpy.ndarray)


def loop_items(x):
    """What `for v in x` runs over, indexable by position: a list, tuple or array
    itself (its items are read by index, as iteration reads them); anything else
    (a dict: its keys; a set, a dict view, a string) as the list iteration gives.
    The loop lowering calls this where the iterated value's kind is not known."""
    return x if isinstance(x, _INDEXABLE) else list(x)


def loop_items_adjoint(g, x):
    """The adjoint of `x` in `loop_items(x)`: the same for a list, tuple or array;
    none for a dict's keys (or any other collection's entries: constants)."""
    return g if isinstance(x, _INDEXABLE) else None


def loop_items_tangent(t, x):
    """The tangent of `loop_items(x)`: `t` for a list, tuple or array; zeros for
    the keys of a dict (or the entries of any other collection)."""
    return t if isinstance(x, _INDEXABLE) else [0.0] * len(x)


def float_adjoint_helper(g, x):
    """The adjoint of `x` in `float(x)`: `g`, reshaped when `x` is a size-1 array."""
    if isinstance(x, (float, int)):
        return g
    return numpy.reshape(g, numpy.shape(x))


def sum_adjoint_helper(g, iterable):
    """The adjoint of `iterable` in the builtin `sum(iterable)`.

    A list or tuple gets one adjoint per item (`g`, unbroadcast to the item);
    an array, summed along its first axis, gets `g` repeated along that axis.
    """
    if isinstance(iterable, (list, tuple)):
        if isinstance(g, float):  # Python numbers: nothing to reshape
            return [g] * len(iterable)
        return [unbroadcast(g, item) for item in iterable]
    return numpy.broadcast_to(g, numpy.shape(iterable))


def sum_tangent_helper(tangents):
    """The tangent of the builtin `sum(iterable)` from the items' tangents, before
    broadcasting: a list or tuple is added up item by item (floats stay floats),
    an array along its first axis."""
    if isinstance(tangents, (list, tuple)):
        return sum(tangents)
    return numpy.sum(tangents, axis=0)


def max_of(items):
    """The builtin `max(items)`: its one-argument form, which has a rule of its own."""
    return max(items)


def min_of(items):
    """The builtin `min(items)`: its one-argument form, which has a rule of its own."""
    return min(items)


def _extreme_hits(items, z):
    """(which items equal the extreme `z`, how many do)."""
    if isinstance(items, numpy.ndarray):
        hits = numpy.equal(items, z)
        return hits, hits.sum()
    hits = [bool(numpy.all(numpy.equal(item, z))) for item in items]
    return hits, sum(hits)


def extreme_share(g, items, z):
    """The adjoint of `items` in z = max(items) or min(items): `g` shared evenly
    among the items equal to z (a tie splits it), zero for the others; one per
    item for a list or tuple, an array like `items` for an array."""
    hits, count = _extreme_hits(items, z)
    if isinstance(items, numpy.ndarray):
        return g * hits / count
    return [g * (hit / count) for hit in hits]


def extreme_pick(tangents, items, z):
    """The tangent of z = max(items) or min(items): the mean of the tangents of
    the items equal to z."""
    hits, count = _extreme_hits(items, z)
    if isinstance(items, numpy.ndarray):
        return numpy.sum(tangents * hits) / count
    return sum(t * (hit / count) for t, hit in zip(tangents, hits) if t is not None and hit)


def list_adjoint_helper(g, x):
    """The adjoint of `x` in `list(x)`: a dict's keys carry none; a list or tuple
    gets the entries' adjoints back; an array, its rows' adjoints stacked."""
    if isinstance(x, dict):
        return None
    if isinstance(x, (list, tuple)):
        return None if g is None else type(x)(g)
    return numpy.stack([fill_grad(gi, xi) for gi, xi in zip(g, x)]) if len(x) else zeros_like(x)


def list_tangent_helper(t, x):
    """The tangent of `list(x)`: zeros for a dict's keys, the entries' tangents otherwise."""
    if isinstance(x, dict):
        return [0.0] * len(x)
    return list(t)


def _sorted_groups(items, reverse) -> list:
    """The positions of `items` in the order `sorted(items, reverse=reverse)` puts
    them, as groups of equal values (a group of more than one is a tie)."""
    order = sorted(range(len(items)), key=items.__getitem__, reverse=reverse)
    groups: list = []
    for i in order:
        if groups and items[groups[-1][0]] == items[i]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def sorted_adjoint(g, items, reverse=False):
    """The adjoint of `items` in z = sorted(items): entry k of `g` goes back to the
    item sorted into slot k; tied items share their slots' adjoints evenly (at a
    two-way tie, what central differences give)."""
    if g is None:
        return None
    out = [0.0] * len(items)
    slot = 0
    for group in _sorted_groups(items, reverse):
        share = sum(0.0 if gk is None else gk for gk in g[slot:slot + len(group)]) / len(group)
        for i in group:
            out[i] = share
        slot += len(group)
    return as_array(out) if isinstance(items, numpy.ndarray) else type(items)(out)


def sorted_tangent(t, items, reverse=False):
    """The tangent of z = sorted(items): slot k gets the tangent of the item sorted
    there; tied items' slots the mean of their tangents (`sorted_adjoint` transposed)."""
    out: list = []
    for group in _sorted_groups(items, reverse):
        mean = sum(0.0 if t[i] is None else t[i] for i in group) / len(group)
        out += [mean] * len(group)
    return out


# --- list and tuple `+` and `*`: concatenation and repetition -------------------
#
# `a + b` and `a * n` where an operand is known (before running) to be a list
# or tuple are bound to these keys instead of the arithmetic rules; where the
# other operand's type is not known, the helpers check at run time and fall
# back to the arithmetic adjoint. Arrays never come here (see sequences.py).


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple))


def _repeats(x, count) -> bool:
    """`x * count` repeats the list or tuple `x`: count is an integer. With an array
    (or a float) on the other side, NumPy multiplies entry by entry instead."""
    return _is_sequence(x) and isinstance(count, (int, numpy.integer))


def concat(x1, x2):
    """`x1 + x2` of a list or tuple: the key of the concatenation rule."""
    return x1 + x2


def repeat(x1, x2):
    """`x1 * x2` with a list or tuple operand: the key of the repetition rule."""
    return x1 * x2


def concat_adjoint_left(g, x1, x2):
    """The adjoint of `x1` in `x1 + x2`: the first len(x1) entries of `g`
    for a concatenation, `unbroadcast(g, x1)` for arithmetic."""
    if _is_sequence(x1) and _is_sequence(x2):
        return None if g is None else type(x1)(g[:len(x1)])
    return unbroadcast(g, x1)


def concat_adjoint_right(g, x1, x2):
    """The adjoint of `x2` in `x1 + x2`: the entries of `g` after len(x1)."""
    if _is_sequence(x1) and _is_sequence(x2):
        return None if g is None else type(x2)(g[len(x1):])
    return unbroadcast(g, x2)


def concat_tangent(t1, t2, z):
    """The tangent of `z = x1 + x2`: the operands' tangents concatenated, or added."""
    if _is_sequence(z):
        return type(z)(list(t1) + list(t2))
    return broadcast_like(t1, z) + broadcast_like(t2, z)


def repeat_adjoint(g, x, other):
    """The adjoint of `x` in `z = x * other` (or `other * x`): for a repeated list
    `x`, the sum of the adjoints of its copies; for arithmetic, a product's."""
    if _repeats(x, other):
        if g is None:
            return None
        n = len(x)
        total = None
        for start in range(0, len(g), n):
            total = add_grad(total, type(x)(g[start:start + n]))
        return type(x)([None] * n) if total is None else total
    if _repeats(other, x):  # x is the count: an integer, no gradient
        return zeros_like(x)
    if _is_sequence(x):  # a list times an array: NumPy's product, entry by entry
        return type(x)(unbroadcast(g * as_array(other), as_array(x)).tolist())
    return unbroadcast(g * as_array(other) if _is_sequence(other) else g * other, x)


def repeat_tangent(t1, t2, x1, x2, z):
    """The tangent of `z = x1 * x2`: a repeated list's tangent repeated, or a product's."""
    if _repeats(x1, x2):
        return type(z)(list(t1) * x2)
    if _repeats(x2, x1):
        return type(z)(x1 * list(t2))
    return numpy.multiply(t1, x2) + numpy.multiply(x1, t2)


def repeat_adjoint_other_tangent(g, x, t_other):
    """The tangent of `repeat_adjoint(g, x, other)` along `other`'s tangent:
    zero for a repetition, that of the product's adjoint for arithmetic."""
    if _is_sequence(x) and not isinstance(t_other, numpy.ndarray):  # other is the count
        return zeros_like(x)
    if _is_sequence(t_other) and isinstance(x, (int, numpy.integer)):  # x is the count
        return zeros_like(x)
    product = numpy.multiply(g, as_array(t_other) if _is_sequence(t_other) else t_other)
    if _is_sequence(x):
        return type(x)(unbroadcast(product, as_array(x)).tolist())
    return unbroadcast(product, x)
