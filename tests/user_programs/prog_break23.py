"""srcgrad tried from outside (break23): today's in-place writes, loops, powers.

Written from README.md, docs/*.md, FINDINGS*.md, error messages and printed
generated code only (the compiler was not read).  The default Python backend.
Every derivative is checked against central differences in float64 (the
function called on fresh copies of its arguments) or a hand derivative.

A finding that still fails is a strict xfail naming its number in FINDINGS23.md.
"""
import copy

import numpy as np
import pytest

import srcgrad

from user_programs.checking import fd_grad, close, check_all


def fresh(t):
    return copy.deepcopy(t)


# --------------------------------------------------------------------------
# FINDINGS23 #1: a shallow copy of a container (p.copy(), ws[:], ws.copy())
# holds the same arrays; `q[k] op= v` changes that array in place, so the
# original container sees it.  srcgrad differentiates it as a rebinding.
# --------------------------------------------------------------------------

def dict_copy_scaled(x):
    p = {"w": x * 1.0}
    q = p.copy()
    q["w"] *= 3.0            # changes the array p["w"] holds too
    return np.sum(p["w"] * x)


def dict_arg_copy_scaled(p):
    q = p.copy()
    q["w"] *= 3.0            # the caller's p["w"] changes
    return np.sum(p["w"])


def list_slice_copy_scaled(ws):
    q = ws[:]
    q[0] *= 2.0
    return np.sum(ws[0])


def list_copy_scaled(ws):
    q = ws.copy()
    q[0] *= 2.0
    return np.sum(ws[0])


def training_step_on_a_copy(p):
    q = p.copy()
    q["w"] -= 0.1 * 2.0 * q["w"]
    return np.sum(q["w"] ** 2) + np.sum(p["w"] * p["b"])


X1 = np.array([0.5, -1.0])


def test_f01_the_real_function_changes_the_original():
    # x * 1.0 -> p["w"]; q["w"] *= 3 changes it: f(x) = sum(3 x * x)
    assert dict_copy_scaled(X1) == pytest.approx(np.sum(3.0 * X1 * X1))
    close(fd_grad(dict_copy_scaled, (X1,)), 6.0 * X1)


def list_concat_scaled(x):
    p = [x * 1.0, x * 2.0]
    q = p + []
    q[0] *= 3.0
    return np.sum(p[0] * x)


def decay_on_copies(ws):
    out = 0.0
    for step in range(2):
        q = ws.copy()
        q[0] -= 0.1 * q[0]
        out = out + np.sum(ws[0] ** 2)
        ws = q
    return out


def test_f01_comprehension_and_list_copies_refused():
    def comp(p):
        q = {k: p[k] for k in p}
        q["w"] *= 3.0
        return np.sum(p["w"])

    def lst(ws):
        q = list(ws)
        q[0] *= 2.0
        return np.sum(ws[0])
    with pytest.raises(srcgrad.SrcGradError, match="share memory"):
        srcgrad.grad(comp)({"w": np.array([0.5, -1.0])})
    with pytest.raises(srcgrad.SrcGradError, match="share memory"):
        srcgrad.grad(lst)([np.array([0.5, -1.0])])


def test_f01_rebinding_a_slot_of_a_copy_right():
    def rebind(p):
        q = p.copy()
        q["w"] = q["w"] * 3.0
        return np.sum(q["w"] * p["w"]) + np.sum(q["b"])
    P = {"w": np.array([0.5, -1.0]), "b": np.array([0.3, 0.2])}
    check_all(rebind, (fresh(P),))


# --------------------------------------------------------------------------
# FINDINGS23 #2: an entry carried from one loop iteration to the next
# (left = u[i] at the end of an iteration, read by the next write), or read
# in a branch, still makes the write into the array refused.
# --------------------------------------------------------------------------

def gauss_seidel_carry(b):
    u = np.zeros(4)
    for sweep in range(3):
        left = 0.0
        for i in range(4):
            right = u[i + 1] if i < 3 else 0.0
            u[i] = 0.5 * (left + right + b[i])
            left = u[i]
    return np.sum(u ** 2)


def prefix_carry(x):
    u = x * 1.0
    prev = u[0]
    for i in range(1, 4):
        cur = u[i]
        u[i] = cur + 0.5 * prev
        prev = cur
    return np.sum(u * u)


