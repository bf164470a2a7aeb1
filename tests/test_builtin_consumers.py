"""`sorted`, `tuple` and `dict` of comprehensions and lists of differentiated values
(issue 14, finding 9): both modes against central differences, ties by hand."""
import numpy as np
import pytest

import srcgrad
from differences import differenced_hessian

X = np.array([0.5, -1.2, 2.0, 0.3])


def smallest_two_doubled(z):
    return sum(sorted(t * 2 for t in z)[:2])


def tuple_of_generator(z):
    return sum(tuple(t * 3 for t in z)) * z[0]


def dict_of_generator(z):
    d = dict((str(i), z[i] ** 2) for i in range(3))
    return d["0"] + d["2"] * z[1]


def dict_of_list_of_pairs(z):
    d = dict([(k, z[i] * 3.0) for i, k in enumerate("abc")])
    return d["a"] * d["c"]


def sorted_descending_products(z):
    s = sorted([z[0], z[1] * z[2], z[3]], reverse=True)
    return s[0] * 2.0 + s[1] * s[2]


def tuple_times_array(z):
    return np.sum(tuple([z[0] * z[1], z[2]]) * np.array([2.0, -1.0]))


@pytest.mark.parametrize("fn", [smallest_two_doubled, tuple_of_generator, dict_of_generator,
                                dict_of_list_of_pairs, sorted_descending_products, tuple_times_array],
                         ids=lambda f: f.__name__)
def test_matches_central_differences_in_both_modes(fn):
    srcgrad.check_grads(fn, (X,), modes=("reverse", "forward"))


def test_sorted_sends_each_slot_back_to_its_item():
    assert np.array_equal(srcgrad.grad(smallest_two_doubled)(X), [0.0, 2.0, 0.0, 2.0])
    assert np.allclose(srcgrad.grad(sorted_descending_products)(X), [2.0, 0.3 * 2.0, 0.3 * -1.2, -2.4])


def test_a_tie_in_sorted_shares_like_central_differences():
    """Slot 1 of sorted([2, 1, 2, 3]) is held by a two-way tie: each gets half."""
    def second(z):
        return sorted(z)[1]
    tie = np.array([2.0, 1.0, 2.0, 3.0])
    assert np.array_equal(srcgrad.grad(second)(tie), [0.5, 0.0, 0.5, 0.0])
    assert srcgrad.jvp(second, (tie,), (np.array([1.0, 0.0, 0.0, 0.0]),))[1] == pytest.approx(0.5)
    both = np.array([2.0, 3.0, 2.0, 3.0])  # the tie fills both slots summed: each gets all
    assert np.array_equal(srcgrad.grad(smallest_two_doubled)(both), [2.0, 0.0, 2.0, 0.0])


def test_dict_of_pairs_is_the_dict_comprehension():
    df = srcgrad.grad(dict_of_generator)
    assert np.allclose(df(X), [2 * 0.5, 2.0 ** 2, 2 * 2.0 * -1.2, 0.0])
    code = [line.split("#")[0] for line in df.source.splitlines()]
    assert not any("dict(" in line for line in code)
    assert any("_comp1[_t1] = " in line for line in code)  # filled slot by slot


@pytest.mark.parametrize("fn", [sorted_descending_products, tuple_of_generator, dict_of_list_of_pairs],
                         ids=lambda f: f.__name__)
def test_hessian(fn):
    assert np.allclose(srcgrad.hessian(fn)(X), differenced_hessian(fn, X), atol=1e-6)


def test_sorted_with_a_key_is_a_located_error():
    def keyed(z):
        return sorted([z[0], z[1]], key=abs)[0]
    with pytest.raises(srcgrad.SrcGradError, match="test_builtin_consumers.py"):
        srcgrad.grad(keyed)(X)


# --- d.items() / d.values() beyond a loop's own iterable (finding 21) -----------------------

PARAMS = {"p": np.array([0.5, -1.0]), "q": np.array([2.0])}


def enumerate_items(d):
    t = 0.0
    for i, (k, v) in enumerate(d.items()):
        t = t + (i + 1) * np.sum(v ** 2)
    return t


def generator_over_enumerate_values(d):
    return sum(np.sum(v ** 2) * (i + 1) for i, v in enumerate(d.values()))


def lists_of_items_and_values(d):
    items = list(d.items())
    values = list(d.values())
    return np.sum(items[1][1] * 3.0) * np.sum(values[0] ** 3)


@pytest.mark.parametrize("fn", [enumerate_items, generator_over_enumerate_values, lists_of_items_and_values],
                         ids=lambda f: f.__name__)
def test_items_and_values_as_values(fn):
    srcgrad.check_grads(fn, (PARAMS,), modes=("reverse", "forward"))


def test_enumerate_items_by_hand():
    g = srcgrad.grad(enumerate_items)(PARAMS)
    assert np.allclose(g["p"], 2 * PARAMS["p"]) and np.allclose(g["q"], 4 * PARAMS["q"])


def test_a_nested_zip_is_a_located_error_with_a_hint():
    def zip_of_zip(xs, ys, zs):
        total = 0.0
        for a, (b, c) in zip(xs, zip(ys, zs)):
            total = total + a * b - c ** 2
        return total
    xs = np.array([0.3, 1.2, -0.4])
    with pytest.raises(srcgrad.SrcGradError, match=r"(?s)test_builtin_consumers.py.*zip\(\.\.\.\).*flatten"):
        srcgrad.grad(zip_of_zip, wrt=1)(xs, xs * 2.0, xs * 3.0)
