"""The markers a user writes inside a differentiated function: `no_grad`, `stop_gradient`, `detach`.

They are plain Python (a no-op context manager, the identity), so the
undecorated function still runs. The compiler recognises them by identity:
the front end (`fence`) accepts `with no_grad():` blocks, and `stop_gradient`
is registered here as a function with zero gradient. This module imports
nothing of the compiler, so the front end can import it without the public
API (`srcgrad.api`), which imports the compiler.
"""
from __future__ import annotations


class no_grad:
    """Mark a block whose values carry no gradient.

    Inside a differentiated function, `with srcgrad.no_grad():` runs its body
    as written, and every value it assigns is a constant from there on (as
    with stop_gradient): a name it rebinds carries no gradient afterwards, an
    entry it writes is a constant entry. Outside, it does nothing.

    >>> with no_grad():
    ...     y = 2.0 * 3.0
    >>> y
    6.0
    """

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def stop_gradient(x):
    """Identity forward, zero gradient backward (PyTorch's `.detach()`).

    >>> stop_gradient(3.0)
    3.0
    """
    return x


detach = stop_gradient


def _register_zero_gradient():
    from .rules.registry import nondifferentiable

    nondifferentiable(stop_gradient)


_register_zero_gradient()
