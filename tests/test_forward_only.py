"""print, assert and logging run once, in the forward sweep, with real values;
random draws are constants of the call, never drawn again by the backward sweep."""
import logging

import numpy as np
import pytest

import forward_only as F
import srcgrad

rng = np.random.default_rng(5)


def test_print_assert_and_logging_run_once_with_real_values(capsys, caplog):
    x, w = rng.normal(size=3), 0.7
    with caplog.at_level(logging.INFO, logger="srcgrad.tests.forward_only"):
        g = srcgrad.grad(F.with_print_and_assert)(x, w)
    printed = capsys.readouterr().out
    assert printed.count("h:") == 1
    assert str(np.tanh(x * w)[0])[:6] in printed
    assert len([r for r in caplog.records if "sum of h" in r.getMessage()]) == 1
    h = np.tanh(x * w)
    assert np.allclose(g, 2 * h * (1 - h * h) * w)


def test_a_failing_assert_in_the_forward_sweep_raises_as_written():
    with pytest.raises(AssertionError, match="tanh is bounded"):
        def broken(x):
            assert np.all(x < 0), "tanh is bounded"
            return np.sum(x)
        srcgrad.grad(broken)(np.ones(2))


def test_seeded_draws_inside_the_function_are_constants_of_the_call():
    srcgrad.check_grads(F.seeded_noise, (rng.normal(size=4),))


def test_a_draw_happens_once_per_call_and_the_gradient_uses_it():
    x = rng.normal(size=3)
    state = F.NOISE.bit_generator.state
    value, g = srcgrad.value_and_grad(lambda_free_global_draw)(x)
    F.NOISE.bit_generator.state = state
    eps = F.NOISE.normal(size=3)
    assert np.allclose(g, eps)          # d/dx sum(x * eps) with the eps of this call
    assert value == pytest.approx(np.sum(x * eps))


def lambda_free_global_draw(x):
    s, _ = F.global_draw(x)
    return s


def test_legacy_np_random_draws_are_constants():
    srcgrad.check_grads(F.legacy_draw, (rng.normal(size=5),))


def test_a_discarded_call_on_a_differentiated_value_is_refused():
    def sorts_in_place(x):
        y = x * 2.0
        y.sort()
        return np.sum(y)

    with pytest.raises(srcgrad.SrcGradError, match="writes into 'y' in place"):
        srcgrad.grad(sorts_in_place)(np.ones(3))
