"""The explicit entries of the facts table (srcgrad/rules/facts.py), by name.

The `Facts` record and what srcgrad knows without a rule: which NumPy
functions return views or arrays, which write into an argument, the
builtins, the operators, the methods of list, dict and ndarray, and
srcgrad's own runtime helpers. facts.py builds the table by object from
these and from the rule registry, and answers every query.
"""
from __future__ import annotations

import builtins
import itertools
import operator
from dataclasses import dataclass

ALL = "all"


@dataclass(frozen=True)
class Facts:
    """What a call may change and what it returns (fields: srcgrad/rules/facts.py)."""

    pure: bool = True
    writes: tuple = ()
    views: object = ()
    array: bool = False
    reduces: bool = False
    total: bool = False
    reporting: bool = False
    numbers: bool = False
    unbounded: bool = False
    elementwise: bool = False
    template: int | None = None
    sequence: bool = False
    nonselecting: bool = False
    fields: tuple = ()
    identity: bool = False
    sums_adjoint: bool = False
    hint: str = ""


PURE = Facts()
ARRAY = Facts(array=True)
VIEW = Facts(views=(0,))
STATE = Facts(pure=False)  # changes only hidden state (a random generator's)
REPORTING = Facts(pure=False, reporting=True)


def _writer(*positions, hint: str) -> Facts:
    return Facts(pure=False, writes=positions, hint=hint)


# --- NumPy functions ---------------------------------------------------------------

# Functions returning one array that may be a view of their first argument.
# (split and its kin, broadcast_arrays: lists or tuples of views)
NUMPY_VIEWS = ("reshape ravel transpose swapaxes moveaxis squeeze expand_dims broadcast_to asarray "
                "asanyarray atleast_1d atleast_2d atleast_3d diagonal real imag flip fliplr flipud "
                "rot90 ascontiguousarray split array_split hsplit vsplit dsplit unstack asfortranarray "
                "asarray_chkfinite require broadcast_arrays trim_zeros rollaxis matrix_transpose "
                "permute_dims asmatrix real_if_close").split()
# Pure functions that, given numbers and arrays, return one array or NumPy scalar
# (new memory unless also in NUMPY_VIEWS); and the reductions among them.
NUMPY_ARRAYS = "sum mean prod max min amax amin std var dot where clip cumsum cumprod outer " \
                "transpose reshape".split()
TOTAL_REDUCTIONS = "sum mean prod".split()
REDUCTIONS = TOTAL_REDUCTIONS + "max min amax amin std var".split()
# Other pure functions (new memory, whatever they return).
NUMPY_PURE = (
    "vdot inner tensordot einsum matmul concatenate stack hstack vstack column_stack tile repeat "
    "pad diag trace sort take zeros ones zeros_like ones_like full full_like empty empty_like eye "
    "identity arange linspace array copy append argmax argmin argsort any all round around isclose "
    "allclose nansum nanmean nanmax nanmin count_nonzero searchsorted roll tril triu cross kron "
    "median percentile quantile average ptp diff interp convolve correlate logspace geomspace tri "
    "vander array_equal unique bincount histogram floor_divide nonzero flatnonzero shape size ndim "
    "result_type promote_types can_cast iscomplexobj isscalar meshgrid broadcast_arrays split "
    "array_split hsplit vsplit diag_indices tril_indices triu_indices indices ix_ unravel_index "
    "ravel_multi_index").split()
LINALG_ARRAYS = ["norm"]
# NumPy functions returning a tuple or list of arrays (average with returned=True,
# gradient along several axes, atleast_1d of several arrays; otherwise an array):
# their adjoints are containers, merged with add_grad.
NUMPY_SEQUENCES = ("average histogram split array_split hsplit vsplit dsplit gradient atleast_1d atleast_2d "
                   "atleast_3d").split()
# Functions returning a tuple of arrays (SVDResult, ...; svd(compute_uv=False) and
# qr(mode='r') an array): their adjoints are containers, merged with add_grad.
LINALG_SEQUENCES = "slogdet eigh eig svd qr lstsq".split()
# The field names of those that NumPy 2 returns as named tuples (`slogdet(a).logabsdet`).
LINALG_FIELDS = {"slogdet": ("sign", "logabsdet"), "eigh": ("eigenvalues", "eigenvectors"),
                 "eig": ("eigenvalues", "eigenvectors"), "svd": ("U", "S", "Vh"), "qr": ("Q", "R")}
