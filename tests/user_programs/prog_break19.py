"""Issue 15's performance work (session 8-9) tried from outside (break19).

Written from the README, docs/api.md, docs/performance.md ("Current results",
"What changed in session 9", "Scaling", "What changed in session 8"), the
golden sources in tests/golden/source/ and the error messages only (the
compiler was not read), after FINDINGS17.md / FINDINGS18.md.  The default
Python backend only.  Programs as users write them: loops that read and
write arrays in place (fancy, negative, strided, overlapping, masked and 2-D
indices), Rosenbrock over a list of floats called with odd entries,
exceptions raised inside value-only loops, repeated expressions around
writes, broadcasting and keepdims reductions, the `max` adjoint at ties,
MLPs (dict and list-of-layers parameters), an RNN, NaN/inf inputs, SGD/Adam
loops and SciPy's minimize.  Every derivative is checked against central
differences in float64 (or against srcgrad's own `grad` where that was
checked first).

A finding that still fails is a strict xfail naming its number in FINDINGS19.md:
#1 a name assigned in a loop and again after it (grad of an RNN / MLP / float
recurrence; vjp and jacobian more widely), #2-#4 the generated code calls
`range`, `len`, `min` from the user's module, #5 vjp's value for one array
passed twice, #6 seterr and adjoints that underflow or divide 0/0, #7 an
entry read only in a zero-trip loop, #8 pullback cotangent shapes, #9 hvp of a
list grown in a loop, #10 srcgrad's own derivative called inside f, #11 a
partial's keyword replaced, #12 loop indices across nested loops.
"""
import builtins
import math

import numpy as np
import pytest

import srcgrad

from user_programs.checking import fd_grad, fd_dir, close, _flat, load


def all_modes(f, args, wrt=0, hvp=False, rtol=1e-6, atol=1e-7):
    """grad, value_and_grad, vjp and jvp of f against central differences; hvp
    against differences of srcgrad's gradient."""
    args = list(args)
    expected = fd_grad(f, args, wrt)
    close(srcgrad.grad(f, wrt=wrt)(*args), expected, rtol, atol)
    value, g = srcgrad.value_and_grad(f, wrt=wrt)(*args)
    assert float(value) == pytest.approx(float(f(*args)), rel=1e-12)
    close(g, expected, rtol, atol)
    out, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    close(pullback(1.0), expected, rtol, atol)
    x0, unflat = _flat(args[wrt])
    v = unflat(np.random.default_rng(3).standard_normal(x0.size))
    tangents = [None] * len(args)
    tangents[wrt] = v
    _, out_dot = srcgrad.jvp(f, tuple(args), tuple(tangents))
    close(out_dot, fd_dir(f, args, wrt, v), rtol, atol)
    if hvp:
        def flat_grad(*a):
            return _flat(srcgrad.grad(f, wrt=wrt)(*a))[0]
        close(srcgrad.hvp(f, wrt=wrt)(*args, v), fd_dir(flat_grad, args, wrt, v, 1e-5), 1e-4, 1e-5)


# --------------------------------------------------------------------------
# Findings (strict xfails until fixed)
# --------------------------------------------------------------------------

def sines_then_rebind(x):
    e = 0.0
    for k in range(3):
        d = x * k - 1.0
        e = e + np.sum(np.sin(d))
    d = d * 2.0
    return e + np.sum(d)


def squares_then_augment(x):
    e = 0.0
    for k in range(3):
        d = x * k - 1.0
        e = e + np.sum(d * d)
    d += 1.0
    return e + np.sum(d)


def squares_then_maybe_zero(x):
    y = 0.0
    for i in range(2):
        c = x[i] * 2.0
        y = y + c * c
    if x[0] > 0:
        c = 0.0
    return y + c


def accumulate_then_rebind(x):
    y = 0.0
    for i in range(2):
        c = x + i
        y = y + c * c
    c = 0.0
    return y + c


def rnn_like_then_rebind(x):
    h = 0.0
    for i in range(3):
        c = x[i]
        h = np.sin(h + c) * c
    c = x[3]
    return h * c


def layers_net(layers, X):
    h = X
    for W, b in layers[:-1]:
        h = np.tanh(h @ W + b)
    W, b = layers[-1]
    return np.sum((h @ W + b) ** 2)


def test_f01_python_floats_and_lists_are_right():
    """The same programs over Python numbers and lists: grad is right (the reference for #1)."""
    assert srcgrad.grad(sines_then_rebind)(0.7) == pytest.approx(
        fd_grad(sines_then_rebind, [0.7]), rel=1e-6)
    close(srcgrad.grad(squares_then_maybe_zero)([3.0, 4.0]), [24.0, 32.0])
    assert srcgrad.grad(accumulate_then_rebind)(3.0) == pytest.approx(14.0, rel=1e-12)
    x = np.array([0.5, 1.0, -0.3, 0.8])
    close(srcgrad.grad(rnn_like_then_rebind)(x), fd_grad(rnn_like_then_rebind, [x]))
    assert srcgrad.jvp(sines_then_rebind, (np.array([0.7]),), (np.array([1.0]),))[1] == \
        pytest.approx(fd_grad(sines_then_rebind, [0.7]), rel=1e-6)


# FINDINGS19 #1 (fixed): grad: a loop's name rebound after the loop (d = d * 2.0)
def test_f01_grad_name_rebound_after_its_loop():
    x = np.array([0.7])
    close(srcgrad.grad(sines_then_rebind)(x), fd_grad(sines_then_rebind, [x]))   # 6.349 for 6.797


# FINDINGS19 #1 (fixed): grad: a loop's name augmented after the loop (d += 1.0)
def test_f01_grad_name_augmented_after_its_loop():
    x = np.array([0.5, -1.2, 2.0, 0.7])
    close(srcgrad.grad(squares_then_augment)(x), fd_grad(squares_then_augment, [x]))


