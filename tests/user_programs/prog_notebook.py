"""Notebook habits: redefinitions, decorators, in-place helpers, buffers,
caches, globals, dtypes, re-registered rules, partials, callables, lambdas."""
import functools
import sys

import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, Check, grad_of_lambda_sharing_a_line, num_grad, NotApplicable

MOD = sys.modules[__name__]


# 1 -------------------------------------------------------------- redefined helper
def activation(z):
    return np.tanh(z)


def net_with_helper(w, x):
    return np.sum(activation(x @ w) ** 2)


@case("redefine_helper_after_grad", "build grad(f), call, then redefine the helper f calls (cell re-run)")
def _():
    w = np.array([0.3, -0.7])
    x = np.array([[1.0, 2.0], [-0.5, 0.4], [0.2, 0.9]])
    df = srcgrad.grad(net_with_helper)
    checks = [Check("before", df(w, x), num_grad(net_with_helper, (w, x)), 1e-4, 1e-6)]
    old = MOD.activation
    try:
        exec("def activation(z):\n    return np.sin(z) * z\n", MOD.__dict__)  # simulates a re-run cell
        MOD.activation.__code__ = compile_in_file(
            "def activation(z):\n    return np.sin(z) * z\n", "activation")
        checks.append(Check("after redefining the helper", df(w, x), num_grad(net_with_helper, (w, x)), 1e-4, 1e-6))
    finally:
        MOD.activation = old
    return checks


def compile_in_file(src, name):
    """Compile `src` so that its code object points to a real file (inspect can read it)."""
    import tempfile
    import linecache
    path = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, dir="/tmp").name
    with open(path, "w") as fh:
        fh.write(src)
    ns = {}
    exec(compile(src, path, "exec"), MOD.__dict__, ns)
    linecache.checkcache(path)
    return ns[name].__code__


# 1b ------------------------------------------------------------- redefine via a real module file
@case("redefine_helper_module_file", "helper redefined by importing a second version of a module's helper")
def _():
    import importlib
    import os
    import tempfile
    d = tempfile.mkdtemp(dir="/tmp")
    src1 = ("import numpy as np\n\ndef helper(z):\n    return z ** 2\n\n"
            "def loss(w):\n    return np.sum(helper(w))\n")
    src2 = ("import numpy as np\n\ndef helper(z):\n    return z ** 3\n\n")
    with open(os.path.join(d, "nbmod_user.py"), "w") as fh:
        fh.write(src1)
    sys.path.insert(0, d)
    try:
        m = importlib.import_module("nbmod_user")
        df = srcgrad.grad(m.loss)
        w = np.array([1.0, 2.0])
        checks = [Check("first helper", df(w), 2 * w, 1e-8, 1e-10)]
        # the user edits the helper in another file/cell and assigns it into the module
        with open(os.path.join(d, "nbmod_helper2.py"), "w") as fh:
            fh.write(src2)
        m2 = importlib.import_module("nbmod_helper2")
        m.helper = m2.helper
        checks.append(Check("after m.helper = new helper", df(w), 3 * w ** 2, 1e-8, 1e-10))
        return checks
    finally:
        sys.path.remove(d)


# 2 -------------------------------------------------------------- functools.wraps decorator
def scaled(factor):
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return factor * fn(*args, **kwargs)
        return wrapper
    return deco


@scaled(3.0)
def scaled_loss(w):
    return np.sum(w ** 2)


@case("wraps_decorator_scaling", "grad of a function decorated with a functools.wraps wrapper that scales by 3",
      outside_spec=True)
def _():
    w = np.array([1.0, -2.0])
    return [Check("grad", srcgrad.grad(scaled_loss)(w), 6.0 * w, 1e-8, 1e-10)]


