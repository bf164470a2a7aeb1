"""The numba backend (issue 17): backend= on the transforms, the boundary, refusals, staleness.

Each derivative here is compared with the Python backend's on the same
arguments (to 1e-12 relative) and, for the benchmark workloads, with the
hand-written gradient. The translation validation of the backend over the
corpora is tests/test_native_translation.py.
"""
import fractions
import math
import re
import sys

import numpy as np
import pytest

import srcgrad

numba = pytest.importorskip("numba")

DT = 0.01
STEPS = 50


def pendulum(g, length, damping):
    theta = 1.0
    omega = 0.0
    for _ in range(STEPS):
        alpha = -(g / length) * math.sin(theta) - damping * omega
        theta = theta + DT * omega
        omega = omega + DT * alpha
    return theta * theta + 0.5 * omega * omega


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def spring(k, c, n):
    dt = 0.01
    xs = np.zeros(n + 1)
    vs = np.zeros(n + 1)
    xs[0] = 1.0
    for i in range(n):
        a = -k * xs[i] - c * vs[i]
        vs[i + 1] = vs[i] + dt * a
        xs[i + 1] = xs[i] + dt * vs[i + 1]
    return np.sum(xs ** 2)


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=1e-300)


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "native-cache"))


def test_scalar_loop_matches_python_and_says_numba_ran():
    df = srcgrad.grad(pendulum, wrt=(0, 1, 2), backend="numba")
    got = df(9.81, 1.3, 0.4)
    want = srcgrad.grad(pendulum, wrt=(0, 1, 2))(9.81, 1.3, 0.4)
    assert df.backend == "numba"
    assert all(type(g) is float for g in got)
    assert close(got, want)


def test_a_list_of_floats_is_passed_as_an_array_and_its_gradient_comes_back_a_list():
    x = [0.3, -0.5, 1.2, 0.7, 2.0]
    df = srcgrad.grad(rosenbrock, backend="numba")
    got = df(x)
    assert type(got) is list and all(type(v) is float for v in got)
    assert close(got, srcgrad.grad(rosenbrock)(x))
    assert x == [0.3, -0.5, 1.2, 0.7, 2.0]
    arr = np.array(x)
    assert close(df(arr), got) and type(df(arr)) is np.ndarray


def test_value_and_grad_with_a_list_gives_the_value_and_a_list():
    x = [0.3, -0.5, 1.2]
    value, grad = srcgrad.value_and_grad(rosenbrock, backend="numba")(x)
    assert value == pytest.approx(rosenbrock(x), rel=1e-13)
    assert type(grad) is list and close(grad, srcgrad.grad(rosenbrock)(x))


def test_arrays_filled_in_place_in_a_loop():
    df = srcgrad.grad(spring, wrt=(0, 1), backend="numba")
    got = df(1.0, 0.1, 300)
    assert df.backend == "numba"
    assert close(got, srcgrad.grad(spring, wrt=(0, 1))(1.0, 0.1, 300), rtol=1e-11)


def test_jvp_in_the_numba_backend():
    value, tangent = srcgrad.jvp(pendulum, (9.81, 1.3, 0.4), (1.0, 0.5, 0.0), backend="numba")
    want_value, want_tangent = srcgrad.jvp(pendulum, (9.81, 1.3, 0.4), (1.0, 0.5, 0.0))
    assert close(value, want_value) and close(tangent, want_tangent)


def loss_of_params(params, X):
    return np.sum(np.tanh(X @ params["W"]))


def test_auto_runs_python_where_numba_refuses_and_says_why():
    params, X = {"W": np.ones((2, 2)) * 0.3}, np.arange(6.0).reshape(3, 2) / 6
    df = srcgrad.grad(loss_of_params, backend="auto")
    got = df(params, X)
    assert df.backend == "python"
    assert isinstance(df.refusal, srcgrad.SrcGradError)
    assert close(got["W"], srcgrad.grad(loss_of_params)(params, X)["W"])


def test_numba_refuses_with_the_users_line():
    df = srcgrad.grad(loss_of_params, backend="numba")
    with pytest.raises(srcgrad.SrcGradError) as info:
        df({"W": np.ones((2, 2))}, np.ones((3, 2)))
    assert "numba" in str(info.value) and "'params' is a dict" in str(info.value)
    assert info.value.location is not None and info.value.location.lineno == loss_of_params.__code__.co_firstlineno


def uses_a_helper_numba_lacks(x):
    return np.sum(np.sort(x) * np.arange(3.0))


