"""`srcgrad export`: end to end, a standalone module that runs without srcgrad.

Each case is exported with `python -m srcgrad export` (a subprocess, as a
user runs it), then every exported module is imported and run in one more
subprocess where `import srcgrad` fails, and its results are compared with
`srcgrad.grad` / `srcgrad.jvp` in this process: they must be identical.

The functions are in tests/programs/exportable.py.
"""
import pathlib
import pickle
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import exportable as E
import srcgrad

PROGRAM = pathlib.Path(__file__).resolve().parent / "programs" / "exportable.py"
ROOT = pathlib.Path(__file__).resolve().parent.parent

rng = np.random.default_rng(7)
X, W = rng.normal(size=4), rng.normal(size=4)
A = rng.normal(size=(3, 3)) + 3.0 * np.eye(3)  # well conditioned: solve(A, B)
B, M = rng.normal(size=3), rng.normal(size=(2, 3))

# name: (function, --wrt, --mode, positional arguments, tangents for forward mode)
CASES = {
    "straight": (E.straight, "x,w", "reverse", (X, W), None),
    "straight_w_only": (E.straight, "w", "reverse", (X, W), None),
    "looped": (E.looped, "0,1", "reverse", (X, W), None),
    "looped_n": (E.looped, "x", "reverse", (X, W, 6), None),
    "writes": (E.writes, "x,w", "reverse", (X, 0.7), None),
    "helper_calls": (E.one_block, "x,w", "reverse", (X, W), None),
    "nested_helpers": (E.nested_calls, "x,w", "reverse", (X, W), None),
    "special": (E.special, "x", "reverse", (X,), None),
    # a fast path in front of its NaN-safe twin (built for arrays): both are exported,
    # and the twin takes over where exp overflows
    "fast_path": (E.clipped_growth, "x", "reverse", (X,), None),
    "fast_path_twin": (E.clipped_growth, "x", "reverse", (np.array([0.1, 900.0, -2.0]),), None),
    "user_rule": (E.ruled, "x,y", "reverse", (X, W), None),
    "forward": (E.nested_calls, "x,w", "forward", (X, W), (W, X)),
    "forward_one": (E.looped, "w", "forward", (X, W), (None, X)),
    "forward_rule": (E.ruled, "x", "forward", (X, W), (W, None)),
    "across_modules": (E.across_modules, "a,b,x", "reverse", (A, B, M), None),
    "forward_across_modules": (E.across_modules, "a,x", "forward", (A, B, M), (A.T, None, M * M)),
}

RUNNER = textwrap.dedent("""
    import pickle, sys
    sys.modules["srcgrad"] = None  # as if srcgrad were not installed
    try:
        import srcgrad
    except ImportError:
        pass
    else:
        raise SystemExit("srcgrad is importable in the runner")
    out_dir, cases_file, results_file = sys.argv[1:4]
    sys.path[:] = [out_dir] + [p for p in sys.path if p and "programs" not in p]
    import importlib
    cases = pickle.load(open(cases_file, "rb"))
    results = {}
    for name, (entry, args, kwargs) in cases.items():
        module = importlib.import_module("exported_" + name)
        results[name] = getattr(module, entry)(*args, **kwargs)
        assert not any(m == "srcgrad" or m.startswith("srcgrad.")
                       for m, v in sys.modules.items() if v is not None), "srcgrad was imported"
    pickle.dump(results, open(results_file, "wb"))
""")


