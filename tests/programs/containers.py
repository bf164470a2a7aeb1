import numpy as np

def mlp(params, x, t):
    h = np.tanh(x @ params["W1"] + params["b1"])
    y = h @ params["W2"] + params["b2"]
    return np.mean((y - t) ** 2)

def tup(x, y):
    t = (x * y, x + y)
    a, b = t
    return a * b

def lst_loop(x, y):
    vals = [x, y, x * y]
    s = 0.0
    for v in vals:
        s = s + v * v
    return s

def nested_params(p, x):
    return np.sum(p["layer"][0] * x) + p["layer"][1] * p["scale"]

def dict_build(x):
    d = {"a": x * 2.0, "b": x * x}
    return d["a"] + d["b"] * d["a"]

def list_param(ws, x):
    s = 0.0
    for w in ws:
        s = s + np.sum(w * x)
    return s
