"""Central differences shared by the second-derivative tests."""
import numpy as np

import srcgrad


def differenced_hessian(fn, x, eps=1e-5):
    """The Hessian of scalar `fn` at array `x`, by central differences of srcgrad's
    gradient: the reference a forward-over-reverse Hessian is checked against."""
    grad = srcgrad.grad(fn)
    columns = []
    for i in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[i] = eps
        columns.append((np.asarray(grad(x + step)) - np.asarray(grad(x - step))) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(x.shape + x.shape)
