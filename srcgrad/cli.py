"""The `srcgrad` command line (also `python -m srcgrad`).

For now: `--version` and `--help`. `show` and `export` print and write
generated derivatives (SPEC section 3) and arrive with their issue.
"""
from __future__ import annotations

import argparse
import sys

from . import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srcgrad",
        description="Automatic differentiation of Python and NumPy by source transformation.",
        epilog="Commands `show` and `export` (print / write a generated derivative) are "
               "not available in this version.")
    parser.add_argument("--version", action="version", version=f"srcgrad {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = sys.argv[1:] if argv is None else argv
    if not args:
        parser.print_help()
        return 0
    parser.parse_args(args)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
