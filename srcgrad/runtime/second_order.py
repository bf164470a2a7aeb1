"""Second order: tangents of the adjoint helpers (forward mode over reverse-mode code).

`hessian`, `hvp` and `grad(grad(f))` differentiate generated code, and so
the helpers it calls. Most are linear in the adjoint they move (their rules
in rules/runtime.py say so); the helpers here are the tangents of the
others, each the whole derivative along one argument's tangent.
"""
import numpy

from .core import as_array

from .guards import sinc_derivative
from .linalg import (_norm_axes, norm_tangent_helper, solve_adjoint_helper,
                     solve_is_vector)
from .reductions import cumprod_tangent_helper, reverse_cumsum, unreduce


def sinc_derivative_dx(x, z):
    """The partial in `x` of sinc_derivative(x, z) = (cos(pi x) - z) / x, `z` held fixed:
    -(pi sin(pi x) + sinc_derivative(x, z)) / x, and -pi**2 / 3 at x = 0 (sinc''(0),
    since the `z` partial, sinc_derivative_dz, is taken as 0 there)."""
    zero = numpy.equal(x, 0)
    safe = numpy.where(zero, 1.0, x)
    inner = -(numpy.pi * numpy.sin(numpy.pi * safe) + sinc_derivative(safe, z)) / safe
    return numpy.where(zero, -numpy.pi ** 2 / 3.0, inner)


def sinc_derivative_dz(t, x):
    """The tangent of sinc_derivative(x, z) along the tangent `t` of `z`: -t / x, 0 at x = 0."""
    zero = numpy.equal(x, 0)
    return numpy.where(zero, 0.0, -t / numpy.where(zero, 1.0, x))


def prod_adjoint_tangent_a(g, t, a, axis=None, keepdims=False):
    """The tangent along `t` (a's tangent) of prod_adjoint_helper(g, a, z, ...) with z = prod(a).

    That adjoint is g times the product of the slice's other entries, so its
    tangent is g times the sum, over the other entries k, of t[k] times the
    product of the entries other than both. It is counted by how many zeros the
    slice has (0, 1, 2, more), with no division by zero. `z`'s own tangent is
    not needed: this is the whole derivative, z being prod(a).
    """
    a = numpy.asarray(a, dtype=numpy.result_type(as_array(a).dtype, float))
    t = numpy.broadcast_to(t, a.shape)
    zero = numpy.equal(a, 0)
    safe = numpy.where(zero, 1.0, a)
    q = numpy.prod(safe, axis=axis, keepdims=True)           # product of the nonzero entries
    nz = numpy.sum(zero, axis=axis, keepdims=True)           # how many zeros
    ratio = numpy.where(zero, 0.0, t / safe)
    s = numpy.sum(ratio, axis=axis, keepdims=True)           # t / a over the nonzero entries
    tz = numpy.sum(numpy.where(zero, t, 0.0), axis=axis, keepdims=True)  # t over the zeros
    others = q / safe
    at_nonzero = numpy.where(nz == 0, others * (s - ratio), numpy.where(nz == 1, others * tz, 0.0))
    at_zero = numpy.where(nz == 1, q * s, numpy.where(nz == 2, q * (tz - t), 0.0))
    return unreduce(g, a, axis, keepdims) * numpy.where(zero, at_zero, at_nonzero)


