"""srcgrad quick start: a first gradient, its generated source, and a model fit.

Run it from the repository root:

    pip install -e ".[test]" && python examples/quickstart.py

Part 1 differentiates a one-line function and prints the Python code srcgrad
wrote for its gradient. Part 2 fits a logistic-regression model with plain
gradient descent, using `srcgrad.value_and_grad` for the loss and its
gradient in one call.
"""
import numpy as np

import srcgrad

# --- Part 1: the lemonade stand ---------------------------------------------
#
# Lemonade sold at `price` makes a profit of -(price - 5) ** 2: best at 5.
# Minimising the loss -profit, its gradient at price 10 says "lower the
# price": d/dprice (price - 5) ** 2 = 2 * (10 - 5) = 10.


def loss(price):
    profit = -(price - 5) ** 2
    return -profit


dloss = srcgrad.grad(loss)
price = 10.0
g = dloss(price)
assert g == 10.0, g

print("Part 1: the lemonade stand")
print(f"  loss({price}) = {loss(price)}, d loss / d price = {g}")
print("  the gradient function srcgrad generated:")
print()
print(srcgrad.source(dloss))

# --- Part 2: logistic regression by gradient descent ------------------------
#
# 400 points with 5 features; the labels come from a fixed linear rule with
# a little noise. Only the loss is differentiated: the loop that updates
# the parameters is ordinary Python outside it.


def nll(w, b, X, y):
    """Mean negative log-likelihood of labels y under p = sigmoid(X @ w + b)."""
    z = X @ w + b
    p = 1 / (1 + np.exp(-z))
    ll = y * np.log(p) + (1 - y) * np.log(1 - p)
    return -np.mean(ll)


rng = np.random.default_rng(0)
n, k = 400, 5
X = rng.normal(size=(n, k))
w_true = np.array([1.5, -2.0, 0.5, 0.0, 1.0])
b_true = -0.5
noise = 0.3 * rng.normal(size=n)
y = (X @ w_true + b_true + noise > 0).astype(float)

loss_and_grad = srcgrad.value_and_grad(nll, wrt=("w", "b"))

w = np.zeros(k)
b = 0.0
lr = 0.5
print("Part 2: logistic regression, plain gradient descent")
print(f"  {n} points, {k} features, learning rate {lr}")
for step in range(301):
    value, (dw, db) = loss_and_grad(w, b, X, y)
    if step % 50 == 0:
        print(f"  step {step:3d}  loss {value:.4f}")
    w = w - lr * dw
    b = b - lr * db

pred = (X @ w + b > 0).astype(float)
accuracy = np.mean(pred == y)
print(f"  final loss {nll(w, b, X, y):.4f}, training accuracy {accuracy:.1%}")
print(f"  w = {np.round(w, 2)}, b = {b:.2f}")
assert nll(w, b, X, y) < 0.3, "the loss should have fallen well below log(2)"
assert accuracy > 0.9, accuracy
