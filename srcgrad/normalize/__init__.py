"""Normalization: the user's function rewritten into a small, regular language.

`normalize` runs the passes in order: `desugar` (augmented and annotated
assignment, tuple unpacking, docstrings, `for` loops over `range`), then
`single_exit` (return/break/continue become flags and guards), then `anf`
(one operation per statement). `check_anf` asserts the result's contract; the tests use it.
"""
from __future__ import annotations

from ..errors import SourceInfo
from ..naming import Names
from .anf import anf, check_anf
from .desugar import desugar
from .exits import single_exit

__all__ = ["normalize", "check_anf"]


def normalize(fn, names: Names, source: SourceInfo, is_local, scalar_params=frozenset(),
              is_module_path=None, sequence_params=frozenset(), returns=None, hidden_reads=None, arrays=None,
              copy: bool = True):
    """Desugar then A-normalize `fn` (a gast.FunctionDef); returns a new tree (with
    `copy=False`, for a caller that owns `fn` and reads no more than its signature
    afterwards: `fn` itself, its body changed in place).

    `scalar_params` (parameters known to be Python numbers) lets `y += e`
    through where y can only hold an immutable number; a loop over one of
    `sequence_params` (an array or a list of numbers) reads its items by index;
    `returns` says what a user's function called may hand back, `arrays` which
    global names hold NumPy arrays (aliases);
    `hidden_reads` maps a nested helper's name to the outer locals its calls read.
    """
    fn = desugar(fn, names, source, scalar_params, sequence_params, returns, arrays, copy)  # (what follows changes it)
    fn = single_exit(fn, names)
    return anf(fn, names, source, is_local, is_module_path, hidden_reads)
