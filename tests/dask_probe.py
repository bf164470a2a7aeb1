"""What the Dask tests measure: how many times Dask computed, and whether a Dask array
was converted to NumPy (`__array__`) behind the caller's back."""
from __future__ import annotations

import contextlib

import dask
import dask.array as da
from dask.callbacks import Callback


class Probe:
    """Counts of what happened inside a `watching()` block."""

    def __init__(self):
        self.computes = 0  # scheduler runs: dask.compute, persist, and any hidden compute
        self.conversions = 0  # Dask arrays turned into NumPy by `__array__`


@contextlib.contextmanager
def watching(spy: bool = True):
    """Count computations (every run of Dask's local schedulers starts a callback)
    and (`spy`) `Array.__array__` calls, on the synchronous scheduler."""
    probe = Probe()
    original = da.Array.__array__

    def counted(self, *args, **kwargs):
        probe.conversions += 1
        return original(self, *args, **kwargs)

    class Counter(Callback):
        def _start(self, dsk):
            probe.computes += 1

    if spy:
        da.Array.__array__ = counted
    try:
        with dask.config.set(scheduler="synchronous"), Counter():
            yield probe
    finally:
        da.Array.__array__ = original


def chunked(a, parts: int = 2):
    """`a` as a Dask array in `parts` chunks along its first axis (one chunk for a number)."""
    import numpy

    a = numpy.asarray(a)
    if a.ndim == 0:
        return da.from_array(a)
    return da.from_array(a, chunks=(max(1, -(-a.shape[0] // parts)),) + a.shape[1:])
