"""numpy.linalg's decompositions and scipy.linalg's solves and matrix functions:
second derivatives, the documented conventions, and the located refusals.

The rules themselves are checked against central differences in
tests/test_rules.py (cases in tests/rule_cases/decompositions.py and
scipy_linalg.py); here: hessians through them (forward mode over the
generated reverse code, against differenced gradients), the triangle
convention of eigh, degenerate eigenvalues, tuple results read whole, and
the SVD and QR forms whose derivative is not unique.
"""
import numpy as np
import pytest
import scipy.linalg

import srcgrad
from differences import differenced_hessian as _differenced_hessian
from srcgrad import SrcGradError

rng = np.random.default_rng(11)
W3 = rng.normal(size=(3, 3))
W43 = rng.normal(size=(4, 3))


def _spread(m, n):
    """Eigen- and singular values well apart: no near-degeneracy for differences."""
    d = np.zeros((m, n))
    k = min(m, n)
    d[range(k), range(k)] = 2.0 * np.arange(1, k + 1)
    return 0.5 * rng.normal(size=(m, n)) + d


def f_slogdet(x):
    sign, logdet = np.linalg.slogdet(x @ x.T + np.eye(3))
    return logdet * sign


def f_eigh(x):
    w, v = np.linalg.eigh(x)
    return np.sum(w ** 3) + np.sum(v * v * W3)


def f_eigvalsh(x):
    return np.sum(np.linalg.eigvalsh(x, "U") ** 3)


def f_svd(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum(s ** 3) + np.sum(u * u * W43) + np.sum((u * s) @ vh * W43)


def f_svd_values(x):
    return np.sum(np.linalg.svd(x, compute_uv=False) ** 3)


def f_qr(x):
    q, r = np.linalg.qr(x)
    return np.sum(q * W43) + np.sum(r ** 3)


def f_pinv_lstsq(x):
    solution, residuals, rank, s = np.linalg.lstsq(x, W43[:, 0], rcond=None)
    return np.sum(np.linalg.pinv(x) ** 2) + np.sum(solution ** 2)


def f_matrix_power(x):
    return np.sum(np.linalg.matrix_power(x, 3) * W3) + np.sum(np.linalg.matrix_power(x, -1) * W3)


def f_expm(x):
    return np.sum(scipy.linalg.expm(x) * W3)


def f_sqrtm(x):
    return np.sum(scipy.linalg.sqrtm(x @ x.T + np.eye(3)) * W3)


def f_solve_triangular(x):
    return np.sum(scipy.linalg.solve_triangular(x, W3, trans=1, lower=True) ** 2)


def f_cho_solve(x):
    return np.sum(scipy.linalg.cho_solve(scipy.linalg.cho_factor(x @ x.T + np.eye(3)), W3) * W3)


def f_einsum_forms(x):
    return np.sum(np.einsum(x, [0, 1], x, [1, 2], [0, 2]) ** 2 * W3) \
        + np.sum(np.einsum("...ij,...jk->...ik", x, x) * W3)


CASES = [
    (f_slogdet, _spread(3, 3)), (f_eigh, _spread(3, 3)), (f_eigvalsh, _spread(3, 3)),
    (f_svd, _spread(4, 3)), (f_svd_values, _spread(4, 3)), (f_qr, _spread(4, 3)),
    (f_pinv_lstsq, _spread(4, 3)), (f_matrix_power, _spread(3, 3)), (f_expm, 0.5 * _spread(3, 3)),
    (f_sqrtm, _spread(3, 3)), (f_solve_triangular, _spread(3, 3)), (f_cho_solve, _spread(3, 3)),
    (f_einsum_forms, _spread(3, 3)),
]


@pytest.mark.parametrize("fn, x", CASES, ids=[fn.__name__ for fn, _ in CASES])
def test_hessian_through_decompositions_matches_differenced_gradient(fn, x):
    expected = _differenced_hessian(fn, x)
    actual = srcgrad.hessian(fn)(x)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * max(1.0, np.max(np.abs(expected))))


# --- eigh: the gradient of the triangle NumPy reads -----------------------------------


def squares_of_eigenvalues(x):
    w, v = np.linalg.eigh(x)
    return np.sum(w ** 2)            # = the squared Frobenius norm of the symmetric matrix seen


