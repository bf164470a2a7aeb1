"""Functions as values (issue 14 items 1 and 2): a function passed to a helper or to the
differentiated function itself (`act=np.tanh`, the user's `relu`), methods calling methods
(`self.forward`, `self.lin` a callable object), lambdas and nested defs in a body, and
loops over `numpy.ndindex` / `itertools.product`. Each checked in both modes against
central finite differences; the callee is part of what a derivative is specialised on."""
import itertools

import numpy as np
import pytest

import srcgrad
from srcgrad import cache

W = np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.7]])
W2 = np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]])
X = np.array([0.7, -0.4, 1.3])
V = np.array([0.3, -1.1, 0.6])


def numeric_grad(fun, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (fun(x + e) - fun(x - e)) / (2 * eps)
    return g


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=tol, atol=tol)


def check_both_modes(fun, x=X, second=False):
    """grad and jvp of `fun` at `x` against central differences; with `second`, the
    hessian too (against differences of the gradient)."""
    expected = numeric_grad(fun, x)
    close(srcgrad.grad(fun)(x.copy()), expected)
    v = np.linspace(0.3, -0.9, x.size).reshape(x.shape)
    value, tangent = srcgrad.jvp(fun, (x.copy(),), (v,))
    close(value, fun(x), 1e-12)
    close(tangent, np.sum(expected * v))
    if second:
        df = srcgrad.grad(fun)
        h = np.stack([numeric_grad(lambda y, i=i: df(y)[i], x) for i in range(x.size)])
        close(srcgrad.hessian(fun)(x.copy()), h, 1e-5)


# --- item 1: functions passed as values ---------------------------------------------------

def relu(t):
    return np.maximum(t, 0.0) + 0.1 * t


def layer(h, W, act):
    return act(h @ W)


def layer_with_default(h, W, act=np.tanh):
    return act(h @ W)


def apply(h, act):
    return act(h)  # the helper's parameter is what it calls, with `h` itself


def apply_twice(h, act):
    return apply(apply(h, act), act)  # passed on to another helper


def numpy_function_positional(x):
    return np.sum(layer(x, W, np.tanh) ** 2)


def users_function_by_keyword(x):
    return np.sum(layer(x, W, act=relu) * x[:2])


def default_parameter(x):
    return np.sum(layer_with_default(x, W) ** 2)


def two_functions_in_one_body(x):
    return np.sum(layer(x, W, np.tanh) * layer(x, W, np.sin))


def passed_on(x):
    return np.sum(apply_twice(x, np.sin) + apply(x, relu) * x)


@pytest.mark.parametrize("fun", [numpy_function_positional, users_function_by_keyword, default_parameter,
                                 two_functions_in_one_body, passed_on])
def test_a_function_passed_to_a_helper(fun):
    check_both_modes(fun, second=True)


def test_each_function_gets_its_own_derivative_of_the_helper():
    text = srcgrad.source(srcgrad.grad(two_functions_in_one_body))
    assert "_layer_forward(x, W, np.tanh)" in text and "_layer_forward_1(x, W, np.sin)" in text, text
    jvp_text = srcgrad.source(srcgrad.grad(two_functions_in_one_body), mode="forward")
    assert jvp_text.count("def ") == 1 and "np.sin" in jvp_text, jvp_text


def loss_of_act(x, act):
    return np.sum(act(x) ** 2) + np.sum(layer(x, W, act))


def test_a_function_argument_of_the_differentiated_function():
    df = srcgrad.grad(loss_of_act)
    for act in (np.tanh, relu, np.sin, np.tanh, relu):  # called again with each: none stale
        close(df(X, act), numeric_grad(lambda y: loss_of_act(y, act), X))
        _, t = srcgrad.jvp(loss_of_act, (X, act), (V, None))
        close(t, numeric_grad(lambda y: loss_of_act(y, act), X) @ V)
        h = srcgrad.hessian(loss_of_act)(X, act)
        close(h, np.stack([numeric_grad(lambda y, i=i: df(y, act)[i], X) for i in range(3)]), 1e-5)
    before = cache.compile_count
    df(X, np.tanh)
    df(X, relu)
    assert cache.compile_count == before  # one derivative per function, kept
    text = srcgrad.source(df)
    assert text.startswith("# built for argument kinds: x=array, act=function "), text


def test_a_default_function_in_forward_mode():
    x = X.copy()
    _, t = srcgrad.jvp(layer_with_default, (x, W), (V, None))
    close(t, np.stack([numeric_grad(lambda y, k=k: layer_with_default(y, W)[k], x) for k in range(2)]) @ V)