def _export(target: str, *options: str, cwd=None):
    return subprocess.run([sys.executable, "-m", "srcgrad", "export", target, *options],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """name -> (exported text, the exported module's result)."""
    out = tmp_path_factory.mktemp("exported")
    calls = {}
    texts = {}
    for name, (fn, wrt, mode, args, tangents) in CASES.items():
        target = out / f"exported_{name}.py"
        done = _export(f"{PROGRAM}:{fn.__name__}", "--wrt", wrt, "--mode", mode, "-o", str(target))
        assert done.returncode == 0, done.stderr
        assert f"wrote {target}" in done.stderr
        texts[name] = target.read_text()
        entry = ("jvp_" if mode == "forward" else "grad_") + fn.__name__
        kwargs = {}
        if mode == "forward":
            params = list(fn.__code__.co_varnames[:fn.__code__.co_argcount])
            kwargs = {f"{p}_dot": t for p, t in zip(params, tangents) if t is not None}
        calls[name] = (entry, args, kwargs)
    cases_file, results_file = out / "cases.pkl", out / "results.pkl"
    cases_file.write_bytes(pickle.dumps(calls))
    runner = out / "runner.py"
    runner.write_text(RUNNER)
    done = subprocess.run([sys.executable, str(runner), str(out), str(cases_file), str(results_file)],
                          capture_output=True, text=True, cwd=str(out))
    assert done.returncode == 0, done.stderr
    results = pickle.loads(results_file.read_bytes())
    return {name: (texts[name], results[name]) for name in CASES}


def _expected(name):
    fn, wrt, mode, args, tangents = CASES[name]
    items = tuple(int(w) if w.isdigit() else w for w in wrt.split(","))
    if mode == "forward":
        return srcgrad.jvp(fn, args, tangents)
    return srcgrad.grad(fn, wrt=items if len(items) > 1 else items[0])(*args)


def _assert_identical(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _assert_identical(g, w)
        return
    assert np.shape(got) == np.shape(want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.filterwarnings("ignore:overflow encountered in exp")  # fast_path_twin, in `_expected`
@pytest.mark.parametrize("name", list(CASES))
def test_the_exported_module_gives_the_same_results_without_srcgrad(exported, name):
    _, result = exported[name]
    _assert_identical(result, _expected(name))


@pytest.mark.parametrize("name", list(CASES))
def test_the_exported_module_imports_no_srcgrad_and_names_its_entry_point(exported, name):
    text, _ = exported[name]
    fn, wrt, mode, _, _ = CASES[name]
    assert not re.search(r"^\s*(import|from)\s+srcgrad\b", text, re.M)
    entry = ("jvp_" if mode == "forward" else "grad_") + fn.__name__
    assert f"\ndef {entry}(" in text
    assert f'__all__ = ["{entry}"]' in text
    # every other function or class the module defines is private
    defined = [line.split()[1].split("(")[0].rstrip(":") for line in text.splitlines()
               if line.startswith(("def ", "class "))]
    assert [d for d in defined if not d.startswith("_")] == [entry]
    header = text.splitlines()[0]
    assert header.startswith(f"# Generated by srcgrad {srcgrad.__version__} from ")
    assert f"exportable.py:{fn.__name__}: {mode} mode" in header


def test_the_header_and_imports_are_those_the_original_used(exported):
    text, _ = exported["special"]
    assert "import numpy\n" in text
    assert "import numpy as np\n" in text
    assert "import scipy.special\n" in text
    assert "from scipy.special import expit\n" in text
    text, _ = exported["straight"]
    assert "import math\n" in text and "SCALE = 1.5\n" in text
    assert "with respect to x, w." in text.splitlines()[0]


def test_helper_pairs_and_runtime_helpers_are_copied_once_each(exported):
    text, _ = exported["nested_helpers"]
    for name in ("_block_forward", "_block_backward", "_layer_forward", "_layer_backward",
                 "_unbroadcast", "_add_grad"):
        assert text.count(f"\ndef {name}(") == 1, name
    assert "\ndef unbroadcast(" not in text  # runtime helpers are renamed, private
    text, _ = exported["forward"]
    assert "\ndef _block_jvp(" in text and "\ndef _layer_jvp(" in text
    text, _ = exported["user_rule"]
    assert "\ndef _opaque_vjp(" in text and "@" not in text  # the rule, its decorator dropped


def _defined_in(text: str, name: str) -> str:
    """The text of the module-level function `name` of an exported module."""
    assert text.count(f"\ndef {name}(") == 1, name
    return text.split(f"\ndef {name}(")[1].split("\ndef ")[0].split("\nclass ")[0]


@pytest.mark.parametrize("name", ["across_modules", "forward_across_modules"])
def test_helpers_of_several_runtime_modules_are_copied_with_the_helpers_they_call(exported, name):
    """Each helper is copied from its own module's source: helpers of different modules of
    srcgrad/runtime/, the helpers they call in other modules, and a module's constant as its
    defining statement (it is computed where the exported module runs). The results are
    checked without srcgrad by the tests above."""
    from srcgrad import runtime

    text, _ = exported[name]
    copied = [n for n in re.findall(r"^def _(\w+)\(", text, re.M) if runtime.is_helper(getattr(runtime, n, None))]
    modules = {getattr(runtime, n).__module__ for n in copied}
    assert {"srcgrad.runtime.core", "srcgrad.runtime.linalg", "srcgrad.runtime.reductions"} <= modules, modules
    assert '\n_NUMPY_MAJOR_FOR_SOLVE = int(numpy.__version__.split(".")[0])\n' in text
    assert "\n_SMALL = 4096" in text  # unreduce's threshold, with its comment
    assert "_NUMPY_MAJOR_FOR_SOLVE" in _defined_in(text, "_solve_is_vector")
    assert "_norm_axes(" in _defined_in(text, "_norm_adjoint_helper")  # a private helper it calls
    if name == "across_modules":
        # linalg's solve_adjoint_a calls core's unbroadcast; reductions' cumprod_adjoint_helper,
        # reverse_cumsum (export builds for arrays, `x=array`: `x[0]` needs no container helper)
        assert runtime.solve_adjoint_a.__module__ != runtime.unbroadcast.__module__
        assert "_unbroadcast(" in _defined_in(text, "_solve_adjoint_a")
        assert "_reverse_cumsum(" in _defined_in(text, "_cumprod_adjoint_helper")
        assert "_unbroadcast_to(" in _defined_in(text, "_unbroadcast")
    else:
        # reductions' prod_tangent_helper calls prod_adjoint_helper, which calls unreduce
        assert "_prod_adjoint_helper(" in _defined_in(text, "_prod_tangent_helper")
        assert "_unreduce(" in _defined_in(text, "_prod_adjoint_helper")
        assert "_norm_adjoint_helper(" in _defined_in(text, "_norm_tangent_helper")


def test_export_is_reproducible(tmp_path):
    target = tmp_path / "g.py"
    first = _export(f"{PROGRAM}:nested_calls", "--wrt", "x,w", "-o", str(target))
    assert first.returncode == 0, first.stderr
    text = target.read_text()
    second = _export(f"{PROGRAM}:nested_calls", "--wrt", "x,w", "-o", str(target))
    assert second.returncode == 0, second.stderr
    assert target.read_text() == text
    assert " at 0x" not in text and "20" + "2" not in text.splitlines()[0]  # no addresses, no dates


def test_export_to_standard_output():
    from srcgrad.cli import main
    import io
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["export", f"{PROGRAM}:straight", "-o", "-"]) == 0
    assert "\ndef grad_straight(x, w):" in out.getvalue()


def test_a_global_array_is_refused_with_a_hint(tmp_path):
    done = _export(f"{PROGRAM}:reads_global_array", "-o", str(tmp_path / "g.py"))
    assert done.returncode == 2
    assert "WEIGHTS" in done.stderr and "numpy.ndarray" in done.stderr
    assert "as an argument" in done.stderr
    assert not (tmp_path / "g.py").exists()


def test_export_errors_exit_2(tmp_path):
    done = _export(f"{tmp_path / 'missing.py'}:f", "-o", str(tmp_path / "g.py"))
    assert done.returncode == 2 and "no such file" in done.stderr
    done = _export(f"{PROGRAM}:straight", "--wrt", "q", "-o", str(tmp_path / "g.py"))
    assert done.returncode == 2 and "not an argument of straight" in done.stderr
    done = _export(f"{PROGRAM}:straight", "-o", str(tmp_path / "no" / "dir" / "g.py"))
    assert done.returncode == 2 and "cannot write" in done.stderr


# --- the exporter on its own (in process) -------------------------------------------


def test_export_source_of_a_closure_free_function_in_process():
    from srcgrad.export import export_source

    text = export_source(E.one_block, ("x",), "reverse", origin="exportable.py:one_block")
    namespace = {}
    exec(compile(text, "<exported>", "exec"), namespace)
    np.testing.assert_array_equal(namespace["grad_one_block"](X, W), srcgrad.grad(E.one_block)(X, W))


def test_rename_touches_only_global_references():
    from srcgrad.export import _rename

    text = "def f(a):\n    return helper(a, helper=1).helper + helper\n"
    assert _rename(text, {"helper": "_helper"}) == \
        "def f(a):\n    return _helper(a, helper=1).helper + _helper\n"


def test_a_module_level_constant_runtime_definition_is_copied():
    from srcgrad.export import _Exporter
    from srcgrad import runtime

    exporter = _Exporter(None, "test")
    name = exporter.resolve(runtime.solve_adjoint_helper, "solve_adjoint_helper")
    text = exporter.render("# test\n")
    assert name == "_solve_adjoint_helper"
    namespace = {}
    exec(compile(text, "<exported>", "exec"), namespace)
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, 2.0])
    g = np.array([0.5, -1.0])
    np.testing.assert_allclose(namespace[name](g, a, b), runtime.solve_adjoint_helper(g, a, b))