# FINDINGS19 #1 (fixed): grad: a loop's name rebound in an if after the loop
def test_f01_grad_name_rebound_in_an_if_after_its_loop():
    close(srcgrad.grad(squares_then_maybe_zero)(np.array([3.0, 4.0])), [24.0, 32.0])   # [24, 0]


# FINDINGS19 #1 (fixed): hessian: a loop's name rebound after the loop
def test_f01_hessian_name_rebound_after_its_loop():
    x = np.array([0.7, 0.2])
    H = srcgrad.hessian(sines_then_rebind)(x)
    expected = np.stack([fd_dir(lambda z: fd_grad(sines_then_rebind, [z]), [x], 0, e, 1e-4)
                         for e in np.eye(2)])
    close(H, expected, 1e-4, 1e-5)


# FINDINGS19 #1 (fixed): vjp: a loop's name rebound after the loop
def test_f01_vjp_name_rebound_after_its_loop():
    _, pullback = srcgrad.vjp(accumulate_then_rebind, 3.0)
    assert pullback(1.0) == pytest.approx(14.0, rel=1e-12)        # 6.0


# FINDINGS19 #1 (fixed): jacobian (vjp rows): a loop's name rebound
def test_f01_jacobian_name_rebound_after_its_loop():
    x = np.array([0.5, 1.0, -0.3, 0.8])
    close(srcgrad.jacobian(rnn_like_then_rebind)(x), fd_grad(rnn_like_then_rebind, [x]))


# FINDINGS19 #1 (fixed): vjp: list-of-layers net, W, b rebound after the loop
def test_f01_vjp_layers_rebound_after_the_loop():
    rng = np.random.default_rng(0)
    layers = [(rng.standard_normal((3, 3)), rng.standard_normal(3)) for _ in range(3)]
    X = rng.standard_normal((4, 3))
    expected = fd_grad(layers_net, [layers, X], 1)
    close(srcgrad.grad(layers_net, wrt=1)(layers, X), expected)
    _, pullback = srcgrad.vjp(layers_net, layers, X, wrt=1)
    close(pullback(1.0), expected)


def tanh_recurrence_then_scale(w):
    h = 0.0
    for t in range(3):
        h = math.tanh(w * h + 1.0)
    h = 2.0 * h
    return h


def rnn_then_readout(p, xs, ts):
    h = np.zeros((2, 4))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ p["Wx"] + h @ p["Wh"])
    h = h @ p["Wo"]
    return np.mean((h - ts) ** 2)


# FINDINGS19 #1 (fixed): grad: h = 2.0 * h after a tanh recurrence over floats
def test_f01_grad_float_recurrence_then_scale():
    expected = fd_grad(tanh_recurrence_then_scale, [0.7])
    assert expected == pytest.approx(0.28126947, rel=1e-6)
    assert srcgrad.grad(tanh_recurrence_then_scale)(0.7) == pytest.approx(expected, rel=1e-6)   # -4.885


# FINDINGS19 #1 (fixed): grad: a tanh RNN, then h = h @ Wo
def test_f01_grad_rnn_then_readout_into_h():
    rng = np.random.default_rng(0)
    p = {"Wx": rng.standard_normal((3, 4)) * 0.5, "Wh": rng.standard_normal((4, 4)) * 0.5,
         "Wo": rng.standard_normal((4, 1))}
    xs = rng.standard_normal((5, 2, 3))
    ts = rng.standard_normal((2, 1))
    g = srcgrad.grad(rnn_then_readout)(p, xs, ts)
    expected = fd_grad(rnn_then_readout, [p, xs, ts])
    close(g["Wo"], expected["Wo"])                       # right
    close(g, expected)                                   # Wx, Wh wrong


def mlp_logits_into_h(Ws, bs, X, Y):
    h = X
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = np.tanh(h @ W + b)
    h = h @ Ws[-1] + bs[-1]
    h = h - np.max(h, axis=1, keepdims=True)
    return -np.mean(np.sum(Y * (h - np.log(np.sum(np.exp(h), axis=1, keepdims=True))), axis=1))


# FINDINGS19 #1 (fixed): grad: an MLP whose logits reuse h (ValueError)
def test_f01_grad_mlp_logits_into_h():
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((3, 4)) * 0.5, rng.standard_normal((4, 4)) * 0.5,
          rng.standard_normal((4, 2)) * 0.5]
    bs = [rng.standard_normal(4) * 0.1, rng.standard_normal(4) * 0.1, rng.standard_normal(2) * 0.1]
    X = rng.standard_normal((5, 3))
    Y = np.eye(2)[[0, 1, 1, 0, 1]]
    close(srcgrad.grad(mlp_logits_into_h)(Ws, bs, X, Y), fd_grad(mlp_logits_into_h, [Ws, bs, X, Y]))


def exp_while_then_rebind(x):
    s = 0.0
    i = 0
    while i < 4:
        c = np.exp(x[i])
        s = s + c * c
        i = i + 1
    c = c * s
    return c


def sine_helper(x):
    s = 0.0
    for i in range(3):
        c = x[i] ** 2
        s = s + np.sin(c)
    c = c * 2.0
    return s + c


def calls_the_helper(x):
    return sine_helper(x) * 2.0 + sine_helper(x * 0.5)


# FINDINGS19 #1 (fixed): grad: a while loop's name read after the loop (c = c * s)
def test_f01_grad_while_loop_then_rebind():
    x = np.array([0.5, -1.2, 2.0, 0.7])
    close(srcgrad.grad(exp_while_then_rebind)(x), fd_grad(exp_while_then_rebind, [x]))   # 6.9e4 for 140


