"""What the compiler knows about a function before it differentiates it.

`resolve` (what each statement computes: its `Op`), `activity` (what needs a
derivative), `aliases` (what is written in place, and what may share memory
with it), `effects` (what calls change), `shapes` and `kinds` (what a value's
shape and kind are, for the whole-function passes).
"""