SCIPY_LINALG_SEQUENCES = ["cho_factor"]
LINALG_PURE = ("inv solve det cholesky pinv matrix_power multi_dot matrix_rank slogdet eigh eig svd "
                "qr lstsq eigvalsh eigvals").split()

NUMPY_WRITERS = {
    "copyto": _writer(0, hint="write `dst[...] = src`, or make a new array: `dst = src * 1.0`"),
    "put": _writer(0, hint="write `a.flat[ind] = v` as `a[np.unravel_index(ind, a.shape)] = v`, "
                           "or build a new array"),
    "place": _writer(0, hint="write `a[mask] = v` (one value per True entry), or use np.where"),
    "putmask": _writer(0, hint="write `a = np.where(mask, v, a)`"),
    "fill_diagonal": _writer(0, hint="write `A[np.arange(n), np.arange(n)] = v`, or "
                                     "`A = A + np.diag(v)` on a zero diagonal"),
}
RANDOM_WRITERS = {"shuffle": _writer(0, hint="use `x[rng.permutation(len(x))]`, a new array")}

# --- ufunc methods (`numpy.add.at`, `numpy.add.reduce`, ...) ---------------------------

UFUNC_METHODS = {
    "at": _writer(0, hint="for distinct indices write `a[idx] = a[idx] + v`; for repeated "
                          "indices add `np.bincount(idx, weights=v, minlength=len(a))`"),
    "reduce": ARRAY, "accumulate": ARRAY, "outer": ARRAY, "reduceat": ARRAY,
}

# --- selections ---------------------------------------------------------------------

# Functions that never select: each zero in their result is one their arguments' values
# make (a product with 0), never an entry they leave out or pick against (numpy.where,
# indexing, max, a comparison). Reverse mode guards a product's adjoint only where a
# selection may have zeroed it (srcgrad/optimize/selections.py); anything not listed
# here is taken to select. Float ufuncs are listed apart (`selecting_ufunc`).
NONSELECTING_NUMPY = ("sum mean dot vdot inner outer tensordot einsum matmul transpose reshape ravel "
                      "swapaxes moveaxis squeeze expand_dims broadcast_to concatenate stack hstack vstack "
                      "cumsum ones_like asarray ascontiguousarray tile flip roll trace diagonal").split()
NONSELECTING_RUNTIME = ("unbroadcast unbroadcast_to unreduce broadcast_like masked_product selected_product exponent_tangent "
                        "tangent_ratio pole_ratio matmul_adjoint_left matmul_adjoint_right dot_adjoint_left "
                        "dot_adjoint_right inner_adjoint_left inner_adjoint_right owned shape_of "
                        "reduced_size").split()
NONSELECTING_METHODS = "reshape ravel transpose swapaxes squeeze sum mean dot flatten astype copy cumsum".split()
SELECTING_UFUNCS = "maximum minimum fmax fmin heaviside".split()


def selecting_ufunc(ufunc) -> bool:
    """A ufunc that may select: one named in SELECTING_UFUNCS, or one that is not a float
    function (comparisons and logical functions, whose False is a selection's zero)."""
    floating = any(t.endswith("->d") or t.endswith("->f") for t in ufunc.types)
    return ufunc.__name__ in SELECTING_UFUNCS or not floating


# --- builtins -------------------------------------------------------------------

BUILTINS = {
    builtins.len: PURE, builtins.range: PURE, builtins.float: PURE, builtins.int: PURE,
    builtins.abs: PURE, builtins.min: PURE, builtins.max: PURE, builtins.sum: PURE,
    builtins.list: PURE, builtins.tuple: PURE, builtins.dict: PURE, builtins.bool: PURE,
    builtins.isinstance: PURE, builtins.round: PURE, builtins.pow: PURE, builtins.type: PURE,
    builtins.any: PURE, builtins.all: PURE, builtins.sorted: PURE, builtins.str: PURE,
    builtins.repr: PURE, builtins.hasattr: PURE, builtins.callable: PURE, builtins.slice: PURE,
    builtins.complex: PURE, builtins.divmod: PURE, builtins.set: PURE, builtins.frozenset: PURE,
    builtins.id: PURE, builtins.hash: PURE, builtins.format: PURE,
    # iterators over their argument: they hold it, as a view holds an array
    builtins.zip: Facts(views=ALL), builtins.enumerate: Facts(views=ALL),
    builtins.reversed: Facts(views=ALL), builtins.iter: Facts(views=ALL),
    itertools.product: Facts(views=ALL),
    builtins.print: REPORTING,
}