# FINDINGS19 #1 (fixed): grad: the same inside a called helper
def test_f01_grad_inside_a_helper():
    x = np.array([0.5, -1.2, 2.0, 0.7])
    close(srcgrad.grad(calls_the_helper)(x), fd_grad(calls_the_helper, [x]))


SHADOWED_RANGE = """
import builtins

def range(n):
    return builtins.range(0, n, 2)

def rosen(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s
"""


def test_f02_global_range_shadowed(tmp_path):
    # FINDINGS19 #2 (fixed): was [0, 0, 6004, -1000] (the backward loop called the module's
    # range); the function's own reads of `range` now go to the module's under another name
    m = load(tmp_path, "b19_range", SHADOWED_RANGE)
    x = [1.0, 2.0, 3.0, 4.0]
    assert m.rosen(x) == 2604.0
    df = srcgrad.grad(m.rosen)
    close(df(x), fd_grad(m.rosen, [x]))                            # [-400, 200, 6004, -1000]
    assert "range_(" in srcgrad.source(df)
    close(srcgrad.grad(m.rosen)(np.array(x)), fd_grad(m.rosen, [np.array(x)]))


SHADOWED_RANGE_UNREAD = SHADOWED_RANGE + """
def total_of_squares(x):
    s = 0.0
    for v in x:
        s = s + v * v
    return s
"""


def test_f02_a_module_range_the_function_never_reads(tmp_path):
    # FINDINGS19 #2: `for v in x` loops by index in the generated code, through Python's range
    m = load(tmp_path, "b19_range_unread", SHADOWED_RANGE_UNREAD)
    x = [1.0, 2.0, 3.0, 4.0]
    close(srcgrad.grad(m.total_of_squares)(x), [2.0 * v for v in x])
    close(srcgrad.grad(m.total_of_squares)(np.array(x)), np.array([2.0 * v for v in x]))


SHADOWED_LEN = """
def len(v):
    return 2

def product(x):
    return x[0] * x[1] + x[2]
"""


# FINDINGS19 #3 (fixed): the gradient list is sized by Python's len
def test_f03_global_len_shadowed(tmp_path):
    m = load(tmp_path, "b19_len", SHADOWED_LEN)
    x = [1.0, 2.0, 3.0]
    assert srcgrad.grad(m.product)(x) == [2.0, 1.0, 1.0]          # IndexError


def test_f03_array_is_fine_with_len_shadowed(tmp_path):
    m = load(tmp_path, "b19_len_arr", SHADOWED_LEN)
    close(srcgrad.grad(m.product)(np.array([1.0, 2.0, 3.0])), np.array([2.0, 1.0, 1.0]))


STAR_IMPORT = """
from numpy import *
import numpy as np

def weighted(xs, ws):
    s = 0.0
    for a, w in zip(xs, ws):
        s = s + w * a ** 2
    return s
"""


# FINDINGS19 #4 (fixed): zip's trip count calls Python's min
def test_f04_star_import_and_zip(tmp_path):
    m = load(tmp_path, "b19_star", STAR_IMPORT)
    xs, ws = [1.0, 2.0, 3.0], [0.5, 0.25, 2.0]
    assert m.weighted(xs, ws) == 19.5
    assert srcgrad.grad(m.weighted)(xs, ws) == pytest.approx([1.0, 1.0, 12.0])   # AxisError


def writes_first(x, y):
    x[0] = x[1] * 3.0
    return np.sum(x * y)


# FINDINGS19 #5 (fixed): vjp's value for one array passed twice
def test_f05_vjp_value_same_array_twice():
    z1 = np.array([0.3, -1.2, 2.0])
    expected = writes_first(z1, z1)                                    # 18.4
    z2 = np.array([0.3, -1.2, 2.0])
    value, _ = srcgrad.value_and_grad(writes_first)(z2, z2)
    assert value == pytest.approx(expected, rel=1e-12)                 # right
    z3 = np.array([0.3, -1.2, 2.0])
    out, pullback = srcgrad.vjp(writes_first, z3, z3, wrt=(0, 1))
    assert out == pytest.approx(expected, rel=1e-12)                   # 4.36
    z4 = np.array([0.3, -1.2, 2.0])
    _, grads = srcgrad.value_and_grad(writes_first, wrt=(0, 1))(z4, z4)
    for got, want in zip(pullback(1.0), grads):                        # the same derivative
        close(got, want)


def optional_layers(layers, x, extra):
    h = np.tanh(layers[0] @ x)
    for i in range(extra):
        h = np.tanh(layers[1] @ h)
    return np.sum(h ** 2)


# FINDINGS19 #7 (fixed): a list entry read only in a loop that runs zero times
def test_f07_entry_read_only_in_a_zero_trip_loop():
    layers = [np.eye(2) * 0.5]
    x = np.array([1.0, -1.0])
    assert optional_layers(layers, x, 0) == pytest.approx(0.42710453406814514)
    close(srcgrad.grad(optional_layers, wrt=1)(layers, x, 0), fd_grad(optional_layers, [layers, x, 0], 1))
    g = srcgrad.grad(optional_layers)(layers, x, 0)                   # IndexError
    close(g, fd_grad(optional_layers, [layers, x, 0]))
    two = [np.eye(2) * 0.5, np.array([[1.0, 0.5], [-0.25, 2.0]])]     # the loop runs: both entries
    close(srcgrad.grad(optional_layers)(two, x, 2), fd_grad(optional_layers, [two, x, 2]))


def optional_dict(p, x, extra):
    h = np.tanh(p["w0"] * x)
    for i in range(extra):
        h = np.tanh(p["w1"] * h)
    return np.sum(h ** 2)


