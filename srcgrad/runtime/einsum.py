"""numpy.einsum: its subscripts read (string or sublist form, with or without '...'), its adjoints and tangents.

`einsum_signature` turns any form numpy.einsum accepts into one explicit
subscripts string without an ellipsis, and says which arguments are the
arrays; the adjoints and tangents are then einsums over that string.
The rule (rules/linalg.py) binds einsum(subscripts, *operands): in the
sublist form, einsum(a, [0, 1], b, [1, 2], [0, 2]), `subscripts` is the
first array and `operands` the rest, sublists included. Arguments are
numbered as in the call: 0 is `subscripts`, operands[i] is i + 1.
"""
import numpy

from .core import as_array

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"  # numpy.einsum's index letters


def einsum_signature(args):
    """(inputs, output, slots) of numpy.einsum(*args): one letter string per
    array, the output letters (ellipses given letters of their own), and
    {argument number: array number}."""
    if isinstance(args[0], str):
        spec, slots = args[0].replace(" ", ""), {k + 1: k for k in range(len(args) - 1)}
        arrays = args[1:]
    else:  # the sublist form: array, sublist, array, sublist, ..., [output sublist]
        pairs = args[:len(args) - len(args) % 2]
        arrays = pairs[0::2]
        spec = ",".join(_letters(sub) for sub in pairs[1::2])
        if len(args) % 2:
            spec += "->" + _letters(args[-1])
        slots = {2 * k: k for k in range(len(arrays))}
    inputs, arrow, output = spec.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(arrays):
        raise ValueError(f"srcgrad: einsum subscripts {spec!r} name {len(inputs)} operands, "
                         f"got {len(arrays)}")
    if not arrow:  # implicit mode: the ellipsis, then the indices seen once, in alphabetical order
        letters = "".join(inputs).replace(".", "")
        once = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        output = ("..." if "..." in spec else "") + once
    if "..." in spec:
        inputs, output = _without_ellipsis(inputs, output, arrays, spec)
    return inputs, output, slots


def _letters(sublist) -> str:
    """A sublist ([0, 1, Ellipsis]) as subscript letters ('ab...')."""
    return "".join("..." if k is Ellipsis else _LETTERS[int(k)] for k in sublist)


def _without_ellipsis(inputs, output, arrays, spec):
    """Each '...' replaced by letters unused elsewhere, aligned from the right
    as broadcasting aligns the axes it stands for."""
    widths = [numpy.ndim(op) - (len(sub) - 3) if "..." in sub else 0 for sub, op in zip(inputs, arrays)]
    width = max(widths)
    fresh = "".join(c for c in _LETTERS if c not in spec)[:width]
    inputs = [sub.replace("...", fresh[width - w:]) for sub, w in zip(inputs, widths)]
    return inputs, output.replace("...", fresh)


class EinsumAdjoints:
    """The adjoints of `numpy.einsum(subscripts, *operands)`, one per operand.

    Indexing computes one operand's adjoint on demand, so the adjoint of a
    constant operand is never computed (`einsum_first_adjoint` gives the
    sublist form's first array's). Explicit ('ij,jk->ik') and implicit
    ('ij,jk') subscripts, '...', the sublist form, repeated indices ('ii->i')
    and indices summed within one operand.
    """

    def __init__(self, g, subscripts, operands):
        args = (subscripts,) + tuple(operands)
        self.inputs, self.output, self.slots = einsum_signature(args)
        self.g, self.count = g, len(args) - 1
        self.operands = [as_array(args[k]) for k in sorted(self.slots)]
        self.sizes = {}
        for sub, op in zip(self.inputs, self.operands):
            for c, n in zip(sub, op.shape):
                if self.sizes.get(c, 1) == 1:
                    self.sizes[c] = n

    def __len__(self):
        return self.count

    def __getitem__(self, i):
        return self.of_argument(i + 1)

    def of_argument(self, k):
        """The adjoint of argument k of the call (0: subscripts, the sublist form's first array)."""
        i = self.slots[k]
        sub, op = self.inputs[i], self.operands[i]
        others = [j for j in range(len(self.operands)) if j != i]
        known = set(self.output).union(*(self.inputs[j] for j in others))
        unique = "".join(dict.fromkeys(sub))  # op's indices, first occurrence order
        present = "".join(c for c in unique if c in known)
        spec = ",".join([self.output] + [self.inputs[j] for j in others]) + "->" + present
        grad = numpy.einsum(spec, self.g, *(self.operands[j] for j in others))
        # indices summed inside this operand alone: the gradient is constant along them
        grad = numpy.reshape(grad, [grad.shape[present.index(c)] if c in present else 1
                                    for c in unique])
        grad = numpy.broadcast_to(grad, [self.sizes[c] for c in unique])
        if len(unique) != len(sub):  # repeated indices: write onto the diagonal
            full = numpy.zeros([self.sizes[c] for c in sub], dtype=grad.dtype)
            numpy.einsum(f"{sub}->{unique}", full)[...] = grad
            grad = full
        if grad.shape != op.shape:  # a size-1 axis einsum broadcast
            grad = numpy.sum(grad, axis=tuple(k for k, n in enumerate(op.shape) if n == 1),
                             keepdims=True)
        return grad