OPERATORS = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
              operator.neg, operator.pos, operator.matmul, operator.floordiv, operator.mod)
# Operators and builtins that map Python numbers to a Python number (not matmul).
NUMBER_OPERATORS = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
                     operator.neg, operator.pos, operator.mod, operator.floordiv, builtins.abs,
                     builtins.float, builtins.max, builtins.min)

# --- methods of list, dict and ndarray, by name ------------------------------------

_SELF = (0,)  # the receiver is argument 0 of a method
_VIEW_METHODS = "reshape ravel view transpose swapaxes squeeze diagonal __getitem__".split()
TYPE_METHODS = {
    "list": {
        "append": _writer(*_SELF, hint="build a new list: `lst = lst + [v]`"),
        "extend": _writer(*_SELF, hint="build a new list: `lst = lst + other`"),
        "insert": _writer(*_SELF, hint="build a new list: `lst = lst[:i] + [v] + lst[i:]`"),
        "pop": _writer(*_SELF, hint="read `lst[-1]` and slice: `lst = lst[:-1]`"),
        "remove": _writer(*_SELF, hint="build a new list without the item"),
        "clear": _writer(*_SELF, hint="bind a new empty list: `lst = []`"),
        "sort": _writer(*_SELF, hint="for a list use `sorted(lst)`, a new list"),
        "reverse": _writer(*_SELF, hint="use `lst[::-1]`, a new list"),
        "copy": PURE, "index": PURE, "count": PURE, "__len__": PURE,
    },
    "dict": {
        "update": _writer(*_SELF, hint="assign each key: `d[key] = value`"),
        "setdefault": _writer(*_SELF, hint="assign the key: `d[key] = value`"),
        "pop": _writer(*_SELF, hint="read `d[key]` and build a new dict without it"),
        "popitem": _writer(*_SELF, hint="build a new dict"),
        "clear": _writer(*_SELF, hint="bind a new empty dict: `d = {}`"),
        "get": Facts(views=_SELF), "keys": Facts(views=_SELF), "values": Facts(views=_SELF),
        "items": Facts(views=_SELF), "copy": PURE,
    },
    "ndarray": {
        **{m: VIEW for m in _VIEW_METHODS},
        **{m: PURE for m in ("sum mean prod max min std var dot flatten astype copy clip cumsum "
                             "cumprod any all argmax argmin argsort round conj conjugate trace "
                             "repeat take nonzero item tolist").split()},
        **{m: Facts(views=VIEW.views if m in _VIEW_METHODS else (), nonselecting=True)
           for m in NONSELECTING_METHODS},
        "sort": _writer(*_SELF, hint="for an array use `np.sort(a)`, a new array"),
        "fill": _writer(*_SELF, hint="use `np.full_like(a, v)`, a new array"),
        "resize": _writer(*_SELF, hint="use `np.resize(a, shape)`, a new array"),
        "put": NUMPY_WRITERS["put"], "partition": _writer(*_SELF, hint="use `np.partition(a, k)`"),
        "itemset": _writer(*_SELF, hint="write `a[index] = v`"),
        "setfield": _writer(*_SELF, hint="build a new array"),
        "setflags": _writer(*_SELF, hint="leave the array's flags alone"),
    },
}
# Attributes (not calls) of an array that are new values, never views.
FRESH_ATTRIBUTES = frozenset({"shape", "ndim", "size", "dtype", "nbytes", "itemsize"})
VIEW_ATTRIBUTES = frozenset({"T", "real", "imag", "flat", "mT"})