def squares_of_symmetrised_eigenvalues(x):
    w, v = np.linalg.eigh((x + x.T) / 2.0)
    return np.sum(w ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_eigh_gradient_lives_on_the_lower_triangle(mode):
    x = rng.normal(size=(4, 4))
    # the matrix eigh sees is tril(x) mirrored: an entry below the diagonal counts twice
    want = 4.0 * np.tril(x, -1) + 2.0 * np.diag(np.diag(x))
    if mode == "reverse":
        got = srcgrad.grad(squares_of_eigenvalues)(x)
    else:
        got = np.array([srcgrad.jvp(squares_of_eigenvalues, (x,), (e.reshape(4, 4),))[1]
                        for e in np.eye(16)]).reshape(4, 4)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_eigh_of_a_symmetrised_input_has_the_symmetric_gradient():
    x = rng.normal(size=(4, 4))
    np.testing.assert_allclose(srcgrad.grad(squares_of_symmetrised_eigenvalues)(x), x + x.T, rtol=1e-10)


def test_eigh_eigenvalue_gradient_stays_finite_at_repeated_eigenvalues():
    def weighted_eigenvalues(x):
        w, v = np.linalg.eigh(x)
        return np.sum(w * np.array([1.0, 1.0, 2.0]))

    x = np.diag([1.0, 1.0, 3.0])     # the eigenvalue 1 is repeated; its weights are equal
    np.testing.assert_allclose(srcgrad.grad(weighted_eigenvalues)(x), np.diag([1.0, 1.0, 2.0]), atol=1e-12)


# --- results read whole, and the forms without a unique derivative -------------------------


def test_slogdet_result_indexed_and_multiplied_by_its_sign():
    def f(a):
        result = np.linalg.slogdet(a)
        return result[0] * result[1]

    a = -(_spread(3, 3) + 3.0 * np.eye(3))  # negative determinant: the sign is -1
    assert np.linalg.slogdet(a)[0] == -1.0
    np.testing.assert_allclose(srcgrad.grad(f)(a), -np.linalg.inv(a).T, rtol=1e-10)


def reads_all_of_a_full_u(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u * W43[:, :1])


def test_full_svd_of_a_non_square_matrix_is_refused_where_it_has_no_derivative():
    with pytest.raises(SrcGradError) as caught:
        srcgrad.grad(reads_all_of_a_full_u)(_spread(4, 3))
    message = str(caught.value)
    assert "test_decompositions.py:" in message and "u, s, vh = np.linalg.svd(a)" in message
    assert "full_matrices=False" in message
    # forward mode: NaN where the columns past min(m, n) are read, never a made-up number
    _, tangent = srcgrad.jvp(reads_all_of_a_full_u, (_spread(4, 3),), (np.ones((4, 3)),))
    assert np.isnan(tangent)


def complete_qr(a):
    q, r = np.linalg.qr(a, mode="complete")
    return np.sum(q * W43[:, :1])


def test_complete_qr_of_a_tall_matrix_is_refused():
    with pytest.raises(SrcGradError, match="mode='complete'") as caught:
        srcgrad.grad(complete_qr)(_spread(4, 3))
    assert 'q, r = np.linalg.qr(a, mode="complete")' in str(caught.value)


def hermitian_svd(a):
    u, s, vh = np.linalg.svd(a, hermitian=True)
    return np.sum(s ** 3) + np.sum((u * s) @ vh * W3)


def test_hermitian_svd_reads_the_lower_triangle_and_has_a_hessian():
    a = _spread(3, 3)
    g = srcgrad.grad(hermitian_svd)(a)
    assert np.all(np.triu(g, 1) == 0.0)  # the upper triangle is never read
    srcgrad.check_grads(hermitian_svd, (a,), modes=("reverse", "forward"))
    np.testing.assert_allclose(srcgrad.hessian(hermitian_svd)(a), _differenced_hessian(hermitian_svd, a),
                               rtol=1e-5, atol=1e-6)


# --- named-tuple fields (NumPy's SlogdetResult, EighResult, SVDResult, QRResult) ----------


def fields_of_results(x):
    r = np.linalg.slogdet(x @ x.T + np.eye(3))
    e = np.linalg.eigh(x + x.T)
    return r.sign * r.logabsdet + np.sum(e.eigenvalues ** 3) + np.sum(e.eigenvectors ** 2 * W3) \
        + np.sum(np.linalg.svd(x).S ** 3) + np.sum(np.linalg.qr(x).R ** 2 * W3)


def fields_by_index(x):
    r = np.linalg.slogdet(x @ x.T + np.eye(3))
    e = np.linalg.eigh(x + x.T)
    return r[0] * r[1] + np.sum(e[0] ** 3) + np.sum(e[1] ** 2 * W3) \
        + np.sum(np.linalg.svd(x)[1] ** 3) + np.sum(np.linalg.qr(x)[1] ** 2 * W3)


def test_named_fields_of_results_are_their_items():
    x = _spread(3, 3)
    np.testing.assert_allclose(srcgrad.grad(fields_of_results)(x), srcgrad.grad(fields_by_index)(x), rtol=1e-12)
    srcgrad.check_grads(fields_of_results, (x,), modes=("reverse", "forward"))
    np.testing.assert_allclose(srcgrad.hessian(fields_of_results)(x), _differenced_hessian(fields_of_results, x),
                               rtol=1e-5, atol=1e-6)


def field_of_a_parameter(r, x):
    return r.logabsdet * x


def test_a_field_of_a_value_of_unknown_origin_is_refused_when_needed():
    r = np.linalg.slogdet(_spread(3, 3))
    assert srcgrad.grad(field_of_a_parameter, wrt=1)(r, 2.0) == pytest.approx(r.logabsdet)
    with pytest.raises(SrcGradError, match="logabsdet") as caught:
        srcgrad.grad(field_of_a_parameter, wrt=0)(r, 2.0)
    assert "return r.logabsdet * x" in str(caught.value)
