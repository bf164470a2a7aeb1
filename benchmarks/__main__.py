"""`python -m benchmarks [--quick] [--only NAME,...] [--backends ...] [--json out.json]`."""
import os
import sys

# One thread for every library, set before NumPy (or JAX, or torch) is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
_xla = os.environ.get("XLA_FLAGS", "")
if "intra_op_parallelism_threads" not in _xla:
    os.environ["XLA_FLAGS"] = (_xla + " --xla_cpu_multi_thread_eigen=false "
                               "intra_op_parallelism_threads=1").strip()
if "numpy" in sys.modules:  # pragma: no cover - only when imported oddly
    print("warning: numpy was imported before the thread counts were set", file=sys.stderr)

from .runner import main  # noqa: E402

sys.exit(main())
