"""Linear algebra: adjoints and tangents of matmul, dot, tensordot, trace, norm, solve, cholesky.

Each helper takes the case analysis NumPy's own call makes (1-D operands,
stacks, axes, norm orders, NumPy 1 and 2's reading of solve's `b`) so that
the rules in rules/linalg.py stay one line each.
"""
import numpy

from .core import as_array, unbroadcast, unbroadcast_to


def _as_matrices(g, a, b):
    """Promote 1-D matmul operands to matrices, and `g` to match."""
    if numpy.ndim(b) == 1:
        b = numpy.expand_dims(b, -1)
        g = numpy.expand_dims(g, -1)
    if numpy.ndim(a) == 1:
        a = numpy.expand_dims(a, 0)
        g = numpy.expand_dims(g, -2)
    return g, a, b


def matmul_adjoint_left(g, a, b):
    """The adjoint of `a` in `a @ b`, for every ndim combination matmul accepts.

    `g` may also have the shape `a @ b` was broadcast into afterwards (`a @ b + c`
    with a bigger `c`): it is summed back to the product's shape first, so the
    code need not keep the product for its shape (optimize/products.py)."""
    if type(a) is numpy.ndarray and type(b) is numpy.ndarray and a.ndim == 2 and b.ndim == 2 \
            and type(g) is numpy.ndarray and g.shape == (a.shape[0], b.shape[1]):
        return g @ b.T
    g, a2, b = _as_matrices(_to_product(g, a, b), a, b)
    da = unbroadcast(numpy.matmul(g, numpy.swapaxes(b, -1, -2)), a2)
    return numpy.reshape(da, numpy.shape(a))


def matmul_adjoint_right(g, a, b):
    """The adjoint of `b` in `a @ b` (`g` as in `matmul_adjoint_left`)."""
    if type(a) is numpy.ndarray and type(b) is numpy.ndarray and a.ndim == 2 and b.ndim == 2 \
            and type(g) is numpy.ndarray and g.shape == (a.shape[0], b.shape[1]):
        return a.T @ g
    g, a, b2 = _as_matrices(_to_product(g, a, b), a, b)
    db = unbroadcast(numpy.matmul(numpy.swapaxes(a, -1, -2), g), b2)
    return numpy.reshape(db, numpy.shape(b))


def _to_product(g, a, b):
    """`g` summed down to the shape of `a @ b` (numpy.matmul's: a 1-D operand
    loses the axis it gained, the stack axes broadcast)."""
    sa, sb = numpy.shape(a), numpy.shape(b)
    if not sa or not sb:  # matmul refuses a 0-d operand: nothing to sum
        return g
    shape = numpy.broadcast_shapes(sa[:-2], sb[:-2]) + (sa[-2:-1] if len(sa) > 1 else ()) \
        + (sb[-1:] if len(sb) > 1 else ())
    return g if numpy.shape(g) == shape else unbroadcast_to(g, shape)


def dot_adjoint_left(g, a, b):
    """The adjoint of `a` in `numpy.dot(a, b)`, for every ndim combination dot accepts."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    if na == 0 or nb == 0:  # dot is multiply
        return unbroadcast(g * b, a)
    if na == 2 and nb == 2:
        return g @ numpy.transpose(b)
    if nb == 1:  # z[i...] = sum_k a[i..., k] b[k]
        return numpy.multiply.outer(g, b)
    # z[i..., j..., n] = sum_k a[i..., k] b[j..., k, n]
    g_axes = tuple(range(na - 1, numpy.ndim(g)))
    b_axes = tuple(range(nb - 2)) + (nb - 1,)
    return numpy.tensordot(g, b, axes=(g_axes, b_axes))


def dot_adjoint_right(g, a, b):
    """The adjoint of `b` in `numpy.dot(a, b)`."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * a, b)
    if na == 2 and nb == 2:
        return numpy.transpose(a) @ g
    lead = tuple(range(na - 1))
    t = numpy.tensordot(a, g, axes=(lead, lead))  # (k,) + the rest of b's axes
    return t if nb == 1 else numpy.moveaxis(t, 0, -2)


