"""A real Dask cluster: gradients computed by worker processes match NumPy's (issue 16 item 3).

A `LocalCluster` of two worker processes (one thread each) is started once
for the module; the data is persisted on the workers, the parameters stay
NumPy arrays, and `grad` / `value_and_grad` of a logistic regression and of
a two-layer MLP (parameters in a dict) must agree with the same calls on the
same data in memory to 1e-10. Dask is in the test extra.
"""
import logging

import numpy as np
import pytest

import srcgrad

da = pytest.importorskip("dask.array")  # the test extra installs it; a bare install skips here
distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, silence_logs=logging.ERROR,
                                       timeout=60)
    client = distributed.Client(cluster, timeout=60)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def logreg(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def mlp(params, X, Y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    z = logits - np.max(logits, axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum((z - lse) * Y) / X.shape[0]


def _on_cluster(client, *arrays, rows=250):
    """Each array chunked by `rows` rows and persisted on the workers."""
    out = [da.from_array(a, chunks=(rows,) + a.shape[1:]).persist() for a in arrays]
    distributed.wait(out)
    return out


def _ran_on_workers(client, call):
    """`call()`'s result, and the workers that ran tasks meanwhile (the value is
    computed inside the call too, so that its tasks are counted on the cluster)."""
    with distributed.get_task_stream(client) as stream:
        value, grads = call()
        out = float(value), grads
    return out, {task["worker"] for task in stream.data}


def _close(got, want):
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12)


def test_logistic_regression_gradient_on_a_cluster(client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 6))
    y = (rng.uniform(size=1000) < 0.5).astype(np.float64)
    w = rng.normal(size=6)
    Xd, yd = _on_cluster(client, X, y)

    want_value, want = srcgrad.value_and_grad(logreg)(w, X, y)
    (value, got), workers = _ran_on_workers(client, lambda: srcgrad.value_and_grad(logreg)(w, Xd, yd))
    _close(got, want)
    assert float(value) == pytest.approx(want_value, rel=1e-12)
    assert workers and workers <= set(client.scheduler_info()["workers"])


def test_mlp_dict_gradient_on_a_cluster(client):
    rng = np.random.default_rng(1)
    n, d, hidden, classes = 1000, 8, 16, 4
    params = {"W1": rng.normal(0.0, 0.4, (d, hidden)), "b1": rng.normal(0.0, 0.1, hidden),
              "W2": rng.normal(0.0, 0.3, (hidden, classes)), "b2": rng.normal(0.0, 0.1, classes)}
    X = rng.normal(size=(n, d))
    Y = np.eye(classes)[rng.integers(0, classes, n)]
    Xd, Yd = _on_cluster(client, X, Y)

    want_value, want = srcgrad.value_and_grad(mlp)(params, X, Y)
    (value, got), workers = _ran_on_workers(client, lambda: srcgrad.value_and_grad(mlp)(params, Xd, Yd))
    assert set(got) == set(params)
    for name in params:
        _close(got[name], want[name])
    assert float(value) == pytest.approx(want_value, rel=1e-12)
    assert workers and workers <= set(client.scheduler_info()["workers"])
