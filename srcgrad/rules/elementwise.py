"""The elementwise functions, shared by `math` and NumPy: one row each.

A row names the function in each namespace and writes its derivative once, as
an expression in the argument `x` and the result `z`:

    Row("sqrt", numpy.sqrt, math.sqrt, divisor="2.0 * z", at={0.0: inf})

says z = sqrt(x) has z' = 1 / (2 z), and that at x = 0, where that divisor
vanishes, the derivative is +inf. `factor=` gives z' itself instead. A leading
minus (`factor="-sin(x)"`, `divisor="-sqrt(1.0 - x * x)"`) goes on the adjoint.
The functions a derivative calls (`sqrt`, `sin`, `cos`, `sinh`, `cosh`, `exp`,
`sign`) are spelled by each namespace (`numpy.sqrt`, `math.sqrt`).

Each rule file turns the rows into its adjoint and tangent templates with its
`Namespace`, which says how a derivative is guarded there:

- a `divisor` that vanishes at one of the row's points `at` (sqrt and log at 0,
  arcsin at 1) divides through `pole_ratio`, which gives the signed inf there
  and keeps a zero adjoint or tangent zero (0 * inf = 0: the entries
  numpy.where did not select), on arrays and Python numbers alike. A namespace
  needs it only where its function is defined at such a point
  (`math.sqrt(0.0)`, every NumPy function); where it raises (`math.log(0.0)`),
  the forward sweep raises first and the plain `/` stays;
- a `factor` that is infinite where the result is (`overflows`: exp, cosh)
  multiplies an adjoint through the namespace's product guard, for the same
  zero. `math` has none: its functions raise OverflowError instead. A tangent
  needs none: its factor is infinite only where the result itself is;
- `at` also records conventions at kinks (`abs'(0) = 0`, from `sign`).

Functions of two arguments are rows of the second table, `PAIRS`: a `Pair`
writes, for each argument, its share of an incoming derivative `g`, once, as
an expression in g, the arguments `x1`, `x2` and the result `z` (and the
`local` names computed before the shares):

    Pair("arctan2", numpy.arctan2, math.atan2, local=(("r2", "x1 * x1 + x2 * x2"),),
         shares=("pole_ratio(g, r2) * x2", "pole_ratio(-g, r2) * x1"))

The adjoint of x1 is its share of `g = d[z]`, the tangent of z the share of
`g = d[x1]`: a share is linear in g. NumPy undoes broadcasting in an adjoint
(`unbroadcast(share, x1)`) and gives a tangent z's shape where the share
cannot have it (`broadcast_like(d[x1], z)` for fmod's x1); `math` writes the
share as it is, on Python floats. A share is written once for both
namespaces, so it must work on floats and arrays alike: a guard in it is
either a runtime helper that does (`pole_ratio`, `choice_share`,
`radial_share`), or plain arithmetic (`x1 + (x1 == 0)`). At their special
points both namespaces therefore give the same value: atan2 at the origin NaN
(the angle jumps; a zero adjoint stays zero through `pole_ratio`), hypot at
the origin 0 (the 2-norm's convention, its Hessian there 0 too),
copysign at x1 = 0 the derivative 0 (abs'(0) = 0); ties in maximum and
minimum split evenly, as SPEC section 7 says, and a NaN result of a choice
(maximum of a NaN) has NaN derivatives. `at` records these values.
A share of None: a position with zero derivative (copysign's sign argument),
checked by a zero case. numpy.where and numpy.clip are not pairs: they have
no `math` twin, and a non-differentiable condition or optional bounds.

tests/test_rules_elementwise.py reads both tables: every row needs a rule case
in each of its namespaces, and every point in `at` is checked in both modes and
both namespaces. docs/rules.md shows how to add a row.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from math import inf, nan

import numpy

from srcgrad.runtime import (broadcast_like, choice_share, masked_product, pole_ratio, radial_share, sign_of,
                             sinc_derivative, unbroadcast)
from srcgrad.templates import d, from_text

from . import registry


@dataclass(frozen=True)
class Row:
    """One elementwise function: its objects per namespace and its derivative."""

    name: str
    numpy: object = None          # a NumPy function, a tuple of them, or None
    math: object = None           # the `math` function, or None
    factor: str | None = None     # z' as an expression in x and z
    divisor: str | None = None    # or z' = 1 / divisor
    overflows: bool = False       # factor is infinite where z is (exp(x) for large x)
    at: dict = field(default_factory=dict)  # x -> z' where the formula has none, or a kink

    def primitives(self, module: str) -> tuple:
        """The distinct objects of this row in `module` ("numpy" or "math")."""
        found = getattr(self, module)
        found = found if isinstance(found, tuple) else () if found is None else (found,)
        return tuple(p for i, p in enumerate(found) if not any(p is q for q in found[:i]))


ROWS = (
    # exponentials and logarithms (math.log takes a base: its rule is in math.py)
    Row("exp", numpy.exp, math.exp, factor="z", overflows=True),
    Row("exp2", numpy.exp2, factor="z * math.log(2.0)", overflows=True),
    Row("expm1", numpy.expm1, math.expm1, factor="z + 1.0", overflows=True),
    Row("log", numpy.log, divisor="x", at={0.0: inf}),
    Row("log2", numpy.log2, math.log2, divisor="x * math.log(2.0)", at={0.0: inf}),
    Row("log10", numpy.log10, math.log10, divisor="x * math.log(10.0)", at={0.0: inf}),
    Row("log1p", numpy.log1p, math.log1p, divisor="1.0 + x", at={-1.0: inf}),
    # powers and roots
    Row("sqrt", numpy.sqrt, math.sqrt, divisor="2.0 * z", at={0.0: inf}),
    Row("cbrt", numpy.cbrt, divisor="3.0 * z * z", at={0.0: inf}),
    Row("square", numpy.square, factor="2.0 * x"),
    Row("reciprocal", numpy.reciprocal, factor="-(z * z)", overflows=True, at={0.0: -inf}),
    # trigonometric and hyperbolic
    Row("sin", numpy.sin, math.sin, factor="cos(x)"),
    Row("cos", numpy.cos, math.cos, factor="-sin(x)"),
    Row("tan", numpy.tan, math.tan, factor="1.0 + z * z"),
    Row("arcsin", numpy.arcsin, math.asin, divisor="sqrt(1.0 - x * x)", at={-1.0: inf, 1.0: inf}),
    Row("arccos", numpy.arccos, math.acos, divisor="-sqrt(1.0 - x * x)", at={-1.0: -inf, 1.0: -inf}),
    Row("arctan", numpy.arctan, math.atan, divisor="1.0 + x * x"),
    Row("sinh", numpy.sinh, math.sinh, factor="cosh(x)", overflows=True),
    Row("cosh", numpy.cosh, math.cosh, factor="sinh(x)", overflows=True),
    Row("tanh", numpy.tanh, math.tanh, factor="1.0 - z * z"),
    Row("arcsinh", numpy.arcsinh, math.asinh, divisor="sqrt(x * x + 1.0)"),
    Row("arccosh", numpy.arccosh, math.acosh, divisor="sqrt(x * x - 1.0)", at={1.0: inf}),
    Row("arctanh", numpy.arctanh, math.atanh, divisor="1.0 - x * x", at={-1.0: inf, 1.0: inf}),
    Row("degrees", (numpy.degrees, numpy.rad2deg), math.degrees, factor="57.29577951308232"),
    Row("radians", (numpy.radians, numpy.deg2rad), math.radians, factor="0.017453292519943295"),
    # the rest (2 / sqrt(pi) = 1.128...)
    Row("absolute", (numpy.absolute, numpy.abs, numpy.fabs), math.fabs, factor="sign(x)", at={0.0: 0.0}),
    Row("sinc", numpy.sinc, factor="sinc_derivative(x, z)"),
    Row("erf", None, math.erf, factor="1.1283791670955126 * exp(-x * x)"),
    Row("erfc", None, math.erfc, factor="-(1.1283791670955126 * exp(-x * x))"),
)



@dataclass(frozen=True)
class Pair:
    """One elementwise function of two arguments, z = f(x1, x2): its objects per
    namespace, and each argument's share of an incoming derivative `g`."""

    name: str
    numpy: object = None          # a NumPy function, a tuple of them, or None
    math: object = None           # the `math` function, or None
    shares: tuple = ()            # (x1's, x2's): expressions in g, x1, x2, z; None: zero
    local: tuple = ()             # (name, expression) pairs the shares read, computed first
    at: dict = field(default_factory=dict)  # (x1, x2) -> (dz/dx1, dz/dx2) at a pole, kink or tie

    primitives = Row.primitives