def inner_adjoint_left(g, a, b):
    """The adjoint of `a` in `numpy.inner(a, b)` (a sum over both last axes)."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * b, a)
    g_axes = tuple(range(na - 1, numpy.ndim(g)))
    return numpy.tensordot(g, b, axes=(g_axes, tuple(range(nb - 1))))


def inner_adjoint_right(g, a, b):
    """The adjoint of `b` in `numpy.inner(a, b)`."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(g * a, b)
    lead = tuple(range(na - 1))
    return numpy.tensordot(g, a, axes=(lead, lead))


def tensordot_axes(na, nb, axes):
    """`numpy.tensordot`'s `axes` as two lists of non-negative axes (of a, of b)."""
    if isinstance(axes, (int, numpy.integer)):
        return list(range(na - axes, na)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, (int, numpy.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, numpy.integer)) else list(b_axes)
    return [ax % na for ax in a_axes], [ax % nb for ax in b_axes]


def tensordot_adjoint_left(g, a, b, axes=2):
    """The adjoint of `a` in `numpy.tensordot(a, b, axes)`."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    a_axes, b_axes = tensordot_axes(na, nb, axes)
    a_free = [ax for ax in range(na) if ax not in a_axes]
    b_free = [ax for ax in range(nb) if ax not in b_axes]
    t = numpy.tensordot(g, b, axes=(list(range(len(a_free), numpy.ndim(g))), b_free))
    # t's axes: a_free, then b's contracted axes in increasing order; map each to a's axis
    source = a_free + [a_axes[b_axes.index(ax)] for ax in sorted(b_axes)]
    return numpy.transpose(t, tuple(sorted(range(len(source)), key=source.__getitem__)))


def tensordot_adjoint_right(g, a, b, axes=2):
    """The adjoint of `b` in `numpy.tensordot(a, b, axes)`."""
    na, nb = numpy.ndim(a), numpy.ndim(b)
    a_axes, b_axes = tensordot_axes(na, nb, axes)
    a_free = [ax for ax in range(na) if ax not in a_axes]
    b_free = [ax for ax in range(nb) if ax not in b_axes]
    t = numpy.tensordot(a, g, axes=(a_free, list(range(len(a_free)))))
    source = [b_axes[a_axes.index(ax)] for ax in sorted(a_axes)] + b_free
    return numpy.transpose(t, tuple(sorted(range(len(source)), key=source.__getitem__)))


def trace_adjoint_helper(g, a, offset=0, axis1=0, axis2=1):
    """The adjoint of `a` in `numpy.trace(a, offset, axis1, axis2)`: `g` on that diagonal."""
    shape = numpy.shape(a)
    da = numpy.zeros(shape, dtype=numpy.result_type(g, 1.0))
    view = numpy.moveaxis(da, (axis1, axis2), (0, 1))
    n1, n2 = view.shape[:2]
    n = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    i = numpy.arange(n)
    view[i + max(-offset, 0), i + max(offset, 0)] = g
    return da


def _norm_axes(axis, nd: int) -> tuple:
    """numpy.linalg.norm's `axis` as a tuple of non-negative axes (all for None)."""
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, (int, numpy.integer)):
        return (int(axis) % nd,)
    return tuple(int(ax) % nd for ax in axis)


