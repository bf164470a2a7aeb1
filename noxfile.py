"""The version matrix (issue 14 item 5): the fast suite on every supported
Python and NumPy, each in a fresh virtual environment.

    nox                       # every combination (.ci/run runs the two corners)
    nox -s "fast(3.12-numpy1.26)"
    nox -l                    # list the sessions
    nox -s full               # the whole suite on each combination (slow; not in CI)

A session installs the project with its `test` extra and the pinned NumPy
(`numpy==1.26.*` or the newest `numpy>=2` for that Python), and runs
`pytest -m fast` (the fast suite: the tests marked `fast` in
tests/conftest.py, chosen to exercise every derivative rule and the common
paths in well under a minute).

Environments are made with uv when it is installed (the `dev` extra has
it), else with the standard library's venv and pip. Interpreters come from
pyenv (`$(pyenv root)/versions/3.X.*`, the newest patch release), else from
`python3.X` on PATH. A missing interpreter is a
failure when pyenv is installed, as on the project's machines, where all
four are expected. Without pyenv (a machine set up otherwise), the
combinations whose interpreter is missing are skipped, listed as skipped in
nox's summary, and .ci/run says so first.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox

# NumPy 1.26 has wheels up to Python 3.12.
MATRIX = [("3.10", "1.26"), ("3.11", "1.26"), ("3.12", "1.26"),
          ("3.10", "2"), ("3.11", "2"), ("3.12", "2"), ("3.13", "2")]
NUMPY_PINS = {"1.26": "numpy==1.26.*", "2": "numpy>=2,<3"}

# uv (in the dev extra) makes an environment and installs into it in a second or
# two once its cache holds the wheels; without uv, the standard library's venv.
nox.options.default_venv_backend = "uv|venv"
nox.options.download_python = "never"  # test the interpreters of this machine, fetch none
nox.options.sessions = ["fast"]
nox.options.reuse_venv = "no"


def _pyenv_root() -> str | None:
    if shutil.which("pyenv") is None:
        return None
    try:
        return subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _version_key(path: str) -> tuple:
    release = os.path.basename(os.path.dirname(os.path.dirname(path)))
    return tuple(int(part) if part.isdigit() else -1 for part in release.split("."))


def interpreter(version: str) -> str:
    """The path of the newest installed Python `version` (`3.12`), or its command name
    (`python3.12`) when none is found (nox then reports it missing)."""
    if PYENV_ROOT is not None:
        found = glob.glob(os.path.join(PYENV_ROOT, "versions", f"{version}.*", "bin", f"python{version}"))
        if found:
            return max(found, key=_version_key)
    on_path = shutil.which(f"python{version}")
    shims = os.path.join(PYENV_ROOT, "shims") if PYENV_ROOT else None
    if on_path and (shims is None or os.path.dirname(on_path) != shims):
        return on_path
    return f"python{version}"


PYENV_ROOT = _pyenv_root()
# Missing interpreters fail where pyenv is installed (the project's machines);
# elsewhere they are skipped, and nox lists them as skipped in its summary.
nox.options.error_on_missing_interpreters = PYENV_ROOT is not None

COMBINATIONS = [nox.param(interpreter(py), numpy, id=f"{py}-numpy{numpy}") for py, numpy in MATRIX]


def _install(session: nox.Session, numpy: str) -> None:
    session.install("-e", ".[test]", NUMPY_PINS[numpy])
    session.run("python", "-c", "import sys, numpy; print('== Python', sys.version.split()[0], "
                "'NumPy', numpy.__version__)")


@nox.session
@nox.parametrize("python,numpy", COMBINATIONS)
def fast(session: nox.Session, numpy: str) -> None:
    """The fast suite on one Python and NumPy."""
    _install(session, numpy)
    session.run("pytest", "-m", "fast", "-p", "no:cacheprovider", *session.posargs)


@nox.session
@nox.parametrize("python,numpy", COMBINATIONS)
def full(session: nox.Session, numpy: str) -> None:
    """The whole suite on one Python and NumPy (minutes each; not run by CI)."""
    _install(session, numpy)
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs)
