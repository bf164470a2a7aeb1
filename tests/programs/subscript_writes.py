import numpy as np

def build(x, w):
    out = np.zeros(4)
    for i in range(4):
        out[i] = x[i] * w
    return np.sum(out * out)

def overwrite(x, y):
    z = x * 1.0
    z[1:3] = y
    z[0] += y[0] * z[3]
    return np.sum(z ** 2)

def masked(x):
    z = x * 2.0
    z[x > 0] = 0.0
    return np.sum(z * x)

def repeated(x, v):
    z = np.zeros(5)
    z[np.array([1, 1, 2])] = v
    return np.sum(z * x)

def cumulative(x):
    out = np.zeros(5)
    out[0] = x[0]
    for i in range(1, 5):
        out[i] = out[i - 1] * 0.5 + x[i]
    return np.sum(out ** 2)

def branch_write(x, c):
    z = x.copy()
    if c > 0:
        z[0] = z[1] * c
    else:
        z[2] = z[0] * c
    return np.sum(z * z)

def two_d(x, y):
    m = np.zeros((3, 3))
    m[:, 1] = x
    m[0, :] += y
    m[2, 2] = m[0, 1] * m[1, 1]
    return np.sum(m * m)


def in_loop_branch(x, w):
    out = np.zeros(4)
    for i in range(4):
        if x[i] > 0:
            out[i] = x[i] * w
        else:
            out[i] = w
        out[i] += out[i] * x[i]
    return np.sum(out * out)


def row_updates(m, v):
    a = m * 1.0
    for i in range(3):
        a[i] = a[i] * v + a[(i + 1) % 3]
    return np.sum(np.tanh(a))


def overwrite_then_read_old(x):
    y = x * 2.0
    s = np.sum(y * y)
    y[0] = 5.0
    return s + np.sum(y * x)
