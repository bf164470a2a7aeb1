import numpy as np

def rnn_outputs(W, h, xs):
    outs = []
    for t in range(3):
        h = np.tanh(W @ h + xs[t])
        outs.append(h)
    return np.sum(np.stack(outs) ** 2)

def running(x):
    vals = []
    s = 0.0
    for i in range(4):
        s = s + x * i
        vals.append(s)
    return vals[1] * vals[3] + sum(vals)

def read_back(x):
    acc = [x]
    for i in range(3):
        acc.append(acc[-1] * x + 1.0)
    return acc[len(acc) - 1]
