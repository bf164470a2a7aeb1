"""Functions whose derivative differs by argument kind (tests/test_source_kinds.py)."""
import numpy as np


def energy(x, w):
    return np.sum(np.tanh(x * w) ** 2) + 0.5 * np.sum(w)


def annotated(x: float, k: int, w, scale=2.0, mask=None):
    return np.sum(w * x ** k) * scale


def stepped(x, steps=3):
    for i in range(steps):
        x = x * 0.5 + np.sin(x)
    return np.sum(x * x)
