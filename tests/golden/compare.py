"""Comparing a text with its golden file, for the golden-text tests.

`SRCGRAD_UPDATE_GOLDEN=1` rewrites the golden file with the text instead
(a change made on purpose; review it as `git diff tests/golden/`).
"""
import difflib
import os

import pytest

UPDATE = os.environ.get("SRCGRAD_UPDATE_GOLDEN") == "1"


def check_golden(path, text: str, what: str) -> None:
    """Fail, showing the diff, when `text` differs from the golden file `path`."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    expected = path.read_text()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"golden/{path.parent.name}/{path.name}", "now"))
        pytest.fail(f"{what} changed (if on purpose, regenerate with SRCGRAD_UPDATE_GOLDEN=1 "
                    f"and review the diff):\n{diff}")