def test_a_function_argument_is_not_differentiable():
    with pytest.raises(srcgrad.SrcGradError, match="cannot differentiate with respect to 'act'"):
        srcgrad.grad(loss_of_act, wrt=1)(X, np.tanh)


# --- item 2: methods calling methods ------------------------------------------------------

class Linear:
    def __init__(self, W):
        self.W = W

    def __call__(self, h):
        return h @ self.W


class Model:
    def __init__(self, W, act=np.tanh):
        self.lin = Linear(W)  # an attribute that is a callable object
        self.act = act  # an attribute that is a function
        self.scale = 0.5

    def hidden(self, x):
        return np.cos(self.lin(x))

    def forward(self, x):
        return self.act(self.hidden(x))

    def energy(self, x):
        return self.scale * np.sum(self.forward(x) ** 2)

    def __call__(self, x):
        return self.energy(x) + np.sum(self.layer1(x))

    def layer1(self, x):
        return self.lin(x) * self.act(x[:2])


MODEL = Model(W)


def calls_the_model(x):
    return MODEL(x)


def calls_a_method(x):
    return MODEL.energy(x) * 2.0


@pytest.mark.parametrize("fun", [calls_the_model, calls_a_method, MODEL, MODEL.energy],
                         ids=["model_call", "method_call", "callable_object", "bound_method"])
def test_methods_calling_methods(fun):
    check_both_modes(fun, second=True)


def test_a_method_called_twice_is_one_callee():
    text = srcgrad.source(srcgrad.grad(twice_hidden))
    assert text.count("_hidden_forward(") == 2 and "_hidden_forward_1" not in text, text
    check_both_modes(twice_hidden)


def twice_hidden(x):
    return np.sum(MODEL.hidden(x) * MODEL.hidden(2.0 * x))


def test_each_instance_has_its_own_derivative():
    models = [Model(W, np.tanh), Model(W2, np.sin), Model(W, relu)]
    for m in models + models:  # the same class, other attributes: none stale
        close(srcgrad.grad(m.energy)(X), numeric_grad(m.energy, X))
        close(srcgrad.grad(m)(X), numeric_grad(m, X))
        _, t = srcgrad.jvp(m.energy, (X,), (V,))
        close(t, numeric_grad(m.energy, X) @ V)


def test_a_changed_function_attribute_rebuilds():
    m = Model(W, np.tanh)
    df = srcgrad.grad(m)
    close(df(X), numeric_grad(m, X))
    m.act = np.sin  # what the derivative calls: built again
    close(df(X), numeric_grad(m, X))
    m.lin = Linear(W2)
    close(df(X), numeric_grad(m, X))
    m.scale = 2.0  # a value: read when the derivative runs
    close(df(X), numeric_grad(m, X))


CURRENT = Model(W)


def through_a_global(x):
    return CURRENT.energy(x)


def test_a_rebound_global_object_rebuilds():
    global CURRENT
    df = srcgrad.grad(through_a_global)
    close(df(X), numeric_grad(through_a_global, X))
    CURRENT = Model(W2, relu)
    close(df(X), numeric_grad(through_a_global, X))


def test_a_model_as_an_argument():
    def loss(x, model):
        return model.energy(x) + np.sum(model(x))

    df = srcgrad.grad(loss)
    for m in (Model(W), Model(W2, np.sin), Model(W)):
        close(df(X, m), numeric_grad(lambda y: loss(y, m), X))


# --- item 4: lambdas and nested defs in a body ---------------------------------------------

def lambda_in_body(x):
    sq = lambda t: t * t  # noqa: E731
    return np.sum(sq(x) + sq(np.sin(x)))


def lambda_reading_an_outer_value(x):
    w = np.cos(x)
    scaled = lambda t, k=2.0: k * w * t  # noqa: E731
    return np.sum(scaled(x) * x)


def nested_def(x):
    def sq(t):
        return t * t

    return np.sum(sq(x) + sq(np.sin(x)))


@pytest.mark.parametrize("fun", [lambda_in_body, lambda_reading_an_outer_value, nested_def])
def test_helpers_defined_in_the_body(fun):
    check_both_modes(fun, second=True)


def two_lambdas_on_a_line(x):
    a = lambda t: t * 2.0; b = lambda t: t * 3.0  # noqa: E702,E731
    return np.sum(a(x) * b(x))


def test_two_lambdas_on_one_line_are_a_located_error():
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(two_lambdas_on_a_line)(X)
    err = info.value
    assert err.location.lineno == two_lambdas_on_a_line.__code__.co_firstlineno + 1, err
    assert "several lambdas on line" in str(err) and "line of its own" in err.hint, err


def lambda_passed_as_an_argument(x):
    return np.sum(layer(x, W, lambda t: t * t))


