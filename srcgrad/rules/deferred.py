"""Rule modules loaded when first needed: SciPy's (issue 14 item 6).

`import srcgrad` must not import SciPy, which costs more than NumPy does.
`srcgrad.rules` registers each `rules/scipy_<name>.py` here with `defer`
instead of importing it. `load_due` imports it once its namespace
(`scipy.<name>`) is in `sys.modules`: a SciPy object can exist only after
its module was imported, so a derivative that meets one finds its rules.
The registry and the facts table call `load_due` before every query; it
costs one check while no module was imported since the last one.
`generation` counts the loads, so that the facts table, built from the
rules, knows when to build again.
"""
from __future__ import annotations

import sys
import threading
from importlib import import_module

_DEFERRED: dict[str, str] = {}  # rules module -> the module whose import makes it due
_LOAD_LOCK = threading.RLock()
_GENERATION = [0]


_NAMESPACES: tuple = ()  # the namespaces of `_DEFERRED`, each once (load_due runs per query)


def defer(rules_module: str, namespace: str) -> None:
    """Import `rules_module` only once `namespace` has been imported by someone."""
    global _NAMESPACES
    _DEFERRED[rules_module] = namespace
    _NAMESPACES = tuple(sorted(set(_DEFERRED.values())))


_CHECKED_AT = [-1]  # len(sys.modules) when nothing was found due


def load_due() -> None:
    """Import every deferred rules module whose namespace is imported by now. (Asked
    thousands of times per build: while `sys.modules` has as many entries as when
    nothing was due, nothing was imported since, and nothing is looked for.)"""
    modules = sys.modules
    count = len(modules)
    if count == _CHECKED_AT[0]:
        return
    for namespace in _NAMESPACES:
        if namespace in modules:
            _load(lambda namespace: namespace in sys.modules)
            return
    _CHECKED_AT[0] = count


def load_deferred() -> None:
    """Import every deferred rules module now (and so SciPy): for what lists all
    rules (docs/gen_supported.py, the registry-walking tests)."""
    _load(lambda namespace: True)


def pending() -> dict[str, str]:
    """{rules module: namespace} of the modules not loaded yet."""
    return dict(_DEFERRED)


def generation() -> int:
    """How many deferred rules modules were loaded so far (the rules may have grown)."""
    return _GENERATION[0]


def _load(due) -> None:
    global _NAMESPACES
    with _LOAD_LOCK:  # a second thread waits until the rules are registered
        for rules_module, namespace in list(_DEFERRED.items()):
            if rules_module not in _DEFERRED or not due(namespace):
                continue
            try:
                import_module(rules_module)
            except ModuleNotFoundError as err:  # SciPy (or this rules module) missing
                if err.name not in (rules_module, namespace.partition(".")[0]):
                    raise
            finally:
                _DEFERRED.pop(rules_module, None)
                _NAMESPACES = tuple(sorted(set(_DEFERRED.values())))
                _GENERATION[0] += 1
