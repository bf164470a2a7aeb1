import numpy as np

def outer(x, w):
    scale = 2.0
    def g(v):
        return np.tanh(v * w) * scale
    s = g(x) + g(x * 2.0)
    return np.sum(s)

def outer_loop(x, w):
    def step(h, k=0.5):
        return h * w + k
    h = x
    for i in range(3):
        h = step(h)
    return h * h

def deeper(x):
    def a(v):
        def b(u):
            return u * x
        return b(v) + v
    return a(x * 3.0)
