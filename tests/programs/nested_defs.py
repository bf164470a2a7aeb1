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


def rebinds_what_it_reads(a, b):
    def g(t):
        return a * t
    a = g(b)  # the new a is made from the old one, read inside g
    return a


def closure_stepper(x, k):
    def step(dt):
        return x + dt * (-k * x ** 3)
    for _ in range(10):
        x = step(0.1)
    return x


def squares_twice(a):
    def sq():
        return a * a
    a = sq()
    a = sq()
    return a


def layers_reading_h(x):
    h = x
    def layer(w):
        return np.tanh(w * h)
    for i in range(3):
        h = layer(x[i])
    return np.sum(h * np.arange(1.0, 5.0))


def helper_calls_helper(x):
    a = x[0]
    def g(t):
        return a * t
    def h(t):
        return g(t) + a
    return h(x[1])


def helper_calls_a_constant_helper(x, n):
    def scale(k):
        return k * 2.0
    def h(t):
        return t * scale(n)  # not differentiated: called as written
    return h(x)


def helpers_in_a_chain(x, w):
    a = x
    def g(t):
        return np.sin(a * t)
    def h(t):
        return g(t) * w
    def k(t):
        return h(t) + g(t * 2.0)
    for i in range(3):
        a = k(a)  # k reads a through h and g
    return a
