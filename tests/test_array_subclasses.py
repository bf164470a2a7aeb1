"""Array subclasses as arguments: refused where NumPy's meaning differs, accepted where not.

A masked array skips its masked entries in reductions and `numpy.matrix` multiplies
with `*`; a derivative written with plain arrays' meaning would be silently wrong for
them (FINDINGS15 #7: the gradient of `np.sum(x ** 2)` gave a masked entry 2.0), so
every transform refuses them, as a wrt argument, as data, and inside a container.
`numpy.memmap` is a plain array in all but storage and is differentiated.
"""
import numpy as np
import pytest

import srcgrad


def sumsq(x):
    return np.sum(x ** 2)


def weighted(w, X):
    return np.sum(w * X)


MASKED = np.ma.array(np.array([0.3, -0.6, 0.9]), mask=[False, True, False])


@pytest.mark.parametrize("call", [
    lambda: srcgrad.grad(sumsq)(MASKED),
    lambda: srcgrad.value_and_grad(sumsq)(MASKED),
    lambda: srcgrad.vjp(sumsq, MASKED),
    lambda: srcgrad.jvp(sumsq, (MASKED,), (np.ones(3),)),
    lambda: srcgrad.grad(sumsq)({"a": MASKED}),
    lambda: srcgrad.grad(weighted)(np.ones(3), MASKED),
    lambda: srcgrad.hessian(sumsq)(MASKED),
], ids=["grad", "value_and_grad", "vjp", "jvp", "in_a_dict", "as_data", "hessian"])
def test_masked_array_is_refused_with_a_hint(call):
    with pytest.raises(srcgrad.SrcGradError) as err:
        call()
    assert "numpy.ma.MaskedArray" in str(err.value)
    assert "x.filled(0.0)" in str(err.value)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_matrix_is_refused():
    w = np.ones((2, 2))
    with pytest.raises(srcgrad.SrcGradError, match="numpy.matrix"):
        srcgrad.grad(weighted)(w, np.matrix([[1.0, 2.0], [3.0, 4.0]]))


def test_refusal_does_not_stick_to_the_function():
    g = srcgrad.grad(sumsq)
    with pytest.raises(srcgrad.SrcGradError):
        g(MASKED)
    np.testing.assert_allclose(g(np.array([0.3, -0.6, 0.9])), [0.6, -1.2, 1.8])


def test_memmap_is_differentiated(tmp_path):
    mm = np.memmap(tmp_path / "x.dat", dtype=np.float64, mode="w+", shape=(3,))
    mm[:] = [1.0, -2.0, 0.5]
    np.testing.assert_allclose(srcgrad.grad(sumsq)(mm), [2.0, -4.0, 1.0])
    np.testing.assert_allclose(mm, [1.0, -2.0, 0.5])