def norm_adjoint_helper(g, x, z, ord=None, axis=None, keepdims=False):
    """The adjoint of `x` in `numpy.linalg.norm(x, ord, axis, keepdims)`.

    Vector norms: 2, 1, inf, -inf, 0 and p >= 1; matrix norms: 'fro', 'nuc',
    1, -1, 2, -2, inf, -inf. Ties (inf norms, 1-norm columns) share the
    gradient evenly; a 2-norm (or Frobenius, spectral, nuclear) of zero has
    zero gradient. Anything else raises instead of guessing.
    """
    x = as_array(x)
    nd = x.ndim
    if axis is None and ord is not None and nd > 2:
        raise ValueError("srcgrad: numpy.linalg.norm with ord needs a 1-D or 2-D array")
    axes = _norm_axes(axis, nd)
    if not keepdims or axis is None:
        g = numpy.reshape(g, [1 if k in axes else n for k, n in enumerate(x.shape)])
        z = numpy.reshape(z, numpy.shape(g))
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        return x * (g / numpy.where(z == 0, 1.0, z))
    inf = float("inf")
    if len(axes) == 1:
        if ord == 1:
            return g * numpy.sign(x)
        if ord == 0:
            return numpy.zeros(x.shape, numpy.result_type(x, 1.0))
        if ord in (inf, -inf):
            ax = numpy.abs(x)
            ext = (numpy.max if ord == inf else numpy.min)(ax, axis=axes, keepdims=True)
            hit = ax == ext
            return g * numpy.sign(x) * hit / numpy.sum(hit, axis=axes, keepdims=True)
        if not isinstance(ord, str) and ord > 1:
            zs = numpy.where(z == 0, 1.0, z)
            return g * numpy.sign(x) * (numpy.abs(x) / zs) ** (ord - 1)
    elif len(axes) == 2:
        row, col = axes
        if ord in (1, -1, inf, -inf):
            summed, other = (row, col) if ord in (1, -1) else (col, row)
            sums = numpy.sum(numpy.abs(x), axis=summed, keepdims=True)
            ext = (numpy.max if ord > 0 else numpy.min)(sums, axis=other, keepdims=True)
            hit = sums == ext
            return g * numpy.sign(x) * hit / numpy.sum(hit, axis=other, keepdims=True)
        if ord in (2, -2, "nuc"):
            xm = numpy.moveaxis(x, axes, (-2, -1))
            u, s, vh = numpy.linalg.svd(xm, full_matrices=False)
            if ord == 2:
                u, vh = u[..., :, :1], vh[..., :1, :]
            elif ord == -2:
                u, vh = u[..., :, -1:], vh[..., -1:, :]
            grad = numpy.moveaxis(u @ vh, (-2, -1), axes)
            return g * grad * (z != 0)
    raise ValueError(f"srcgrad: no gradient for numpy.linalg.norm with ord={ord!r} over "
                     f"{len(axes)} axis(es); supported: vector ord None, 1, 2, inf, -inf, 0, "
                     f"p > 1; matrix ord None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf")


def norm_tangent_helper(t, x, z, ord=None, axis=None, keepdims=False):
    """The tangent of `numpy.linalg.norm(x, ord, axis, keepdims)` along `t`.

    The same conventions as `norm_adjoint_helper` (zero at a zero 2-norm,
    ties shared evenly): the tangent is the sum of its unit-adjoint times `t`.
    """
    x = as_array(x)
    nd = x.ndim
    axes = _norm_axes(axis, nd)
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        dot = numpy.sum(x * t, axis=axes, keepdims=keepdims)
        return dot / numpy.where(z == 0, 1.0, z)
    unit = norm_adjoint_helper(numpy.ones(numpy.shape(z)), x, z, ord, axis, keepdims)
    return numpy.reshape(numpy.sum(unit * t, axis=axes), numpy.shape(z))


NUMPY_MAJOR_FOR_SOLVE = int(numpy.__version__.split(".")[0])


def solve_is_vector(a, b):
    """Whether `numpy.linalg.solve(a, b)` reads `b` as a (stack of) vector(s).

    NumPy 2 does so only for a 1-D `b`; NumPy 1 whenever b.ndim == a.ndim - 1.
    """
    nb = numpy.ndim(b)
    if NUMPY_MAJOR_FOR_SOLVE >= 2:
        return nb == 1
    return nb == numpy.ndim(a) - 1


def solve_adjoint_helper(g, a, b):
    """`y` solving `a^T y = g` (`g` the adjoint of `solve(a, b)`), before unbroadcasting."""
    at = numpy.swapaxes(a, -1, -2)
    if solve_is_vector(a, b):
        return numpy.linalg.solve(at, numpy.expand_dims(g, -1))[..., 0]
    return numpy.linalg.solve(at, g)


def solve_adjoint_a(y, z, a, b):
    """The adjoint of `a` in `z = solve(a, b)`, from `y = solve(a^T, g)`: `-y z^T`."""
    if solve_is_vector(a, b):
        da = -numpy.expand_dims(y, -1) * numpy.expand_dims(z, -2)
    else:
        da = -(y @ numpy.swapaxes(z, -1, -2))
    return unbroadcast(da, a)


