"""Functions in every form users write them (SPEC 1, issue 14 item 1): lambdas (several
on one line told apart by their columns), functools.partial, callable objects and bound
methods, through every transform, checked against central finite differences."""
import functools

import numpy as np
import pytest

import srcgrad
from srcgrad import cache, lambdas

# --- the forms ---------------------------------------------------------------------------

sq = lambda x: np.sum(np.sin(x) * x ** 2)  # noqa: E731
cube = lambda x: np.sum(x ** 3); wavy = lambda x: np.sum(np.cos(x) * x)  # noqa: E702,E731
PAIR = (lambda x: np.sum(np.exp(x) * x), lambda x: np.sum(np.tanh(x) ** 2))
make = lambda a: lambda x: np.sum(a * x ** 2 + np.sin(a * x))  # noqa: E731
act = lambda h: np.tanh(h)  # noqa: E731
quart = lambda x: np.sum(x ** 4)  # noqa: E731

# Python 3.11+ records the columns each instruction came from, which tell lambdas sharing a
# line apart; Python 3.10 does not, and there such a lambda is a located SrcGradError.
COLUMNS = hasattr(sq.__code__, "co_positions")
SHARING_A_LINE = {"first_of_two_lambdas_on_a_line", "second_of_two_lambdas_on_a_line",
                  "first_lambda_in_a_tuple", "second_lambda_in_a_tuple"}


def assert_refused_without_columns(fun, transform=None):
    """The designed answer on Python 3.10 for a lambda that shares its line with another
    of the same parameters: a SrcGradError at the lambda's line, saying to move it.
    `transform(fun)` builds and runs a derivative (default: builds `grad(fun)`)."""
    with pytest.raises(srcgrad.SrcGradError) as info:
        (transform or srcgrad.grad)(fun)
    err = info.value
    line = fun.__code__.co_firstlineno
    assert err.location is not None and err.location.lineno == line, err
    assert f"lambdas on line {line} could be this function" in str(err), err
    assert "Python 3.10 records no columns" in str(err), err
    assert "line of its own" in err.hint, err

W = np.array([1.0, 0.5, 0.25])
M = np.array([[1.0, 0.3, -0.2], [0.4, -1.0, 0.5], [0.1, 0.2, 0.7]])


def weighted(x, w, p=2.0):
    return np.sum(w * np.abs(x) ** p)


def affine_loss(m, x, b=0.5):
    y = m @ x + b
    return np.sum(np.sin(y) * y)


def rebinds_bound(m, x):
    m = m * 2.0  # the bound value, rebound in the body
    return np.sum((m @ x) ** 2)


class Quadratic:
    def __init__(self, A, c):
        self.A = A
        self.c = c

    def __call__(self, x):
        return 0.5 * x @ self.A @ x + np.sum(self.c * np.sin(x))

    def energy(self, x, scale):
        return scale * np.sum(np.cos(self.A @ x))


Q = Quadratic(M @ M.T, np.array([0.2, -0.4, 0.9]))

FORMS = {
    "lambda_alone_on_its_line": sq,
    "first_of_two_lambdas_on_a_line": cube,
    "second_of_two_lambdas_on_a_line": wavy,
    "first_lambda_in_a_tuple": PAIR[0],
    "second_lambda_in_a_tuple": PAIR[1],
    "nested_lambda": make(1.5),
    "partial_keywords": functools.partial(weighted, w=W, p=3.0),
    "partial_positional": functools.partial(affine_loss, M),
    "partial_positional_and_keyword": functools.partial(affine_loss, M, b=-0.25),
    "partial_of_partial": functools.partial(functools.partial(affine_loss, M), b=0.75),
    "partial_of_lambda": functools.partial(lambda x, w: np.sum(w * x ** 4), w=W),
    "partial_rebinding_a_bound_value": functools.partial(rebinds_bound, M),
    "callable_object": Q,
    "bound_method_partial": functools.partial(Q.energy, scale=1.5),
}

X = np.array([0.7, -0.4, 1.3])