def einsum_first_adjoint(g, subscripts, operands):
    """The adjoint of the first array of the sublist form, einsum(a, [0, 1], ...)."""
    return EinsumAdjoints(g, subscripts, operands).of_argument(0)


def einsum_tangent_helper(subscripts, operands, tangents, first=None):
    """The tangent of `numpy.einsum(subscripts, *operands)`: the product rule.

    One einsum per array argument, with that array replaced by its tangent
    (`first`: the tangent of the sublist form's first array); an argument
    whose tangent is zero (a constant, a sublist) costs nothing.
    """
    args = (subscripts,) + tuple(operands)
    slots = einsum_signature(args)[2]
    tangents = (first,) + (tuple(tangents) if tangents is not None else (None,) * len(operands))
    out = None
    for k, t in enumerate(tangents):
        if k not in slots or t is None or not numpy.any(t):
            continue
        changed = list(args)
        changed[k] = numpy.broadcast_to(t, numpy.shape(args[k]))
        term = numpy.einsum(*changed)
        out = term if out is None else out + term
    if out is None:  # every tangent is zero
        z = numpy.einsum(*args)
        return numpy.zeros(numpy.shape(z), numpy.result_type(z, 1.0))
    return out


class EinsumAdjointTangents:
    """The tangent of an `EinsumAdjoints(g, subscripts, operands)` object, indexed like it.

    Built without tangents, it is EinsumAdjoints for the tangent of `g` (the
    adjoints are linear in g). Built with the arguments' tangents (`tangents`
    of the operands, `first` of the sublist form's first array), it is the
    product rule: argument k's adjoint, einsum(g, the others), changes by one
    einsum per other array j, with array j replaced by its tangent (a zero
    tangent costs nothing). `+` collects the terms, as forward mode adds the
    contributions of g and of the arguments; indexing evaluates operand i's.
    """

    def __init__(self, g, subscripts, operands, tangents=None, first=None):
        args = (subscripts,) + tuple(operands)
        self.shapes = [numpy.shape(a) for a in args]
        if tangents is None and first is None:
            self.terms = [(g, args, None)]
        else:
            rest = tuple(tangents) if tangents is not None else (None,) * (len(args) - 1)
            self.terms = [(g, args, (first,) + rest)]

    def __add__(self, other):
        out = EinsumAdjointTangents.__new__(EinsumAdjointTangents)
        out.shapes, out.terms = self.shapes, self.terms + other.terms
        return out

    def __len__(self):
        return len(self.shapes) - 1

    def __getitem__(self, i):
        return self.of_argument(i + 1)

    def of_argument(self, k):
        """The tangent of argument k's adjoint (0: the sublist form's first array)."""
        total = None
        for g, args, tangents in self.terms:
            if tangents is None:
                parts = [EinsumAdjoints(g, args[0], args[1:]).of_argument(k)]
            else:
                slots = einsum_signature(args)[2]
                parts = []
                for j, t in enumerate(tangents):
                    if j == k or j not in slots or t is None or not numpy.any(t):
                        continue
                    changed = list(args)
                    changed[j] = numpy.broadcast_to(t, numpy.shape(args[j]))
                    parts.append(EinsumAdjoints(g, changed[0], changed[1:]).of_argument(k))
            for part in parts:
                total = part if total is None else total + part
        return numpy.zeros(self.shapes[k]) if total is None else total


def einsum_first_adjoint_tangent(g, subscripts, operands, tangents):
    """The tangent of einsum_first_adjoint(g, subscripts, operands) along the operands' tangents."""
    return EinsumAdjointTangents(g, subscripts, operands, tangents).of_argument(0)
