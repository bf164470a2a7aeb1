"""Thread safety and bounded caching: 16 threads share derivatives and each
function compiles once; defining many functions does not leak memory."""
import gc
import linecache
import sys
import threading
import tracemalloc

import numpy as np
import pytest

import srcgrad
from srcgrad import cache

SOURCE = """
import numpy as np

def f{n}(x, w):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.tanh(x * w + {n}) * i)
    return s
"""


def make_function(n: int):
    """A function with its own code object and readable source (through linecache)."""
    filename = f"<srcgrad-test-module-{n}>"
    text = SOURCE.format(n=n)
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    namespace: dict = {}
    exec(compile(text, filename, "exec"), namespace)
    return namespace[f"f{n}"], filename


def expected_gradient(x, w, n):
    t = np.tanh(x * w + n)
    return sum(i * (1 - t * t) * w for i in range(3))


def test_sixteen_threads_compile_each_function_once_and_agree():
    functions = [make_function(1000 + k)[0] for k in range(4)]
    derivatives = [srcgrad.grad(f) for f in functions]
    x, w = np.linspace(-1, 1, 5), 0.7
    before = cache.compile_count
    errors: list = []
    barrier = threading.Barrier(16)

    def work(k):
        try:
            barrier.wait()
            for _ in range(20):
                j = k % 4
                g = derivatives[j](x, w)
                assert np.allclose(g, expected_gradient(x, w, 1000 + j))
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.compile_count - before == 4


def test_many_short_lived_functions_do_not_leak():
    x, w = np.linspace(-1, 1, 5), 0.7

    def churn(start, count):
        for k in range(start, start + count):
            f, filename = make_function(k)
            srcgrad.grad(f)(x, w)
            del linecache.cache[filename]
            del f
        gc.collect()

    churn(2000, 30)  # warm up
    tracemalloc.start()
    churn(3000, 60)
    first, _ = tracemalloc.get_traced_memory()
    churn(4000, 60)
    second, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # 60 more compiled functions must not add their generated code to memory
    assert second - first < 400_000, f"grew by {second - first} bytes"


def test_generated_source_is_dropped_from_linecache_with_its_function():
    f, filename = make_function(5000)
    df = srcgrad.grad(f)
    df(np.ones(2), 0.5)
    generated = [k for k in linecache.cache if k.startswith("<srcgrad grad_f5000")]
    assert generated
    del df, f
    del linecache.cache[filename]
    gc.collect()
    assert not [k for k in linecache.cache if k.startswith("<srcgrad grad_f5000")]


def _parsed_in_turn(x):
    s = 0.0
    for v in x:
        s = s + np.tanh(v) * v
    return s


def test_srcgrads_own_parses_take_turns(monkeypatch, tmp_path):
    """CPython 3.11/3.12 count `ast.parse`'s depth in state threads share: two parses
    at once can fail with "SystemError: AST constructor recursion depth mismatch"
    (FINDINGS18 #13, seen with threads building derivatives). Every parse srcgrad
    makes, to build a derivative and to export one, holds `nodes._PARSE_LOCK`."""
    import ast

    from srcgrad import nodes
    from srcgrad.export import export_source

    real, unlocked, parses = ast.parse, [], []

    def watched(*args, **kwargs):
        if not sys._getframe(1).f_globals.get("__name__", "").startswith("srcgrad"):
            return real(*args, **kwargs)  # pytest's own, say
        parses.append(1)
        if not nodes._PARSE_LOCK.locked():
            unlocked.append(args[0][:60] if args and isinstance(args[0], str) else args)
        return real(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", watched)
    got = srcgrad.grad(_parsed_in_turn)(np.array([0.3, -1.2]))
    want = np.tanh([0.3, -1.2]) + np.array([0.3, -1.2]) / np.cosh([0.3, -1.2]) ** 2
    np.testing.assert_allclose(got, want, rtol=1e-12)
    text = export_source(_parsed_in_turn, ("x",), kinds={"x": "array"})
    assert "def grad__parsed_in_turn(x)" in text
    assert parses and not unlocked, unlocked
