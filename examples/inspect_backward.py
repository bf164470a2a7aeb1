"""Read, print and ship a derivative: the code srcgrad writes for a function.

Run it from the repository root:

    pip install -e . && python examples/inspect_backward.py

A tracing AD tool (PyTorch, JAX, autograd) records the operations while your
function runs and replays them backwards; the backward pass never exists as
code you can read. srcgrad writes it as Python source, once, and this script
prints it at each step:

1. the function: a small recurrent model, `loss(w, b, xs)`, with a helper
   function `cell` called in a loop;
2. its reverse-mode derivative (the gradient with respect to `w` and `b`):
   a forward loop that pushes each hidden state on a stack, then a backward
   loop that pops them, and the forward/backward pair srcgrad made for `cell`;
3. its forward-mode derivative (the tangent, or jvp, function with respect
   to `w`): one sweep, each value followed by its tangent `*_dot`;
4. the exported module: the gradient as a standalone file that needs only
   NumPy, not srcgrad. The script imports it and checks that it gives the
   same numbers as `srcgrad.grad`.

The same from a shell:

    srcgrad show examples/inspect_backward.py:loss --wrt w,b
    srcgrad show examples/inspect_backward.py:loss --wrt w,b --split
    srcgrad show examples/inspect_backward.py:loss --wrt w --mode forward
    srcgrad export examples/inspect_backward.py:loss --wrt w,b -o grad_loss.py
"""
import importlib.util
import inspect
import pathlib
import tempfile

import numpy as np

import srcgrad
from srcgrad.export import export_source


def cell(h, x, w, b):
    """One step of the recurrence: a new hidden state from the old one and an input."""
    return np.tanh(w * h + x + b)


def loss(w, b, xs):
    """Run the cell over the inputs; the loss is the squared final state, summed."""
    h = np.zeros_like(xs[0])
    for i in range(len(xs)):
        h = cell(h, xs[i], w, b)
    return np.sum(h * h)


def banner(title: str) -> None:
    print(f"\n# {'=' * 74}\n# {title}\n# {'=' * 74}\n")


def load(path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> dict:
    rng = np.random.default_rng(0)
    w, b, xs = rng.normal(size=3), 0.1, rng.normal(size=(5, 3))

    banner("1. The function")
    print(inspect.getsource(cell))
    print(inspect.getsource(loss))

    banner("2. Reverse mode: srcgrad.source(loss, mode='reverse', wrt=('w', 'b'))")
    print(srcgrad.source(loss, mode="reverse", wrt=("w", "b")))
    print("# what vjp runs: the forward pass returns a tape, the backward pass reads it")
    _, pullback = srcgrad.vjp(loss, w, b, xs, wrt=("w", "b"))
    print(pullback.source)

    banner("3. Forward mode: srcgrad.source(loss, mode='forward', wrt='w')")
    print(srcgrad.source(loss, mode="forward", wrt="w"))

    banner("4. The exported module (srcgrad export ... -o grad_loss.py)")
    text = export_source(loss, ("w", "b"), "reverse", origin="inspect_backward.py:loss")
    print(text)

    dw, db = srcgrad.grad(loss, wrt=("w", "b"))(w, b, xs)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "grad_loss.py"
        path.write_text(text)
        exported = load(path)
        edw, edb = exported.grad_loss(w, b, xs)
    same = np.array_equal(dw, edw) and float(db) == float(edb)
    print(f"# srcgrad.grad:           dw = {np.round(dw, 6)}, db = {float(db):.6f}")
    print(f"# exported grad_loss:     dw = {np.round(edw, 6)}, db = {float(edb):.6f}")
    print(f"# identical: {same}")
    assert same, "the exported module must compute the same gradient"
    return {"dw": dw, "db": db, "exported": (edw, edb), "text": text}


if __name__ == "__main__":
    main()