def test_f07_dict_key_read_only_in_a_zero_trip_loop():
    x = np.array([1.0, -1.0])
    g = srcgrad.grad(optional_dict)({"w0": np.array([0.5, 0.3])}, x, 0)
    assert list(g) == ["w0"]                                          # no entry for the key it lacks
    close(g["w0"], fd_grad(lambda w: optional_dict({"w0": w}, x, 0), [np.array([0.5, 0.3])]))
    p = {"w0": np.array([0.5, 0.3]), "w1": np.array([1.5, 2.0])}
    g = srcgrad.grad(optional_dict)(p, x, 2)
    close(g["w1"], fd_grad(lambda w: optional_dict({"w0": p["w0"], "w1": w}, x, 2), [p["w1"]]))


def predict(W, x):
    return np.tanh(W @ x)


def sines_into_array(x):
    y = np.zeros(2)
    for i in range(2):
        y[i] = np.sin(x[i])
    return y


# FINDINGS19 #8 (fixed): a pullback takes a cotangent of the wrong shape
def test_f08_pullback_cotangent_shape_is_not_checked():
    W = np.array([[1.0, -0.5], [0.25, 2.0]])
    x = np.array([0.5, -1.0])
    _, pullback = srcgrad.vjp(predict, W, x, wrt="x")
    close(pullback(np.array([1.0, 0.0])), [0.41997434, -0.20998717])
    with pytest.raises(srcgrad.SrcGradError):                 # jvp and hvp refuse shapes like this
        srcgrad.jvp(predict, (W, x), (None, np.ones((2, 2))))
    _, pullback2 = srcgrad.vjp(sines_into_array, x)
    with pytest.raises(srcgrad.SrcGradError):
        pullback2(np.ones(3))                                 # returns cos(x), the third entry dropped
    with pytest.raises(srcgrad.SrcGradError, match=r"the cotangent is an array of shape \(2, 2\), "
                                                   r"but the value is an array of shape \(2,\)"):
        pullback(np.ones((2, 2)))                             # twice pullback(np.ones(2))
    with pytest.raises(srcgrad.SrcGradError, match="the cotangent is a number"):
        pullback(1.0)
    _, pullback3 = srcgrad.vjp(lambda v: {"a": v * 2.0, "b": np.sum(v)}, x)
    with pytest.raises(srcgrad.SrcGradError, match="a dict with keys 'a'"):
        pullback3({"a": np.ones(2)})                          # a key left out
    close(pullback3({"a": np.ones(2), "b": 1.0}), [3.0, 3.0])


def collect_then_cube(x):
    s = 0.0
    hs = []
    for i in range(3):
        hs = hs + [x[i]]
    for v in hs:
        s = s + v ** 3
    return s


def tanh_states_stacked(x):
    hs = []
    h = 0.0
    for i in range(4):
        h = np.tanh(h + x[i])
        hs = hs + [h]
    return np.sum(np.stack(hs) ** 2)


def test_f09_grad_and_jvp_of_a_list_grown_in_a_loop_are_right():
    x = np.array([0.3, -1.2, 2.0, 0.7])
    close(srcgrad.grad(collect_then_cube)(x), 3 * x ** 2 * [1, 1, 1, 0])
    all_modes(tanh_states_stacked, (x,))


# FINDINGS19 #9 (fixed): hvp: a list grown with hs = hs + [v] in a loop
def test_f09_hvp_of_a_list_grown_in_a_loop():
    x = np.array([0.3, -1.2, 2.0, 0.7])
    close(srcgrad.hvp(collect_then_cube)(x, np.ones(4)), 6 * x * [1, 1, 1, 0])   # ValueError


# FINDINGS19 #9 (fixed): hessian: a list grown with hs = hs + [v] in a loop
def test_f09_hessian_of_stacked_states():
    x = np.array([0.3, -1.2, 2.0, 0.7])

    def flat_grad(z):
        return srcgrad.grad(tanh_states_stacked)(z)
    expected = np.stack([fd_dir(flat_grad, [x], 0, e, 1e-5) for e in np.eye(4)], axis=-1)
    close(srcgrad.hessian(tanh_states_stacked)(x), expected, 1e-4, 1e-5)


def inner_loss(w, x):
    return np.sum((w * x - 1.0) ** 2)


d_inner = srcgrad.grad(inner_loss)


def unrolled_inner_steps(x):
    w = np.ones(2)
    for k in range(3):
        w = w - 0.1 * d_inner(w, x)
    return inner_loss(w, x)


# FINDINGS19 #10 (fixed): a srcgrad derivative called inside f: 'a call srcgrad knows nothing about'
def test_f10_derivative_called_inside_a_differentiated_function():
    with pytest.raises(srcgrad.SrcGradError) as err:
        srcgrad.grad(unrolled_inner_steps)(np.array([0.5, 2.0]))
    assert "knows nothing about" not in str(err.value)
    assert "is a derivative srcgrad made" in str(err.value) and "srcgrad.hessian" in str(err.value)


def weighted_squares_kw(x, w):
    return np.sum(w * x ** 2)


# FINDINGS19 #11 (fixed): a partial's keyword replaced: the old value is used
def test_f11_partial_keyword_replaced():
    import functools
    p = functools.partial(weighted_squares_kw, w=np.array([1.0, 2.0]))
    x = np.array([1.0, 1.0])
    before = srcgrad.grad(p)
    close(before(x), [2.0, 4.0])
    p.keywords["w"] = np.array([5.0, 5.0])
    assert p(x) == 10.0
    value, g = srcgrad.value_and_grad(p)(x)                  # a new derivative, built after the change
    assert value == pytest.approx(10.0)                        # 3.0
    close(g, [10.0, 10.0])                                     # [2, 4]
    close(before(x), [10.0, 10.0])                             # the one made before sees it too
    p.keywords["w"] = 7.0                                      # a float keyword, replaced
    close(before(x), [14.0, 14.0])