def numeric_grad(fun, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (fun(x + e) - fun(x - e)) / (2 * eps)
    return g


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", list(FORMS))
def test_every_transform_matches_finite_differences(name):
    fun = FORMS[name]
    if name in SHARING_A_LINE and not COLUMNS:
        v = np.ones(3)
        for transform in (lambda f: srcgrad.grad(f)(X), lambda f: srcgrad.value_and_grad(f)(X),
                          lambda f: srcgrad.vjp(f, X), lambda f: srcgrad.jvp(f, (X,), (v,)),
                          lambda f: srcgrad.jacobian(f)(X), lambda f: srcgrad.hessian(f)(X),
                          lambda f: srcgrad.hvp(f)(X, v=v)):
            assert_refused_without_columns(fun, transform)
        return
    x = X.copy()
    expected = numeric_grad(fun, x)
    close(srcgrad.grad(fun)(x), expected)
    value, g = srcgrad.value_and_grad(fun)(x)
    close(value, fun(x), 1e-12)
    close(g, expected)
    out, pullback = srcgrad.vjp(fun, x)
    close(out, fun(x), 1e-12)
    close(pullback(1.0), expected)
    v = np.array([0.3, -1.1, 0.6])
    out, out_dot = srcgrad.jvp(fun, (x,), (v,))
    close(out, fun(x), 1e-12)
    close(out_dot, (fun(x + 1e-6 * v) - fun(x - 1e-6 * v)) / 2e-6)
    close(srcgrad.jacobian(fun)(x), expected)
    grad_fn = srcgrad.grad(fun)
    h = np.stack([numeric_grad(lambda y, i=i: grad_fn(y)[i], x) for i in range(x.size)])
    close(srcgrad.hessian(fun)(x), h, 1e-5)
    close(srcgrad.hvp(fun)(x, v=v), h @ v, 1e-5)
    assert np.array_equal(x, X)  # the caller's value untouched


def test_bound_method_in_both_of_its_parameters():
    m = Q.energy
    x, scale = X.copy(), 1.5
    gx, gs = srcgrad.grad(m, wrt=(0, 1))(x, scale)
    close(gx, numeric_grad(lambda y: m(y, scale), x))
    close(gs, np.sum(np.cos(Q.A @ x)), 1e-12)
    _, t = srcgrad.jvp(m, (x, scale), (None, 1.0))
    close(t, np.sum(np.cos(Q.A @ x)), 1e-12)


def test_wrt_names_a_partials_keyword_and_indexes_its_remaining_parameters():
    fp = functools.partial(weighted, w=W, p=3.0)
    x = X.copy()
    dp = srcgrad.grad(fp, wrt="p")(x)
    close(dp, np.sum(W * np.abs(x) ** 3 * np.log(np.abs(x))))
    dw = srcgrad.grad(fp, wrt="w")(x)  # bound by keyword: still a (keyword) parameter
    close(dw, np.abs(x) ** 3)
    # bound by position: gone from the signature, wrt=0 is the next parameter
    fx = functools.partial(weighted, x)
    close(srcgrad.grad(fx)(W), np.abs(x) ** 2)
    with pytest.raises(srcgrad.SrcGradError, match="out of range"):
        srcgrad.grad(fx, wrt=2)


def test_a_partials_bound_values_are_constants_and_keywords_can_be_overridden():
    fp = functools.partial(affine_loss, M, b=-0.25)
    x = X.copy()
    close(srcgrad.grad(fp)(x), numeric_grad(fp, x))
    other = functools.partial(fp, b=2.0)  # overriding the bound keyword
    close(srcgrad.grad(fp)(x, b=2.0), numeric_grad(other, x))


def test_source_of_a_partial_shows_its_signature_and_reads_bound_values_from_cells():
    text = srcgrad.source(srcgrad.grad(functools.partial(weighted, w=W, p=3.0)))
    assert text.startswith("# built for argument kinds: x=array, w=array, p=scalar\n"
                           "def grad_weighted(x, *, w=..., p=3.0):"), text
    text = srcgrad.source(srcgrad.grad(functools.partial(affine_loss, M)))
    assert text.startswith("# built for argument kinds: x=array, b=scalar\ndef grad_affine_loss(x, b=0.5):"), text
    text = srcgrad.source(srcgrad.grad(quart))  # a lambda is named after what it is assigned to
    assert text.startswith("# built for argument kinds: x=array\ndef grad_quart(x):"), text
    if COLUMNS:  # also when it shares its line
        text = srcgrad.source(srcgrad.grad(cube))
        assert text.startswith("# built for argument kinds: x=array\ndef grad_cube(x):"), text
    else:
        assert_refused_without_columns(cube)


def test_callable_object_follows_a_changed_attribute_value():
    q = Quadratic(np.eye(3), np.zeros(3))
    df = srcgrad.grad(q)
    x = X.copy()
    close(df(x), x, 1e-12)
    q.A = 2.0 * M @ M.T  # attributes are read when the derivative runs, like globals
    q.c = np.array([1.0, 2.0, 3.0])
    close(df(x), numeric_grad(q, x))
    _, t = srcgrad.jvp(q, (x,), (np.ones(3),))
    close(t, np.sum(numeric_grad(q, x)))


def test_callable_object_rebuilds_when_its_class_call_is_replaced():
    class Scaled:
        def __call__(self, x):
            return np.sum(x ** 2)

    s = Scaled()
    df = srcgrad.grad(s)
    x = X.copy()
    close(df(x), 2 * x, 1e-12)
    Scaled.__call__ = lambda self, x: np.sum(x ** 3)
    close(df(x), 3 * x ** 2, 1e-12)
    close(srcgrad.jvp(s, (x,), (np.ones(3),))[1], np.sum(3 * x ** 2), 1e-12)


def scaled_loss(s, x):
    return np.sum(s * x ** 2)


@pytest.mark.parametrize("make, args, tangents", [
    (lambda: quart, (X,), (np.ones(3),)),
    (lambda: cube, (X,), (np.ones(3),)),
    (lambda: functools.partial(weighted, w=W, p=3.0), (X,), (np.ones(3),)),
    (lambda: functools.partial(affine_loss, M), (X,), (np.ones(3),)),
    (lambda: Q, (X,), (np.ones(3),)),
    (lambda: Q.energy, (X, 1.5), (np.ones(3), None)),
], ids=["lambda", "lambda_sharing_its_line", "partial_keywords", "partial_positional", "callable_object", "bound_method"])
def test_forms_hit_the_compile_cache(make, args, tangents):
    if make() is cube and not COLUMNS:
        for _ in range(2):  # refused every time, not once then a cached wrong guess
            assert_refused_without_columns(make())
        return
    srcgrad.grad(make())(*args)
    srcgrad.value_and_grad(make())(*args)
    srcgrad.jvp(make(), args, tangents)
    before = cache.compile_count
    for _ in range(3):  # a new derivative of a new partial / bound method each time
        srcgrad.grad(make())(*args)
        srcgrad.value_and_grad(make())(*args)
        srcgrad.jvp(make(), args, tangents)
    assert cache.compile_count == before


def test_a_bound_values_kind_is_part_of_the_key():
    x = X.copy()
    by_number = functools.partial(scaled_loss, 2.0)
    by_array = functools.partial(scaled_loss, np.array([1.0, 2.0, 3.0]))
    for _ in range(2):
        close(srcgrad.grad(by_number)(x), 4.0 * x, 1e-12)
        close(srcgrad.grad(by_array)(x), 2.0 * np.array([1.0, 2.0, 3.0]) * x, 1e-12)
    keyword = functools.partial(weighted, w=2.0)  # a number where W was an array
    close(srcgrad.grad(keyword)(x), numeric_grad(keyword, x))
    close(srcgrad.grad(functools.partial(weighted, w=W))(x),
          numeric_grad(functools.partial(weighted, w=W), x))


def test_a_lambda_redefined_in_a_notebook_cell_compiles_afresh():
    import linecache

    x = X.copy()
    results = []
    for i, text in enumerate(["f = lambda x: np.sum(x ** 2)\n", "f = lambda x: np.sum(x ** 3)\n"]):
        cell = f"<srcgrad-test-cell-{i % 1}>"  # one cell, run twice with new text
        linecache.cache[cell] = (len(text), None, [text], cell)
        namespace = {"np": np}
        exec(compile(text, cell, "exec"), namespace)
        results.append(srcgrad.grad(namespace["f"])(x))
    close(results[0], 2 * x, 1e-12)
    close(results[1], 3 * x ** 2, 1e-12)


def test_a_lambda_without_source_is_an_error():
    with pytest.raises(srcgrad.SrcGradError, match="lambda"):
        srcgrad.grad(eval("lambda x: x * 2.0"))


# --- forms called from differentiated code ------------------------------------------------

H = functools.partial(weighted, w=W, p=2.0)


def calls_forms(x):
    return np.sum(act(x) ** 2) + H(x) * 0.5 + Q(x) + quart(x)


def calls_lambdas_sharing_a_line(x):
    return cube(x) + wavy(x)


def test_lambda_partial_and_callable_object_called_from_differentiated_code():
    x = X.copy()
    expected = numeric_grad(calls_forms, x)
    close(srcgrad.grad(calls_forms)(x), expected)
    v = np.array([0.3, -1.1, 0.6])
    _, t = srcgrad.jvp(calls_forms, (x,), (v,))
    close(t, expected @ v)
    text = srcgrad.source(srcgrad.grad(calls_forms))
    for helper in ("_act_forward", "_H_forward", "_Q_forward", "_quart_forward"):
        assert helper in text, text


def test_lambdas_sharing_a_line_called_from_differentiated_code():
    fun = calls_lambdas_sharing_a_line
    if not COLUMNS:
        assert_refused_without_columns(cube, lambda f: srcgrad.grad(fun)(X))
        assert_refused_without_columns(cube, lambda f: srcgrad.jvp(fun, (X,), (np.ones(3),)))
        return
    x = X.copy()
    expected = numeric_grad(fun, x)
    close(srcgrad.grad(fun)(x), expected)
    v = np.array([0.3, -1.1, 0.6])
    _, t = srcgrad.jvp(fun, (x,), (v,))
    close(t, expected @ v)
    text = srcgrad.source(srcgrad.grad(fun))
    for helper in ("_cube_forward", "_wavy_forward"):
        assert helper in text, text


# --- telling lambdas apart ----------------------------------------------------------------

ALONE = lambda x: x * x * 3.0  # noqa: E731
TWINS = (lambda x: x * x, lambda x: x * x * x)
NAMED = (lambda x: x * x, lambda y: y * y * y)


def test_without_columns_a_lambda_alone_on_its_line_still_works(monkeypatch):
    monkeypatch.setattr(lambdas, "_positions", lambda code: [])  # as on Python 3.10
    assert srcgrad.grad(ALONE)(2.0) == 12.0
    assert srcgrad.grad(NAMED[1])(2.0) == 12.0  # its parameter names tell it apart


def test_without_columns_lambdas_on_one_line_are_a_located_error(monkeypatch):
    monkeypatch.setattr(lambdas, "_positions", lambda code: [])  # as on Python 3.10
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(TWINS[1])
    err = info.value
    assert err.location is not None and err.location.lineno == TWINS[1].__code__.co_firstlineno
    assert "TWINS" in err.location.code and "own" in err.hint


def test_with_columns_twin_lambdas_are_told_apart():
    if not COLUMNS:
        assert_refused_without_columns(TWINS[0])
        assert_refused_without_columns(TWINS[1])
        return
    assert srcgrad.grad(TWINS[0])(2.0) == 4.0
    assert srcgrad.grad(TWINS[1])(2.0) == 12.0


def test_a_partial_binding_into_star_args_is_an_error():
    def takes_rest(x, *rest):
        return x * 2.0

    with pytest.raises(srcgrad.SrcGradError, match=r"\*args"):
        srcgrad.grad(functools.partial(takes_rest, 1.0, 2.0))
