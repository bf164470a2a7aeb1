"""Translation validation: the optimised build of a derivative against the plain one.

`compiler.unoptimized()` builds a derivative with no optimisation pass: the
plain lowering of the function (normalize, reverse or forward, settle,
codegen). Each pass claims to preserve the derivative exactly, up to
rounding; `compare` checks that claim on one function at one point: the
value, the reverse-mode gradient (`grad`, `value_and_grad` and the `vjp`
pullback, which the passes treat differently) and the forward-mode tangent along a fixed random
direction must agree to `RTOL` relative (plus `ATOL` times the size of the
compared values, for entries that cancel to near 0).

The corpora (`corpus()`): every (function, arguments, wrt) case that the
program-corpus tests list (tests/programs/*), the rule cases
(tests/rule_cases), the examples' differentiated functions, and generated
fuzz programs (tests/fuzzgen.py, `fuzz_cases`).
"""
from __future__ import annotations

import ast
import copy
import importlib.util
import inspect
import pathlib
import sys
import types
from dataclasses import dataclass

import numpy as np

import srcgrad
from srcgrad.api import _resolve_wrt
from srcgrad.compiler import unoptimized
from srcgrad.errors import SrcGradError

RTOL = 1e-12
ATOL = 1e-13  # times the largest entry of the compared leaf (and at least 1e-13)

TESTS = pathlib.Path(__file__).resolve().parent
ROOT = TESTS.parent
PROGRAMS = TESTS / "programs"
EXAMPLES = ROOT / "examples"

# test modules whose module-level lists hold (function, arguments, wrt, ...) cases
CASE_MODULES = ("test_control_flow", "test_subscripts_and_containers", "test_user_calls",
                "test_transforms", "test_higher_order", "test_squares")


@dataclass
class Case:
    id: str
    fn: object
    args: tuple
    wrt: object = 0
    modes: tuple = ("reverse", "forward")


class Disagreement(AssertionError):
    pass


# --- comparing the two builds ----------------------------------------------------------

def _leaves(tree) -> list:
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree, key=str) for leaf in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [np.asarray(tree, dtype=float)]


def _agree(what: str, optimised, plain, names=("optimised", "plain")) -> None:
    """`optimised` and `plain` (the builds `names` names) agree leaf by leaf."""
    first, second = names
    a, b = _leaves(optimised), _leaves(plain)
    if len(a) != len(b):
        raise Disagreement(f"{what}: {len(a)} leaves in the {first} build, {len(b)} in the {second} one")
    for i, (x, y) in enumerate(zip(a, b)):
        if x.shape != y.shape:
            raise Disagreement(f"{what}, leaf {i}: shape {x.shape} ({first}) vs {y.shape} ({second})")
        scale = float(np.max(np.abs(y[np.isfinite(y)]), initial=1.0))
        if not np.allclose(x, y, rtol=RTOL, atol=ATOL * scale, equal_nan=True):
            worst = np.max(np.abs(x - y))
            raise Disagreement(f"{what}, leaf {i}: {first} {x!r}\n  {second} {y!r}\n  (largest difference "
                               f"{worst:.3g})")


def _tangent(a, rng):
    if isinstance(a, np.ndarray):
        return rng.standard_normal(a.shape)
    if isinstance(a, dict):
        return {k: _tangent(v, rng) for k, v in a.items()}
    if isinstance(a, (list, tuple)):
        return type(a)(_tangent(v, rng) for v in a)
    return float(rng.standard_normal())


def _builds(run):
    """(optimised result, plain result) of `run()`, or "rejected" when both builds
    reject the function with a SrcGradError."""
    out = []
    for optimise in (True, False):
        try:
            if optimise:
                out.append(run())
            else:
                with unoptimized():
                    out.append(run())
        except SrcGradError as exc:
            out.append(exc)
    rejected = [isinstance(o, SrcGradError) for o in out]
    if all(rejected):
        return "rejected"
    if any(rejected):
        which = "optimised" if rejected[0] else "plain"
        raise Disagreement(f"only the {which} build rejects the function: {out[0 if rejected[0] else 1]}")
    return out


