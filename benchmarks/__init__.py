"""srcgrad's benchmark suite (not part of the test suite): `python -m benchmarks --help`.

The workloads and their hand-written gradients are in `benchmarks.workloads`;
one adapter per backend in `benchmarks.backends`; the driver in
`benchmarks.runner`. This file imports nothing, so `python -m benchmarks` can
set the thread counts before NumPy is loaded.
"""
