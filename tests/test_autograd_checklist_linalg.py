"""HIPS autograd's tests/test_linalg.py and tests/test_scipy.py, read as a checklist.

Each test here checks, for srcgrad, the behaviour one of autograd's tests
checks for autograd (docs/autograd_checklist.md, section "linalg and SciPy",
maps every one of them to a test below or says why it is outside srcgrad's
scope). Written from scratch for srcgrad: a function's result is reduced with
fixed uneven weights (`_w`), so a transposed or permuted gradient shows; the
gradient is compared with central differences in reverse and in forward mode
(`srcgrad.check_grads`), and, where autograd checks a second order, the
Hessian-vector product (forward over the generated reverse code) with
central differences of srcgrad's own gradient.
"""
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.signal
import scipy.special
import scipy.stats

import srcgrad
from srcgrad import SrcGradError

rng = np.random.default_rng(1414)


def R(*shape):
    return rng.normal(size=shape)


def U(lo, hi, *shape):
    return rng.uniform(lo, hi, size=shape)


def P(*shape):
    """Positive, away from zero (autograd's R(...) ** 2 + 1.1)."""
    return R(*shape) ** 2 + 1.1


def _w(z):
    """Fixed, uneven weights of z's shape: a weighted sum sees every entry."""
    return np.cos(1.7 * np.arange(np.size(z)) + 0.5).reshape(np.shape(z))


def _spd(n, *batch):
    m = R(*batch, n, n)
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def _hvp_agrees(fun, args, i, eps=1e-5):
    """srcgrad.hvp along a random direction against central differences of srcgrad.grad."""
    x = args[i]
    v = R(*np.shape(x)) if np.ndim(x) else float(R())
    grad = srcgrad.grad(fun, wrt=i)

    def at(step):
        moved = list(args)
        moved[i] = x + step * v
        return np.asarray(grad(*moved), dtype=float)

    numeric = (at(eps) - at(-eps)) / (2 * eps)
    analytic = np.asarray(srcgrad.hvp(fun, wrt=i)(*args, v), dtype=float)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-5 * max(1.0, np.max(np.abs(numeric))))


def check(fun, *args, wrt=(0,), order=2):
    """First derivatives in both modes and, for order 2, Hessian-vector products, in each of `wrt`."""
    for i in wrt:
        srcgrad.check_grads(fun, args, wrt=i, modes=("reverse", "forward"))
    if order > 1:
        for i in wrt:
            _hvp_agrees(fun, args, i)


# ======================================================================================
# numpy.linalg (autograd's tests/test_linalg.py)
# ======================================================================================

def inv_loss(x):
    return np.sum(np.linalg.inv(x) * _w(x))


def test_inv_of_a_square_matrix():
    m = R(5, 5)
    check(inv_loss, m @ m + np.eye(5))


@pytest.mark.parametrize("shape", [(3, 4, 4), (2, 3, 3, 3)])
def test_inv_of_stacked_matrices(shape):
    check(inv_loss, R(*shape) + 5.0 * np.eye(shape[-1]))


def pinv_loss(x):
    return np.sum(np.linalg.pinv(x) * _w(np.swapaxes(x, -1, -2)))


@pytest.mark.parametrize("cols", range(2, 8))
def test_pinv_of_full_rank_rectangular_matrices(cols):
    check(pinv_loss, R(5, cols))
    check(pinv_loss, R(2, 5, cols))


def pinv_gram_loss(x):
    gram = np.swapaxes(x, -1, -2) @ x
    return np.sum(np.linalg.pinv(gram) * _w(gram))


@pytest.mark.parametrize("cols", range(2, 8))
def test_pinv_of_a_low_rank_gram_matrix(cols):
    # x^T x with more columns than rows is singular, of constant rank
    check(pinv_gram_loss, R(5, cols))
    check(pinv_gram_loss, R(2, 5, cols))


def solve_loss(a, b):
    return np.sum(np.linalg.solve(a, b) * _w(b))


def test_solve_in_the_matrix_with_several_right_hand_sides():
    check(solve_loss, R(6, 6) + 10.0 * np.eye(6), R(6, 5))


def test_solve_in_the_matrix_with_one_right_hand_side_vector():
    check(solve_loss, R(6, 6) + 10.0 * np.eye(6), R(6))


def test_solve_in_the_right_hand_side():
    check(solve_loss, R(5, 5) + np.eye(5), R(5, 4), wrt=(1,))


