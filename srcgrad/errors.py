"""The one error type srcgrad raises for user mistakes, and the one door to it.

Every compile-time "cannot do this" is made by `unsupported(...)` so that the
message always carries the file, line, column, the quoted source line and a
hint. Internal invariants use `assert`; a user must never reach one.
"""
from __future__ import annotations

from dataclasses import dataclass


class SrcGradError(Exception):
    """A function cannot be differentiated as written, or was called wrongly.

    Raised when a derivative is built (unsupported syntax or call, no source,
    bad `wrt`) or when a derivative is called with arguments it cannot take
    (non-scalar output under `grad`, a `wrt` argument that is not a number or
    array). Errors raised by the user's own code at run time are never
    wrapped in it.
    """

    def __init__(self, message: str, location: "Location | None" = None, hint: str = ""):
        self.location = location
        self.hint = hint
        self.reason = message
        super().__init__(_render(message, location, hint))


@dataclass(frozen=True)
class Location:
    """Where in the user's source a problem sits (1-based line, 0-based column)."""

    filename: str
    lineno: int
    col: int
    code: str


def _render(message: str, location: Location | None, hint: str) -> str:
    parts = []
    if location is None:
        parts.append(message)
    else:
        parts.append(f"{location.filename}:{location.lineno}:{location.col}: {message}")
        if location.code:
            stripped = location.code.rstrip()
            indent = len(stripped) - len(stripped.lstrip())
            parts.append("    " + stripped.lstrip())
            parts.append("    " + " " * max(location.col - indent, 0) + "^")
    if hint:
        parts.append(f"hint: {hint}")
    return "\n".join(parts)


class SourceInfo:
    """What the error door needs to locate a node: file name and its lines."""

    def __init__(self, filename: str, lines: list[str]):
        self.filename = filename
        self.lines = lines

    def locate(self, node) -> Location:
        lineno = getattr(node, "lineno", None) or 0
        col = getattr(node, "col_offset", None) or 0
        code = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return Location(self.filename, lineno, col, code)


def located(source: SourceInfo | None, node, message: str, hint: str = "") -> SrcGradError:
    """Build an error pointing at `node` in the user's source; the caller raises it."""
    location = source.locate(node) if source is not None else None
    return SrcGradError(message, location, hint)


def unsupported(source: SourceInfo | None, node, what: str, hint: str = "") -> SrcGradError:
    """Build the located error for a construct the compiler cannot differentiate."""
    return located(source, node, f"{what} is not supported", hint)