def square_then(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return fn(x) ** 2
    return wrapper


@square_then
def inner_sum(x):
    return np.sum(np.sin(x))


def uses_decorated(x):
    return inner_sum(x) + 1.0


@case("wraps_decorator_callee", "a differentiated function calls a helper wrapped by a functools.wraps decorator")
def _():
    x = np.array([0.3, 1.1])
    return [Check("grad", srcgrad.grad(uses_decorated)(x), 2 * np.sum(np.sin(x)) * np.cos(x), 1e-8, 1e-10)]


# 3 -------------------------------------------------------------- in-place helpers
def normalize_inplace(v):
    v /= np.sum(v)


def uses_inplace_helper(w):
    p = np.exp(w)
    normalize_inplace(p)
    return np.sum(p * np.arange(p.shape[0]))


@case("inplace_helper_discarded", "helper normalises its argument in place, result discarded (must be rejected)",
      outside_spec=True)
def _():
    w = np.array([0.1, 0.5, -0.3])
    return check_grad(uses_inplace_helper, (w,))


def normalize_and_return(v):
    v /= np.sum(v)
    return v


def uses_inplace_returning(w):
    p = np.exp(w)
    q = normalize_and_return(p)
    return np.sum(q * np.arange(q.shape[0])) + np.sum(p)


# A helper writing into a differentiated argument is rejected (located, with a hint)
# rather than modelled: issue 12 allows either, never a silently wrong gradient.
@case("inplace_helper_returning", "helper divides its argument in place and returns it; caller reads both names",
      outside_spec=True)
def _():
    w = np.array([0.1, 0.5, -0.3])
    return check_grad(uses_inplace_returning, (w,))


def fill_row(buf, i, v):
    buf[i] = v
    return buf


def builds_with_helper(w):
    out = np.zeros((3, 2))
    for i in range(3):
        out = fill_row(out, i, w * (i + 1))
    return np.sum(out ** 2)


# A helper writing into a differentiated argument is rejected (located, with a hint)
# rather than modelled: issue 12 allows either, never a silently wrong gradient.
@case("helper_writes_into_buffer", "helper `buf[i] = v; return buf`, caller `out = fill_row(out, i, ...)`",
      outside_spec=True)
def _():
    return check_grad(builds_with_helper, (np.array([0.5, -1.5]),))


# 4 -------------------------------------------------------------- np.copyto / out=
def copyto_buffer(w):
    buf = np.empty_like(w)
    np.copyto(buf, np.tanh(w))
    return np.sum(buf * w)


@case("np_copyto_buffer", "buffer filled with np.copyto (no rule listed: must be rejected)", outside_spec=True)
def _():
    return check_grad(copyto_buffer, (np.array([0.5, -1.0]),))


def out_kwarg(w):
    buf = np.zeros_like(w)
    np.multiply(w, w, out=buf)
    return np.sum(buf)


@case("ufunc_out_kwarg", "np.multiply(w, w, out=buf) (out= not accepted: must be rejected)", outside_spec=True)
def _():
    return check_grad(out_kwarg, (np.array([0.5, -1.0]),))


def out_kwarg_assigned(w):
    buf = np.zeros_like(w)
    y = np.exp(w, out=buf)
    return np.sum(y) + np.sum(buf)


@case("ufunc_out_kwarg_assigned", "y = np.exp(w, out=buf) then reads buf (must be rejected)", outside_spec=True)
def _():
    return check_grad(out_kwarg_assigned, (np.array([0.5, -1.0]),))


# 5 -------------------------------------------------------------- dict cache
def cached_forward(w, x):
    cache = {}
    h = np.tanh(x @ w)
    cache["h"] = h
    cache["h2"] = h * h
    loss = np.sum(cache["h2"]) + np.sum(cache["h"] * x[:, 0])
    return loss


@case("dict_cache_item_assign", "intermediates stored with `cache['h'] = h` in a local dict, read back")
def _():
    x = np.array([[1.0, 2.0], [-0.5, 0.4], [0.2, 0.9]])
    return check_grad(cached_forward, (np.array([0.3, -0.7]), x), autograd=True)


def memo_layers(w, x, n=3):
    memo = {}
    h = x
    for i in range(n):
        if i in memo:
            h = memo[i]
        else:
            h = np.sin(h * w)
            memo[i] = h
    return np.sum(memo[n - 1])


@case("dict_memo_in_loop", "dict written inside a loop (`memo[i] = h`), `if i in memo` check "
      "(rejected as aliasing: documented container rule; message misleading)", outside_spec=True)
def _():
    return check_grad(memo_layers, (1.3, np.array([0.2, 0.5, 1.0])), wrt=(0, 1))


# 6 -------------------------------------------------------------- global constants
SCALE = np.array([1.0, 2.0, 3.0])
OFFSET = 0.5


def uses_globals(w):
    return np.sum(SCALE * w ** 2) + OFFSET * np.sum(w)


@case("global_constant_changed", "module-level constants rebound after the gradient was built")
def _():
    w = np.array([0.1, 0.2, 0.3])
    df = srcgrad.grad(uses_globals)
    c1 = Check("before", df(w), 2 * SCALE * w + OFFSET, 1e-10, 1e-12)
    old = (MOD.SCALE, MOD.OFFSET)
    try:
        MOD.SCALE = np.array([5.0, 5.0, 5.0])
        MOD.OFFSET = -1.0
        c2 = Check("after rebinding SCALE/OFFSET", df(w), 2 * MOD.SCALE * w + MOD.OFFSET, 1e-10, 1e-12)
        MOD.SCALE[1] = 100.0     # in-place change of the global array
        c3 = Check("after in-place change of SCALE", df(w), 2 * MOD.SCALE * w + MOD.OFFSET, 1e-10, 1e-12)
    finally:
        MOD.SCALE, MOD.OFFSET = old
    return [c1, c2, c3]


# 7 -------------------------------------------------------------- dtypes
def poly_loss(w, x):
    return np.sum((x @ w - 1.0) ** 2) + 0.5 * np.sum(w ** 4)


@case("dtypes_float32_int", "same gradient called with float64, float32 and int arrays (dtype and values)")
def _():
    x = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    df = srcgrad.grad(poly_loss)
    w64 = np.array([0.5, -0.25])
    g64 = df(w64, x)
    g32 = df(w64.astype(np.float32), x.astype(np.float32))
    gi = df(np.array([1, -2]), x)
    gi_x_int = df(w64, np.array([[1, 2], [0, -1], [2, 0]]))
    g_again = df(w64, x)
    exp_i = num_grad(poly_loss, (np.array([1.0, -2.0]), x))
    return [Check("float64", g64, num_grad(poly_loss, (w64, x)), 1e-5, 1e-7),
            Check("float32 value", g32, g64, 1e-4, 1e-4),
            Check("float32 dtype", str(g32.dtype), "float32"),
            Check("int wrt", gi, exp_i, 1e-5, 1e-7),
            Check("int wrt dtype", str(gi.dtype), "float64"),
            Check("int data", gi_x_int, num_grad(poly_loss, (w64, np.array([[1.0, 2], [0, -1], [2, 0]]))), 1e-5, 1e-7),
            Check("float64 again", g_again, g64, 1e-12, 1e-12)]


@case("shapes_change_between_calls", "one gradient called with (3,), (5,) and (2, 3) shaped inputs")
def _():
    df = srcgrad.grad(softplus_sum)
    out = []
    for shape in [(3,), (5,), (2, 3), ()]:
        x = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape)
        out.append(Check(f"shape {shape}", df(x), 1 / (1 + np.exp(-x)) * 2 * np.sum(np.logaddexp(0, x)),
                         1e-8, 1e-10))
    out.append(Check("python float", df(0.3), 1 / (1 + np.exp(-0.3)) * 2 * np.logaddexp(0, 0.3), 1e-8, 1e-10))
    return out


