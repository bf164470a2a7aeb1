"""srcgrad: automatic differentiation of Python and NumPy by source transformation.

A derivative is generated as ordinary Python source, compiled once, cached,
and run at NumPy speed; print it with `srcgrad.source(df)`.
"""
__version__ = "0.1.0"

from .errors import SrcGradError  # noqa: E402
from . import rules  # noqa: E402,F401  (registers every derivative rule)
from .markers import detach, no_grad, stop_gradient  # noqa: E402
from .api import grad, jvp, source, value_and_grad, vjp  # noqa: E402
from .higher import hessian, hvp, jacobian  # noqa: E402
from .checks import check_grads  # noqa: E402
from .rules.registry import defjvp, defvjp  # noqa: E402

__all__ = [
    "SrcGradError", "__version__", "check_grads", "defjvp", "defvjp", "detach", "grad", "hessian",
    "hvp", "jacobian", "jvp", "no_grad", "source",
    "stop_gradient", "value_and_grad", "vjp",
]