def test_a_helper_numba_has_no_version_of_is_refused_at_the_line_calling_for_it():
    with pytest.raises(srcgrad.SrcGradError, match="no compiled version of srcgrad's runtime helper") as info:
        srcgrad.grad(uses_a_helper_numba_lacks, backend="numba")(np.array([3.0, 1.0, 2.0]))
    assert info.value.location.lineno == uses_a_helper_numba_lacks.__code__.co_firstlineno + 1


def labelled(x):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * float(fractions.Fraction(1, 1))
    return total


def test_a_construct_numba_cannot_type_is_refused_at_its_line_and_auto_falls_back():
    x = np.array([1.0, 2.0])
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(labelled, backend="numba")(x)
    assert "numba cannot compile" in str(info.value)
    assert info.value.location is not None
    df = srcgrad.grad(labelled, backend="auto")
    assert close(df(x), [1.0, 1.0]) and df.backend == "python"
    assert close(df(x), [1.0, 1.0])  # and again, from the fallback


def slices(x):
    return sum(x[1:]) * x[0]


def test_a_list_used_as_a_list_is_refused_not_converted():
    with pytest.raises(srcgrad.SrcGradError) as info:
        srcgrad.grad(slices, backend="numba")([1.0, 2.0, 3.0])
    assert "list of floats" in str(info.value)
    df = srcgrad.grad(slices, backend="auto")
    assert close(df([1.0, 2.0, 3.0]), [5.0, 1.0, 1.0]) and df.backend == "python"


SCALE = 2.0


def scaled(x):
    return SCALE * x * x


def test_a_global_number_changed_after_the_compile_is_read_again():
    global SCALE
    df = srcgrad.grad(scaled, backend="numba")
    assert df(3.0) == pytest.approx(12.0)
    SCALE = 5.0
    try:
        assert df(3.0) == pytest.approx(30.0)
    finally:
        SCALE = 2.0


def not_scalar(x):
    return x * 2.0


def test_a_non_scalar_output_is_a_srcgrad_error():
    with pytest.raises(srcgrad.SrcGradError, match="scalar output"):
        srcgrad.grad(not_scalar, backend="numba")(np.ones(3))


def divides(x, y):
    return x / y


def test_a_users_own_error_passes_through():
    with pytest.raises(ZeroDivisionError):
        srcgrad.grad(divides, backend="numba")(1.0, 0.0)


def test_bad_backend_names_are_refused():
    with pytest.raises(srcgrad.SrcGradError, match="backend"):
        srcgrad.grad(scaled, backend="numbaa")
    with pytest.raises(srcgrad.SrcGradError, match="backend"):
        srcgrad.jvp(scaled, (1.0,), (1.0,), backend="fortran")


_WARM_PROBE = """
import sys, time
sys.path.insert(0, {here!r})
import srcgrad
from test_native import pendulum
started = time.perf_counter()
df = srcgrad.grad(pendulum, wrt=(0, 1, 2), backend="numba")
df(9.81, 1.3, 0.4)
entry = df.native
print(entry.dispatcher.stats.cache_hits.get(entry.dispatcher.signatures[0], 0), entry.path)
"""


def test_a_second_process_loads_the_machine_code_from_the_disk_cache(tmp_path):
    import os
    import pathlib
    import subprocess

    env = {**os.environ, "SRCGRAD_CACHE_DIR": str(tmp_path)}
    probe = _WARM_PROBE.format(here=str(pathlib.Path(__file__).parent))
    runs = [subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
            .stdout.split() for _ in range(2)]
    assert runs[0][1] == runs[1][1] and runs[0][1].startswith(str(tmp_path))  # one module file
    assert (int(runs[0][0]), int(runs[1][0])) == (0, 1)  # compiled, then loaded


def test_python_backend_never_imports_numba():
    import subprocess

    code = ("import srcgrad, sys\n"
            "def f(x):\n    return x * x\n"
            "srcgrad.grad(f)(2.0)\n"
            "assert 'numba' not in sys.modules, 'numba imported'\n")
    script = __import__("pathlib").Path(__file__).parent / "_native_probe_tmp.py"
    script.write_text(code)
    try:
        subprocess.run([sys.executable, str(script)], check=True)
    finally:
        script.unlink()


