"""Tables keyed by an object's identity, whose entries go when the object does.

Code objects compare equal when their text and line numbers are equal, even
from two modules, so srcgrad keys what it knows about a function by the
identity of its code object, and a weak reference drops the entry when the
code is gone (its id can then be reused).
"""
from __future__ import annotations

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