def solve_column_loss(a, b):
    return np.sum(np.linalg.solve(a, b[..., None])[..., 0] * _w(b))


def test_solve_stacked_matrices_with_stacked_vectors():
    # NumPy 2 reads a stacked b as matrices only; a column per stack keeps the meaning
    check(solve_column_loss, R(5, 4, 4) + 5.0 * np.eye(4), R(5, 4))


def test_solve_stacked_matrices_with_stacked_matrices():
    check(solve_loss, R(5, 4, 4) + 5.0 * np.eye(4), R(5, 4, 6), wrt=(0, 1))


def det_loss(x):
    return np.sum(np.linalg.det(x) * _w(np.linalg.det(x)))


def test_det():
    check(det_loss, R(5, 5))


def test_det_of_stacked_matrices():
    check(det_loss, R(3, 3, 3))


def logabsdet(x):
    sign, logdet = np.linalg.slogdet(x)
    return np.sum(logdet * _w(logdet))


def test_slogdet_at_a_matrix_and_its_negative():
    m = R(5, 5)
    check(logabsdet, m)
    check(logabsdet, -m)


def logabsdet_indexed(x):
    return np.sum(np.linalg.slogdet(x)[1])


def test_slogdet_of_stacked_matrices():
    check(logabsdet_indexed, _spd(4, 3))


def norm_loss(x):
    return np.linalg.norm(x)


def test_vector_2_norm():
    check(norm_loss, R(6))


def norm_of_list(x):
    return np.linalg.norm([x, x + 2.0])


def norm_of_tuple(x):
    return np.linalg.norm((x, x + 2.0))


def test_norm_of_a_list_or_tuple_of_numbers():
    # sqrt(x^2 + (x + 2)^2) has slope 1 at x = 0
    assert srcgrad.grad(norm_of_list)(0.0) == 1.0
    assert srcgrad.grad(norm_of_tuple)(0.0) == 1.0


def test_frobenius_norm():
    check(norm_loss, R(6, 5))


def norm_axes_loss(x):
    return np.sum(np.linalg.norm(x, axis=(0, 1)) * _w(x[0, 0]))


def test_frobenius_norm_over_two_axes():
    check(norm_axes_loss, R(5, 4, 3))


def norm_ord_loss(x, ord):
    return np.linalg.norm(x, ord=ord)


@pytest.mark.parametrize("ord", [2, 3, 4])
def test_vector_norm_of_order(ord):
    check(norm_ord_loss, R(6), ord)


def norm_axis_loss(x, axis):
    z = np.linalg.norm(x, axis=axis)
    return np.sum(z * _w(z))


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_norm_along_one_axis(axis):
    check(norm_axis_loss, R(5, 4, 3), axis)


def nuclear_loss(x):
    return np.linalg.norm(x, ord="nuc")


def test_nuclear_norm():
    check(nuclear_loss, R(5, 4))


def nuclear_axes_loss(x):
    z = np.linalg.norm(x, ord="nuc", axis=(0, 1))
    return np.sum(z * _w(z))


def test_nuclear_norm_over_two_axes():
    check(nuclear_axes_loss, R(5, 4, 3))


def eigh_loss(x):
    w, v = np.linalg.eigh(x)
    return np.sum(w * _w(w)) + np.sum(v * _w(v))


def eigh_upper_loss(x):
    w, v = np.linalg.eigh(x, "U")
    return np.sum(w * _w(w)) + np.sum(v * _w(v))


@pytest.mark.parametrize("loss", [eigh_loss, eigh_upper_loss])
def test_eigh_reads_one_triangle_of_a_general_matrix(loss):
    # not symmetric: the derivative is that of what NumPy computes from the triangle it reads
    check(loss, R(5, 5))


@pytest.mark.parametrize("loss", [eigh_loss, eigh_upper_loss])
def test_eigh_of_stacked_symmetric_matrices(loss):
    m = R(2, 3, 4, 4) + 10.0 * np.eye(4)
    check(loss, m @ np.swapaxes(m, -1, -2))


def eig_loss(x):
    w, v = np.linalg.eig(x)
    return np.sum(np.abs(w)) + np.sum(np.abs(v))


