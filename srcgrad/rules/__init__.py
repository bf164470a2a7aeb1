"""Derivative rules, one module per namespace; importing this registers them all,
except SciPy's, which load when SciPy is first met (issue 14 item 6).

The modules are imported under aliases so that none of them needs both the
real NumPy and a rules module under the same name.

SciPy rules: every module `rules/scipy_<name>.py` (and `rules/scipy.py`)
is found here by its name and registered with `deferred.defer`, not
imported: `import srcgrad` must not import SciPy. `scipy_<name>` (also
`scipy_<name>_<more>`) covers `scipy.<name>`, and is imported the first
time the registry or the facts table is asked anything once `scipy.<name>`
is in `sys.modules` (an object of a SciPy module exists only after its
module was imported). `deferred.load_deferred()` imports them all (the
registry-walking tests, docs/gen_supported.py).
"""
import pkgutil

from . import deferred, registry
from . import operators as operators_rules  # noqa: F401


def _import_optional(name: str) -> None:
    try:
        __import__(f"{__name__}.{name}")
    except ModuleNotFoundError as err:  # a namespace not written yet
        if err.name != f"{__name__}.{name}":
            raise


for _name in ("numpy", "shapes", "ndarray", "linalg", "math", "builtins", "runtime",
              "manipulation", "statistics", "sampled", "reductions", "ufuncs", "decompositions"):
    _import_optional(_name)

for _info in pkgutil.iter_modules(__path__):
    if _info.name == "scipy" or _info.name.startswith("scipy_"):
        _parts = _info.name.split("_")
        deferred.defer(f"{__name__}.{_info.name}", ".".join(_parts[:2]))

lookup = registry.lookup
