"""User variables named like srcgrad's generated names, in loops and branches.

Plain Python + NumPy; used by tests/test_control_flow.py.
"""
import math

import numpy as np


def adjoint_names(x, y):
    """Locals named like adjoints (`dx`, `d_x`, `dy`, `ds`)."""
    dx = x * 0.5
    d_x = y + 1.0
    s = 0.0
    for i in range(3):
        dy = dx * d_x + i
        if dy > 0:
            dx = dx + dy * 0.1
        else:
            d_x = d_x * dy
        s = s + dx * d_x
    ds = s * x
    return ds + dx


def adjoint_arrays(x, dx):
    """An argument named `dx` next to an argument `x`, both differentiated."""
    s = 0.0
    for i in range(len(x)):
        d_x = x[i] * dx[i]
        s = s + d_x * d_x
    return s


def temp_names(x, n):
    """Locals named like compiler temporaries, loop counters, break flags and stacks."""
    _stack = [1.0, 2.0]
    _n1 = 0
    _t1 = x
    _brk1 = False
    _i1 = 0
    for k in range(n):
        _t1 = _t1 * x + _stack[k % 2]
        _n1 = _n1 + 1
        if _t1 > 50.0:
            _brk1 = True
            break
        _i1 = _i1 + k
    return _t1 * _n1 + _i1 + (1.0 if _brk1 else 0.0)


def tape_and_saves(x, y):
    """Locals named `tape`, `_x1`, `_dt1`, `_returned1`, `_retval1`, `_cont1`."""
    tape = x * y
    _x1 = x
    _dt1 = 0.0
    _cont1 = 0
    for j in range(4):
        if j == 1:
            _cont1 = _cont1 + 1
            continue
        _dt1 = _dt1 + tape * _x1
        tape = np.sin(tape)
    _returned1 = _dt1 * y
    _retval1 = _returned1 + _cont1
    if _retval1 > 100.0:
        return _retval1
    return _retval1 * tape


def local_np(x):
    """A local named `np` (the module is not used inside this function)."""
    np = 0.0
    for i in range(3):
        np = np + x * (i + 1)
        if np > 2.0:
            np = np * 0.5
    return np * math.sin(x)


def runtime_names(x, w):
    """Locals named like runtime helpers the generated code may call."""
    unbroadcast = x * w
    zeros_like = 0.0
    require_scalar = 1.0
    for i in range(len(w)):
        zeros_like = zeros_like + unbroadcast[i] * require_scalar
        require_scalar = require_scalar * 1.1
    unreduce = np.sum(unbroadcast)
    return zeros_like * unreduce


def loop_var_underscore(x, n):
    """`_` and `__1` as user names (the backward loop variable is derived from `_`)."""
    __1 = x
    s = 0.0
    for _ in range(n):
        s = s + __1 * x
        __1 = __1 * 0.5
    return s + _ * x