def cumprod_adjoint_tangent_a(g, t, a, z, axis=None):
    """The tangent along `t` (a's tangent) of cumprod_adjoint_helper(g, a, z, axis), z = cumprod(a).

    Without zeros the adjoint is r / a with r = reverse_cumsum(g z), so the
    tangent is (reverse_cumsum(g dz) - t r / a) / a. With a zero: the adjoint is
    before * s (before = the exclusive cumulative product, s[i] = g[i] + a[i+1]
    s[i+1]); its tangent is dbefore * s + before * ds with ds[i] = t[i+1] s[i+1]
    + a[i+1] ds[i+1], run as a loop along the axis. `z`'s own tangent is not
    needed: it is computed here (cumprod_tangent_helper), z being cumprod(a).
    """
    shape = numpy.shape(a)
    a = numpy.asarray(a, dtype=numpy.result_type(as_array(a).dtype, float))
    t = numpy.broadcast_to(t, shape)
    dz = cumprod_tangent_helper(t, a, z, axis)
    g = numpy.broadcast_to(g, numpy.shape(z))
    if axis is None:
        a, t, g, z, dz, axis = numpy.ravel(a), numpy.ravel(t), numpy.ravel(g), numpy.ravel(z), \
            numpy.ravel(dz), 0
    if not numpy.equal(a, 0).any():
        r = reverse_cumsum(g * z, axis)
        return numpy.reshape((reverse_cumsum(g * dz, axis) - t * r / a) / a, shape)
    a, t, g, z, dz = (numpy.moveaxis(as_array(v), axis, 0) for v in (a, t, g, z, dz))
    n = a.shape[0]
    dtype = numpy.result_type(a, g, t)
    s = numpy.empty(a.shape, dtype=dtype)
    ds = numpy.empty(a.shape, dtype=dtype)
    s[n - 1] = g[n - 1]
    ds[n - 1] = 0.0
    for i in range(n - 2, -1, -1):
        s[i] = g[i] + a[i + 1] * s[i + 1]
        ds[i] = t[i + 1] * s[i + 1] + a[i + 1] * ds[i + 1]
    before = numpy.concatenate([numpy.ones_like(a[:1]), z[:-1]], axis=0)
    dbefore = numpy.concatenate([numpy.zeros_like(a[:1]), dz[:-1]], axis=0)
    return numpy.reshape(numpy.moveaxis(dbefore * s + before * ds, 0, axis), shape)


def norm_adjoint_tangent_x(g, t, x, z, ord=None, axis=None, keepdims=False):
    """The tangent along `t` (x's tangent) of norm_adjoint_helper(g, x, z, ...), z = norm(x).

    `z`'s tangent is computed here (norm_tangent_helper), so this is the whole
    derivative. The 2-norm / Frobenius adjoint g x / z gives g (t - x dz / z) / z;
    a vector p-norm's, g sign(x) (|x| / z)^(p-1), gives g (p-1) (|x| / z)^(p-2)
    (t - x dz / z) / z (0 where x = 0). The piecewise-linear norms (vector 1, inf,
    -inf, 0; matrix 1, -1, inf, -inf) have adjoints constant between kinks: a zero
    tangent. A zero norm gives zero, as in the adjoint. Matrix norms 2, -2 and 'nuc':
    singular_grad_tangent.
    """
    x = as_array(x)
    nd = x.ndim
    dz = norm_tangent_helper(t, x, z, ord, axis, keepdims)
    axes = _norm_axes(axis, nd)
    if not keepdims or axis is None:
        kept = [1 if k in axes else n for k, n in enumerate(x.shape)]
        g, z, dz = numpy.reshape(g, kept), numpy.reshape(z, kept), numpy.reshape(dz, kept)
    zero = z == 0
    zs = numpy.where(zero, 1.0, z)
    inner = (t - x * dz / zs) / zs
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        return numpy.where(zero, 0.0, g * inner)
    if len(axes) == 1 and not isinstance(ord, str) and ord > 1 and ord != float("inf"):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            factor = (numpy.abs(x) / zs) ** (ord - 2)
        return numpy.where(zero | (x == 0), 0.0, g * (ord - 1) * factor * inner)
    if len(axes) == 2 and ord in (2, -2, "nuc"):
        return numpy.where(zero, 0.0, g * singular_grad_tangent(t, x, axes, ord))
    return numpy.zeros(x.shape, numpy.result_type(x, 1.0))


