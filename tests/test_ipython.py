"""Functions written in IPython / Jupyter cells (issue 14 item 1), in a real in-process
`InteractiveShell`: defined in one cell and differentiated in another, redefined in a
later cell (the cache must not serve the old derivative), lambdas several to a line,
a helper from another cell, redefined too; both modes against the closed forms."""
import types

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell  # the test extra installs IPython
from traitlets.config import Config

import srcgrad

X = np.array([0.7, -0.4, 1.3])
# Python 3.11+ records columns, which tell lambdas sharing a line apart; 3.10 does not
COLUMNS = hasattr(types.CodeType, "co_positions")


@pytest.fixture(scope="module")
def shell():
    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # no history file written
    shell = InteractiveShell.instance(config=config, colors="NoColor")
    run(shell, "import numpy as np\nimport srcgrad\nx = np.array([0.7, -0.4, 1.3])\n"
               "v = np.array([0.3, -1.1, 0.6])\n")
    yield shell
    InteractiveShell.clear_instance()


def run(shell, cell: str):
    """Run `cell` as the next cell; its exception, if any, is raised here."""
    result = shell.run_cell(cell, store_history=True)
    result.raise_error()
    return result


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-10, atol=1e-12)


def test_a_function_defined_in_a_cell_and_redefined_in_a_later_one(shell):
    run(shell, "def f(x):\n    return np.sum(np.sin(x) * x)\n")
    run(shell, "df = srcgrad.grad(f)\ng1 = df(x)\n_, t1 = srcgrad.jvp(f, (x,), (v,))\n")
    expected = np.sin(X) + X * np.cos(X)
    close(shell.user_ns["g1"], expected)
    close(shell.user_ns["t1"], expected @ shell.user_ns["v"])
    run(shell, "def f(x):\n    return np.sum(x ** 3)\n")  # the same name, a new cell
    run(shell, "g2 = srcgrad.grad(f)(x)\n_, t2 = srcgrad.jvp(f, (x,), (v,))\ng_old = df(x)\n")
    close(shell.user_ns["g2"], 3 * X ** 2)
    close(shell.user_ns["t2"], 3 * X ** 2 @ shell.user_ns["v"])
    close(shell.user_ns["g_old"], expected)  # a derivative built before still is the old f's


def test_lambdas_several_to_a_line_in_a_cell(shell):
    definitions = "sq = lambda x: np.sum(x ** 2); cu = lambda x: np.sum(np.cos(x) * x)\n"
    if not COLUMNS:  # the designed refusal at the cell's line, saying to move the lambda
        run(shell, definitions)
        for name in ("sq", "cu"):
            with pytest.raises(srcgrad.SrcGradError) as info:
                run(shell, f"srcgrad.grad({name})(x)\n")
            err = info.value
            assert err.location is not None and err.location.lineno == 1, err
            assert "sq = lambda" in err.location.code and "records no columns" in str(err), err
            assert "line of its own" in err.hint, err
        definitions = "sq = lambda x: np.sum(x ** 2)\ncu = lambda x: np.sum(np.cos(x) * x)\n"
    run(shell, definitions + "ga, gb = srcgrad.grad(sq)(x), srcgrad.grad(cu)(x)\n"
               "_, ta = srcgrad.jvp(sq, (x,), (v,)); _, tb = srcgrad.jvp(cu, (x,), (v,))\n")
    close(shell.user_ns["ga"], 2 * X)
    close(shell.user_ns["gb"], np.cos(X) - X * np.sin(X))
    close(shell.user_ns["tb"], (np.cos(X) - X * np.sin(X)) @ shell.user_ns["v"])
    run(shell, "gi = srcgrad.grad(lambda x: np.sum(np.exp(x)))(x)\n")  # written inline
    close(shell.user_ns["gi"], np.exp(X))


def test_a_helper_from_another_cell_redefined_later(shell):
    run(shell, "def helper(u):\n    return np.tanh(u) * u\n")
    run(shell, "def loss(x):\n    return np.sum(helper(x) ** 2)\n")
    run(shell, "gl = srcgrad.grad(loss)(x)\n_, tl = srcgrad.jvp(loss, (x,), (v,))\n")
    h = np.tanh(X) * X
    expected = 2 * h * (X / np.cosh(X) ** 2 + np.tanh(X))
    close(shell.user_ns["gl"], expected)
    close(shell.user_ns["tl"], expected @ shell.user_ns["v"])
    run(shell, "def helper(u):\n    return np.sin(u)\n")  # loss itself is unchanged
    run(shell, "gl2 = srcgrad.grad(loss)(x)\n")
    close(shell.user_ns["gl2"], 2 * np.sin(X) * np.cos(X))


def test_a_cell_with_a_magic_and_comprehensions(shell):
    run(shell, "%precision 3\ndef energy(x):\n    return sum(x[i] * x[i + 1] for i in range(len(x) - 1))\n")
    run(shell, "ge = srcgrad.grad(energy)(x)\n")
    close(shell.user_ns["ge"], [X[1], X[0] + X[2], X[1]])


def test_a_lambda_assigned_before_a_time_line_is_differentiated(shell):
    run(shell, "f = lambda x: np.sum(np.sin(x))\n%time g_timed = srcgrad.grad(f)(x)\n")
    close(shell.user_ns["g_timed"], np.cos(shell.user_ns["x"]))


def test_a_lambda_whose_text_ipython_does_not_keep_is_a_srcgrad_error(shell, capsys):
    # %time compiles its line as "<timed exec>" and keeps no text of it (it shows the error)
    # IPython 8 prints the error %time met; IPython 9 raises it again
    try:
        run(shell, "%time gt = srcgrad.grad(lambda x: np.sum(x))(x)\n")
    except srcgrad.SrcGradError as err:
        message = f"SrcGradError: {err}"
    else:
        message = capsys.readouterr().out
    assert "SrcGradError: cannot read the source of this lambda (<timed exec>)" in message, message
    assert "assign the lambda on a line of its own first" in message, message  # what to do
    assert "gt" not in shell.user_ns
