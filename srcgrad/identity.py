"""Tables keyed by an object's identity, whose entries go when the object does.

Code objects compare equal when their text and line numbers are equal, even
from two modules, so srcgrad keys what it knows about a function by the
identity of its code object, and a weak reference drops the entry when the
code is gone (its id can then be reused).
"""
from __future__ import annotations

import threading
import weakref


def lookup(table: dict, key, owner):
    """The value stored under `key` for `owner` (by identity), or None."""
    entry = table.get(key)
    return entry[1] if entry is not None and entry[0]() is owner else None


def store(table: dict, key, owner, value):
    """`table[key] = value` for as long as `owner` lives; returns `value`."""
    def drop(_ref, table=table, key=key):  # bound now: at exit module globals go first
        table.pop(key, None)
    table[key] = (weakref.ref(owner, drop), value)
    return value


class PerText:
    """One value per file, made from the file's text and kept while `linecache` hands
    out the same list of lines (a new list is a new version of the file)."""

    def __init__(self, make):
        self._make = make  # (filename, lines) -> value
        self._found: dict = {}  # filename -> (the lines list, its value)
        self._lock = threading.Lock()

    def get(self, filename: str, lines: list):
        with self._lock:
            found = self._found.get(filename)
            if found is not None and found[0] is lines:
                return found[1]
        value = self._make(filename, lines)
        with self._lock:
            self._found[filename] = (lines, value)
        return value
