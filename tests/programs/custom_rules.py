"""Functions srcgrad must not trace into: they get user rules in the tests."""
import numpy as np
import scipy.special


def opaque_product(x, y):
    """Pretend this is a C routine: srcgrad uses its registered rules."""
    return np.asarray(x) * np.asarray(y)


def uses_opaque(x, y):
    s = 0.0
    for i in range(3):
        s = s + np.sum(opaque_product(x, y) * i)
    return s


def uses_scipy_dawsn(x):
    return np.sum(scipy.special.dawsn(x) * x)
