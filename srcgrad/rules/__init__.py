"""Derivative rules, one module per namespace; importing this registers them all.

The modules are imported under aliases so that none of them needs both the
real NumPy and a rules module under the same name.
"""
from . import registry
from . import operators as operators_rules  # noqa: F401

for _optional in ("numpy", "shapes", "ndarray", "linalg", "math", "builtins", "runtime",
                  "manipulation", "statistics", "sampled", "reductions", "ufuncs", "decompositions",
                  "scipy_special", "scipy_special_erf", "scipy_special_bessel", "scipy_linalg", "scipy_signal",
                  "scipy_stats"):
    try:
        __import__(f"{__name__}.{_optional}")
    except ModuleNotFoundError as _err:  # a namespace not written yet
        if _err.name != f"{__name__}.{_optional}":
            raise

lookup = registry.lookup
