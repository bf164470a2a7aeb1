"""One way to a derivative's source (issue 13, item 7): `srcgrad.source`, `Derivative.source`,
`srcgrad show` and `srcgrad export` build through `listing.derivative_source`.

After a call, `source(df)` is the code that call ran (checked against the code objects
that ran, read back from linecache); before any call, and in show/export, it is the
version for the argument kinds its header comment names, and `kinds=` / `--kinds`
pick others. The functions are in tests/programs/kinds.py.
"""
import importlib.util
import inspect
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kinds as K
import srcgrad
from srcgrad import cache
from srcgrad.cli import main

PROGRAM = pathlib.Path(__file__).resolve().parent / "programs" / "kinds.py"
X = np.array([0.3, -1.1, 0.8])
W = np.array([1.2, 0.4, -0.7])


def _run(df, *args):
    """df(*args), and the generated code objects that ran (compiled derivatives only)."""
    ran = []

    def profile(frame, event, arg):
        code = frame.f_code
        if event == "call" and code.co_filename.startswith("<srcgrad ") and code.co_name != "<module>":
            ran.append(code)

    sys.setprofile(profile)
    try:
        out = df(*args)
    finally:
        sys.setprofile(None)
    return out, ran


def _numeric(fun, args, index, eps=1e-6):
    """Central differences of a scalar function in argument `index` (a float or an array)."""
    args = list(args)
    x = np.asarray(args[index], dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        args[index] = up if x.shape else float(up)
        f_up = fun(*args)
        args[index] = down if x.shape else float(down)
        grad[i] = (f_up - fun(*args)) / (2 * eps)
    return grad if x.shape else float(grad)


def _header(text: str) -> str:
    return text.split("\n", 1)[0]


@pytest.mark.parametrize("args, header", [
    ((0.3, 1.2), "x=scalar, w=scalar"),
    ((X, W), "x=array, w=array"),
    ((0.3, W), "x=scalar, w=array"),
], ids=["scalars", "arrays", "mixed"])
def test_source_after_a_call_is_the_code_that_ran(args, header):
    df = srcgrad.grad(K.energy, wrt=(0, 1))
    (dx, dw), ran = _run(df, *args)
    np.testing.assert_allclose(dx, _numeric(K.energy, args, 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dw, _numeric(K.energy, args, 1), rtol=1e-6, atol=1e-8)
    assert ran, "no generated code ran"
    shown = srcgrad.source(df, annotate=True, nan_safe=True)
    assert _header(shown) == f"# built for argument kinds: {header}"
    for code in ran:  # the text of each function that ran, as linecache serves it to tracebacks
        assert textwrap.dedent(inspect.getsource(code)) in shown
    compiled = cache.compiled_of(ran[0])
    assert srcgrad.source(df) == df.source == f"# built for argument kinds: {header}\n" + compiled.shown()


def test_source_follows_the_last_call_and_differs_from_the_version_before_any_call():
    df = srcgrad.grad(K.energy, wrt=(0, 1))
    before = srcgrad.source(df)
    assert _header(before) == "# built for argument kinds: x=array, w=array"
    _, ran = _run(df, 0.3, 1.2)
    after_scalars = srcgrad.source(df)
    assert after_scalars != before and textwrap.dedent(inspect.getsource(ran[0])) \
        .replace("\n", "") not in before.replace("\n", "")
    _, ran = _run(df, X, W)
    assert srcgrad.source(df) == before  # the array version: what ran now, and the default
    assert cache.compiled_of(ran[0]).shown() == before.split("\n", 1)[1]


def test_source_before_any_call_names_default_kinds_and_is_what_such_a_call_runs():
    df = srcgrad.grad(K.annotated, wrt="w")
    before = srcgrad.source(df, annotate=True)
    # float/int annotations, default values (a number, None), else an array
    assert _header(before) == "# built for argument kinds: x=scalar, k=scalar, w=array, scale=scalar, mask=other"
    args = (0.7, 3, W, 2.0, None)
    dw, ran = _run(df, *args)
    np.testing.assert_allclose(dw, _numeric(K.annotated, args, 2), rtol=1e-6, atol=1e-8)
    assert ran and all(textwrap.dedent(inspect.getsource(code)) in before for code in ran)
    assert srcgrad.source(df, annotate=True) == before


def test_kinds_picks_another_build_in_python():
    default = srcgrad.source(K.energy, mode="reverse", wrt=(0, 1))
    scalars = srcgrad.source(K.energy, mode="reverse", wrt=(0, 1), kinds="x=scalar,w=scalar")
    assert _header(scalars) == "# built for argument kinds: x=scalar, w=scalar"
    assert scalars != default
    assert srcgrad.source(K.energy, mode="reverse", wrt=(0, 1), kinds={"x": "scalar", "w": "scalar"}) == scalars
    df = srcgrad.grad(K.energy, wrt=(0, 1))
    assert srcgrad.source(df, kinds="x=scalar,w=scalar") == scalars  # before the call that runs it
    _run(df, 0.3, 1.2)
    assert srcgrad.source(df) == scalars
    partial = srcgrad.source(K.energy, mode="forward", wrt="w", kinds="x=scalar")
    assert _header(partial) == "# built for argument kinds: x=scalar, w=array"  # w keeps its default
    split = srcgrad.source(K.energy, mode="split", wrt="w")
    assert "def _energy_forward(x, w):" in split and "def _energy_backward(" in split


@pytest.mark.parametrize("kinds, message", [
    ("x=vector", "'vector' is not an argument kind (for x)"),
    ("z=array", "z is not an argument of energy; its arguments are (x, w)"),
    ("x", "expected NAME=KIND pairs separated by commas, not 'x'"),
    ("x=array,x=scalar", "x is named twice"),
    ("x=other", "x is differentiated (wrt), so its kind cannot be 'other'"),
    (("array",), "give one kind per parameter of energy (x, w)"),
])
def test_bad_kinds_in_python_raise_a_clear_error(kinds, message):
    with pytest.raises(srcgrad.SrcGradError) as error:
        srcgrad.source(K.energy, mode="reverse", wrt="x", kinds=kinds)
    assert message in str(error.value)
    assert str(error.value).startswith(f"kinds {kinds!r}: ")


def test_kinds_do_not_apply_to_a_transform_of_a_derivative():
    with pytest.raises(srcgrad.SrcGradError, match="kinds= applies to the derivative of a plain function"):
        srcgrad.source(srcgrad.grad(srcgrad.grad(K.stepped)), kinds="x=scalar")


# --- the command line ----------------------------------------------------------------


def test_show_names_its_kinds_and_kinds_changes_the_build(capsys):
    assert main(["show", f"{PROGRAM}:energy", "--wrt", "x,w"]) == 0
    default = capsys.readouterr().out
    assert default == srcgrad.source(K.energy, mode="reverse", wrt=("x", "w"))
    assert default.startswith("# built for argument kinds: x=array, w=array\ndef grad_energy(x, w):")
    assert main(["show", f"{PROGRAM}:energy", "--wrt", "x,w", "--kinds", "x=scalar, w=scalar"]) == 0
    scalars = capsys.readouterr().out
    assert scalars != default
    assert scalars == srcgrad.source(K.energy, mode="reverse", wrt=("x", "w"), kinds="x=scalar,w=scalar")
    df = srcgrad.grad(K.energy, wrt=(0, 1))
    _run(df, 0.3, 1.2)
    assert srcgrad.source(df) == scalars  # what `show --kinds` prints is what such a call runs
    assert main(["show", f"{PROGRAM}:stepped", "--mode", "forward", "--kinds", "steps=array"]) == 0
    assert capsys.readouterr().out.startswith("# built for argument kinds: x=array, steps=array\n")


@pytest.mark.parametrize("kinds, message", [
    ("x=vector", "--kinds 'x=vector': 'vector' is not an argument kind (for x)"),
    ("y=array", "--kinds 'y=array': y is not an argument of energy; its arguments are (x, w)"),
    ("x:array", "--kinds 'x:array': expected NAME=KIND pairs separated by commas"),
    ("w=other", "--kinds 'w=other': w is differentiated (wrt), so its kind cannot be 'other'"),
])
@pytest.mark.parametrize("command", ["show", "export"])
def test_bad_kinds_on_the_command_line_exit_2_with_the_kinds_listed(command, kinds, message):
    output = ["-o", "-"] if command == "export" else []
    done = subprocess.run([sys.executable, "-m", "srcgrad", command, f"{PROGRAM}:energy", "--wrt", "x,w",
                           "--kinds", kinds, *output], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith(f"srcgrad: error: {message}")
    if "differentiated" not in message:
        assert "hint: the argument kinds are array: a NumPy array; scalar: a Python float or int;" \
            in done.stderr


def _load(path: pathlib.Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_export_builds_for_the_kinds_it_names(tmp_path, mode, capsys):
    target = tmp_path / f"exported_energy_{mode}.py"
    assert main(["export", f"{PROGRAM}:energy", "--wrt", "x,w", "--mode", mode,
                 "--kinds", "x=scalar,w=scalar", "-o", str(target)]) == 0
    capsys.readouterr()
    text = target.read_text()
    lines = text.splitlines()
    assert lines[1] == "# built for argument kinds: x=scalar, w=scalar"
    assert f"--kinds x=scalar,w=scalar -o {target}" in text  # the command that regenerates it
    built = srcgrad.source(K.energy, mode=mode, wrt=("x", "w"), kinds="x=scalar,w=scalar")
    entry = ("grad_" if mode == "reverse" else "jvp_") + "energy"
    body = built.split("\n", 1)[1]
    assert body.split("\n", 1)[0].startswith(f"def {entry}(x, w")
    assert body.split("\n", 1)[0] in text  # the entry point is the build the header names
    if mode == "reverse":  # (forward mode happens to write the same code for both kinds)
        assert srcgrad.source(K.energy, mode=mode, wrt=("x", "w")).split("\n", 1)[1] != body
    module = _load(target, f"exported_energy_{mode}")
    args = (0.3, 1.2)
    want = (_numeric(K.energy, args, 0), _numeric(K.energy, args, 1))
    if mode == "reverse":
        got = getattr(module, entry)(*args)
    else:
        got = tuple(getattr(module, entry)(*args, x_dot=1.0 * (i == 0), w_dot=1.0 * (i == 1))[1]
                    for i in range(2))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_export_without_kinds_names_the_default_ones(tmp_path, capsys):
    target = tmp_path / "exported_stepped.py"
    assert main(["export", f"{PROGRAM}:stepped", "-o", str(target)]) == 0
    capsys.readouterr()
    lines = target.read_text().splitlines()
    assert lines[1] == "# built for argument kinds: x=array, steps=scalar"
    assert lines[-1] != "" and any("--kinds x=array,steps=scalar" in line for line in lines[:6])
    module = _load(target, "exported_stepped")
    np.testing.assert_allclose(module.grad_stepped(X, 4), _numeric(K.stepped, (X, 4), 0), rtol=1e-6, atol=1e-8)


# --- the layout: the front end reaches the markers, never the public API ------------------


def test_the_front_end_imports_markers_not_the_public_api():
    import ast

    package = pathlib.Path(srcgrad.__file__).parent
    front_end = [package / name for name in ("frontend.py", "fence.py", "analysis/resolve.py", "markers.py")]
    front_end += sorted((package / "normalize").glob("*.py"))
    for path in front_end:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = {node.module or ""} | {alias.name for alias in node.names}
                assert not names & {"api", "srcgrad.api"}, f"{path.name} imports srcgrad.api"
    fence = (package / "fence.py").read_text(encoding="utf-8")
    assert "from .markers import no_grad" in fence


def test_a_pullback_shows_the_pair_that_ran_under_its_kinds():
    value, pullback = srcgrad.vjp(K.energy, 0.3, W, wrt="w")
    assert _header(pullback.source) == "# built for argument kinds: x=scalar, w=array"
    assert pullback.source == srcgrad.source(K.energy, mode="split", wrt="w", kinds="x=scalar")
    np.testing.assert_allclose(pullback(1.0), _numeric(K.energy, (0.3, W), 1), rtol=1e-6, atol=1e-8)