def solve_tangent_a(t, z, a, b):
    """The `a` tangent of `z = numpy.linalg.solve(a, b)`: `-solve(a, t z)`."""
    if solve_is_vector(a, b):
        return -numpy.linalg.solve(a, t @ numpy.expand_dims(z, -1))[..., 0]
    return -numpy.linalg.solve(a, t @ z)


def cholesky_adjoint_helper(g, z):
    """The adjoint of `a` in `z = numpy.linalg.cholesky(a)` (which reads a's lower triangle).

    With phi(m) = tril(m) with its diagonal halved and m = L^-T phi(L^T g) L^-1,
    the gradient is tril(m + m^T) with m's own diagonal: upper entries are unused.
    """
    zinv = numpy.linalg.inv(z)
    p = numpy.swapaxes(z, -1, -2) @ g
    eye = numpy.eye(numpy.shape(z)[-1])
    p = numpy.tril(p) - 0.5 * p * eye
    m = numpy.swapaxes(zinv, -1, -2) @ p @ zinv
    return numpy.tril(m + numpy.swapaxes(m, -1, -2)) - m * eye


def cholesky_tangent_helper(t, z):
    """The tangent of `z = numpy.linalg.cholesky(a)` along `t` (only t's lower triangle counts).

    With s the symmetric matrix built from tril(t) and phi(m) = tril(m) with
    its diagonal halved: dz = z phi(z^-1 s z^-T).
    """
    lower = numpy.tril(t)
    s = lower + numpy.swapaxes(numpy.tril(t, -1), -1, -2)
    zinv = numpy.linalg.inv(z)
    m = zinv @ s @ numpy.swapaxes(zinv, -1, -2)
    eye = numpy.eye(numpy.shape(z)[-1])
    return z @ (numpy.tril(m) - 0.5 * m * eye)


def _all_but(s, skip: int):
    """Products of the singular values `s` (last axis) leaving out `skip` (1 or 2)
    of them: shape s.shape (one left out) or s.shape + s.shape[-1:] (two), by
    products from each side, never a division (so zeros are exact)."""
    n = s.shape[-1]
    ones = numpy.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = numpy.cumprod(numpy.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = numpy.cumprod(numpy.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    if skip == 1:
        return before * after
    keep = 1.0 - numpy.eye(n)  # [i, k, m]: s_m unless m is i or k
    mask = keep[:, None, :] * keep[None, :, :]
    out = numpy.prod(numpy.where(mask > 0, s[..., None, None, :], 1.0), axis=-1)
    return out * keep  # the diagonal (i == k) is not a pair


def _rotations(a):
    """(u, s, vt, det(u) det(vt)) of the SVD of `a` (stacks allowed)."""
    u, s, vt = numpy.linalg.svd(a)
    sign = numpy.linalg.det(u) * numpy.linalg.det(vt)
    return u, s, vt, sign[..., None, None]


def det_cofactor(a):
    """The cofactor matrix of `a` (the transposed adjugate): d det(a) / da.

    Equal to det(a) inv(a)^T where `a` is invertible, and finite at a singular
    `a` too: with a = u diag(s) vt, it is det(u) det(vt) u diag(prod_{j != i} s_j) vt.
    """
    u, s, vt, sign = _rotations(a)
    return sign * numpy.matmul(u * _all_but(s, 1)[..., None, :], vt)


def det_cofactor_tangent(a, e):
    """The derivative of `det_cofactor` at `a` along `e` (second derivatives of det).

    cof(u x vt) = det(u) det(vt) u cof(x) vt, so with f = u^T e vt^T the tangent
    is det(u) det(vt) u g vt, where g is the tangent of cof at diag(s) along f:
    g_ii = sum_{k != i} p_ik f_kk and g_ij = -p_ij f_ji (i != j), p_ik the product
    of the singular values other than s_i and s_k. Finite at a singular `a`.
    """
    u, s, vt, sign = _rotations(a)
    f = numpy.matmul(numpy.matmul(numpy.swapaxes(u, -1, -2), e), numpy.swapaxes(vt, -1, -2))
    p = _all_but(s, 2)
    diagonal = numpy.einsum("...ik,...kk->...i", p, f)
    g = -p * numpy.swapaxes(f, -1, -2)
    g = g + diagonal[..., None] * numpy.eye(s.shape[-1])
    return sign * numpy.matmul(numpy.matmul(u, g), vt)