PAIRS = (
    # the angle of (x2, x1): no derivative at the origin (NaN), where pole_ratio keeps a zero g zero
    Pair("arctan2", numpy.arctan2, math.atan2, local=(("r2", "x1 * x1 + x2 * x2"),),
         shares=("pole_ratio(g, r2) * x2", "pole_ratio(-g, r2) * x1"), at={(0.0, 0.0): (nan, nan)}),
    # the 2-norm of (x1, x2): x1 / z, and 0 at the origin (gradient and Hessian 0, as the norm's)
    Pair("hypot", numpy.hypot, math.hypot, shares=("radial_share(g, x1, z)", "radial_share(g, x2, z)"),
         at={(0.0, 0.0): (0.0, 0.0)}),
    Pair("logaddexp", numpy.logaddexp, shares=("g * exp(x1 - z)", "g * exp(x2 - z)")),
    Pair("logaddexp2", numpy.logaddexp2, shares=("g * exp2(x1 - z)", "g * exp2(x2 - z)")),
    # |x1| sign(x2): sign(x1) sign(x2) for x1 (0 at x1 = 0, as abs'(0)); piecewise constant in x2
    Pair("copysign", numpy.copysign, math.copysign, shares=("g * z / (x1 + (x1 == 0))", None),
         at={(0.0, 1.0): (0.0, 0.0), (0.0, -1.0): (0.0, 0.0)}),
    # x1 - q x2 with q an integer, constant between its jumps: -q = (z - x1) / x2
    Pair("fmod", numpy.fmod, math.fmod, shares=("g", "g * (z - x1) / x2")),
    # a choice between x1 and x2: ties split evenly (SPEC section 7); a NaN result (maximum and
    # minimum of a NaN, fmax and fmin of two) has NaN derivatives; fmax and fmin of one NaN pass
    # g to the other side, the result
    Pair("maximum", numpy.maximum, shares=("choice_share(g, x1, x2, z)", "choice_share(g, x2, x1, z)"),
         at={(1.0, 1.0): (0.5, 0.5), (nan, 1.0): (nan, nan), (1.0, nan): (nan, nan)}),
    Pair("minimum", numpy.minimum, shares=("choice_share(g, x1, x2, z)", "choice_share(g, x2, x1, z)"),
         at={(1.0, 1.0): (0.5, 0.5), (nan, 1.0): (nan, nan), (1.0, nan): (nan, nan)}),
    Pair("fmax", numpy.fmax, shares=("choice_share(g, x1, x2, z)", "choice_share(g, x2, x1, z)"),
         at={(1.0, 1.0): (0.5, 0.5), (1.0, nan): (1.0, 0.0), (nan, 1.0): (0.0, 1.0), (nan, nan): (nan, nan)}),
    Pair("fmin", numpy.fmin, shares=("choice_share(g, x1, x2, z)", "choice_share(g, x2, x1, z)"),
         at={(1.0, 1.0): (0.5, 0.5), (1.0, nan): (1.0, 0.0), (nan, 1.0): (0.0, 1.0), (nan, nan): (nan, nan)}),
)

