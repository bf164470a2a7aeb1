"""Controlling what is differentiated: `srcgrad.no_grad()` and `srcgrad.detach`.

Run it from the repository root:

    pip install -e ".[test]" && python examples/no_grad_and_detach.py

Part 1 normalises a layer's output by a scale computed inside
`with srcgrad.no_grad():`. The block runs in the forward sweep, but srcgrad
emits it untraced: the printed gradient source computes `scale` and never
differentiates it, so there is no `dscale` anywhere.

Part 2 uses `srcgrad.detach` (another name for `srcgrad.stop_gradient`):
`f(x) = detach(x) * x` treats the first factor as a constant, so its gradient
is `x`, not the `2 * x` of `x * x`.

They mean what `torch.no_grad()` and `tensor.detach()` mean in PyTorch
(the comments below show the PyTorch version of each). The difference is
when they act: PyTorch stops recording its graph while the code runs; srcgrad
reads them from the source, once, when it writes the gradient function, so
the generated code simply contains no backward step for them.
"""
import numpy as np

import srcgrad


# --- Part 1: a block that is not differentiated ---------------------------------
#
# PyTorch:
#     h = torch.tanh(x @ w)
#     with torch.no_grad():
#         scale = h.abs().max()
#     loss = ((h / scale - t) ** 2).mean()
#     loss.backward()           # w.grad treats `scale` as a constant


def loss(w, x, t):
    h = np.tanh(x @ w)
    with srcgrad.no_grad():            # computed in the forward sweep, untraced
        scale = np.max(np.abs(h))
    return np.mean((h / scale - t) ** 2)


def loss_scale_as_argument(w, x, t, scale):
    """The same loss with `scale` passed in from outside: a constant for sure."""
    h = np.tanh(x @ w)
    return np.mean((h / scale - t) ** 2)


def loss_fully_traced(w, x, t):
    """The same loss without no_grad: the gradient also flows through `scale`."""
    h = np.tanh(x @ w)
    scale = np.max(np.abs(h))
    return np.mean((h / scale - t) ** 2)


# --- Part 2: detach / stop_gradient ---------------------------------------------
#
# PyTorch:
#     x = torch.tensor(3.0, requires_grad=True)
#     (x.detach() * x).backward()
#     x.grad                    # tensor(3.), not tensor(6.)


def f(x):
    return srcgrad.detach(x) * x


def f_stop_gradient(x):
    return srcgrad.stop_gradient(x) * x


def square(x):
    return x * x


def main(verbose=True):
    """Run both demonstrations; return the key numbers as a dict."""
    say = print if verbose else (lambda *args, **kwargs: None)

    # Part 1
    rng = np.random.default_rng(0)
    w = rng.normal(size=3)
    x = rng.normal(size=(5, 3))
    t = rng.normal(size=5)

    dloss = srcgrad.grad(loss)
    dw = dloss(w, x, t)
    scale = float(np.max(np.abs(np.tanh(x @ w))))
    dw_constant = srcgrad.grad(loss_scale_as_argument)(w, x, t, scale)
    dw_traced = srcgrad.grad(loss_fully_traced)(w, x, t)
    source = dloss.source

    say("Part 1: with srcgrad.no_grad():")
    say(f"  d loss / d w                       = {np.round(dw, 6)}")
    say(f"  same, with scale passed as a value = {np.round(dw_constant, 6)}")
    say(f"  without no_grad (scale traced)     = {np.round(dw_traced, 6)}")
    say("  the gradient function srcgrad generated: `scale` is computed, never differentiated")
    say()
    say(source)
    assert np.allclose(dw, dw_constant), (dw, dw_constant)
    assert not np.allclose(dw, dw_traced), "no_grad should change the gradient here"
    assert "scale = " in source, "the no_grad block still runs in the forward sweep"
    assert "dscale" not in source, "the no_grad block must get no adjoint"

    # Part 2
    x0 = 3.0
    df = srcgrad.grad(f)
    dx = df(x0)
    dx_stop = srcgrad.grad(f_stop_gradient)(x0)
    dx_plain = srcgrad.grad(square)(x0)
    say("Part 2: srcgrad.detach / srcgrad.stop_gradient")
    say(f"  f(x) = detach(x) * x at x = {x0}: f = {f(x0)}, df/dx = {dx} (x, not 2x)")
    say(f"  with stop_gradient instead: df/dx = {dx_stop}")
    say(f"  g(x) = x * x for comparison:   dg/dx = {dx_plain}")
    say()
    say(df.source)
    assert dx == x0, dx
    assert dx_stop == x0, dx_stop
    assert dx_plain == 2 * x0, dx_plain
    # The detached factor is the temporary _t1: used as a constant, never given an adjoint.
    assert "srcgrad.detach(x)" in df.source and "_dt1" not in df.source

    return {"dw": dw, "dw_constant_scale": dw_constant, "dw_traced_scale": dw_traced,
            "detach_grad": dx, "stop_gradient_grad": dx_stop, "square_grad": dx_plain}


if __name__ == "__main__":
    main()
