"""A two-layer neural network that reads handwritten digits, trained with srcgrad.

Run it from the repository root:

    pip install -e ".[examples]" && python examples/image_classifier.py

The data are the 1,797 8x8 greyscale digit images that scikit-learn ships
inside its package (`sklearn.datasets.load_digits`: nothing is downloaded).
Each image becomes a vector of 64 pixels; the network maps it to 10 scores,
one per digit:

    h      = tanh(x @ W1 + b1)          64 -> 32 hidden units
    logits = h @ W2 + b2                32 -> 10 classes

The loss is the softmax cross-entropy, written in plain NumPy inside the loss
function (with the log-sum-exp trick, so large scores cannot overflow).
The parameters live in one dict, and `srcgrad.value_and_grad(loss,
wrt="params")` returns the loss and a gradient dict with the same keys.
Training is minibatch stochastic gradient descent, written as an ordinary
Python loop outside the differentiated code.
"""
import numpy as np

import srcgrad

try:
    from sklearn.datasets import load_digits
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "examples/image_classifier.py needs scikit-learn for its bundled digits "
        'data set; install the examples extra: pip install -e ".[examples]"'
    ) from err


# --- The model and its loss (the part srcgrad differentiates) ----------------


def log_softmax(logits):
    """Row-wise log of the softmax, stable for any size of score.

    Subtracting each row's maximum leaves the result unchanged in exact
    arithmetic but keeps np.exp from overflowing. The shift is a constant as
    far as the gradient is concerned (its contributions cancel), so it is
    wrapped in stop_gradient: the generated code then has no adjoint for it.
    """
    shift = srcgrad.stop_gradient(np.max(logits, axis=1, keepdims=True))
    z = logits - shift
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


def loss(params, X, Y):
    """Mean cross-entropy of one-hot labels Y under the network's softmax."""
    h = np.tanh(X @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    logp = log_softmax(logits)                     # a call to our own function
    return -np.mean(np.sum(Y * logp, axis=1))


loss_and_grad = srcgrad.value_and_grad(loss, wrt="params")


def predict(params, X):
    h = np.tanh(X @ params["W1"] + params["b1"])
    return np.argmax(h @ params["W2"] + params["b2"], axis=1)


# --- Data --------------------------------------------------------------------


def load_data(rng, test_fraction=0.25):
    """Standardised train/test split of the digits, labels also one-hot."""
    digits = load_digits()
    X = digits.data.astype(np.float64)
    labels = digits.target
    order = rng.permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    test, train = order[:n_test], order[n_test:]
    # Standardise with statistics of the training images only. A few border
    # pixels are always 0: they keep a spread of 1 instead of dividing by 0.
    mean = X[train].mean(axis=0)
    std = X[train].std(axis=0)
    std[std < 1e-8] = 1.0
    X = (X - mean) / std
    Y = np.eye(10)[labels]
    return X[train], Y[train], labels[train], X[test], labels[test]


def init_params(rng, n_in=64, n_hidden=32, n_out=10):
    return {
        "W1": rng.normal(scale=1.0 / np.sqrt(n_in), size=(n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(scale=1.0 / np.sqrt(n_hidden), size=(n_hidden, n_out)),
        "b2": np.zeros(n_out),
    }


# --- Training ------------------------------------------------------------------


def main(epochs=20, batch_size=32, lr=0.1, hidden=32, seed=0, verbose=True):
    """Train, print the loss per epoch and the test accuracy; return the accuracy."""
    rng = np.random.default_rng(seed)
    X_train, Y_train, labels_train, X_test, labels_test = load_data(rng)
    params = init_params(rng, n_hidden=hidden)
    if verbose:
        print(f"digits: {len(X_train)} training and {len(X_test)} test images, "
              f"{X_train.shape[1]} pixels each")
        print(f"network 64 -> {hidden} (tanh) -> 10, minibatch SGD, batch {batch_size}, "
              f"learning rate {lr}")
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X_train))
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            value, grads = loss_and_grad(params, X_train[batch], Y_train[batch])
            # grads is a dict with the same keys and shapes as params.
            for name in params:
                params[name] = params[name] - lr * grads[name]
            total += value * len(batch)
        if verbose:
            train_acc = np.mean(predict(params, X_train) == labels_train)
            print(f"  epoch {epoch:2d}  loss {total / len(order):.4f}  "
                  f"training accuracy {train_acc:.1%}")
    accuracy = float(np.mean(predict(params, X_test) == labels_test))
    if verbose:
        print(f"test accuracy: {accuracy:.1%}")
    return accuracy


if __name__ == "__main__":
    accuracy = main()
    assert accuracy > 0.9, f"test accuracy {accuracy:.1%} should be above 90%"