def neighbour_by_if_expression(b):
    u = np.zeros(4)
    for sweep in range(2):
        for i in range(4):
            right = u[i + 1] if i < 3 else 0.0
            u[i] = 0.5 * (right + b[i])
    return np.sum(u ** 2)


def entry_in_branch(x):
    u = x * 2.0
    if x[0] > 0:
        tmp = u[1]
    else:
        tmp = u[2]
    u[1] = 7.0 * x[0]
    return np.sum(tmp * u)


B4 = np.array([0.3, -1.2, 0.7, 0.4])


@pytest.mark.xfail(strict=True, reason="FINDINGS23 #2: left = u[i] carried to the next iteration refused")
def test_f02_gauss_seidel_with_a_carried_neighbour():
    check_all(gauss_seidel_carry, (B4,), hess=False)


@pytest.mark.xfail(strict=True, reason="FINDINGS23 #2: prev = cur (an entry) carried to the next iteration refused")
def test_f02_prefix_carry():
    check_all(prefix_carry, (B4,), hess=False)


@pytest.mark.xfail(strict=True, reason="FINDINGS23 #2: an entry read in either branch refused")
def test_f02_entry_read_in_a_branch():
    check_all(entry_in_branch, (B4,), hess=False)


@pytest.mark.xfail(strict=True, reason="FINDINGS23 #2: right = u[i + 1] if i < 3 else 0.0 refused")
def test_f02_neighbour_read_by_an_if_expression():
    check_all(neighbour_by_if_expression, (B4,), hess=False)


def test_f02_the_same_with_float_right():
    def gs_float(b):
        u = np.zeros(4)
        for sweep in range(3):
            left = 0.0
            for i in range(4):
                right = float(u[i + 1]) if i < 3 else 0.0
                u[i] = 0.5 * (left + right + b[i])
                left = float(u[i])
        return np.sum(u ** 2)
    check_all(gs_float, (B4,))


# --------------------------------------------------------------------------
# FINDINGS23 #3: an entry read into a name, then the whole array changed by an
# augmented assignment (u += c, u *= c): refused when compiling, where
# u[:] += c is accepted and checked as the function runs.
# --------------------------------------------------------------------------

def entry_then_iadd(x):
    u = x * 2.0
    tmp = u[0]
    u += 1.0
    return tmp * np.sum(u * x)


def entry_then_slice_iadd(x):
    u = x * 2.0
    tmp = u[0]
    u[:] += 1.0
    return tmp * np.sum(u * x)


@pytest.mark.xfail(strict=True, reason="FINDINGS23 #3: tmp = u[0]; u += 1.0 refused (u[:] += 1.0 accepted)")
def test_f03_entry_then_augmented_assignment():
    check_all(entry_then_iadd, (B4,))


def test_f03_slice_form_right_and_matrix_checked():
    check_all(entry_then_slice_iadd, (B4,))
    with pytest.raises(srcgrad.SrcGradError, match="view"):
        srcgrad.grad(entry_then_slice_iadd)(np.ones((2, 2)))


# --------------------------------------------------------------------------
# FINDINGS23 #4: the SrcGradError raised as hvp runs (an entry that is a row
# view, then a write) names the wrong line: the line after the function.
# --------------------------------------------------------------------------

def swap_rows_by_entry(x):
    u = x * 2.0
    tmp = u[0]
    u[0] = u[2]
    u[2] = tmp
    return np.sum(u * u)


X33 = np.arange(1.0, 10.0).reshape(3, 3) / 10.0


def test_f04_grad_and_hessian_name_the_write():
    for t in (lambda: srcgrad.grad(swap_rows_by_entry)(X33),
              lambda: srcgrad.hessian(swap_rows_by_entry)(X33)):
        with pytest.raises(srcgrad.SrcGradError) as e:
            t()
        assert "u[0] = u[2]" in str(e.value)


def test_f04_hvp_names_the_write():
    with pytest.raises(srcgrad.SrcGradError) as e:
        srcgrad.hvp(swap_rows_by_entry)(X33, X33)
    assert "u[0] = u[2]" in str(e.value)


# --------------------------------------------------------------------------
# FINDINGS23 #5: second order of x ** k with k a NumPy integer (a loop over
# np.arange, np.int64(k), an entry of an int array) at a negative base raises
# ValueError: math domain error (FINDINGS22 #9 with range(...) is fixed).
# --------------------------------------------------------------------------

