"""The runtime helpers as numba compiles them: plain Python, one function per helper.

The numba backend (`srcgrad/native`) writes a derivative's module with these
in place of `srcgrad.runtime`'s helpers of the same name (the exporter copies
each one's source, like a runtime helper's, and decorates it with
`numba.njit`). A runtime helper dispatches on Python types (`type(x) is
float`), which numba cannot type; these dispatch with `isinstance` on the
kinds the backend accepts, Python floats and ints and NumPy float arrays,
which numba resolves at compile time, so a branch for the other kind is
never typed. Each one gives the runtime helper's value on those kinds
(tests/test_native_helpers.py runs both). A helper that is not here makes
the backend refuse the derivative, naming it.

Numba's floats do not raise on a domain error or an overflow (`math.log(0.0)`
is -inf, not a ValueError), so the guards here keep the runtime helpers'
values, not their exceptions; docs/performance.md lists those differences.

    core     numbers and zeros, broadcasting undone and redone (one entry-by-entry kernel)
    guards   the elementwise guards: masked and guarded ratios, shares of max/min/clip
    arrays   reductions (max/min, var/std, cumsum), matmul and dot, subscripts and writes, reshape

The exporter copies a helper of any of these modules, and the private
functions it calls, by their source.
"""
from .core import SrcGradError
from .core import (require_scalar, zeros_like, float_zeros, copy_stack, shape_of, unbroadcast, unbroadcast_to,
                   unbroadcast_against, broadcast_like, unreduce, reduced_size)
from .guards import (masked_product, selected_product, tangent_ratio, pole_ratio, sign_of, log_or_zero, exponent_tangent,
                     power_derivative, choice_share, radial_share, tie_share, clip_share)
from .arrays import (reshape_adjoint_helper, reshape_tangent_helper, transpose_adjoint_helper, unreduce_extreme,
                     extreme_tangent_helper, var_adjoint_helper, std_adjoint_helper, var_tangent_helper,
                     std_tangent_helper, cumsum_adjoint_helper, prod_adjoint_helper,
                     prod_tangent_helper, take_adjoint_helper, matmul_adjoint_left, matmul_adjoint_right,
                     dot_adjoint_left, dot_adjoint_right, unindex, scatter_add, written_adjoint, zero_at,
                     copy_slice, restore_entry, owned, owned_adjoint, owned_tangent, take_axis, matmul)

NAMES = frozenset(name for name, value in list(globals().items())
                  if callable(value) and not name.startswith("_") and name != "SrcGradError")
