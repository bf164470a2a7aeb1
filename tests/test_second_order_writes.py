"""Second derivatives of programs that write into arrays: forward mode over the
generated gradient, whose backward sweep restores overwritten slices in place.

The restore writes through one name (`_y1[1:] = _y2`, or `y = _y1; y[1:] = _y2`
in a split backward) and a view taken before the write reads it (`_t1 = y[1:]`):
the tangents must share memory as the values do, and the restore must count as
changing the view (analysis/activity.py `_shared_writes`, forward/tangents.py
`_mirrored`). Checked in both generated forms (the joint `grad_f` under
`hessian`/`hvp`, the split pair of a called helper under `grad(grad(...))`)
against central differences of the function's own values.
"""
import numpy as np
import pytest

import srcgrad
from differences import differenced_hessian


def _valued_hessian(fn, x, eps=1e-4):
    """The Hessian of `fn` at `x` from second central differences of its values."""
    n = x.size
    out = np.zeros((n, n))
    steps = np.eye(n) * eps
    for i in range(n):
        for j in range(n):
            def at(a, b):
                return fn((x.ravel() + a * steps[i] + b * steps[j]).reshape(x.shape))
            out[i, j] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * eps * eps)
    return out.reshape(x.shape + x.shape)


def slice_squared_then_shift(x):
    y = x * 1.0
    y[1:] = y[1:] ** 2
    y += 1.0
    return np.sum(y ** 2)


def normalise_argument_then_shift(x):
    x[1:] = x[1:] / np.sum(x[1:] ** 2)
    x += 1.0
    return np.sum(np.log(x ** 2 + 1.0))


def slice_then_rebind(x):
    y = np.sin(x)
    y[:2] = y[:2] * y[1:3]
    y = y + 1.0
    return np.sum(y ** 3)


def rows_then_shift(m):
    a = m * 2.0
    a[0] = a[0] ** 2 + a[1]
    a += 0.5
    return np.sum(np.tanh(a) * a)


CASES = [
    (slice_squared_then_shift, np.array([2.0, 1.0, -0.7])),
    (normalise_argument_then_shift, np.array([0.5, 1.0, 2.0, -1.0])),
    (slice_then_rebind, np.array([0.3, -0.8, 1.1, 0.4])),
    (rows_then_shift, np.array([[0.2, -0.5], [0.9, 0.3], [-0.4, 0.6]])),
]


@pytest.mark.parametrize("fn,x", CASES, ids=[c[0].__name__ for c in CASES])
def test_hessian_and_hvp_after_slice_write(fn, x):
    expected = _valued_hessian(fn, x.copy())
    np.testing.assert_allclose(srcgrad.hessian(fn)(x.copy()), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(srcgrad.hessian(fn)(x.copy()), differenced_hessian(fn, x.copy()),
                               rtol=1e-6, atol=1e-6)
    v = np.linspace(-1.0, 1.0, x.size).reshape(x.shape)
    flat = expected.reshape(x.size, x.size)
    np.testing.assert_allclose(srcgrad.hvp(fn)(x.copy(), v), (flat @ v.ravel()).reshape(x.shape),
                               rtol=1e-5, atol=1e-5)


HELPERS = [c for c in CASES if c[0] is not normalise_argument_then_shift]  # writes its argument


@pytest.mark.parametrize("fn,x", HELPERS, ids=[c[0].__name__ for c in HELPERS])
def test_grad_of_grad_through_a_helper_that_writes(fn, x):
    """The helper is compiled as a split pair: its backward restores into the tape."""
    direction = np.linspace(0.5, 1.5, x.size).reshape(x.shape)

    def along(t):
        return fn(x + t * direction)

    t0 = 0.3
    second = srcgrad.grad(srcgrad.grad(along))(t0)
    eps = 1e-4
    expected = (along(t0 + eps) - 2 * along(t0) + along(t0 - eps)) / eps ** 2
    np.testing.assert_allclose(second, expected, rtol=1e-5, atol=1e-5)


def fill_slots(x):
    stats = {"a": 0.0, "b": 0.0}
    for i in range(len(x)):
        key = "a" if i % 2 == 0 else "b"
        stats[key] = stats[key] + x[i] ** 2  # the slot-update line
    return stats["a"] * stats["b"]


def square_first_then_shift(x):
    x[0] = x[0] ** 2  # the entry-write line
    x += 1.0
    return np.sum(x ** 2)


def shifted_pair(t):
    return square_first_then_shift(np.array([t, 1.0]))


def _line_of(fn, marker):
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if marker in line)


def test_hessian_of_dict_slot_updates_in_a_loop():
    """The backward sweep puts dict entries back with restore_entry: its tangent too."""
    x = np.array([0.3, -1.2, 0.8, 1.5])
    np.testing.assert_allclose(srcgrad.hessian(fill_slots)(x), _valued_hessian(fill_slots, x),
                               rtol=1e-5, atol=1e-5)
    v = np.array([0.5, -1.0, 2.0, 0.1])
    np.testing.assert_allclose(srcgrad.hvp(fill_slots)(x, v), _valued_hessian(fill_slots, x) @ v,
                               rtol=1e-5, atol=1e-5)


def test_grad_of_grad_through_a_helper_that_writes_its_argument():
    eps = 1e-4
    expected = (shifted_pair(2.0 + eps) - 2 * shifted_pair(2.0) + shifted_pair(2.0 - eps)) / eps ** 2
    assert srcgrad.grad(srcgrad.grad(shifted_pair))(2.0) == pytest.approx(expected, rel=1e-6)


def third_power_det(t):
    return np.linalg.det(np.array([[t, 1.0], [2.0, t]]) * t)  # the det line


def test_unsupported_second_order_points_at_the_users_line():
    """What forward mode cannot take in a generated gradient is refused at the line
    of the user's code it was generated for, not at generated code."""
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(srcgrad.grad(srcgrad.grad(third_power_det)))(0.3)
    where = info.value.location
    assert where.filename == __file__
    assert where.lineno == _line_of(third_power_det, "the det line")
    assert str(info.value).count("second derivatives are not supported here") == 1
    assert "third derivatives of numpy.linalg.det" in str(info.value)


def keys_added_in_a_loop(x):
    d = {}
    for i in range(len(x)):
        k = i % 2
        if k in d:
            d[k] = d[k] * x[i]
        else:
            d[k] = np.sin(x[i])  # a new key: the backward removes it again
    return d[0] * d[1] + d[0] ** 2


def list_slots_augmented(x):
    s = [0.0, 0.0]
    for i in range(len(x)):
        s[i % 2] += x[i] ** 3
    return s[0] * s[1]


@pytest.mark.parametrize("fn", [keys_added_in_a_loop, list_slots_augmented])
def test_hessian_of_container_entries_set_in_a_loop(fn):
    x = np.array([0.3, -0.7, 1.1, 0.4])
    np.testing.assert_allclose(srcgrad.hessian(fn)(x), _valued_hessian(fn, x), rtol=1e-5, atol=1e-5)