@dataclass(frozen=True)
class Namespace:
    """How one namespace's rules spell and guard the table's derivatives."""

    module: str         # "numpy" or "math": the row field, and the prefix of `sqrt`, `sin`, ...
    product: str | None  # the guard of a factor that overflows, or None for a plain `*`
    spelled: dict       # other functions a derivative calls: name -> format of the call

    def call(self, name: str, arg: str) -> str:
        """The text of `name(arg)` in this namespace."""
        if name in self.spelled:
            return self.spelled[name].format(arg)
        return f"{self.module}.{name}({arg})"


_FUNCTIONS = {"sqrt", "sin", "cos", "sinh", "cosh", "exp", "exp2", "sign"}  # spelled per namespace

# The template globals: what a generated template's free names mean.
_GLOBALS = {"d": d, "math": math, "numpy": numpy, "masked_product": masked_product,
            "pole_ratio": pole_ratio, "sinc_derivative": sinc_derivative, "choice_share": choice_share,
            "sign_of": sign_of, "radial_share": radial_share,
            "unbroadcast": unbroadcast, "broadcast_like": broadcast_like}


def register(namespace: Namespace) -> None:
    """Register the adjoint and tangent rule of every row of both tables that has
    `namespace`'s function."""
    for table, lines_of, params in ((ROWS, rule_lines, "z, x"), (PAIRS, pair_lines, "z, x1, x2")):
        for row in table:
            primitives = row.primitives(namespace.module)
            if not primitives:
                continue
            adjoint_lines, tangent_lines = lines_of(row, namespace)
            registry.adjoint(*primitives)(_template(row, namespace, "adjoint", adjoint_lines, params))
            registry.tangent(*primitives)(_template(row, namespace, "tangent", tangent_lines, params))