def inner_loop_reuses_i(x):
    s = 0.0
    for i in range(len(x)):
        xi = x[i]
        for i in range(3):
            xi = math.sin(xi) + 0.1 * i
        s = s + xi * xi
    return s


# FINDINGS19 #12 (fixed): an inner loop reusing the outer loop's index
def test_f12_inner_loop_reuses_the_outer_index():
    for x in ([1.2, 0.8, -0.5], np.array([1.2, 0.8, -0.5])):
        expected = fd_grad(inner_loop_reuses_i, [x])
        close(srcgrad.grad(inner_loop_reuses_i)(x), expected)         # [0.717, 0, 0]


def last_column_weighted(X):
    s = 0.0
    for r in range(2):
        for c in range(3):
            s = s + X[r, c] ** 2
        s = s + X[r, c] * 10.0
    return s


# FINDINGS19 #12 (fixed): the inner index read after the inner loop, in the outer loop
def test_f12_inner_index_read_after_the_inner_loop():
    A = np.arange(6.0).reshape(2, 3) / 5
    close(srcgrad.grad(last_column_weighted)(A), 2 * A + [[0, 0, 10], [0, 0, 10]])   # 10 lands on A[0, 0]


def logs_of_entries(x):
    return np.sum(np.log(x))


@pytest.mark.xfail(strict=True, reason="FINDINGS19 #6 np.seterr(all='raise'): the adjoint's underflow raises where f runs")
def test_f06_seterr_raise_underflow_in_the_adjoint():
    x = np.array([1e308, 1.0])
    old = np.seterr(all="raise")
    try:
        value = logs_of_entries(x)                               # 709.196..., no error
        g = srcgrad.grad(logs_of_entries)(x)                     # FloatingPointError: underflow
    finally:
        np.seterr(**old)
    assert value == pytest.approx(709.1962086421661)
    close(g, [1e-308, 1.0], atol=0.0)


# --------------------------------------------------------------------------
# What works (guards)
# --------------------------------------------------------------------------

def fancy_repeats(x, idx):
    y = np.zeros(5)
    for k in range(3):
        y[idx] = y[idx] + x[idx] * x[k]
    return np.sum(y * y)


def negative_indices(x):
    y = x.copy()
    for i in range(len(x) - 1):
        y[-i - 1] = y[-i - 2] * y[-i - 1] + x[i]
    return np.sum(y ** 2)


def overlapping_slices(x):
    y = x.copy()
    for k in range(3):
        y[1:4] = y[0:3] * 0.5 + y[2:5]
    return np.sum(y ** 2)


def strided(x):
    y = np.ones(7)
    for k in range(2):
        y[::2] = y[::2] * x[k] + y[1::2].sum()
        y[1::3] = y[2::3] * x[k + 1]
    return np.sum(y ** 2)


def masked(x):
    y = x.copy()
    for k in range(3):
        m = y > 0.5
        y[m] = y[m] * x[k] - 0.3
    return np.sum(y ** 3)


def read_after_write(x):
    y = np.zeros(4)
    for i in range(3):
        y[i] = x[i] * 2.0
        y[i] = y[i] * y[i] + x[i + 1]
        y[i + 1] = y[i] * x[i]
    return np.sum(y ** 2)


def self_augment(x):
    y = x.copy()
    for i in range(4):
        y[i] += y[i] * y[i + 1]
        y[i + 1] *= y[i]
    return np.sum(y ** 2)


def argmax_write(x):
    y = x.copy()
    for k in range(3):
        j = int(np.argmax(y))
        y[j] = y[j] * 0.5 - x[k]
    return np.sum(y ** 2)


def stencil(x):
    y = np.zeros((3, 5))
    y[0] = x
    for t in range(2):
        y[t + 1, 1:-1] = y[t, :-2] - 2 * y[t, 1:-1] + y[t, 2:]
        y[t + 1, [0, -1]] = y[t, [1, -2]]
    return np.sum(y[-1] ** 2) + np.sum(y[:, 2])


def swap_entries(x):
    y = x.copy()
    for i in range(4):
        y[i], y[i + 1] = y[i + 1], y[i] * y[i + 1]
    return np.sum(y ** 2 * np.arange(5.0))


X5 = np.array([0.3, -1.2, 2.0, 0.7, 1.1])


@pytest.mark.parametrize("fun", [negative_indices, overlapping_slices, strided, masked,
                                 read_after_write, self_augment, argmax_write, stencil,
                                 swap_entries])
def test_p01_in_place_loops_1d(fun):
    all_modes(fun, (X5,), hvp=True)


def test_p01_in_place_loops_fancy_and_2d():
    all_modes(fancy_repeats, (X5, np.array([0, 2, 2, 4])), hvp=True)

    def rows_cols(A):
        B = A.copy()
        for i in range(B.shape[0] - 1):
            B[i + 1] = B[i + 1] * B[i] + A[i, 0]
            B[:, i] = B[:, i] * 0.5 + B[..., i + 1]
            B[..., 0] = B[..., 0] + np.sin(B[i, i])
        return np.sum(B ** 2)

    def pairs_with_repeats(A):
        B = A.copy()
        rows, cols = np.array([0, 1, 1, 2]), np.array([1, 0, 0, 3])
        for k in range(2):
            B[rows, cols] = B[rows, cols] * B[cols % 3, rows] + 1.0
        return np.sum(B ** 2)

    A = np.arange(12.0).reshape(3, 4) / 7.0 - 0.5
    all_modes(rows_cols, (A,), hvp=True)
    all_modes(pairs_with_repeats, (A,), hvp=True)