def merge(found: list) -> Facts:
    """The facts true of every one of `found` (one name, several types): the union of
    what they may do."""
    writes = tuple(sorted({w for f in found for w in f.writes}, key=str))
    views = ALL if any(f.views == ALL for f in found) else \
        tuple(sorted({v for f in found for v in f.views}))
    hints = list(dict.fromkeys(f.hint for f in found if f.hint))
    return Facts(pure=all(f.pure for f in found), writes=writes, views=views,
                 array=all(f.array for f in found), reduces=all(f.reduces for f in found),
                 total=all(f.total for f in found), reporting=all(f.reporting for f in found),
                 numbers=all(f.numbers for f in found), elementwise=all(f.elementwise for f in found),
                 template=found[0].template if len({f.template for f in found}) == 1 else None,
                 sequence=any(f.sequence for f in found),
                 nonselecting=all(f.nonselecting for f in found),
                 hint="; or ".join(hints))


METHODS = {name: merge([table[name] for table in TYPE_METHODS.values() if name in table])
           for name in {n for table in TYPE_METHODS.values() for n in table}}


def structure_only(attr: str) -> bool:
    """`value.attr(...)` changes only which values a container holds (append, pop,
    update, ...), never the memory of a value it holds: a list or dict method that
    writes, and no ndarray method has its name."""
    return attr not in TYPE_METHODS["ndarray"] and any(
        attr in TYPE_METHODS[t] and TYPE_METHODS[t][attr].writes for t in ("list", "dict"))


def reads_only(attr: str) -> bool:
    """`value.attr(...)` writes into neither its receiver nor its arguments."""
    found = METHODS.get(attr)
    return found is not None and not found.writes


def method(attr: str) -> Facts | None:
    """Facts of `value.attr(...)` for a value whose type is not known at compile
    time: what any list, dict or ndarray method of that name may do (receiver = 0)."""
    return METHODS.get(attr)


# --- srcgrad's runtime helpers -----------------------------------------------------

# Runtime helpers whose result is always new memory (the others may return an argument).
RUNTIME_FACTS = {n: PURE for n in ("zeros_like", "zeros_like_entry", "owned", "owned_adjoint", "owned_tangent",
                                   "fresh_tape", "copy_slice", "reduced_size", "matmul_adjoint_left", "matmul_adjoint_right",
                                   "unreduce_extreme", "masked_product", "selected_product", "tangent_ratio",
                                   "pole_ratio")}
# the helpers that write into their argument: a dict's entry put back, an adjoint buffer added into
RUNTIME_FACTS["restore_entry"] = _writer(0, hint="srcgrad's own helper: it puts a dict's entry back "
                                                 "in a generated gradient's backward sweep")
RUNTIME_FACTS["scatter_add"] = _writer(0, hint="srcgrad's own helper: it adds into an adjoint buffer "
                                               "in a generated gradient's backward sweep")
# checks that raise or pass: harmless to run twice
RUNTIME_FACTS.update({n: Facts(reporting=True) for n in ("require_scalar", "check_finite", "entries_unshared",
                                                          "real_buffer", "arguments_unshared", "bound_local")})


# Runtime helpers' number and shape facts: Python numbers in, a Python number out
# (and, unbounded, maybe an inf for finite numbers: d(x ** 0.5)/dx at 0); elementwise
# in two operands; an argument read only for its shape; an adjoint of a product summed
# to the product's shape by the helper itself.
RUNTIME_SHAPES = {
    "log_or_zero": {"numbers": True},
    "exponent_tangent": {"numbers": True},
    "masked_product": {"numbers": True, "elementwise": True},
    "selected_product": {"numbers": True, "elementwise": True},
    "tangent_ratio": {"numbers": True, "elementwise": True},
    "pole_ratio": {"numbers": True, "elementwise": True, "unbounded": True},
    "power_derivative": {"numbers": True, "elementwise": True, "unbounded": True},
    "unbroadcast": {"template": 1},
    "unbroadcast_against": {"template": 1},
    "unreduce": {"template": 1},
    "reduced_size": {"template": 0},
    "matmul_adjoint_left": {"sums_adjoint": True},
    "matmul_adjoint_right": {"sums_adjoint": True},
}


def array_runtime(runtime) -> tuple:
    """srcgrad's helpers that, given numbers and arrays, return one array or NumPy scalar."""
    return (runtime.unbroadcast, runtime.unbroadcast_against, runtime.unbroadcast_to, runtime.unreduce, runtime.unreduce_extreme,
            runtime.masked_product, runtime.selected_product, runtime.tangent_ratio, runtime.pole_ratio,
            runtime.power_derivative, runtime.matmul_adjoint_left, runtime.matmul_adjoint_right,
            runtime.reduced_size)