def singular_grad_tangent(t, x, axes, ord):
    """The tangent along `t` of the gradient of a matrix norm 2, -2 or 'nuc' of `x` over `axes`.

    Those gradients are u v^T of the largest or smallest singular pair, or
    U V^T (the polar factor); their tangents come from the derivative of the
    thin SVD, with distinct (and, for 'nuc' and -2, nonzero) singular values.
    With P = U^T t V: d(U V^T) = U [(P - P^T)_ij / (s_i + s_j)] V^T plus the
    parts of t outside the singular subspaces; d(u_i v_i^T) = du_i v_i^T + u_i dv_i^T.
    """
    xm = numpy.moveaxis(x, axes, (-2, -1))
    tm = numpy.moveaxis(numpy.broadcast_to(t, numpy.shape(x)), axes, (-2, -1))
    u, s, vh = numpy.linalg.svd(xm, full_matrices=False)
    ut, v, tt = numpy.swapaxes(u, -1, -2), numpy.swapaxes(vh, -1, -2), numpy.swapaxes(tm, -1, -2)
    p = ut @ tm @ v
    out_u = tm @ v - u @ p                           # (I - U U^T) t V
    out_v = tt @ u - v @ numpy.swapaxes(p, -1, -2)   # (I - V V^T) t^T U
    if ord == "nuc":
        omega = (p - numpy.swapaxes(p, -1, -2)) / (s[..., :, None] + s[..., None, :])
        dgrad = u @ omega @ vh + (out_u / s[..., None, :]) @ vh \
            + u @ numpy.swapaxes(out_v / s[..., None, :], -1, -2)
    else:
        i = 0 if ord == 2 else s.shape[-1] - 1
        si = s[..., i:i + 1]
        diff = si * si - s * s
        other = numpy.arange(s.shape[-1]) != i
        safe = numpy.where(other, diff, 1.0)
        coef_u = numpy.where(other, (p[..., :, i] * si + s * p[..., i, :]) / safe, 0.0)
        coef_v = numpy.where(other, (s * p[..., :, i] + p[..., i, :] * si) / safe, 0.0)
        du = (u @ coef_u[..., None])[..., 0] + out_u[..., :, i] / si
        dv = (v @ coef_v[..., None])[..., 0] + out_v[..., :, i] / si
        dgrad = du[..., :, None] * v[..., None, :, i] + u[..., :, i, None] * dv[..., None, :]
    return numpy.moveaxis(dgrad, (-2, -1), axes)


def solve_adjoint_tangent_a(t, y, a, b):
    """The tangent along `t` (a's tangent) of y = solve_adjoint_helper(g, a, b) = solve(a^T, g):
    -solve(a^T, t^T y)."""
    tt = numpy.swapaxes(t, -1, -2)
    if solve_is_vector(a, b):
        rhs = (tt @ numpy.expand_dims(y, -1))[..., 0]
    else:
        rhs = tt @ y
    return -solve_adjoint_helper(rhs, a, b)


def cholesky_adjoint_tangent_z(g, t, z):
    """The tangent along `t` (z's tangent) of cholesky_adjoint_helper(g, z): its product rule."""
    zinv = numpy.linalg.inv(z)
    dzinv = -(zinv @ t @ zinv)
    eye = numpy.eye(numpy.shape(z)[-1])
    p = numpy.swapaxes(z, -1, -2) @ g
    p = numpy.tril(p) - 0.5 * p * eye
    dp = numpy.swapaxes(t, -1, -2) @ g
    dp = numpy.tril(dp) - 0.5 * dp * eye
    zinv_t, dzinv_t = numpy.swapaxes(zinv, -1, -2), numpy.swapaxes(dzinv, -1, -2)
    dm = dzinv_t @ p @ zinv + zinv_t @ dp @ zinv + zinv_t @ p @ dzinv
    return numpy.tril(dm + numpy.swapaxes(dm, -1, -2)) - dm * eye
