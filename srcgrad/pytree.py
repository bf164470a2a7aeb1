"""Flatten and rebuild nested dicts, lists and tuples of numbers and arrays.

Shared by the API boundary and check_grads, so that a `params` dict is
perturbed, compared and reported entry by entry.
"""
from __future__ import annotations

from .runtime.core import sequence_like


def flatten(tree, path: str = ""):
    """([(path, leaf), ...], rebuild) where rebuild(leaves) makes a new tree."""
    if isinstance(tree, dict):
        parts = [(k, flatten(v, f"{path}[{k!r}]")) for k, v in tree.items()]
        leaves = [leaf for _, (sub, _) in parts for leaf in sub]

        def rebuild(values):
            out, i = {}, 0
            for key, (sub, build) in parts:
                out[key] = build(values[i:i + len(sub)])
                i += len(sub)
            return out

        return leaves, rebuild
    if isinstance(tree, (list, tuple)):
        parts = [flatten(v, f"{path}[{i}]") for i, v in enumerate(tree)]
        leaves = [leaf for sub, _ in parts for leaf in sub]

        def rebuild(values):
            out, i = [], 0
            for sub, build in parts:
                out.append(build(values[i:i + len(sub)]))
                i += len(sub)
            return sequence_like(tree, out)

        return leaves, rebuild
    return [(path, tree)], lambda values: values[0]