def test_p02_aliases_written_in_place_are_refused():
    def view_of_copy(x):
        y = x.copy()
        a = y[1:]
        for i in range(3):
            a[i] = a[i] * y[i] + 1.0
        return np.sum(y ** 2)

    def transposed(A):
        B = A.copy()
        T = B.T
        T[0, 1] = 2.0 * B[0, 0]
        return np.sum(B ** 2)

    for fun, arg in [(view_of_copy, X5), (transposed, np.ones((2, 2)))]:
        with pytest.raises(srcgrad.SrcGradError, match="may share memory"):
            srcgrad.grad(fun)(arg)


def rosen(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosen_hand(x):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


class Real(float):
    pass


def test_p03_list_plan_entry_types_and_kinds():
    d = srcgrad.grad(rosen)
    cases = [[1.2, 0.8, -0.5], [1.2, 1, -0.5], [1.2, np.float64(0.8), -0.5],
             [1.2, Real(0.8), -0.5], (1.2, 0.8, -0.5), [1, 2, 3], np.array([1.2, 0.8, -0.5]),
             np.array([1, 2, 3]), [1.2, 0.8, -0.5], [3.0], []]
    for x in cases:
        g = d(x)
        assert type(g) is (np.ndarray if isinstance(x, np.ndarray) else type(x))
        np.testing.assert_allclose(np.asarray(g, dtype=float), rosen_hand(x), rtol=1e-13)
    g = d([1.2, 0.8, -0.5])
    assert all(type(v) is float for v in g)
    with pytest.raises(srcgrad.SrcGradError, match=r"x\[1\]"):
        d([1.2, True, -0.5])
    nan = d([1.2, float("nan"), -0.5])
    assert all(math.isnan(v) for v in nan)


def test_p03_list_plan_overflow_and_mutation():
    d = srcgrad.grad(rosen)
    for x in ([1.2, 1e200, -0.5], [1.2, 0.5, 1e200]):
        with pytest.raises(OverflowError):
            rosen(x)
        with pytest.raises(OverflowError):
            d(x)
    x = [1.2, 0.8, -0.5]
    g1 = d(x)
    g1[0] = 999.0
    g1.append(5.0)
    g2 = d(x)
    assert g2 is not g1 and g2 == pytest.approx(list(rosen_hand(x)), rel=1e-13)
    x[1] = 2.0
    x.append(0.3)
    assert d(x) == pytest.approx(list(rosen_hand(x)), rel=1e-13)


SCALE = 100.0


def scaled_rosen(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + SCALE * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def test_p03_global_rebound_between_calls():
    global SCALE
    d = srcgrad.grad(scaled_rosen)
    x = [1.2, 0.8, -0.5, 0.3]
    try:
        for value in (100.0, 1.0, 2, np.float64(3.0)):
            SCALE = value
            close(d(x), fd_grad(scaled_rosen, [x]))
    finally:
        SCALE = 100.0


def log_weighted(x):
    s = 0.0
    for i in range(len(x)):
        s = s + math.log(x[i]) * x[i]
    return s


def zero_then_overflow(x):
    s = 0.0
    for i in range(len(x)):
        s = s + 1.0 / x[i] + x[i] ** 2
    return s


def pairs_past_the_end(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * x[i + 1]
    return s


def asserting(x):
    s = 0.0
    for i in range(len(x)):
        assert x[i] > 0, f"entry {i} not positive"
        s = s + x[i] ** 2
    return s


def overflow_before_division(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + (x[i + 1] - x[i] ** 2) ** 2
    t = 1.0 / (x[0] - 1.0)
    return s + t * x[1]


def test_p04_exceptions_in_value_only_loops():
    cases = [(log_weighted, [1.0, -2.0, 3.0, -4.0]), (zero_then_overflow, [1.0, 0.0, 1e200]),
             (zero_then_overflow, [1.0, 1e200, 0.0]), (pairs_past_the_end, [1.0, 2.0, 3.0]),
             (asserting, [1.0, -2.0, 3.0, -4.0]), (overflow_before_division, [1.0, 1e200, 2.0])]
    for fun, x in cases:
        with pytest.raises(Exception) as expected:
            fun(x)
        for derivative in (srcgrad.grad(fun), srcgrad.value_and_grad(fun)):
            with pytest.raises(type(expected.value)) as got:
                derivative(x)
            # (pytest's assertion rewriting appends the condition to f's own message)
            assert str(got.value).splitlines()[0] == str(expected.value).splitlines()[0]


COUNTER = {"n": 0}


def counting_and_printing(x):
    s = 0.0
    for i in range(len(x) - 1):
        COUNTER["n"] += 1
        t = (x[i + 1] - x[i] ** 2) ** 2
        print("step", i, t)
        s = s + t
    return s


def test_p05_side_effects_in_a_loop_are_kept(capsys):
    counting_and_printing([1.0, 2.0, 3.0])
    expected = capsys.readouterr().out
    COUNTER["n"] = 0
    g = srcgrad.grad(counting_and_printing)([1.0, 2.0, 3.0])
    assert capsys.readouterr().out == expected == "step 0 1.0\nstep 1 1.0\n"
    assert COUNTER["n"] == 2
    assert g == pytest.approx([-4.0, 10.0, -2.0], rel=1e-13)


def test_p06_repeated_expressions_around_writes():
    def around_a_write(x):
        y = x.copy()
        m = np.mean(y)
        a = y - m
        y[0] = 5.0 * y[1]
        b = y - m
        return np.sum(a * b) + np.sum(b ** 2)

    def in_place_ops(x):
        y = x * 1.0
        a = np.sum(y * y)
        y += x
        b = np.sum(y * y)
        y *= x
        return a + 2.0 * b + 3.0 * np.sum(y * y)

    def changing_invariant(x):
        s = 0.0
        k = x[0]
        for i in range(4):
            s = s + k * x[i + 1] + x[0] * x[1]
            k = k * 0.5 + x[i]
        return s

    def random_twice(x):
        np.random.seed(0)
        a = np.random.randn(5)
        b = np.random.randn(5)
        return np.sum(a * x) + np.sum(b * x ** 2)

    def same_text(x):
        y = x.copy()
        t = y[1] * y[2]
        y[1] = 3.0
        return t + y[1] * y[2] + x[1] * x[2]

    for fun in (around_a_write, in_place_ops, changing_invariant, random_twice, same_text):
        all_modes(fun, (X5,), hvp=True)


def test_p07_broadcasting_reductions_dtypes():
    a = np.arange(3.0).reshape(3, 1) + 0.5
    b = np.arange(4.0).reshape(1, 4) - 1.3

    def outer_sum(a, b):
        return np.sum(a * b)

    def keepdims(a, b):
        return np.sum(np.mean(a * b, axis=0, keepdims=True) ** 2
                      * np.max(a + b, axis=1, keepdims=True).T[:, :1])

    for fun in (outer_sum, keepdims):
        all_modes(fun, (a, b), 0, hvp=True)
        all_modes(fun, (a, b), 1, hvp=True)

    def tanh_sq(x):
        return np.sum(np.tanh(x) ** 2)

    g32 = srcgrad.grad(tanh_sq)(np.array([0.5, -1.0, 2.0], dtype=np.float32))
    assert g32.dtype == np.float32
    gi = srcgrad.grad(tanh_sq)(np.array([1, 2, 3]))
    assert gi.dtype == np.float64
    close(gi, fd_grad(tanh_sq, [np.array([1.0, 2.0, 3.0])]))
    g0 = srcgrad.grad(lambda x: x * x * 3.0)(np.array(2.0))
    assert np.shape(g0) == () and float(g0) == 12.0


def test_p08_max_ties_mlp_rnn():
    def lse(z):
        m = np.max(z, axis=1, keepdims=True)
        return np.sum(m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))

    Z = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.5, -1.0, 0.2]])
    all_modes(lse, (Z,), hvp=True)
    rng = np.random.default_rng(0)
    p = {"W1": rng.standard_normal((8, 16)) * 0.3, "b1": np.zeros(16),
         "W2": rng.standard_normal((16, 5)) * 0.3, "b2": np.zeros(5)}
    X = rng.standard_normal((32, 8))
    Y = np.eye(5)[rng.integers(0, 5, 32)]

    def mlp(p, X, Y):
        h = np.tanh(X @ p["W1"] + p["b1"])
        z = h @ p["W2"] + p["b2"]
        m = np.max(z, axis=1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
        return -np.mean(np.sum((z - lse) * Y, axis=1))

    d = srcgrad.grad(mlp)
    expected = fd_grad(mlp, [p, X, Y])
    keep = {k: v.copy() for k, v in p.items()}
    g1 = d(p, X, Y)
    close(g1, expected)
    for k in g1:
        g1[k][...] = 7.0
    g2 = d(p, X, Y)
    close(g2, expected)
    for k in p:
        np.testing.assert_array_equal(p[k], keep[k])
        assert g2[k].flags.writeable
        assert not any(np.shares_memory(g2[k], v) for v in list(p.values()) + list(g1.values()))
    zero = {k: np.zeros_like(v) for k, v in p.items()}         # every logit tied
    close(d(zero, X, Y), fd_grad(mlp, [zero, X, Y]))

    pr = {"Wx": rng.standard_normal((3, 6)) * 0.4, "Wh": rng.standard_normal((6, 6)) * 0.4,
          "b": np.zeros(6), "Wo": rng.standard_normal((6, 1)) * 0.4}
    xs = rng.standard_normal((10, 4, 3))
    ts = rng.standard_normal((4, 1))

    def rnn_history(p, xs, ts):
        hs = np.zeros((xs.shape[0] + 1, xs.shape[1], p["Wh"].shape[0]))
        for t in range(xs.shape[0]):
            hs[t + 1] = np.tanh(xs[t] @ p["Wx"] + hs[t] @ p["Wh"] + p["b"])
        y = hs[-1] @ p["Wo"] + np.mean(hs[1:], axis=0) @ p["Wo"]
        return np.mean((y - ts) ** 2)

    all_modes(rnn_history, (pr, xs, ts))


def test_p09_nan_safe_paths():
    def sqrt_times_x(x):
        return np.sum(np.sqrt(x) * x)

    def weighted_squares(x, w):
        return np.sum(w * x ** 2)

    x = np.array([0.0, 1.0, 4.0])
    old = np.seterr(all="raise")
    try:
        close(srcgrad.grad(sqrt_times_x)(x), [0.0, 1.5, 3.0])
        args = (np.array([np.inf, 1.0]), np.array([0.0, 1.0]))
        with pytest.raises(FloatingPointError):
            weighted_squares(*args)
        with pytest.raises(FloatingPointError):
            srcgrad.grad(weighted_squares)(*args)
    finally:
        np.seterr(**old)
    with np.errstate(invalid="ignore"):
        g = srcgrad.grad(weighted_squares)(np.array([np.inf, 1.0]), np.array([0.0, 1.0]))
    np.testing.assert_array_equal(g, [0.0, 2.0])


def test_p10_training_loops():
    d = srcgrad.grad(rosen)
    x = [-1.2, 1.0, 0.5]
    for _ in range(1000):
        g = d(x)
        np.testing.assert_allclose(g, rosen_hand(x), rtol=1e-12, atol=1e-12)
        x = [xi - 1e-4 * gi for xi, gi in zip(x, g)]

    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 4))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype(float)

    def logloss(p, X, y):
        z = X @ p["w"] + p["b"]
        return np.mean(np.logaddexp(0.0, z) - y * z) + 0.01 * np.sum(p["w"] ** 2)

    def hand(p, X, y):
        z = X @ p["w"] + p["b"]
        r = (1.0 / (1.0 + np.exp(-z)) - y) / len(y)
        return {"w": X.T @ r + 0.02 * p["w"], "b": np.sum(r)}

    vg = srcgrad.value_and_grad(logloss)
    p = {"w": np.zeros(4), "b": 0.0}
    m = {"w": np.zeros(4), "b": 0.0}
    v = {"w": np.zeros(4), "b": 0.0}
    for t in range(1, 301):
        value, g = vg(p, X, y)
        assert value == pytest.approx(logloss(p, X, y), rel=1e-12)
        gh = hand(p, X, y)
        for k in p:
            np.testing.assert_allclose(g[k], gh[k], rtol=1e-9, atol=1e-14)
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
            p[k] = p[k] - 0.01 * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)

    def loss_aux(w, X, y):
        r = X @ w - y
        return np.mean(r ** 2), {"r": r, "n": len(y)}

    w = np.ones(4)
    (loss, aux), g = srcgrad.value_and_grad(loss_aux, has_aux=True)(w, X, y)
    assert aux["n"] == 32 and np.allclose(aux["r"], X @ w - y)
    close(g, fd_grad(lambda w_: loss_aux(w_, X, y)[0], [w]))