def poly_fit_arange(c, xs, ys):
    err = 0.0
    for i in range(xs.shape[0]):
        pred = 0.0
        for k in np.arange(3):
            pred = pred + c[k] * xs[i] ** k
        err = err + (pred - ys[i]) ** 2
    return err


def powers_arange(x):
    s = 0.0
    for k in np.arange(3):
        s = s + x ** k
    return s * s


def powers_range(x):
    s = 0.0
    for k in range(3):
        s = s + x ** k
    return s * s


C3 = np.array([0.3, -0.2, 0.5])
XS = np.array([-0.8, 0.3, 1.2, -1.5])
YS = np.array([0.1, 0.2, -0.3, 0.4])
PHI = np.stack([XS ** 0, XS, XS ** 2], 1)


def test_f05_first_order_and_range_right():
    close(srcgrad.grad(poly_fit_arange)(C3, XS, YS), 2 * PHI.T @ (PHI @ C3 - YS))
    # (1 + x + x^2)^2: second derivative 2 (1 + 2x)^2 + 4 (1 + x + x^2)
    x = -0.7
    h = 2 * (1 + 2 * x) ** 2 + 4 * (1 + x + x * x)
    assert srcgrad.hvp(powers_range)(x, 1.0) == pytest.approx(h)
    assert srcgrad.hvp(powers_arange)(0.7, 1.0) == pytest.approx(2 * (1 + 1.4) ** 2 + 4 * (1 + 0.7 + 0.49))


# FINDINGS23 #5 (fixed in session 15): hessian of x ** k, k from np.arange, negative base: math domain error
def test_f05_hessian_of_a_polynomial_fit_with_arange():
    close(srcgrad.hessian(poly_fit_arange)(C3, XS, YS), 2 * PHI.T @ PHI)


# FINDINGS23 #5 (fixed in session 15): hvp of x ** k, k from np.arange, negative base: math domain error
def test_f05_minimal_hvp():
    x = -0.7
    h = 2 * (1 + 2 * x) ** 2 + 4 * (1 + x + x * x)
    assert srcgrad.hvp(powers_arange)(x, 1.0) == pytest.approx(h)


# --------------------------------------------------------------------------
# Guards: what was tried and works.
# --------------------------------------------------------------------------

PERM = np.array([2, 0, 1])


def perm_copy_then_write(x):
    t = x * 2.0
    u = t[PERM]
    t[0] = 5.0
    return np.sum(u * t * x)


def test_g_global_index_rebound_between_calls():
    global PERM
    x = np.array([0.3, -1.2, 0.7])
    df = srcgrad.grad(perm_copy_then_write)
    try:
        for p in (np.array([2, 0, 1]), [1, 2, 0], 1, np.array(1), np.int64(2)):
            PERM = p
            close(df(x), fd_grad(perm_copy_then_write, (x,)))
        for p in (slice(0, 3), Ellipsis, None, (slice(None),)):
            PERM = p
            with pytest.raises(srcgrad.SrcGradError, match="view"):
                df(x)
    finally:
        PERM = np.array([2, 0, 1])


def entry_by_argument(x, i):
    u = x * 2.0
    tmp = u[i]
    u[0] = 5.0
    return np.sum(tmp * tmp) + np.sum(u * x)


def test_g_entry_index_held_in_an_argument():
    x = np.array([0.3, -1.2, 0.7, 0.4])
    for i in (np.int64(2), np.array(1), (1,), [0, 1], np.array([True, False, True, False])):
        close(srcgrad.grad(entry_by_argument)(x, i), fd_grad(entry_by_argument, (x, i)))
    for i in (slice(0, 2), None, Ellipsis, ()):
        with pytest.raises(srcgrad.SrcGradError, match="view"):
            srcgrad.grad(entry_by_argument)(x, i)


def bubble_sort_energy(x):
    u = x * 1.0
    for i in range(u.shape[0]):
        for j in range(u.shape[0] - 1 - i):
            if u[j] > u[j + 1]:
                tmp = u[j]
                u[j] = u[j + 1]
                u[j + 1] = tmp
    return np.sum(u * np.arange(1.0, 1.0 + u.shape[0]) * u)


def test_g_bubble_sort_all_transforms():
    check_all(bubble_sort_energy, (np.array([0.3, -1.2, 0.7, 0.4, -0.5]),))


def shrinking_rows(X, w):
    s = 0.0
    for i in range(X.shape[0] - 1):
        s = s + np.sum(X[0] * w) * (i + 1)
        X = X[1:]
    return s