def test_every_runtime_helper_is_copied_into_a_module_that_runs_without_srcgrad():
    """Whatever module of srcgrad/runtime/ holds it, each helper is copied from its own
    source with everything it reads (helpers of other modules, constants, numpy, math)."""
    from srcgrad import runtime
    from srcgrad.export import _ANY_SRCGRAD_IMPORT, _Exporter

    helpers = sorted(n for n in dir(runtime) if runtime.is_helper(getattr(runtime, n)))
    assert len(helpers) > 100
    copies = {}
    for helper in helpers:
        exporter = _Exporter(None, "test")
        name = exporter.resolve(getattr(runtime, helper), helper)
        text = exporter.render("# test\n")
        assert name == "_" + helper and not _ANY_SRCGRAD_IMPORT.search(text), helper
        namespace = {}
        exec(compile(text, f"<exported {helper}>", "exec"), namespace)
        copies[helper] = namespace[name]
    np.testing.assert_array_equal(copies["unbroadcast"](np.ones((2, 3)), np.ones(3)), [2.0, 2.0, 2.0])
    adjoints = copies["EinsumAdjointTangents"](np.ones(2), "ij,j->i", (np.ones((2, 3)), np.arange(3.0)))
    np.testing.assert_array_equal(adjoints[1], [2.0, 2.0, 2.0])  # a class calling another module's class