def test_eig_of_a_general_matrix_is_refused_with_its_location():
    # complex eigenpairs of a real matrix: outside srcgrad's real-valued scope
    with pytest.raises(SrcGradError, match="eig") as err:
        srcgrad.grad(eig_loss)(R(4, 4))
    assert "test_autograd_checklist_linalg.py" in str(err.value)


def cholesky_loss(x):
    lower = np.tril(x)
    sym = 0.5 * (lower + np.swapaxes(lower, -1, -2))
    c = np.linalg.cholesky(sym)
    return np.sum(c * _w(c))


def test_cholesky_of_a_symmetric_matrix():
    check(cholesky_loss, _spd(5))


def test_cholesky_of_stacked_matrices():
    check(cholesky_loss, _spd(4, 3))


def reparameterized_norm(x):
    lower = np.tril(x)
    sym = 0.5 * (lower + lower.T)
    noise = np.random.RandomState(0).randn(x.shape[0])
    return np.linalg.norm(np.dot(np.linalg.cholesky(sym), noise))


def test_cholesky_in_the_reparameterization_trick():
    check(reparameterized_norm, _spd(5))


def svd_loss(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum(u * _w(u)) + np.sum(s * _w(s)) + np.sum(vh * _w(vh))


@pytest.mark.parametrize("shape", [(3, 5), (4, 4), (5, 3)], ids=["wide", "square", "tall"])
def test_reduced_svd(shape):
    check(svd_loss, R(*shape))


@pytest.mark.parametrize("shape", [(4, 3, 5), (3, 4, 4), (4, 5, 3)], ids=["wide", "square", "tall"])
def test_reduced_svd_of_stacked_matrices(shape):
    check(svd_loss, R(*shape))


def singular_values_loss(x):
    s = np.linalg.svd(x, full_matrices=False, compute_uv=False)
    return np.sum(s * _w(s))


@pytest.mark.parametrize("shape", [(5, 3), (4, 5, 3)])
def test_singular_values_only(shape):
    check(singular_values_loss, R(*shape))


# ======================================================================================
# scipy.stats (autograd's tests/test_scipy.py, "Stats")
# ======================================================================================

def chi2_pdf(x, df):
    return np.sum(scipy.stats.chi2.pdf(x, df) * _w(x))


def chi2_cdf(x, df):
    return np.sum(scipy.stats.chi2.cdf(x, df) * _w(x))


def chi2_logpdf(x, df):
    return np.sum(scipy.stats.chi2.logpdf(x, df) * _w(x))


@pytest.mark.parametrize("df", [1, 2, 3])
@pytest.mark.parametrize("loss", [chi2_pdf, chi2_cdf, chi2_logpdf])
def test_chi2_in_x(loss, df):
    check(loss, P(4), df)


def beta_cdf(x, a, b):
    return np.sum(scipy.stats.beta.cdf(x, a, b) * _w(x))


def beta_pdf(x, a, b):
    return np.sum(scipy.stats.beta.pdf(x, a, b) * _w(x))


def beta_logpdf(x, a, b):
    return np.sum(scipy.stats.beta.logpdf(x, a, b) * _w(x))


def test_beta_cdf_in_x():
    check(beta_cdf, U(0.05, 0.95, 4), P(4), P(4))


@pytest.mark.parametrize("loss", [beta_pdf, beta_logpdf])
def test_beta_density_in_x_and_both_shapes(loss):
    check(loss, U(0.05, 0.95, 4), P(4), P(4), wrt=(0, 1, 2))


def gamma_cdf(x, a):
    return np.sum(scipy.stats.gamma.cdf(x, a) * _w(x))


def gamma_pdf(x, a):
    return np.sum(scipy.stats.gamma.pdf(x, a) * _w(x))


def gamma_logpdf(x, a):
    return np.sum(scipy.stats.gamma.logpdf(x, a) * _w(x))


def test_gamma_cdf_in_x():
    check(gamma_cdf, P(4), P(4))


@pytest.mark.parametrize("loss", [gamma_pdf, gamma_logpdf])
def test_gamma_density_in_x_and_shape(loss):
    check(loss, P(4), P(4), wrt=(0, 1))


def norm_pdf(x, loc, scale):
    z = scipy.stats.norm.pdf(x, loc, scale)
    return np.sum(z * _w(z))


def norm_cdf(x, loc, scale):
    z = scipy.stats.norm.cdf(x, loc, scale)
    return np.sum(z * _w(z))


def norm_sf(x, loc, scale):
    z = scipy.stats.norm.sf(x, loc, scale)
    return np.sum(z * _w(z))


def norm_logpdf(x, loc, scale):
    z = scipy.stats.norm.logpdf(x, loc, scale)
    return np.sum(z * _w(z))


def norm_logcdf(x, loc, scale):
    z = scipy.stats.norm.logcdf(x, loc, scale)
    return np.sum(z * _w(z))


def norm_logsf(x, loc, scale):
    z = scipy.stats.norm.logsf(x, loc, scale)
    return np.sum(z * _w(z))


NORM_LOSSES = [norm_pdf, norm_cdf, norm_sf, norm_logpdf, norm_logcdf, norm_logsf]


@pytest.mark.parametrize("loss", NORM_LOSSES)
def test_norm_in_x_loc_and_scale(loss):
    check(loss, R(4), R(4), P(4), wrt=(0, 1, 2))


@pytest.mark.parametrize("loss", NORM_LOSSES)
def test_norm_with_broadcast_arguments(loss):
    check(loss, R(4, 3), R(1, 3), P(4, 1), wrt=(0, 1, 2))


def poisson_cdf(k, mu):
    z = scipy.stats.poisson.cdf(k, mu)
    return np.sum(z * _w(z))


def poisson_pmf(k, mu):
    z = scipy.stats.poisson.pmf(k, mu)
    return np.sum(z * _w(z))


def poisson_logpmf(k, mu):
    z = scipy.stats.poisson.logpmf(k, mu)
    return np.sum(z * _w(z))


@pytest.mark.parametrize("loss", [poisson_cdf, poisson_pmf, poisson_logpmf])
@pytest.mark.parametrize("shapes", [((4,), (4,)), ((4, 3), (4, 1))], ids=["same", "broadcast"])
def test_poisson_in_mu(loss, shapes):
    check(loss, np.round(R(*shapes[0]) ** 2), P(*shapes[1]), wrt=(1,))


def t_pdf(x, df, loc, scale):
    z = scipy.stats.t.pdf(x, df, loc, scale)
    return np.sum(z * _w(z))


def t_logpdf(x, df, loc, scale):
    z = scipy.stats.t.logpdf(x, df, loc, scale)
    return np.sum(z * _w(z))


def t_cdf(x, df, loc, scale):
    z = scipy.stats.t.cdf(x, df, loc, scale)
    return np.sum(z * _w(z))


def t_logcdf(x, df, loc, scale):
    z = scipy.stats.t.logcdf(x, df, loc, scale)
    return np.sum(z * _w(z))


T_SHAPES = {"same": ((4,), (4,), (4,), (4,)), "broadcast": ((4, 3), (1, 3), (4, 3), (4, 1))}


@pytest.mark.parametrize("shapes", T_SHAPES.values(), ids=T_SHAPES.keys())
@pytest.mark.parametrize("loss", [t_pdf, t_logpdf])
def test_t_density_in_every_argument(loss, shapes):
    sx, sdf, sloc, sscale = shapes
    check(loss, R(*sx), P(*sdf) + 1.0, R(*sloc), P(*sscale) + 1.0, wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("shapes", T_SHAPES.values(), ids=T_SHAPES.keys())
@pytest.mark.parametrize("loss", [t_cdf, t_logcdf])
def test_t_cdf_in_x_and_loc(loss, shapes):
    sx, sdf, sloc, sscale = shapes
    check(loss, R(*sx), P(*sdf) + 1.0, R(*sloc), P(*sscale) + 1.0, wrt=(0, 2))


def _psd(n):
    m = R(n, n)
    return m.T @ m + np.eye(n)


def mvn_pdf(x, mean, cov):
    sym = 0.5 * (cov + cov.T)
    z = scipy.stats.multivariate_normal.pdf(x, mean, sym, allow_singular=False)
    return np.sum(z * _w(z))


def mvn_logpdf(x, mean, cov):
    sym = 0.5 * (cov + cov.T)
    z = scipy.stats.multivariate_normal.logpdf(x, mean, sym, allow_singular=False)
    return np.sum(z * _w(z))


@pytest.mark.parametrize("loss", [mvn_pdf, mvn_logpdf])
@pytest.mark.parametrize("points", [(4,), (5, 4)], ids=["one point", "broadcast points"])
def test_multivariate_normal_density_in_every_argument(loss, points):
    check(loss, R(*points), R(4), _psd(4), wrt=(0, 1, 2))


def mvn_entropy(mean, cov):
    sym = 0.5 * (cov + cov.T)
    return scipy.stats.multivariate_normal.entropy(mean, sym)


def test_multivariate_normal_entropy():
    check(mvn_entropy, 10.0 * R(4), _psd(4), wrt=(0, 1))


def mvn_singular_pdf(x, mean, cov):
    point = np.concatenate([x[:2], mean[2:]])
    sym = 0.5 * (cov + cov.T)
    return scipy.stats.multivariate_normal.pdf(point, mean, sym, allow_singular=True)


def mvn_singular_logpdf(x, mean, cov):
    point = np.concatenate([x[:2], mean[2:]])
    sym = 0.5 * (cov + cov.T)
    return scipy.stats.multivariate_normal.logpdf(point, mean, sym, allow_singular=True)


@pytest.mark.parametrize("loss", [mvn_singular_pdf, mvn_singular_logpdf])
def test_multivariate_normal_with_a_singular_covariance(loss):
    # the variance is zero along the last two components: move along the first two only
    cov = np.diag([1.0, 1.0, 0.0, 0.0])
    start = np.concatenate([R(2), np.zeros(2)])
    check(loss, start, np.concatenate([R(2), np.zeros(2)]), cov, wrt=(0, 1))


ALPHA = rng.random(4) ** 2 + 1.2
DIRICHLET_X = scipy.stats.dirichlet.rvs(ALPHA, size=1, random_state=3)[0]


def dirichlet_pdf_normalized(x, alpha):
    return scipy.stats.dirichlet.pdf(x / np.sum(x), alpha)


def dirichlet_logpdf_normalized(x, alpha):
    return scipy.stats.dirichlet.logpdf(x / np.sum(x), alpha)


def dirichlet_pdf(x, alpha):
    return scipy.stats.dirichlet.pdf(x, alpha)


def dirichlet_logpdf(x, alpha):
    return scipy.stats.dirichlet.logpdf(x, alpha)


@pytest.mark.parametrize("loss", [dirichlet_pdf_normalized, dirichlet_logpdf_normalized])
def test_dirichlet_in_the_point(loss):
    # normalised inside: a perturbed point stays on the simplex
    check(loss, DIRICHLET_X, ALPHA)


@pytest.mark.parametrize("loss", [dirichlet_pdf, dirichlet_logpdf])
def test_dirichlet_in_alpha(loss):
    check(loss, DIRICHLET_X, ALPHA, wrt=(1,))


# ======================================================================================
# scipy.special.logsumexp and scipy.signal (autograd's "Misc" and "Signal")
# ======================================================================================

def logsumexp_loss(a, axis, keepdims):
    z = scipy.special.logsumexp(a, axis=axis, keepdims=keepdims)
    return np.sum(z * _w(z))


def logsumexp_b_loss(a, b, axis, keepdims):
    z = scipy.special.logsumexp(a, axis=axis, b=b, keepdims=keepdims)
    return np.sum(z * _w(z))


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("shape,axis", [((1,), None), ((4,), None), ((4,), 0), ((3, 4), None), ((3, 4), 0),
                                        ((3, 4), 1), ((4, 5, 6), 0), ((4, 5, 6), 1), ((1, 5), 1)])
def test_logsumexp(shape, axis, keepdims):
    check(logsumexp_loss, R(*shape), axis, keepdims)


@pytest.mark.parametrize("keepdims", [True, False])
@pytest.mark.parametrize("shape,axis", [((4,), None), ((4,), 0), ((3, 4), None), ((3, 4), 0), ((3, 4), 1),
                                        ((2, 3, 4), None), ((2, 3, 4), 1)])
def test_logsumexp_with_weights_b(shape, axis, keepdims):
    check(logsumexp_b_loss, R(*shape), np.exp(R(*shape)), axis, keepdims)


def logsumexp_row(a):
    return np.sum(scipy.special.logsumexp(a, axis=1, keepdims=True))


def test_logsumexp_gradient_of_gradient():
    a = R(1, 5)
    check(logsumexp_row, a)
    # the gradient is softmax: its own forward-mode derivative against differences
    dg = srcgrad.jvp(srcgrad.grad(logsumexp_row), (a,), (np.ones_like(a),))[1]
    g = srcgrad.grad(logsumexp_row)
    numeric = (g(a + 1e-6) - g(a - 1e-6)) / 2e-6
    np.testing.assert_allclose(dg, numeric, rtol=1e-5, atol=1e-7)


def convolve_loss(a, b, mode):
    z = scipy.signal.convolve(a, b, mode=mode)
    return np.sum(z * _w(z))


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("sa,sb", [((4,), (2,)), ((5,), (3,)), ((6,), (4,)), ((4,), (4,))])
def test_convolve_1d(sa, sb, mode):
    check(convolve_loss, R(*sa), R(*sb), mode, wrt=(0, 1))


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("sa,sb", [((4, 3), (2, 2)), ((5, 4), (3, 2)), ((6, 7), (4, 2)), ((5, 4), (4, 1))])
def test_convolve_2d(sa, sb, mode):
    check(convolve_loss, R(*sa), R(*sb), mode, wrt=(0, 1))


# ======================================================================================
# scipy.special (autograd's "Special")
# ======================================================================================

def beta_fn(a, b):
    return np.sum(scipy.special.beta(a, b) * _w(a))


def betaln_fn(a, b):
    return np.sum(scipy.special.betaln(a, b) * _w(a))


@pytest.mark.parametrize("loss", [beta_fn, betaln_fn])
def test_beta_functions_in_both_arguments(loss):
    check(loss, P(4), P(4), wrt=(0, 1))


def betainc_fn(a, b, x):
    return np.sum(scipy.special.betainc(a, b, x) * _w(x))


def test_betainc_in_x():
    check(betainc_fn, P(4), P(4), U(0.05, 0.95, 4), wrt=(2,))


def gammainc_fn(a, x):
    return np.sum(scipy.special.gammainc(a, x) * _w(x))


def gammaincc_fn(a, x):
    return np.sum(scipy.special.gammaincc(a, x) * _w(x))


@pytest.mark.parametrize("loss", [gammainc_fn, gammaincc_fn])
def test_incomplete_gamma_in_x(loss):
    check(loss, 1.0, P(4) + 0.2, wrt=(1,))


def polygamma_fn(n, x):
    return np.sum(scipy.special.polygamma(n, x) * _w(x))


def jn_fn(n, x):
    return np.sum(scipy.special.jn(n, x) * _w(x))


def yn_fn(n, x):
    return np.sum(scipy.special.yn(n, x) * _w(x))


def iv_fn(v, x):
    return np.sum(scipy.special.iv(v, x) * _w(x))


def ive_fn(v, x):
    return np.sum(scipy.special.ive(v, x) * _w(x))


@pytest.mark.parametrize("loss,order", [(polygamma_fn, 0), (jn_fn, 2), (yn_fn, 2)])
def test_integer_order_functions_in_x(loss, order):
    check(loss, order, P(4) + 0.2, wrt=(1,))


@pytest.mark.parametrize("loss", [iv_fn, ive_fn])
def test_modified_bessel_of_real_order_in_x(loss):
    check(loss, U(1.0, 50.0, 4), P(4) + 0.2, wrt=(1,))


UNARY = {
    "psi": (scipy.special.psi, (0.3, 2.0)), "digamma": (scipy.special.digamma, (0.3, 2.0)),
    "gamma": (scipy.special.gamma, (0.3, 2.0)), "gammaln": (scipy.special.gammaln, (0.3, 2.0)),
    "rgamma": (scipy.special.rgamma, (0.3, 2.0)),
    "j0": (scipy.special.j0, (0.2, 20.0)), "j1": (scipy.special.j1, (0.2, 20.0)),
    "y0": (scipy.special.y0, (0.2, 20.0)), "y1": (scipy.special.y1, (0.2, 20.0)),
    "i0": (scipy.special.i0, (0.2, 20.0)), "i1": (scipy.special.i1, (0.2, 20.0)),
    "erf": (scipy.special.erf, (-3.0, 3.0)), "erfc": (scipy.special.erfc, (-3.0, 3.0)),
    "erfinv": (scipy.special.erfinv, (-0.95, 0.95)), "erfcinv": (scipy.special.erfcinv, (0.05, 1.95)),
    "logit": (scipy.special.logit, (0.1, 0.9)), "expit": (scipy.special.expit, (-4.05, 4.95)),
}


def psi_fn(x):
    return np.sum(scipy.special.psi(x) * _w(x))


def digamma_fn(x):
    return np.sum(scipy.special.digamma(x) * _w(x))


def gamma_fn(x):
    return np.sum(scipy.special.gamma(x) * _w(x))


def gammaln_fn(x):
    return np.sum(scipy.special.gammaln(x) * _w(x))


def rgamma_fn(x):
    return np.sum(scipy.special.rgamma(x) * _w(x))


def j0_fn(x):
    return np.sum(scipy.special.j0(x) * _w(x))


def j1_fn(x):
    return np.sum(scipy.special.j1(x) * _w(x))


def y0_fn(x):
    return np.sum(scipy.special.y0(x) * _w(x))


def y1_fn(x):
    return np.sum(scipy.special.y1(x) * _w(x))


def i0_fn(x):
    return np.sum(scipy.special.i0(x) * _w(x))


def i1_fn(x):
    return np.sum(scipy.special.i1(x) * _w(x))


def erf_fn(x):
    return np.sum(scipy.special.erf(x) * _w(x))


def erfc_fn(x):
    return np.sum(scipy.special.erfc(x) * _w(x))


def erfinv_fn(x):
    return np.sum(scipy.special.erfinv(x) * _w(x))


def erfcinv_fn(x):
    return np.sum(scipy.special.erfcinv(x) * _w(x))


def logit_fn(x):
    return np.sum(scipy.special.logit(x) * _w(x))


def expit_fn(x):
    return np.sum(scipy.special.expit(x) * _w(x))


UNARY_LOSSES = {name: globals()[f"{name}_fn"] for name in UNARY}


def _inside(lims, *shape):
    lo, hi = lims
    return lo + (hi - lo) * (0.1 + 0.8 * rng.random(shape))


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (2,), (3, 2), (1, 2)])
def test_unary_special_function(name, shape):
    x = _inside(UNARY[name][1], *shape)
    check(UNARY_LOSSES[name], float(x) if shape == () else x)