def test_p10_scipy_minimize_list_and_array():
    from scipy.optimize import minimize
    d = srcgrad.grad(rosen)
    x0 = [-1.2, 1.0, 0.5, 0.3]
    r_list = minimize(rosen, x0, jac=d, method="BFGS")
    r_arr = minimize(rosen, np.array(x0), jac=d, method="BFGS")
    assert r_list.success and r_arr.success and r_list.nit == r_arr.nit
    np.testing.assert_array_equal(r_list.x, r_arr.x)
    np.testing.assert_allclose(rosen_hand(r_arr.x), 0.0, atol=1e-4)
    r = minimize(rosen, np.array(x0), jac=d, hessp=srcgrad.hvp(rosen), method="trust-ncg")
    assert r.success
    np.testing.assert_allclose(r.x, r_arr.x, atol=1e-4)


def test_p11_nested_loops_filling_arrays():
    def heat(u0, k):
        n = len(u0)
        U = np.zeros((4, n))
        U[0] = u0
        for t in range(3):
            for j in range(1, n - 1):
                U[t + 1, j] = U[t, j] + k * (U[t, j - 1] - 2 * U[t, j] + U[t, j + 1])
        return np.sum(U[-1] ** 2) + np.sum(U[:, 2])

    def gauss_seidel(b, w):
        x = np.zeros(3)
        A = np.array([[4.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 4.0]])
        for sweep in range(4):
            for i in range(3):
                s = b[i]
                for j in range(3):
                    if j != i:
                        s = s - A[i, j] * x[j]
                x[i] = (1 - w) * x[i] + w * s / A[i, i]
        return np.sum(x ** 2)

    u0 = np.array([0.0, 1.0, 0.5, 2.0, 0.0])
    all_modes(heat, (u0, 0.2), 0, hvp=True)
    all_modes(heat, (u0, 0.2), 1)
    b = np.array([1.0, 2.0, 3.0])
    all_modes(gauss_seidel, (b, 1.1), 0, hvp=True)
    all_modes(gauss_seidel, (b, 1.1), 1)


