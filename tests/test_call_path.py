"""The cached call path of a derivative: argument kinds, wrt checks and the
conversion of gradients, on the fast paths (every argument positional, the
function already compiled for these kinds) and the general one (keywords).

Every gradient here is derived by hand.
"""
import collections

import numpy as np
import pytest

import srcgrad
from srcgrad import api


def keyed_product(p):
    return p["a"] * p["b"]


def test_an_ordered_dict_of_floats_is_a_record_not_a_list_of_numbers():
    # its entries are read by key, so its adjoint cannot be a list indexed by position
    od = collections.OrderedDict(a=2.0, b=3.0)
    assert api._kind(od) == "record"
    assert api._kind([2.0, 3.0]) == "numbers" and api._kind((2.0, 3.0)) == "numbers"
    g = srcgrad.grad(keyed_product)(od)
    assert g == {"a": 3.0, "b": 2.0} and type(g) is dict


@pytest.mark.parametrize("value, kind", [
    (1.5, "scalar"), (2, "scalar"), (True, "other"), (np.float64(1.0), "scalar"),
    (np.float32(1.0), "other"), (np.ones(2), "array"), (np.ma.ones(2), "array"),
    ([], "record"), ((), "record"), ({}, "record"), ([1.0, 2.0], "numbers"), ((1.0,), "numbers"),
    ([1.0, 2], "container"), ([1.0, np.ones(2)], "record"), ({"a": 1.0}, "record"),
    ({"a": np.ones(2), "b": 1.0}, "record"), ({"a": [1.0]}, "container"), ([[1.0]], "container"),
    ([np.float64(1.0)], "container"), ([True], "container"), ("s", "other"), (None, "other"),
])
def test_kinds(value, kind):
    assert api._kind(value) == kind