def softplus_sum(x):
    return np.sum(np.logaddexp(0.0, x)) ** 2


# 8 -------------------------------------------------------------- re-registering rules
def my_cube(x):
    return x ** 3


def rule_user(x):
    return np.sum(my_cube(x) * 2.0)


@case("reregister_custom_rule", "defvjp registered (wrong), grad built and called, rule re-registered (right)")
def _():
    x = np.array([0.5, -1.5])

    @srcgrad.defvjp(my_cube)
    def cube_vjp_wrong(g, ans, x):
        return g * 2.0 * x

    df = srcgrad.grad(rule_user)
    first = df(x)

    @srcgrad.defvjp(my_cube)
    def cube_vjp_right(g, ans, x):
        return g * 3.0 * x ** 2

    second = df(x)
    third = srcgrad.grad(rule_user)(x)
    return [Check("first rule used", first, 2 * 2.0 * x, 1e-10, 1e-12),
            Check("re-registered rule used by the old derivative", second, 2 * 3 * x ** 2, 1e-10, 1e-12),
            Check("re-registered rule used by a new derivative", third, 2 * 3 * x ** 2, 1e-10, 1e-12)]


def my_clip01(x):
    return np.clip(x, 0.0, 1.0)


def uses_clip01(x):
    return np.sum(my_clip01(x) ** 2)