_EXPORT_RUNNER = """
import sys
sys.modules["srcgrad"] = None  # as if srcgrad were not installed
sys.path.insert(0, sys.argv[1])
import numpy as np
import exported_pendulum, exported_rosenbrock, exported_pendulum_jvp
print(repr(exported_pendulum.grad_pendulum(9.81, 1.3, 0.4)))
print(repr(exported_rosenbrock.grad_rosenbrock(np.array([0.3, -0.5, 1.2])).tolist()))
print(repr(exported_pendulum_jvp.jvp_pendulum(9.81, 1.3, 0.4, 1.0, 0.5, 0.0)))
print(exported_pendulum.grad_pendulum.signatures)
"""


def test_export_backend_numba_writes_an_njit_module_that_runs_without_srcgrad(tmp_path):
    import pathlib
    import subprocess

    here = pathlib.Path(__file__)
    for name, extra in (("pendulum", ["--wrt", "g,length,damping", "--kinds", "g=scalar,length=scalar,damping=scalar"]),
                        ("rosenbrock", ["--kinds", "x=numbers"]),
                        ("pendulum_jvp", ["--wrt", "g,length,damping", "--mode", "forward",
                                          "--kinds", "g=scalar,length=scalar,damping=scalar"])):
        target = f"{here}:{name.replace('_jvp', '')}"
        subprocess.run([sys.executable, "-m", "srcgrad", "export", target, *extra, "--backend", "numba",
                        "-o", str(tmp_path / f"exported_{name}.py")], check=True, capture_output=True)
    text = (tmp_path / "exported_pendulum.py").read_text()
    assert "@numba.njit(cache=True, boundscheck=True)\ndef grad_pendulum(g, length, damping):" in text
    assert "# line" in text and "srcgrad" not in text.split("\n\n", 1)[1].replace("srcgrad's", "")
    out = subprocess.run([sys.executable, "-c", _EXPORT_RUNNER, str(tmp_path)], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    assert close(eval(out[0]), srcgrad.grad(pendulum, wrt=(0, 1, 2))(9.81, 1.3, 0.4))
    assert close(eval(out[1]), srcgrad.grad(rosenbrock)([0.3, -0.5, 1.2]))
    assert close(eval(out[2]), srcgrad.jvp(pendulum, (9.81, 1.3, 0.4), (1.0, 0.5, 0.0)))
    assert "float64" in out[3]  # numba compiled it


def test_transforms_of_a_derivative_refuse_numba_and_a_backend_is_checked():
    # vjp, jacobian, hessian and hvp of a plain function compile with numba
    # (tests/test_native_transforms.py); a transform of a derivative runs Python
    x = np.array([0.5, -1.0])
    for transform in (srcgrad.hessian, srcgrad.jacobian, srcgrad.hvp, srcgrad.grad):
        with pytest.raises(srcgrad.SrcGradError, match="has no numba backend"):
            transform(srcgrad.grad(rosenbrock), backend="numba")
        with pytest.raises(srcgrad.SrcGradError, match="backend must be"):
            transform(rosenbrock, backend="fast")
    with pytest.raises(srcgrad.SrcGradError, match="has no numba backend"):
        srcgrad.vjp(srcgrad.grad(rosenbrock), x, backend="numba")
    assert close(srcgrad.jacobian(srcgrad.grad(rosenbrock), backend="auto")(x), srcgrad.hessian(rosenbrock)(x))


def detached(x):
    s = 0.0
    for _ in range(3):
        s = s + srcgrad.detach(x) * x + srcgrad.stop_gradient(x * 2.0)
    return s


def test_stop_gradient_and_detach_written_through_the_package():
    assert srcgrad.grad(detached, backend="numba")(1.5) == srcgrad.grad(detached)(1.5) == 4.5


def times_n(x, n):
    return x * n


def test_an_argument_numba_cannot_take_runs_that_call_in_python_under_auto_only():
    df = srcgrad.grad(times_n, backend="auto")
    assert df(1.5, 2) == 2.0 and df.backend == "numba"
    assert df(1.5, 2 ** 70) == 2.0 ** 70 and df.backend == "python"
    assert isinstance(df.refusal, srcgrad.SrcGradError) and "'n'" in str(df.refusal)
    assert df(1.5, 3) == 3.0 and df.backend == "numba"  # the next call is numba's again
    strict = srcgrad.grad(times_n, backend="numba")
    assert strict(1.5, 2) == 2.0
    with pytest.raises(srcgrad.SrcGradError, match="int beyond 64 bits"):
        strict(1.5, 2 ** 70)


_CONFIG_USER = """
import config
def f(x):
    s = 0.0
    for i in range(config.N):
        s = s + config.K * x * x
    return s
"""


def test_a_module_attribute_changed_after_the_compile_is_read_again(tmp_path, monkeypatch):
    import importlib

    (tmp_path / "config.py").write_text("K = 2.0\nN = 3\n")
    (tmp_path / "config_user.py").write_text(_CONFIG_USER)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("config", "config_user"):
        sys.modules.pop(name, None)
    config, user = importlib.import_module("config"), importlib.import_module("config_user")
    df = srcgrad.grad(user.f, backend="numba")
    assert df(1.0) == 12.0
    config.K = 5.0
    assert df(1.0) == 30.0
    config.N = 1
    assert df(1.0) == 10.0 == srcgrad.grad(user.f)(1.0)


def test_numba_disable_jit_runs_the_same_module_as_python(tmp_path):
    import os
    import pathlib
    import subprocess

    probe = (f"import sys; sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r})\n"
             "import srcgrad\nfrom test_native import pendulum\n"
             "print(srcgrad.grad(pendulum, wrt=(0, 1, 2), backend='numba')(9.81, 1.3, 0.4))\n")
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "SRCGRAD_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert close(eval(out.stdout), srcgrad.grad(pendulum, wrt=(0, 1, 2))(9.81, 1.3, 0.4))


def truths_added(x, c):
    return np.sum(x * c) * ((x > -10.0).all() + (x > 0).any())


def masked(x):
    return np.sum(x * (x > 0))


def test_a_sum_of_two_truth_tests_is_refused_and_a_mask_product_is_not():
    x, c = np.array([0.5, -1.5, 2.0]), np.array([1.0, 2.0, 3.0])
    with pytest.raises(srcgrad.SrcGradError, match="two comparisons or truth tests") as info:
        srcgrad.jvp(truths_added, (x, c), (np.ones(3), None), backend="numba")
    assert info.value.location.lineno == truths_added.__code__.co_firstlineno + 1
    assert srcgrad.jvp(truths_added, (x, c), (np.ones(3), None), backend="auto") \
        == srcgrad.jvp(truths_added, (x, c), (np.ones(3), None))
    df = srcgrad.grad(masked, backend="auto")
    assert close(df(x), [1.0, 0.0, 1.0]) and "two comparisons" not in str(df.refusal)


def powers(x, y):
    return np.sum(x ** y)


def test_a_power_with_an_array_of_exponents_in_forward_mode():
    x, y = np.array([0.5, 1.5, 2.0]), np.array([2.0, 0.0, 0.5])
    got = srcgrad.jvp(powers, (x, y), (np.ones(3), np.ones(3)), backend="numba")
    assert close(got, srcgrad.jvp(powers, (x, y), (np.ones(3), np.ones(3))))


def product_of_squares(a):
    return np.prod(a ** 2) + np.sum(a)


def test_every_derivative_module_imports_one_compiled_copy_of_each_helper():
    """grad and jvp of one function, and grad of another, call the prod adjoint: each
    module imports it from the process's helpers module (srcgrad/native/library.py),
    so numba compiles it once per argument types, not once per module."""
    a = np.array([0.5, -1.5, 2.0, 0.25])
    df = srcgrad.grad(product_of_squares, backend="numba")
    dv = srcgrad.value_and_grad(product_of_squares, backend="numba")
    want = srcgrad.grad(product_of_squares)(a)
    assert close(df(a), want) and close(dv(a)[1], want)
    assert df.backend == dv.backend == "numba"
    first, second = df.native.module, dv.native.module
    assert first is not second
    assert "def _prod_adjoint_helper" not in df.native.text
    assert re.search(r"^from _srcgrad_native_srcgrad_helpers_\w+ import .*_prod_adjoint_helper",
                     df.native.text, flags=re.M)
    helper = first._prod_adjoint_helper
    assert helper is second._prod_adjoint_helper
    assert len(helper.signatures) == 1  # compiled for the first module, reused by the second
    # a helper's error comes through as srcgrad's, from any module that calls it
    with pytest.raises(srcgrad.SrcGradError, match="scalar output"):
        srcgrad.grad(lambda v: v * 2.0, backend="numba")(a)
    # the exported module still carries its own copy, to run without srcgrad
    from srcgrad.export import export_source

    text = export_source(product_of_squares, ("a",), kinds=("array",), backend="numba")
    assert "def _prod_adjoint_helper" in text and "_srcgrad_native_" not in text
