"""The command line: `srcgrad --version` / `--help` and `python -m srcgrad`."""
import subprocess
import sys

import srcgrad
from srcgrad.cli import main


def test_version_flag_prints_the_package_version(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.strip() == f"srcgrad {srcgrad.__version__}"


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "usage: srcgrad" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_command():
    done = subprocess.run([sys.executable, "-m", "srcgrad", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "usage: srcgrad" in done.stdout


# --- srcgrad show ------------------------------------------------------------------

import pathlib  # noqa: E402

import pytest  # noqa: E402

import exportable  # noqa: E402  (tests/programs)
from srcgrad.cli import _highlight  # noqa: E402

PROGRAM = pathlib.Path(__file__).resolve().parent / "programs" / "exportable.py"


def _srcgrad(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "srcgrad", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_show_prints_the_gradient_source_plain_when_not_a_terminal():
    done = _srcgrad("show", f"{PROGRAM}:looped", "--wrt", "x,w")
    assert done.returncode == 0, done.stderr
    assert done.stdout == srcgrad.source(exportable.looped, mode="reverse", wrt=("x", "w"))
    assert "\x1b[" not in done.stdout
    assert done.stdout.startswith("# built for argument kinds: x=array, w=array, n=scalar\n"
                                  "def grad_looped(x, w, n=4):")


def test_show_in_process_defaults_to_the_first_argument(capsys):
    assert main(["show", f"{PROGRAM}:straight"]) == 0
    out = capsys.readouterr().out
    assert out == srcgrad.source(exportable.straight, mode="reverse", wrt=0)
    assert "return dx\n" in out


def test_show_split_prints_the_forward_backward_pair(capsys):
    assert main(["show", f"{PROGRAM}:straight", "--wrt", "w", "--split"]) == 0
    out = capsys.readouterr().out
    assert "def _straight_forward(x, w):" in out
    assert "def _straight_backward(" in out
    assert "return (dw,)" in out


def test_show_forward_mode_prints_the_jvp_function(capsys):
    assert main(["show", f"{PROGRAM}:nested_calls", "--mode", "forward", "--wrt", "1"]) == 0
    out = capsys.readouterr().out
    assert out == srcgrad.source(exportable.nested_calls, mode="forward", wrt=1)
    assert out.startswith("# built for argument kinds: x=array, w=array\ndef jvp_nested_calls(x, w, *, w_dot):")


def test_show_highlights_for_a_terminal_only():
    import pygments  # noqa: F401  (in the test extra: highlighting is tested, never skipped)

    class Terminal:
        def isatty(self):
            return True

    class Pipe:
        def isatty(self):
            return False

    text = "def f(x):\n    return x\n"
    assert "\x1b[" in _highlight(text, "auto", Terminal())
    assert _highlight(text, "auto", Pipe()) == text
    assert _highlight(text, "never", Terminal()) == text
    assert "\x1b[" in _highlight(text, "always", Pipe())


def test_show_color_always_via_the_command_line():
    import pygments  # noqa: F401  (in the test extra: highlighting is tested, never skipped)
    done = _srcgrad("show", f"{PROGRAM}:straight", "--color", "always")
    assert done.returncode == 0 and "\x1b[" in done.stdout


# --- errors: a message on stderr and exit status 2 -------------------------------------


def test_a_missing_file_exits_2(tmp_path):
    done = _srcgrad("show", f"{tmp_path / 'nowhere.py'}:f")
    assert done.returncode == 2
    assert "no such file" in done.stderr and "nowhere.py" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_function_exits_2_and_lists_the_functions(capsys):
    assert main(["show", f"{PROGRAM}:no_such_function"]) == 2
    err = capsys.readouterr().err
    assert "no function 'no_such_function'" in err
    assert "straight" in err  # what there is


def test_a_target_without_a_function_exits_2(capsys):
    assert main(["show", str(PROGRAM)]) == 2
    assert "FILE.py:FUNCTION" in capsys.readouterr().err


def test_a_global_that_is_not_a_function_exits_2(capsys):
    assert main(["show", f"{PROGRAM}:SCALE"]) == 2
    assert "not a function" in capsys.readouterr().err


@pytest.mark.parametrize("wrt, message", [
    ("q", "wrt='q' is not an argument of straight"),
    ("5", "wrt=5 is out of range"),
    ("x,,w", "--wrt 'x,,w'"),
    ("x,x", "names an argument twice"),
])
def test_a_bad_wrt_exits_2(capsys, wrt, message):
    assert main(["show", f"{PROGRAM}:straight", "--wrt", wrt]) == 2
    assert message in capsys.readouterr().err


def test_unsupported_code_prints_the_srcgrad_error_and_exits_2(tmp_path):
    source = tmp_path / "unsupported_cli.py"
    source.write_text("def f(x):\n    try:\n        return x * 2.0\n    except ValueError:\n"
                      "        return x\n")
    done = _srcgrad("show", f"{source}:f")
    assert done.returncode == 2
    assert done.stderr.startswith("srcgrad: error: ")
    assert f"{source}:2:" in done.stderr and "`try` is not supported" in done.stderr
    assert "hint:" in done.stderr and "Traceback" not in done.stderr


def test_a_file_that_fails_to_import_exits_2(tmp_path):
    source = tmp_path / "broken_import_cli.py"
    source.write_text("import numpy\nimport a_module_that_is_not_there\n\ndef f(x):\n    return x\n")
    done = _srcgrad("show", f"{source}:f")
    assert done.returncode == 2
    assert "importing" in done.stderr and "a_module_that_is_not_there" in done.stderr
    assert "srcgrad/cli.py" not in done.stderr  # the user's frames only


def test_split_with_forward_mode_exits_2(capsys):
    assert main(["show", f"{PROGRAM}:straight", "--mode", "forward", "--split"]) == 2
    assert "--split is for reverse mode" in capsys.readouterr().err


def test_the_module_is_loaded_from_its_file_with_its_directory_importable(tmp_path):
    (tmp_path / "sibling_cli_helper.py").write_text("import numpy as np\n\ndef sq(v):\n"
                                                    "    return np.sum(v * v)\n")
    (tmp_path / "model_cli.py").write_text("from sibling_cli_helper import sq\n\ndef loss(x):\n"
                                           "    return sq(x) * 2.0\n")
    done = _srcgrad("show", "model_cli.py:loss", cwd=tmp_path.parent)
    assert done.returncode == 2 and "no such file" in done.stderr
    done = _srcgrad("show", str(tmp_path / "model_cli.py") + ":loss", cwd=tmp_path.parent)
    assert done.returncode == 0, done.stderr
    assert "_sq_forward" in done.stdout and "_sq_backward" in done.stdout


def test_show_prints_the_nan_safe_twin_only_when_asked(capsys):
    assert main(["show", f"{PROGRAM}:clipped_growth"]) == 0
    plain = capsys.readouterr().out
    assert plain == srcgrad.source(exportable.clipped_growth, mode="reverse")
    assert "def grad_clipped_growth_nan_safe" not in plain
    assert plain.endswith("# grad_clipped_growth_nan_safe: the same with NaN guards (0 * inf stays 0); "
                          "source(..., nan_safe=True) shows it\n")
    assert main(["show", f"{PROGRAM}:clipped_growth", "--nan-safe"]) == 0
    full = capsys.readouterr().out
    assert full == srcgrad.source(exportable.clipped_growth, mode="reverse", nan_safe=True)
    assert "\ndef grad_clipped_growth_nan_safe(x):\n" in full