@case("custom_rule_jvp_and_vjp", "defvjp + defjvp for a user function (straight-through clip), grad and jvp")
def _():
    @srcgrad.defvjp(my_clip01)
    def clip_vjp(g, ans, x):
        return g  # straight-through estimator

    @srcgrad.defjvp(my_clip01)
    def clip_jvp(tangents, ans, x):
        return tangents[0]

    x = np.array([-0.5, 0.3, 1.4])
    expected = 2 * np.clip(x, 0, 1)
    g = srcgrad.grad(uses_clip01)(x)
    _, t = srcgrad.jvp(uses_clip01, (x,), (np.array([1.0, 1.0, 1.0]),))
    return [Check("grad uses the STE rule", g, expected, 1e-10, 1e-12),
            Check("jvp uses the STE rule", t, float(np.sum(expected)), 1e-10, 1e-12)]


# 9 -------------------------------------------------------------- partial / callables / lambdas
def weighted_sq(x, w, p=2.0):
    return np.sum(w * np.abs(x) ** p)


@case("functools_partial", "grad of functools.partial(f, w=..., p=3.0)")
def _():
    x = np.array([0.5, -1.2, 2.0])
    w = np.array([1.0, 0.5, 0.25])
    fp = functools.partial(weighted_sq, w=w, p=3.0)
    return [Check("grad", srcgrad.grad(fp)(x), w * 3 * np.abs(x) ** 2 * np.sign(x), 1e-8, 1e-10)]


class Quadratic:
    def __init__(self, A):
        self.A = A

    def __call__(self, x):
        return 0.5 * x @ self.A @ x


@case("callable_object", "grad of an instance whose __call__ reads self.A")
def _():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    q = Quadratic(A)
    x = np.array([1.0, -2.0])
    return [Check("grad", srcgrad.grad(q)(x), A @ x, 1e-10, 1e-12)]


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w, x):
        return np.sum(np.tanh(x @ w) * self.scale)


@case("bound_method", "grad of a bound method model.loss (self.scale read as a constant)", outside_spec=True)
def _():
    m = Model(2.5)
    x = np.array([[1.0, 2.0], [-0.5, 0.4]])
    w = np.array([0.3, -0.1])
    return [Check("grad", srcgrad.grad(m.loss)(w, x), num_grad(m.loss, (w, x)), 1e-5, 1e-7)]


sq_a = lambda x: np.sum(x ** 2); cube_b = lambda x: np.sum(x ** 3)  # noqa: E702,E731


@case("two_lambdas_one_line", "two lambdas defined on one source line, told apart by column (3.11+; a located refusal on 3.10)")
def _():
    x = np.array([1.0, 2.0])
    return [grad_of_lambda_sharing_a_line("first lambda", sq_a, (x,), 2 * x),
            grad_of_lambda_sharing_a_line("second lambda", cube_b, (x,), 3 * x ** 2)]


pair = (lambda x: np.sum(np.sin(x)), lambda x: np.sum(np.cos(x)))


@case("lambdas_in_tuple_one_line", "two lambdas inside one tuple display on one line (3.11+; a located refusal on 3.10)")
def _():
    x = np.array([0.3, 0.9])
    return [grad_of_lambda_sharing_a_line("sin", pair[0], (x,), np.cos(x)),
            grad_of_lambda_sharing_a_line("cos", pair[1], (x,), -np.sin(x))]


# 10 ------------------------------------------------------------- defaults / keyword-only
def kw_loss(w, x, *, reg=0.1, power=2):
    return np.sum((x @ w) ** power) + reg * np.sum(w ** 2)


@case("keyword_only_wrt_name", "grad wrt a keyword-only parameter by name, called with keywords")
def _():
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    w = np.array([0.3, 0.4])
    g_reg = srcgrad.grad(kw_loss, wrt="reg")(w, x, reg=0.5, power=2)
    g_w = srcgrad.grad(kw_loss, wrt="w")(w, x=x, power=3)
    return [Check("d/dreg", g_reg, float(np.sum(w ** 2)), 1e-10, 1e-12),
            Check("d/dw (power=3 by keyword)", g_w, num_grad(lambda w: kw_loss(w, x, power=3), (w,)), 1e-5, 1e-7)]


