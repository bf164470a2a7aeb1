"""Debuggability: tracebacks through a derivative show the generated line and
the original line it came from; source(annotate=True); debug_nans."""
import linecache
import traceback

import numpy as np
import pytest

import srcgrad


def layer(x, W):
    h = np.tanh(x @ W)
    return np.sum(h * h)


def root_loss(x):
    y = np.sqrt(x)
    return np.sum(y * 3.0)


def test_a_user_error_inside_a_derivative_shows_both_lines():
    with pytest.raises(ValueError) as info:
        srcgrad.grad(layer)(np.ones((2, 3)), np.ones((4, 5)))
    frames = [f for f in traceback.extract_tb(info.tb) if f.filename.startswith("<srcgrad")]
    assert frames, "no frame in generated code"
    shown = linecache.getline(frames[-1].filename, frames[-1].lineno)
    assert "x @ W" in shown                     # the generated statement
    assert "# line 13: h = np.tanh(x @ W)" in shown  # and where it came from


def test_annotated_source_has_the_same_lines_with_their_origins():
    df = srcgrad.grad(layer)
    df(np.ones((2, 3)), np.ones((3, 4)))
    plain, annotated = srcgrad.source(df), srcgrad.source(df, annotate=True)
    assert len(plain.splitlines()) == len(annotated.splitlines())
    for p, a in zip(plain.splitlines(), annotated.splitlines()):
        assert a.startswith(p)
    assert "h = np.tanh(_t1)  # line 13: h = np.tanh(x @ W)" in annotated
    assert "# line 13" not in plain.replace("# line 13: h = np.tanh(x @ W)\n", "")


def test_debug_nans_names_the_generated_and_the_original_line():
    df = srcgrad.grad(root_loss, debug_nans=True)
    assert np.allclose(df(np.array([1.0, 4.0])), [1.5, 0.75])
    with pytest.raises(FloatingPointError) as info, np.errstate(divide="ignore"):
        df(np.array([0.0, 4.0]))
    message = str(info.value)
    assert "y = np.sqrt(x)" in message          # the original line
    assert "dx" in message                      # the generated statement that made the inf


def test_debug_nans_off_by_default_lets_inf_through():
    with np.errstate(divide="ignore"):
        g = srcgrad.grad(root_loss)(np.array([0.0, 4.0]))
    assert np.isinf(g[0]) and g[1] == pytest.approx(0.75)


def test_debug_nans_in_forward_and_split_modes():
    with pytest.raises(FloatingPointError), np.errstate(divide="ignore", invalid="ignore"):
        srcgrad.jvp(root_loss, (np.array([0.0, 1.0]),), (np.array([1.0, 0.0]),), debug_nans=True)
    _, pullback = srcgrad.vjp(root_loss, np.array([0.0, 1.0]), debug_nans=True)
    with pytest.raises(FloatingPointError), np.errstate(divide="ignore"):
        pullback(1.0)


def loop_root(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.sqrt(x - i))
    return s


def test_debug_nans_checks_statements_inside_loops():
    df = srcgrad.grad(loop_root, debug_nans=True)
    assert df(np.array([5.0])) == pytest.approx(sum(0.5 / np.sqrt(5.0 - i) for i in range(3)))
    with pytest.raises(FloatingPointError, match="line"), np.errstate(divide="ignore", invalid="ignore"):
        df(np.array([2.0]))


def test_check_finite_looks_into_containers_entry_by_entry():
    """The tape and the stack hold None, numbers and arrays side by side (FINDINGS15 #8):
    each entry is checked, and a NaN inside one is reported."""
    from srcgrad.runtime import check_finite

    check_finite((None, 1.0, np.zeros(3), [2.0, np.ones((2, 2))], {"a": 0.5}), "_tape = t", "the tape")
    with pytest.raises(FloatingPointError, match="the tape"):
        check_finite((None, [1.0, np.array([0.0, np.nan])]), "_tape = t", "the tape")