def rule_lines(row: Row, namespace: Namespace) -> tuple[str, str]:
    """The adjoint's and the tangent's one line for `row` in `namespace`:
    `d[x] = ...` and `d[z] = ...`."""
    negative, expr, top = _spelled(row.factor if row.factor is not None else row.divisor, namespace)
    minus = "-" if negative else ""
    if row.factor is not None:
        plain = expr if top in _BINDS_AS_FACTOR else f"({expr})"
        guarded = row.overflows and namespace.product is not None
        adjoint = f"{namespace.product}({minus}d[z], {expr})" if guarded else f"{minus}d[z] * {plain}"
        return f"d[x] = {adjoint}", f"d[z] = {minus}d[x] * {plain}"
    if _needs_ratio(row, namespace):
        return f"d[x] = pole_ratio({minus}d[z], {expr})", f"d[z] = pole_ratio({minus}d[x], {expr})"
    plain = expr if top in _BINDS_AS_DIVISOR else f"({expr})"
    return f"d[x] = {minus}d[z] / {plain}", f"d[z] = {minus}d[x] / {plain}"


def pair_lines(pair: Pair, namespace: Namespace) -> tuple[list, list]:
    """The adjoint's and the tangent's lines for `pair` in `namespace`: the locals,
    then `d[x1] = ...` per argument, and `d[z] = ...` per argument."""
    local = [f"{name} = {_written(text, namespace)}" for name, text in pair.local]
    reads_of = {name: _names(text) for name, text in pair.local}
    adjoint, tangent = list(local), list(local)
    for arg, share in zip(("x1", "x2"), pair.shares):
        if share is None:
            continue
        reads = set().union(*(reads_of.get(n, {n}) for n in _names(share)))
        of_adjoint, of_tangent = _written(share, namespace, "d[z]"), _written(share, namespace, f"d[{arg}]")
        if namespace.module == "numpy":
            of_adjoint = f"unbroadcast({of_adjoint}, {arg})"
            if "z" not in reads and not {"x1", "x2"} <= reads:  # the share has only x1's shape
                of_tangent = f"broadcast_like({of_tangent}, z)"
        adjoint.append(f"d[{arg}] = {of_adjoint}")
        tangent.append(f"d[z] = {of_tangent}")
    return adjoint, tangent


def _names(text: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}


# Expressions that need no parentheses after `d * ` (left-associative: `d * a / b`)
# or after `d / `: the node types at their top.
_BINDS_AS_DIVISOR = {ast.Name, ast.Constant, ast.Call, ast.Attribute, ast.Subscript}
_BINDS_AS_FACTOR = _BINDS_AS_DIVISOR | {ast.Mult, ast.Div}


def _spelled(text: str, namespace: Namespace) -> tuple[bool, str, type]:
    """(whether `text` is negated, its text without the minus in `namespace`'s
    spelling, the type of its top node: an operator's for a binary operation)."""
    tree = ast.parse(text, mode="eval").body
    negative = isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub)
    if negative:
        tree = tree.operand
    tree = _Spell(namespace).visit(tree)
    top = type(tree.op) if isinstance(tree, ast.BinOp) else type(tree)
    return negative, ast.unparse(tree), top


def _written(text: str, namespace: Namespace, g: str | None = None) -> str:
    """`text` in `namespace`'s spelling, the incoming derivative `g` written as `g` says."""
    return ast.unparse(_Spell(namespace, g).visit(ast.parse(text, mode="eval").body))


class _Spell(ast.NodeTransformer):
    """`sqrt(a)` as the namespace calls it (`numpy.sqrt(a)`); the name `g` as `g` (`d[z]`)."""

    def __init__(self, namespace: Namespace, g: str | None = None):
        self.namespace, self.g = namespace, g

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
            (arg,) = node.args
            return ast.parse(self.namespace.call(node.func.id, ast.unparse(arg)), mode="eval").body
        return node

    def visit_Name(self, node):
        return ast.parse(self.g, mode="eval").body if node.id == "g" and self.g is not None else node


def _needs_ratio(row: Row, namespace: Namespace) -> bool:
    """Whether the divisor of `row` vanishes where `namespace`'s function is defined."""
    return any(_defined(fn, point) for fn in row.primitives(namespace.module) for point in row.at)


def _defined(fn, x: float) -> bool:
    try:
        with numpy.errstate(all="ignore"):
            fn(x)
    except (ValueError, OverflowError, ZeroDivisionError):  # math's domain errors
        return False
    return True


def _template(row, namespace: Namespace, mode: str, lines, params: str):
    """A template function `def <name>_<mode>(<params>)` of `lines` (one line or a
    list), with source that `inspect` finds (linecache)."""
    return from_text(f"{row.name}_{mode}", params, [lines] if isinstance(lines, str) else lines, _GLOBALS,
                     f"srcgrad/rules/elementwise.py:{namespace.module} {row.name} {mode}")