def test_a_lambda_passed_as_an_argument_is_a_located_error():
    with pytest.raises(srcgrad.SrcGradError, match="lambda") as info:
        srcgrad.grad(lambda_passed_as_an_argument)(X)
    assert info.value.location.lineno == lambda_passed_as_an_argument.__code__.co_firstlineno + 1


# --- item 5: np.ndindex and itertools.product -------------------------------------------------

def ndindex_spread(x):
    y = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        y[idx] = x[idx] ** 2
    return np.sum(y * x)


def ndindex_shape(x):
    y = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        y[idx] = np.sin(x[idx])
    return np.sum(y * x)


def product_of_ranges(x):
    n, m = x.shape
    y = np.zeros((n, m))
    for i, j in itertools.product(range(n), range(m)):
        y[i, j] = x[i, j] * x[n - 1 - i, m - 1 - j]
    return np.sum(y * np.cos(x))


@pytest.mark.parametrize("fun", [ndindex_spread, ndindex_shape, product_of_ranges])
def test_index_loops(fun):
    check_both_modes(fun, np.array([[0.7, -0.4, 1.3], [0.2, 0.9, -1.1]]))


# --- item 3: calling a constant entry of a tuple or list of functions ---------------------------

ACTS = (np.sin, np.cos)
ACT_LIST = [np.tanh, relu]


def calls_tuple_entries(x):
    return np.sum(ACTS[1](x) * ACTS[0](x)) + np.sum(ACT_LIST[1](x) ** 2)


class Stack:
    def __init__(self):
        self.layers = [np.tanh, Linear(W @ W.T), np.sin]

    def __call__(self, h):
        h = self.layers[0](h)
        h = self.layers[1](h)
        return np.sum(self.layers[2](h) ** 2)


def test_a_constant_entry_of_a_tuple_or_list_of_functions():
    check_both_modes(calls_tuple_entries, second=True)
    stack = Stack()
    check_both_modes(stack, second=True)
    text = srcgrad.source(srcgrad.grad(stack))
    assert "_Linear_forward(h)" in text, text  # the callable object, named by its class
    text = srcgrad.source(srcgrad.grad(calls_tuple_entries))
    assert "ACTS[1](x)" in text and "_ACT_LIST_1_forward" not in text, text


def test_a_changed_entry_rebuilds():
    df = srcgrad.grad(calls_tuple_entries)
    close(df(X), numeric_grad(calls_tuple_entries, X))
    ACT_LIST[1] = np.sin
    try:
        close(df(X), numeric_grad(calls_tuple_entries, X))
    finally:
        ACT_LIST[1] = relu
    close(df(X), numeric_grad(calls_tuple_entries, X))
    stack = Stack()
    ds = srcgrad.grad(stack)
    close(ds(X), numeric_grad(stack, X))
    stack.layers[1] = Linear(W2 @ W2.T)
    close(ds(X), numeric_grad(stack, X))


class Loop:
    def __init__(self):
        self.layers = [np.tanh, np.sin]

    def by_index(self, h):
        for i in range(len(self.layers)):
            h = self.layers[i](h)
        return np.sum(h)

    def by_item(self, h):
        for layer in self.layers:
            h = layer(h)
        return np.sum(h)


@pytest.mark.parametrize("method, marker, words", [
    ("by_index", "h = self.layers[i](h)", "calling the result of an expression"),
    ("by_item", "h = layer(h)", "layer is a variable"),
])
def test_a_callee_not_known_when_compiling_is_a_located_error(method, marker, words):
    fun = getattr(Loop(), method)
    for build in (lambda: srcgrad.grad(fun)(X), lambda: srcgrad.jvp(fun, (X,), (V,))):
        with pytest.raises(srcgrad.SrcGradError) as info:
            build()
        err = info.value
        assert words in str(err) and marker in err.location.code, err
        assert "fs[1](x)" in err.hint, err


def product_after_a_loop(x):
    n = len(x)
    acc = 0.0
    for i in range(n):
        acc += x[i]
    for i, j in itertools.product(range(n), range(n)):
        acc = acc + 0.01 * x[i] * x[j] * np.sin(x[j])
    return acc


def product_of_an_active_array(x):
    acc = 0.0
    for a, b in itertools.product(x, x):
        acc = acc + a * b
    return acc


def test_product_after_another_loop():
    check_both_modes(product_after_a_loop, second=True)


def test_product_of_an_active_array_is_a_located_error():
    with pytest.raises(srcgrad.SrcGradError, match="itertools.product has no derivative rule") as info:
        srcgrad.grad(product_of_an_active_array)(X)
    assert "itertools.product(x, x)" in info.value.location.code
