"""A numba module's text on disk, imported: where numba's own cache finds it again.

numba caches a compiled function beside its source file (`cache=True`), keyed
by the file, the function and the argument types. A derivative's module is
written once to `<cache>/srcgrad_<name>_<digest>.py`, the digest that of its
text (and of the numba and Python versions): the same derivative in another
process is the same file, unchanged, and numba loads its machine code from
that file's cache instead of compiling it again. The directory is
`$SRCGRAD_CACHE_DIR`, else `$XDG_CACHE_HOME/srcgrad` (`~/.cache/srcgrad`),
under `numba/`; a temporary directory where those cannot be written.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading

_LOCK = threading.Lock()


def cache_dir() -> str:
    """The directory numba modules are written to (made if need be)."""
    root = os.environ.get("SRCGRAD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "srcgrad")
    for directory in (os.path.join(root, "numba"),
                      os.path.join(tempfile.gettempdir(), f"srcgrad-numba-{os.getuid()}")):
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError:
            continue
        if os.access(directory, os.W_OK):
            return directory
    raise OSError("no writable directory for srcgrad's numba modules; set SRCGRAD_CACHE_DIR")


def module_path(text: str, name: str) -> str:
    import numba

    digest = hashlib.sha256(f"{numba.__version__}\n{sys.version}\n{text}".encode()).hexdigest()[:20]
    return os.path.join(cache_dir(), f"srcgrad_{name}_{digest}.py")


def load(text: str, name: str):
    """The module `text` defines, from its file (written only if it is not there yet)."""
    path = module_path(text, name)
    with _LOCK:
        if not os.path.exists(path):
            partial = f"{path}.{os.getpid()}.tmp"
            with open(partial, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(partial, path)  # whole or not at all, for another process reading it
        module_name = "_srcgrad_native_" + os.path.basename(path)[:-3]
        module = sys.modules.get(module_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
    return module