def _split(fn, args, wrt):
    value, pullback = srcgrad.vjp(fn, *args, wrt=wrt)
    return value, pullback(1.0)


def compare(fn, args, wrt=0, modes=("reverse", "forward")) -> str:
    """'ok' when both builds agree, 'rejected' when both reject; else raise Disagreement."""
    fresh = lambda: copy.deepcopy(tuple(args))  # noqa: E731 -- the builds must not see each other's writes
    names, _ = _resolve_wrt(fn, wrt)
    with np.errstate(all="ignore"):
        value = fn(*fresh())
        rejected = 0
        if "reverse" in modes:
            pair = _builds(lambda: srcgrad.value_and_grad(fn, wrt=wrt)(*fresh()))
            if pair == "rejected":
                rejected += 1
            else:
                (v1, g1), (v2, g2) = pair
                _agree("value (value_and_grad)", v1, value)
                _agree("value (value_and_grad, plain)", v2, value)
                _agree("gradient (value_and_grad)", g1, g2)
                g3 = srcgrad.grad(fn, wrt=wrt)(*fresh())
                _agree("gradient (grad)", g3, g2)
                pair = _builds(lambda: _split(fn, fresh(), wrt))
                if pair == "rejected":
                    raise Disagreement("both builds of vjp reject what grad accepts")
                (v1, s1), (v2, s2) = pair
                _agree("value (vjp)", v1, value)
                _agree("value (vjp, plain)", v2, value)
                _agree("gradient (vjp pullback)", s1, s2)
                _agree("gradient (vjp pullback vs grad)", s2, g2)
        if "forward" in modes:
            params = list(inspect.signature(fn).parameters)
            positions = [params.index(n) for n in names]
            if all(p < len(args) for p in positions):
                rng = np.random.default_rng(len(params))
                primals = fresh()
                tangents = [_tangent(a, rng) if i in positions else None for i, a in enumerate(primals)]
                pair = _builds(lambda: srcgrad.jvp(fn, fresh(), copy.deepcopy(tangents)))
                if pair == "rejected":
                    rejected += 1
                else:
                    (v1, t1), (v2, t2) = pair
                    _agree("value (jvp)", v1, value)
                    _agree("value (jvp, plain)", v2, value)
                    _agree("tangent (jvp)", t1, t2)
    return "rejected" if rejected else "ok"


# --- the corpora -----------------------------------------------------------------------

def _from_source_file(fn, root: pathlib.Path) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and pathlib.Path(code.co_filename).resolve().is_relative_to(root)


def program_cases() -> list[Case]:
    """The cases the program-corpus tests list, found in their module-level lists."""
    for path in (str(TESTS), str(PROGRAMS)):
        if path not in sys.path:
            sys.path.insert(0, path)
    out, seen = [], set()
    for name in CASE_MODULES:
        module = sys.modules.get(name) or importlib.import_module(name)
        for attr, table in sorted(vars(module).items()):
            if not isinstance(table, (list, tuple)):
                continue
            for i, row in enumerate(table):
                case = _as_case(row, f"{name}.{attr}[{i}]")
                if case is not None and (id(case.fn), repr(case.args), repr(case.wrt)) not in seen:
                    seen.add((id(case.fn), repr(case.args), repr(case.wrt)))
                    out.append(case)
    return out


def _as_case(row, where: str):
    row = getattr(row, "values", row)  # a pytest.param
    if not isinstance(row, tuple) or len(row) < 2 or not inspect.isfunction(row[0]):
        return None
    fn = row[0]
    if not (_from_source_file(fn, TESTS)):
        return None
    args = row[1] if isinstance(row[1], tuple) else (row[1],)
    wrt = row[2] if len(row) > 2 and isinstance(row[2], (int, str, tuple)) else 0
    try:
        inspect.signature(fn).bind(*args)
        _resolve_wrt(fn, wrt)
    except (TypeError, SrcGradError):
        return None
    return Case(f"{where}:{fn.__name__}", fn, args, wrt)