# 11 ------------------------------------------------------------- closures
def make_loss(data, weight):
    def loss(w):
        return weight * np.sum((data - w) ** 2)
    return loss


@case("closure_factory", "closures from a factory: two losses from the same code with different data")
def _():
    l1 = make_loss(np.array([1.0, 2.0]), 1.0)
    l2 = make_loss(np.array([-3.0, 0.5]), 10.0)
    w = np.array([0.0, 0.0])
    g1 = srcgrad.grad(l1)(w)
    g2 = srcgrad.grad(l2)(w)
    g1b = srcgrad.grad(l1)(w)
    return [Check("closure 1", g1, -2 * np.array([1.0, 2.0]), 1e-10, 1e-12),
            Check("closure 2", g2, -20 * np.array([-3.0, 0.5]), 1e-10, 1e-12),
            Check("closure 1 again", g1b, -2 * np.array([1.0, 2.0]), 1e-10, 1e-12)]


def outer_nested(w, x):
    def layer(h):
        return np.tanh(h * w)
    h = x
    for _ in range(3):
        h = layer(h)
    return np.sum(h)


@case("nested_def_reads_wrt", "nested def reading the differentiated outer variable w, called in a loop")
def _():
    return check_grad(outer_nested, (1.2, np.array([0.3, -0.6])), wrt=(0, 1), autograd=True)


# 12 ------------------------------------------------------------- config object attribute
class Config:
    temperature = 2.0
    margin = 0.1


CONFIG = Config()


def config_loss(z):
    return np.sum(np.logaddexp(0.0, z / CONFIG.temperature - CONFIG.margin))


@case("config_attribute_changed", "global config object attribute read; changed between calls")
def _():
    z = np.array([0.5, -1.0])
    df = srcgrad.grad(config_loss)
    c1 = Check("T=2", df(z), num_grad(config_loss, (z,)), 1e-5, 1e-7)
    old = CONFIG.temperature
    try:
        CONFIG.temperature = 0.5
        c2 = Check("T=0.5", df(z), num_grad(config_loss, (z,)), 1e-5, 1e-7)
    finally:
        CONFIG.temperature = old
    return [c1, c2]


# 13 ------------------------------------------------------------- grad decorator + cell re-run
@srcgrad.grad
def dcell(x):
    return np.sum(x ** 2)


@case("decorator_cell_rerun", "@srcgrad.grad defined, called, then the cell re-run with a new body")
def _():
    x = np.array([1.0, 3.0])
    first = dcell(x)
    src = "import numpy as np\nimport srcgrad\n\n@srcgrad.grad\ndef dcell(x):\n    return np.sum(x ** 3)\n"
    import tempfile
    path = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, dir="/tmp").name
    with open(path, "w") as fh:
        fh.write(src)
    ns = {}
    exec(compile(src, path, "exec"), ns)
    second = ns["dcell"](x)
    return [Check("first body", first, 2 * x, 1e-10, 1e-12), Check("second body", second, 3 * x ** 2, 1e-10, 1e-12)]


# 14 ------------------------------------------------------------- closure helper re-made
def make_leaky(alpha):
    def leaky(z):
        return np.where(z > 0, z, alpha * z)
    return leaky


leaky_act = make_leaky(0.1)


def leaky_net(w, x):
    return np.sum(leaky_act(x @ w) ** 2)


@case("closure_helper_remade", "global helper `leaky_act = make_leaky(0.1)` re-made with alpha=0.5 after grad built")
def _():
    w = np.array([0.3, -0.7])
    x = np.array([[1.0, 2.0], [-0.5, 0.4], [0.2, 0.9]])
    df = srcgrad.grad(leaky_net)
    checks = [Check("alpha=0.1", df(w, x), num_grad(leaky_net, (w, x)), 1e-5, 1e-7)]
    old = MOD.leaky_act
    try:
        MOD.leaky_act = make_leaky(0.5)
        checks.append(Check("alpha=0.5, old derivative", df(w, x), num_grad(leaky_net, (w, x)), 1e-5, 1e-7))
        checks.append(Check("alpha=0.5, new derivative", srcgrad.grad(leaky_net)(w, x),
                            num_grad(leaky_net, (w, x)), 1e-5, 1e-7))
    finally:
        MOD.leaky_act = old
    return checks
