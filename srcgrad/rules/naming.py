"""Readable dotted names of primitives, for messages and the supported page.

`numpy.tanh`, `numpy.add.reduce` (a ufunc's method), `scipy.special.gammaln`
(SciPy's ufuncs carry no module), `scipy.stats.norm.logpdf` (a method of a
module-level object), `srcgrad.runtime.unbroadcast` (a helper, by the name its
package exports).
"""
from __future__ import annotations

import sys
import types

import numpy

def qualname(primitive) -> str:
    """A readable dotted name for a primitive, for messages: 'numpy.tanh'."""
    owner = getattr(primitive, "__self__", None)
    if isinstance(owner, numpy.ufunc):
        return f"numpy.{owner.__name__}.{primitive.__name__}"  # a ufunc's method: numpy.add.reduce
    if isinstance(primitive, types.MethodType) and not isinstance(primitive.__self__, type):
        return _method_name(primitive)
    module = getattr(primitive, "__module__", None) or ""
    name = getattr(primitive, "__qualname__", None) or getattr(primitive, "__name__", None)
    if name is None:
        objclass = getattr(primitive, "__objclass__", None)
        name = f"{getattr(objclass, '__name__', '?')}.{getattr(primitive, '__name__', '?')}"
    if isinstance(primitive, numpy.ufunc) and not module:
        module = _ufunc_namespace(primitive)
    if module.startswith("numpy"):
        module = "numpy" if "linalg" not in module else "numpy.linalg"
    if module.startswith("srcgrad.runtime."):  # a helper, by the name its package exports
        module = "srcgrad.runtime"
    if module in ("builtins", "_operator", ""):
        module = {"_operator": "operator"}.get(module, "")
    return f"{module}.{name}" if module else name


def _ufunc_namespace(ufunc) -> str:
    """'scipy.special' for one of its ufuncs (they carry no __module__), else 'numpy'."""
    special = sys.modules.get("scipy.special")  # a SciPy ufunc means SciPy is imported already
    if special is not None and getattr(special, ufunc.__name__, None) is ufunc:
        return "scipy.special"
    return "numpy"


def _method_name(method) -> str:
    """'scipy.stats.norm.logpdf': a method of a module-level object, named by the public
    package of the object's module, the object's name there and the method's name."""
    owner = type(method.__self__)
    module = sys.modules.get(owner.__module__)
    name = next((k for k, v in vars(module).items() if v is method.__self__), None) if module else None
    package = owner.__module__.split("._")[0]  # scipy.stats._continuous_distns -> scipy.stats
    return f"{package}.{name or owner.__name__}.{method.__func__.__name__}"
