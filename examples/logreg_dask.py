"""Logistic regression on a dataset that need not fit in memory: Dask arrays,
SciPy's BFGS and a gradient from srcgrad.

Run it from the repository root:

    pip install -e ".[dask,examples]" && python examples/logreg_dask.py   # Dask and SciPy
    python examples/logreg_dask.py --rows 100_000_000      # 32 GB of features: out of core
    python examples/logreg_dask.py --scheduler processes
    python examples/logreg_dask.py --scheduler tcp://10.0.0.5:8786   # an existing cluster

The loss is the plain NumPy function `loss` below, the same one you would
write for arrays in memory. The data `X` (rows x features) and labels `y`
are Dask arrays chunked by rows and generated lazily: each chunk of `X` is
drawn from its own seed when a computation needs it, and its labels from the
same chunk of `X`, so the dataset is never held whole, nor written anywhere.
Every evaluation of the loss and its gradient streams over the chunks again,
and memory stays bounded by a few chunks (`--chunk-rows`), whatever `--rows`.

`srcgrad.value_and_grad(loss)` differentiates `loss` by source
transformation; called with Dask data, the NumPy calls in the generated
derivative dispatch to Dask (NumPy's `__array_function__` protocol), so the
gradient is computed chunk by chunk by whichever scheduler is active. SciPy
gets a float and a NumPy gradient (`fun` below) and fits the weights with
BFGS (`jac=True`: one call gives both). The script prints each iteration's
loss and gradient norm, and at the end the process's peak memory beside the
dataset's size.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import srcgrad

SEED = 0


def loss(w, X, y):
    """The mean logistic loss of weights `w` on rows `X` with 0/1 labels `y`."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


loss_and_grad = srcgrad.value_and_grad(loss)   # d loss / d w (argument 0)


# --------------------------------------------------------------------------- the data


def true_weights(features: int, seed: int = SEED) -> np.ndarray:
    """The weights the labels are drawn from (norm about 2)."""
    return np.random.default_rng([seed, features]).normal(size=features) * (2.0 / math.sqrt(features))


def _feature_chunk(seed, block_info=None):
    """Chunk i of X: uniform features of unit variance, drawn from the seed (seed, i)."""
    info = block_info[None]
    rows, features = info["chunk-shape"]
    rng = np.random.default_rng([seed, info["chunk-location"][0]])
    chunk = rng.random((rows, features))
    chunk -= 0.5
    chunk *= math.sqrt(12.0)
    return chunk


def _label_chunk(X_chunk, w_true, seed, block_info=None):
    """Labels of one chunk of X: 1 with probability sigmoid(X_chunk @ w_true)."""
    i = block_info[0]["chunk-location"][0]
    u = np.random.default_rng([seed, i, 1]).random(X_chunk.shape[0])
    return (u * (1.0 + np.exp(-(X_chunk @ w_true))) < 1.0).astype(np.float64)


def make_data(rows: int, features: int, chunk_rows: int, seed: int = SEED):
    """Lazy Dask arrays X (rows x features) and y (rows,), chunked by `chunk_rows` rows."""
    import dask.array as da

    full, last = divmod(rows, chunk_rows)
    row_chunks = (chunk_rows,) * full + ((last,) if last else ())
    X = da.map_blocks(_feature_chunk, seed, chunks=(row_chunks, (features,)), dtype=np.float64,
                      meta=np.empty((0, 0)), name=f"features-{seed}-{rows}-{features}-{chunk_rows}")
    y = X.map_blocks(_label_chunk, true_weights(features, seed), seed, drop_axis=1,
                     dtype=np.float64, meta=np.empty((0,)))
    return X, y


# --------------------------------------------------------------------------- the fit


def fun(w, X, y):
    """The loss and its gradient for `minimize(..., jac=True)`: a float and a NumPy array.

    SciPy wants exactly these types; float() and np.asarray() leave a number and
    a NumPy array as they are (and would compute a Dask value, were one returned).
    """
    value, g = loss_and_grad(w, X, y)
    return float(value), np.asarray(g, dtype=np.float64)


def peak_rss_bytes() -> int:
    """Peak resident memory of this process and of its finished children (Linux: KiB)."""
    scale = 1 if sys.platform == "darwin" else 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * scale


@contextlib.contextmanager
def scheduler_in_use(name: str):
    """Make `name` Dask's scheduler inside the block: threads, processes, synchronous,
    or a Dask cluster's address (a `Client` connected to it runs every compute)."""
    import dask

    if name in ("threads", "synchronous"):
        with dask.config.set(scheduler=name):
            yield
        return
    if name == "processes":   # one pool of worker processes for the whole fit, not one per compute
        with ProcessPoolExecutor(mp_context=multiprocessing.get_context("spawn")) as pool, \
                dask.config.set(scheduler="processes", pool=pool):
            yield
        return
    from dask.distributed import Client

    with Client(name):
        yield


def main(rows=100_000, features=40, chunk_rows=25_000, scheduler="threads", maxiter=100,
         verbose=True):
    """Fit the weights; return (weights, true weights, SciPy's result)."""
    import scipy.optimize

    say = print if verbose else (lambda *a, **k: None)
    with scheduler_in_use(scheduler):
        X, y = make_data(rows, features, chunk_rows)
        size = rows * (features + 1) * 8
        say(f"dataset: {rows:,} rows x {features} features, {X.numblocks[0]} chunks of "
            f"{chunk_rows:,} rows ({size / 2**30:.2f} GiB of float64, generated lazily); "
            f"scheduler: {scheduler}")
        seen = {}

        def objective(w):
            value, g = fun(w, X, y)
            seen[w.tobytes()] = (value, g)
            return value, g

        start = time.perf_counter()
        iteration = [0]

        def progress(w):
            iteration[0] += 1
            value, g = seen[w.tobytes()] if w.tobytes() in seen else objective(w)
            say(f"iteration {iteration[0]:3d}  loss {value:.6f}  |gradient| {np.linalg.norm(g):.2e}  "
                f"({time.perf_counter() - start:.1f} s)", flush=True)

        w0 = np.zeros(features)
        result = scipy.optimize.minimize(objective, w0, jac=True, method="BFGS", callback=progress,
                                         options={"maxiter": maxiter, "gtol": 1e-5})
        w_true = true_weights(features)
        say(f"{result.message.strip()} ({result.nit} iterations, {result.nfev} evaluations of the "
            f"loss and gradient, {time.perf_counter() - start:.1f} s)")
        say(f"|w - w_true| / |w_true| = {np.linalg.norm(result.x - w_true) / np.linalg.norm(w_true):.3f}")
        where = "" if scheduler in ("threads", "synchronous") else " (the chunks live in the workers)"
        say(f"peak memory {peak_rss_bytes() / 2**30:.2f} GiB{where}; dataset {size / 2**30:.2f} GiB")
        return result.x, w_true, result


def _count(text: str) -> int:
    return int(text.replace("_", ""))


def cli(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=_count, default=100_000, help="rows of X (default 100_000)")
    parser.add_argument("--features", type=_count, default=40, help="columns of X (default 40)")
    parser.add_argument("--chunk-rows", type=_count, default=25_000,
                        help="rows per chunk; memory grows with it (default 25_000)")
    parser.add_argument("--scheduler", default="threads",
                        help="threads, processes, synchronous, or a Dask cluster's address "
                             "(tcp://host:8786)")
    parser.add_argument("--maxiter", type=int, default=100, help="BFGS iterations at most")
    args = parser.parse_args(argv)
    main(args.rows, args.features, args.chunk_rows, args.scheduler, args.maxiter)


if __name__ == "__main__":
    cli()
