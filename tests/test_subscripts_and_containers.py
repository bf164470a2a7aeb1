"""Subscript writes (x[i] = v, x[1:3] += v, masks, repeated indices) and
containers (tuple/list/dict displays, pytree arguments), against central
differences."""
import numpy as np
import pytest

import srcgrad
import containers as C
import subscript_writes as S

rng = np.random.default_rng(11)

WRITES = [
    (S.build, (rng.normal(size=4), 0.7), (0, 1)),
    (S.overwrite, (rng.normal(size=5), rng.normal(size=2)), (0, 1)),
    (S.masked, (rng.normal(size=6),), (0,)),
    (S.repeated, (rng.normal(size=5), 0.3), (0, 1)),
    (S.cumulative, (rng.normal(size=5),), (0,)),
    (S.branch_write, (rng.normal(size=3), 0.5), (0, 1)),
    (S.branch_write, (rng.normal(size=3), -0.5), (0, 1)),
    (S.two_d, (rng.normal(size=3), rng.normal(size=3)), (0, 1)),
    (S.in_loop_branch, (rng.normal(size=4), 0.8), (0, 1)),
    (S.row_updates, (rng.normal(size=(3, 2)), 0.6), (0, 1)),
    (S.overwrite_then_read_old, (rng.normal(size=4),), (0,)),
]


@pytest.mark.parametrize("fn,args,wrt", WRITES, ids=lambda v: getattr(v, "__name__", ""))
def test_subscript_writes_match_finite_differences(fn, args, wrt):
    srcgrad.check_grads(fn, args, wrt=wrt)


def test_subscript_write_restores_the_input_it_changed():
    x = rng.normal(size=5)
    before = x.copy()

    srcgrad.grad(S.masked)(x)
    assert np.array_equal(x, before)


def test_repeated_index_write_gives_gradient_only_to_the_last_write():
    x = np.arange(5.0)
    # z[1] = v and z[2] = v take effect once each: d/dv sum(z * x) = x[1] + x[2]
    assert srcgrad.grad(S.repeated, wrt=1)(x, 0.3) == pytest.approx(3.0)


def test_a_loop_of_writes_tapes_the_overwritten_entry_not_the_array():
    df = srcgrad.grad(S.cumulative)
    df(rng.normal(size=5))
    assert "_stack.append(out)" not in df.source
    # the backward sweep reads no entry of out (its adjoint adds in place): nothing of it is taped
    assert "copy_slice(out" not in df.source and "dout[i] = 0.0" in df.source


CONTAINERS = [
    (C.tup, (0.7, 1.3), (0, 1)),
    (C.lst_loop, (0.7, 1.3), (0, 1)),
    (C.dict_build, (0.7,), (0,)),
    (C.list_param, ([rng.normal(size=2), rng.normal(size=2)], rng.normal(size=2)), (0, 1)),
    (C.nested_params, ({"layer": [rng.normal(size=3), 0.5], "scale": 2.0}, rng.normal(size=3)), (0,)),
]


@pytest.mark.parametrize("fn,args,wrt", CONTAINERS, ids=lambda v: getattr(v, "__name__", ""))
def test_containers_match_finite_differences(fn, args, wrt):
    srcgrad.check_grads(fn, args, wrt=wrt)


def test_dict_params_get_a_dict_gradient_of_the_same_structure():
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 2)), "b2": rng.normal(size=2)}
    x, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    g = srcgrad.grad(C.mlp)(params, x, t)
    assert set(g) == set(params)
    assert all(g[k].shape == params[k].shape for k in params)
    srcgrad.check_grads(C.mlp, (params, x, t), wrt=0)


def unused_entry(p, x):
    return np.sum(p["used"] * x)


def test_an_entry_the_output_does_not_use_gets_zeros():
    p = {"used": rng.normal(size=3), "unused": rng.normal(size=(2, 2)), "n": 3.0}
    g = srcgrad.grad(unused_entry)(p, np.ones(3))
    assert np.array_equal(g["unused"], np.zeros((2, 2))) and g["n"] == 0.0
    assert np.allclose(g["used"], np.ones(3))


def test_a_wrt_pytree_with_a_string_leaf_is_refused():
    with pytest.raises(srcgrad.SrcGradError, match=r"p\['name'\]"):
        srcgrad.grad(unused_entry)({"used": np.ones(3), "name": "w"}, np.ones(3))


import appends as A  # noqa: E402

APPENDS = [
    (A.rnn_outputs, (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), rng.normal(size=(3, 3))), (0, 1, 2)),
    (A.running, (0.7,), (0,)),
    (A.read_back, (0.6,), (0,)),
]


@pytest.mark.parametrize("fn,args,wrt", APPENDS, ids=lambda v: getattr(v, "__name__", ""))
def test_lists_built_with_append_match_finite_differences(fn, args, wrt):
    srcgrad.check_grads(fn, args, wrt=wrt)


def test_the_backward_sweep_undoes_each_append():
    df = srcgrad.grad(A.running)
    df(0.7)
    assert "vals.pop()" in df.source or "_stack" in df.source
    assert df(0.7) == pytest.approx(srcgrad.grad(A.running)(0.7))


@pytest.mark.parametrize("fn,args,wrt", WRITES + CONTAINERS + APPENDS, ids=lambda v: getattr(v, "__name__", ""))
def test_forward_mode_matches_finite_differences(fn, args, wrt):
    srcgrad.check_grads(fn, args, wrt=wrt, modes=("forward",))


def rosen(x):
    s = 0.0
    for i in range(len(x) - 1):
        s = s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def test_a_list_of_numbers_read_by_index_gets_a_plain_list_adjoint():
    x = [0.3, -0.2, 1.1, 0.5]
    df = srcgrad.grad(rosen)
    g = df(x)
    assert isinstance(g, list) and len(g) == 4
    srcgrad.check_grads(rosen, (x,), modes=("reverse", "forward"))
    assert "dx[i] = dx[i] - " in df.source and "add_grad" not in df.source
    assert "unbroadcast" not in df.source  # the entries are Python numbers
    assert srcgrad.grad(rosen)(tuple(x)) == pytest.approx(tuple(g))
