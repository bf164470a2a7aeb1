"""scipy.stats: the arguments of `multivariate_normal` and `dirichlet` as SciPy reads them.

SciPy fills in what a call leaves out before it computes: `multivariate_normal`
a zero mean, a covariance given as a number or a diagonal, points given as one
vector; `dirichlet` the last component of a point given without it. The rules
in rules/scipy_stats.py work on the full forms these helpers make, and send
derivatives back through their linear parts. Each map is the one SciPy
applies, so a gradient is the gradient of the function SciPy computes (of a
covariance matrix's lower triangle, which is all SciPy reads).

Plain functions over NumPy values; SciPy itself is never imported here.
"""
import numpy


def _mvn_dim(mean, cov) -> int:
    """The dimension SciPy infers: the mean's size, else a 2-D covariance's order, else 1."""
    if mean is not None:
        return int(numpy.size(mean))
    return int(numpy.shape(cov)[0]) if numpy.ndim(cov) == 2 else 1


def mvn_points(x, mean, cov):
    """`x` with its last axis the components: a number is one point of dimension 1, a
    vector of a one-dimensional distribution is a column of points, otherwise a vector
    is one point (linear in x)."""
    x = numpy.asarray(x, dtype=float)
    if x.ndim == 0:
        return x.reshape(1)
    if x.ndim == 1:
        return x.reshape(-1, 1) if _mvn_dim(mean, cov) == 1 else x.reshape(1, -1)
    return x


def mvn_mean(mean, cov):
    """The mean as a vector of the distribution's dimension (zeros for None; linear in mean)."""
    if mean is None:
        return numpy.zeros(_mvn_dim(mean, cov))
    return numpy.reshape(numpy.asarray(mean, dtype=float), (-1,))


def mvn_cov(cov, mean):
    """The symmetric covariance matrix SciPy uses: a number times the identity, a diagonal,
    or a matrix's lower triangle mirrored (SciPy's eigh reads nothing else; linear in cov)."""
    cov = numpy.asarray(cov, dtype=float)
    dim = _mvn_dim(mean, cov)
    if cov.ndim == 0:
        return cov * numpy.eye(dim)
    if cov.ndim == 1:
        return numpy.diag(cov)
    return numpy.tril(cov) + numpy.tril(cov, -1).T


def mvn_cov_adjoint(g, cov):
    """The adjoint of `mvn_cov`: a matrix's derivative `g` sent back to `cov`'s form
    (its trace for a number, its diagonal for a vector, for a matrix the lower triangle
    of g + g^T with g's own diagonal; linear in g)."""
    ndim = numpy.ndim(cov)
    if ndim == 0:
        return numpy.trace(g)
    if ndim == 1:
        return numpy.diagonal(g).copy()
    return numpy.tril(g) + numpy.tril(numpy.transpose(g), -1)


def mvn_precision(s, allow_singular):
    """The inverse of the covariance `s`, or with `allow_singular` the pseudo-inverse
    SciPy uses (its eigenvalue cutoff: eigenvalues below it count as zero)."""
    if not allow_singular:
        return numpy.linalg.inv(s)
    values, vectors = numpy.linalg.eigh(s)
    cutoff = _eigenvalue_cutoff(values)
    kept = values > cutoff
    inverse = numpy.where(kept, 1.0 / numpy.where(kept, values, 1.0), 0.0)
    return (vectors * inverse) @ vectors.T


def _eigenvalue_cutoff(values) -> float:
    """SciPy's default: 1e3 (single) or 1e6 (double) machine epsilons of the largest |eigenvalue|."""
    factor = 1e6 if values.dtype.char in "dD" else 1e3
    return factor * numpy.finfo(values.dtype).eps * numpy.max(numpy.abs(values))


def mvn_full_rank(p, s):
    """`p`, the precision of the covariance `s`, checked to be its inverse: where the
    covariance is singular (allowed by `allow_singular`), the density has no derivative
    in it (a perturbation changes its rank)."""
    if not numpy.allclose(p @ s, numpy.eye(numpy.shape(s)[0]), atol=1e-6):
        raise ValueError("multivariate_normal with a singular covariance has no derivative in "
                         "cov (a perturbation changes its rank); differentiate in x and mean only")
    return p


def dirichlet_points(x, alpha):
    """The points as SciPy completes them: with the components along the first axis,
    and the last component 1 - sum of the others when `x` leaves it out."""
    x = numpy.asarray(x, dtype=float)
    if x.shape[0] == numpy.shape(alpha)[0] - 1:
        return numpy.concatenate([x, 1.0 - numpy.sum(x, axis=0, keepdims=True)], axis=0)
    return x


def dirichlet_points_tangent(t, alpha):
    """The linear part of `dirichlet_points`: a left-out component's tangent is minus the
    sum of the others'."""
    t = numpy.asarray(t, dtype=float)
    if t.shape[0] == numpy.shape(alpha)[0] - 1:
        return numpy.concatenate([t, -numpy.sum(t, axis=0, keepdims=True)], axis=0)
    return t


def dirichlet_points_adjoint(g, x, alpha):
    """The adjoint of `dirichlet_points_tangent` for points shaped like `x` (linear in g)."""
    if numpy.shape(x)[0] == numpy.shape(alpha)[0] - 1:
        return g[:-1] - g[-1:]
    return g