def rule_cases() -> list[Case]:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from rule_cases import CASES

    return [Case(f"rule_cases:{c.id}", c.fn, c.args, c.wrt if len(c.wrt) > 1 else c.wrt[0], tuple(c.modes))
            for c in CASES]


def _defs_only(path: pathlib.Path):
    """The module at `path` with only its imports and function definitions run
    (an example script trains a model at import)."""
    tree = ast.parse(path.read_text(), str(path))
    tree.body = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
    name = f"_defs_of_{path.stem}"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    exec(compile(tree, str(path), "exec"), module.__dict__)  # noqa: S102 -- the project's own examples
    return module


def example_cases() -> list[Case]:
    """The functions the examples differentiate, at small inputs."""
    rng = np.random.default_rng(3)
    r = rng.standard_normal
    out = []

    def add(stem, fname, args, wrt=0):
        module = _defs_only(EXAMPLES / f"{stem}.py")
        out.append(Case(f"examples/{stem}.py:{fname}", getattr(module, fname), args, wrt))

    add("quickstart", "loss", (10.0,))
    add("quickstart", "nll", (r(5), 0.3, r((7, 5)), (r(7) > 0).astype(float)), ("w", "b"))
    onehot = np.eye(10)[rng.integers(0, 10, 6)]
    params = {"W1": 0.3 * r((8, 4)), "b1": 0.1 * r(4), "W2": 0.3 * r((4, 10)), "b2": 0.1 * r(10)}
    add("image_classifier", "loss", (params, r((6, 8)), onehot), "params")
    add("inspect_backward", "loss", (0.7, -0.2, r((5, 3))), ("w", "b"))
    add("inspect_backward", "cell", (r(3), r(3), 0.7, -0.2), (0, 1, 2, 3))
    w, x, t = r(3), r((6, 3)), r(6)
    for fname in ("loss", "loss_fully_traced"):
        add("no_grad_and_detach", fname, (w, x, t))
    add("no_grad_and_detach", "loss_scale_as_argument", (w, x, t, 1.7))
    for fname in ("f", "f_stop_gradient", "square"):
        add("no_grad_and_detach", fname, (3.0,))
    ts = np.linspace(0.0, 10.0, 12)
    add("optimize_scipy", "loss", (np.array([2.0, 0.8, 5.0, 0.3]), ts, np.sin(ts)))
    add("optimize_scipy", "model", (np.array([2.0, 0.8, 5.0, 0.3]), 1.5))
    rnn = {"W": 0.3 * r((4, 4)), "U": r(4), "b": 0.1 * r(4), "V": r(4), "c": 0.2}
    add("rnn_forecast", "loss", (rnn, r(9)), "params")
    return out


def fuzz_cases(seeds, families=()) -> list[Case]:
    """Generated programs (tests/fuzzgen.py, with a share of the construct
    `families` of tests/fuzzfamilies.py) that run at their inputs."""
    import fuzzgen

    out = []
    for seed in seeds:
        prog = fuzzgen.program_from_seed(seed, families)
        module = fuzzgen.load(prog.source)
        try:
            with np.errstate(all="raise"):
                value = module.f(*fuzzgen._copy(prog.args))
        except Exception:  # noqa: BLE001 -- a program the generator got wrong: not a case
            continue
        if np.ndim(value) == 0 and np.isfinite(value):
            family = f" ({prog.family})" if prog.family else ""
            out.append(Case(f"fuzz seed {seed}{family}", module.f, tuple(prog.args), prog.wrt))
    return out


def corpus(fuzz_seeds=range(0)) -> list[Case]:
    return program_cases() + rule_cases() + example_cases() + fuzz_cases(fuzz_seeds)