def gammasgn_fn(x):
    return np.sum(scipy.special.gammasgn(x) * _w(x))


def test_gammasgn_has_a_zero_derivative():
    x = _inside((0.3, 2.0), 3, 2)
    assert np.array_equal(srcgrad.grad(gammasgn_fn)(x), np.zeros((3, 2)))
    assert srcgrad.jvp(gammasgn_fn, (x,), (np.ones((3, 2)),))[1] == 0.0


def multigammaln_fn(a, d):
    return np.sum(scipy.special.multigammaln(a, d) * _w(a))


@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (2, 3)])
def test_multigammaln_in_a(shape, d):
    a = U(4.0, 5.0, *shape)
    check(multigammaln_fn, float(a) if shape == () else a, d)


# ======================================================================================
# scipy.integrate.odeint and scipy.linalg (autograd's "ODE integrator" and "Linalg")
# ======================================================================================

def _vector_field(y, t, arg1, arg2):
    return -np.sqrt(t) - y + arg1 - np.mean((y + arg2) ** 2)


def odeint_loss(y0):
    ys = scipy.integrate.odeint(_vector_field, y0, np.linspace(0.1, 0.2, 4), args=(np.ones(3), np.ones(3)))
    return np.sum(ys)


def test_odeint_is_refused_with_its_location():
    with pytest.raises(SrcGradError) as err:
        srcgrad.grad(odeint_loss)(R(3))
    assert "test_autograd_checklist_linalg.py" in str(err.value)


def sqrtm_loss(a):
    sym = 0.5 * (a + a.T)
    z = scipy.linalg.sqrtm(sym)
    return np.sum(z * _w(z))


def test_sqrtm_of_a_symmetric_matrix():
    check(sqrtm_loss, _spd(3))


def sylvester_loss(a, b, q):
    z = scipy.linalg.solve_sylvester(a, b, q)
    return np.sum(z * _w(z))


def test_solve_sylvester_in_every_argument():
    check(sylvester_loss, R(3, 3), R(3, 3), R(3, 3), wrt=(0, 1, 2))


def banded_loss(ab, b):
    z = scipy.linalg.solve_banded((1, 1), ab, b)
    return np.sum(z * _w(z))


def test_solve_banded_in_the_band_and_the_right_hand_side():
    ab = R(3, 5)
    ab[1] += 4.0  # diagonally dominant
    check(banded_loss, ab, R(5), wrt=(0, 1), order=1)
