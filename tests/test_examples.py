"""The example programs in examples/ run, learn, and differentiate correctly.

Each example is imported as a module and its `main()` run with small
settings; its differentiated loss is checked against central differences
(float64) on a small batch; and each script is also run as `__main__`, as a
user would run it, so its own assertions are exercised.

The image classifier needs scikit-learn (for its bundled digits data). It is
in the `examples` extra: pip install -e ".[examples]".
"""
import pathlib
import runpy
import sys

import numpy as np
import pytest

import srcgrad

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

INSTALL_HINT = ('scikit-learn is not installed, and examples/image_classifier.py needs it '
                'for its bundled digits data. Install the examples extra from the '
                'repository root: pip install -e ".[examples]"')


def _image_classifier():
    try:
        import sklearn  # noqa: F401
        missing = False
    except ImportError:
        missing = True
    if missing:
        pytest.fail(INSTALL_HINT, pytrace=False)
    import image_classifier
    return image_classifier


def _run_script(name, capsys):
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


# --- image_classifier.py ----------------------------------------------------------


def test_image_classifier_reaches_90_percent_in_a_few_epochs(capsys):
    ic = _image_classifier()
    accuracy = ic.main(epochs=5)
    out = capsys.readouterr().out
    assert accuracy > 0.9, accuracy
    assert "epoch  5  loss" in out
    assert f"test accuracy: {accuracy:.1%}" in out


def test_image_classifier_gradient_matches_finite_differences():
    ic = _image_classifier()
    rng = np.random.default_rng(1)
    X_train, Y_train, _, _, _ = ic.load_data(rng)
    params = ic.init_params(rng, n_hidden=6)
    batch = rng.choice(len(X_train), size=8, replace=False)
    X, Y = X_train[batch], Y_train[batch]
    assert X.dtype == np.float64 and params["W1"].dtype == np.float64
    srcgrad.check_grads(ic.loss, (params, X, Y), wrt="params")
    # value_and_grad returns the loss itself and a dict shaped like params.
    value, grads = ic.loss_and_grad(params, X, Y)
    assert value == pytest.approx(ic.loss(params, X, Y))
    assert set(grads) == set(params)
    assert all(grads[k].shape == params[k].shape for k in params)


def test_image_classifier_log_softmax_is_stable_and_differentiable():
    ic = _image_classifier()
    logits = np.array([[1000.0, 0.0, -1000.0], [0.5, 0.25, -0.5]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        logp = ic.log_softmax(logits)
    assert np.all(np.isfinite(logp))
    assert np.allclose(np.exp(logp).sum(axis=1), 1.0)

    def weighted(logits, weights):
        return np.sum(weights * ic.log_softmax(logits))

    rng = np.random.default_rng(2)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        dlogits = srcgrad.grad(weighted)(logits, np.ones_like(logits))
    assert np.all(np.isfinite(dlogits))
    srcgrad.check_grads(weighted, (rng.normal(size=(4, 5)), rng.normal(size=(4, 5))))


def test_image_classifier_script(capsys):
    _image_classifier()
    out = _run_script("image_classifier.py", capsys)
    assert "test accuracy" in out


# --- rnn_forecast.py ---------------------------------------------------------------


def test_rnn_forecast_loss_falls(capsys):
    import rnn_forecast
    initial_loss, final_loss = rnn_forecast.main(steps=200)
    out = capsys.readouterr().out
    assert final_loss < 0.2 * initial_loss, (initial_loss, final_loss)
    assert f"loss fell from {initial_loss:.4f} to {final_loss:.4f}" in out


def test_rnn_forecast_gradient_matches_finite_differences():
    import rnn_forecast
    rng = np.random.default_rng(3)
    params = rnn_forecast.init_params(rng, hidden=4)
    x = rnn_forecast.make_series(rng, n=15)
    srcgrad.check_grads(rnn_forecast.loss, (params, x), wrt="params")
    value, grads = rnn_forecast.loss_and_grad(params, x)
    assert value == pytest.approx(rnn_forecast.loss(params, x))
    assert isinstance(grads["c"], float)          # a float parameter gets a float gradient


def test_rnn_forecast_derivative_is_a_loop_not_an_unrolling():
    import rnn_forecast
    rng = np.random.default_rng(4)
    params = rnn_forecast.init_params(rng, hidden=3)
    rnn_forecast.loss_and_grad(params, rnn_forecast.make_series(rng, n=5))
    short = rnn_forecast.loss_and_grad.source
    rnn_forecast.loss_and_grad(params, rnn_forecast.make_series(rng, n=500))
    assert rnn_forecast.loss_and_grad.source == short
    assert "for t in range(steps):" in short


def test_rnn_forecast_script(capsys):
    out = _run_script("rnn_forecast.py", capsys)
    assert "loss fell from" in out


# --- no_grad_and_detach.py ---------------------------------------------------------


def test_no_grad_and_detach_numbers(capsys):
    import no_grad_and_detach as ex
    result = ex.main()
    out = capsys.readouterr().out
    # no_grad: the scale is a constant, exactly as if it were passed in.
    assert np.allclose(result["dw"], result["dw_constant_scale"])
    assert not np.allclose(result["dw"], result["dw_traced_scale"])
    # detach(x) * x at x = 3: gradient x = 3, not 2x = 6.
    assert result["detach_grad"] == 3.0
    assert result["stop_gradient_grad"] == 3.0
    assert result["square_grad"] == 6.0
    assert "scale = np.max(np.abs(h))" in out
    assert "dscale" not in out


def test_no_grad_and_detach_gradients_match_finite_differences():
    # Finite differences of `loss` itself would see `scale` move (outside a
    # derivative no_grad does nothing), so the no_grad loss is checked through
    # its two references: the scale as a constant argument, and fully traced.
    import no_grad_and_detach as ex
    rng = np.random.default_rng(5)
    w, x, t = rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5)
    scale = float(np.max(np.abs(np.tanh(x @ w))))
    srcgrad.check_grads(ex.loss_scale_as_argument, (w, x, t, scale))
    srcgrad.check_grads(ex.loss_fully_traced, (w, x, t))
    assert np.allclose(srcgrad.grad(ex.loss)(w, x, t),
                       srcgrad.grad(ex.loss_scale_as_argument)(w, x, t, scale))
    srcgrad.check_grads(ex.square, (1.7,))
    assert srcgrad.grad(ex.f)(1.7) == 1.7


def test_no_grad_and_detach_script(capsys):
    out = _run_script("no_grad_and_detach.py", capsys)
    assert "dscale" not in out
