"""Shared test set-up: the example programs in tests/programs are importable by name."""
import pathlib
import sys

PROGRAMS = pathlib.Path(__file__).parent / "programs"
if str(PROGRAMS) not in sys.path:
    sys.path.insert(0, str(PROGRAMS))