def test_p12_rebinding_that_is_right():
    """Near #1 and #12, and right: a new name after the loop, the loop nested in an
    outer loop, a top-level loop's index read after it, an RNN reusing z (not h)."""
    def nested(w):
        total = 0.0
        for ep in range(2):
            h = 0.0
            for t in range(3):
                h = math.tanh(w * h + 1.0)
            h = 2.0 * h
            total = total + h
        return total

    def new_name(w):
        h = 0.0
        for t in range(3):
            h = math.tanh(w * h + 1.0)
        g = 2.0 * h
        return g

    def index_after(x):
        s = 0.0
        for i in range(len(x)):
            s = s + x[i] ** 2
        return s + x[i] * 3.0

    for fun in (nested, new_name):
        assert srcgrad.grad(fun)(0.7) == pytest.approx(fd_grad(fun, [0.7]), rel=1e-6)
    for x in ([1.2, 0.8, -0.5], np.array([1.2, 0.8, -0.5])):
        close(srcgrad.grad(index_after)(x), [2.4, 1.6, 2.0])

    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 3)) * 0.5
    V = rng.standard_normal((2, 3))
    xs = rng.standard_normal((4, 3))

    def rnn_reusing_z(W, V, xs):
        h = np.zeros(3)
        for t in range(xs.shape[0]):
            z = W @ h + xs[t]
            h = np.tanh(z)
        z = V @ h
        return np.sum(z ** 2)

    all_modes(rnn_reusing_z, (W, V, xs), 0)


def grown_tuple(x):
    t = ()
    for i in range(3):
        t = t + (x[i],)
    s = 0.0
    for v in t:
        s = s + v ** 3
    return s


def grown_in_front(x):
    hs = []
    for i in range(3):
        hs = [x[i]] + hs
    s = 0.0
    for v in hs:
        s = s + v ** 3
    return s


def grown_in_place(x):
    hs = []
    for i in range(3):
        hs += [x[i]]
    s = 0.0
    for v in hs:
        s = s + v ** 3
    return s


@pytest.mark.parametrize("f", [grown_tuple, grown_in_front, grown_in_place], ids=lambda f: f.__name__)
def test_f09_hvp_of_other_growths(f):
    # FINDINGS19 #9 (fixed): a tuple, a list grown in front, `+=`
    x, v = np.array([0.3, -1.2, 2.0, 0.7]), np.array([1.0, 0.5, -0.3, 2.0])
    close(srcgrad.hvp(f)(x, v), 6.0 * x * v * np.array([1.0, 1.0, 1.0, 0.0]))