# --- examples/inspect_backward.py ------------------------------------------------------


def test_the_inspect_backward_example_prints_every_stage_and_the_export_matches():
    example = ROOT / "examples" / "inspect_backward.py"
    done = subprocess.run([sys.executable, str(example)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in ("def loss(w, b, xs):", "def grad_loss(w, b, xs):", "def _loss_forward(",
                     "def _loss_backward(", "def jvp_loss(w, b, xs, *, w_dot):",
                     "# Generated by srcgrad", "def _cell_backward(", "# identical: True"):
        assert expected in out, expected
    assert out.index("def grad_loss") < out.index("def jvp_loss") < out.index("# Generated by srcgrad")


def test_the_examples_readme_indexes_every_example():
    examples = ROOT / "examples"
    readme = (examples / "README.md").read_text()
    for script in sorted(examples.glob("*.py")):
        assert f"[`{script.name}`]({script.name})" in readme, f"{script.name} is not in examples/README.md"


def test_a_helper_that_raises_names_the_stand_in_error_and_docstrings_are_summaries():
    """`require_scalar` raises srcgrad's error: the copy raises the stand-in class by
    name (no `SrcGradError = _SrcGradError` line), and each copied docstring keeps its
    first paragraph only."""
    from srcgrad import runtime
    from srcgrad.export import _Exporter

    exporter = _Exporter(None, "test")
    name = exporter.resolve(runtime.require_scalar, "require_scalar")
    text = exporter.render("# test\n")
    assert "SrcGradError =" not in text and "import" not in _defined_in(text, name)
    assert "raise _SrcGradError(" in _defined_in(text, name)
    namespace = {}
    exec(compile(text, "<exported>", "exec"), namespace)
    with pytest.raises(namespace["_SrcGradError"], match="scalar output"):
        namespace[name](np.ones(2))
    exporter = _Exporter(None, "test")
    name = exporter.resolve(runtime.tangent_ratio, "tangent_ratio")
    copied = _defined_in(exporter.render("# test\n"), name)
    assert '"""t / denom for a tangent or adjoint `t`, exactly 0 where `t` is 0."""\n' in copied
    assert "Rules of functions" in runtime.tangent_ratio.__doc__ and "Rules of functions" not in copied