def transposed_inner(X, w):
    s = 0.0
    for k in range(2):
        for i in range(X.shape[1]):
            s = s + X[0, i] * w[i % 3] * (i + 1)
        X = X.T
    return s


def carried_bound(X, w):
    s = 0.0
    k = 2
    for i in range(X.shape[0]):
        for j in range(k):
            s = s + X[i, j] * w[j] + s * 0.1
        k = 3 if X[i, 0] > 0 else 1
    return s


def branches_with_continue(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        a = x[i] * w
        for j in range(i):
            b = np.sin(a * x[j])
            if b > 0.2:
                s = s + b * a
                continue
            s = s + b
        if a > 0.4:
            continue
        s = s * np.cos(a)
    return s


XM = np.array([[0.3, -1.2, 0.7], [0.5, 0.9, -0.4], [1.1, 0.2, 0.6], [-0.7, 0.4, 0.8]])
WV = np.array([0.4, -0.3, 0.9])


@pytest.mark.parametrize("f", [shrinking_rows, transposed_inner, carried_bound])
def test_g_loops_over_shapes_of_rebound_arrays(f):
    check_all(f, (XM, WV), wrt=0, hess=False)
    check_all(f, (XM, WV), wrt=1)


def test_g_loop_branches_with_continue():
    x = np.array([0.3, -1.2, 0.7, 0.4, -0.5, 1.1, 0.2])
    check_all(branches_with_continue, (x, 0.8), wrt=1)


# --------------------------------------------------------------------------
# FINDINGS23 #6: a name bound by tuple unpacking (a, b = u, v; r0, r1 = M)
# shares memory with the unpacked value; `a op= c` changes it in place, and
# srcgrad differentiates it as a rebinding of `a`.
# --------------------------------------------------------------------------

def unpack_then_scale(x):
    u = x * 1.0
    v = x * 2.0
    a, b = u, v
    a *= 3.0                  # u is scaled too
    return np.sum(u * x)


def unpack_rows_then_add(X):
    M = X * 1.0
    r0, r1 = M                # rows of M: views
    r0 *= 2.0
    return np.sum(M * X)


def unpack_a_tuple(x):
    t = (x * 1.0, x * 2.0)
    a, b = t
    a *= 3.0
    return np.sum(t[0] * x)


def chained_then_scale(x):
    a = u = x * 1.0
    a *= 3.0
    return np.sum(u * x)


def test_f06_subscript_write_and_loop_variable_refused():
    def sub(x):
        u = x * 1.0
        a, b = u, 0.0
        a[0] = 5.0
        return np.sum(u * x)

    def loop(x):
        vs = [x * 1.0, x * 2.0]
        for v in vs:
            v *= 0.5
        return np.sum(vs[0] * x)
    for f in (sub, loop):
        with pytest.raises(srcgrad.SrcGradError, match="share memory"):
            srcgrad.grad(f)(X1)



# FINDINGS23 #1 and #6 (fixed in session 15): refused with a located error, as the
# write changes an array another name or container holds
@pytest.mark.parametrize("f, args", [
    (dict_copy_scaled, (X1,)),
    (dict_arg_copy_scaled, ({"w": np.array([0.5, -1.0]), "b": np.array([0.3, 0.2])},)),
    (list_slice_copy_scaled, ([np.array([0.5, -1.0]), np.array([0.3, 0.2])],)),
    (list_copy_scaled, ([np.array([0.5, -1.0]), np.array([0.3, 0.2])],)),
    (training_step_on_a_copy, ({"w": np.array([0.5, -1.0]), "b": np.array([0.3, 0.2])},)),
    (list_concat_scaled, (X1,)),
    (decay_on_copies, ([np.array([0.5, -1.0]), np.array([1.0, -2.0])],)),
    (chained_then_scale, (X1,)),
    (unpack_then_scale, (X1,)),
    (unpack_rows_then_add, (np.array([[0.5, -1.0], [0.3, 0.7]]),)),
    (unpack_a_tuple, (X1,)),
])
def test_f01_f06_an_update_of_a_shared_array_is_refused(f, args):
    for build in (lambda: srcgrad.grad(f)(*fresh(args)),
                  lambda: srcgrad.value_and_grad(f)(*fresh(args))):
        with pytest.raises(srcgrad.SrcGradError, match="share|shallow copy"):
            build()
