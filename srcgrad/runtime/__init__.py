"""The helpers generated code calls at run time, one module per concern.

    core          unbroadcast, broadcast_like, zeros_like: on every derivative's path
    guards        elementwise derivatives kept finite where they are infinite or tied
    checks        errors raised on purpose, defvjp results, the fast path's NaN test
    reductions    sum, prod, max/min, var/std, cumsum/cumprod, sort, logsumexp; where=, initial=; ufunc.outer
    statistics    quantiles, average, cov/corrcoef, histogram
    sampled       trapezoid, interp, convolve/correlate
    shaping       reshape, transpose, stacking, split, tile, repeat, pad, diag, casts
    constructors  full, full_like, linspace, arange (their value arguments)
    linalg        matmul, dot, inner, tensordot, trace, norm, solve, cholesky
    einsum        einsum's subscripts in any form, its adjoints and tangents
    decompositions  slogdet, eigh, svd, qr, pinv, lstsq, matrix functions: tuple parts, eigen gaps
    solves        scipy.linalg's triangular, Cholesky and Sylvester solves
    containers    tuples, lists and dicts carrying gradients; sum, list, loops; `+`, `*`
    writes        `a[index]` and `x[index] = v`, undoing writes, owned copies, tapes
    manipulation  diff, gradient, kron, cross, split, atleast_nd, partition, select, logspace
    second_order  tangents of the adjoint helpers (hessian, hvp, grad of grad)
    special       the SciPy rules' helpers (scipy.signal.convolve's padding)
    stats         scipy.stats: multivariate_normal's and dirichlet's arguments as SciPy reads them

Each helper is a plain function over NumPy values, cheap when there is
nothing to do, and free of srcgrad imports (`export` copies a helper's own
source into a standalone file, see `is_helper`). A helper goes in the module
of its concern, beside its tangent; a module imports only from the ones
above it in this list. This package re-exports every public helper, so
generated code, the rule files (`from srcgrad.runtime import unbroadcast`)
and the tests name them as `srcgrad.runtime.<name>`.
"""
import math  # noqa: F401  (template globals are looked up here: rules/registry.template_global)
import types

import numpy  # noqa: F401  (as math)

from .checks import (arguments_unshared, bound_local, check_finite, entries_unshared, has_nan, nan_free,
                     raise_float_errors, real_buffer,
                     require_real_operand, require_scalar, rule_gradients, shape_rule_error)
from .constructors import (arange_adjoint, arange_tangent, fill_adjoint, fill_tangent, linspace_adjoint,
                           linspace_tangent)
from .containers import (add_grad, concat, concat_adjoint_left, concat_adjoint_right, concat_tangent,
                         dict_unpack_adjoint, entry_adjoints, extreme_pick, extreme_share, fill_grad,
                         float_adjoint_helper, max_of, min_of,
                         list_adjoint_helper, list_tangent_helper, loop_items, loop_items_adjoint, rebuilt,
                         loop_items_tangent, pack_dict, pack_list, pack_tuple, record_adjoint, repeat,
                         repeat_adjoint, repeat_adjoint_other_tangent, repeat_tangent, sorted_adjoint,
                         sorted_tangent, sum_adjoint_helper, sum_tangent_helper, unpack_adjoint)
from .core import (broadcast_like, sequence_like, shape_of, unbroadcast, unbroadcast_against, unbroadcast_to,
                   zeros_like, zeros_like_entry)
from .core import UNBOUND, array_copy, as_array, duck, eager, zeros_shaped  # dispatching to Dask's arrays too
from .decompositions import (diag_embed, eigh_tangent_helper, eigvalsh_tangent_helper, fold_triangle,
                             hermitian_gradient, hermitian_input,
                             frechet_block, gap_difference, gap_quotient, lower_mirror, lstsq_adjoint_helper,
                             lstsq_tangent_helper, output_adjoint, pinv_adjoint_core, pinv_tangent_core,
                             qr_cotangents, qr_factors, qr_tangent_helper, svd_cotangents, svd_factors,
                             svd_factors_tangent, svd_tangent_helper, svd_vector_tangents,
                             symmetric_from_triangle, upper_right)
from .einsum import (EinsumAdjoints, EinsumAdjointTangents, einsum_first_adjoint, einsum_first_adjoint_tangent,
                     einsum_signature, einsum_tangent_helper)
from .guards import (choice_share, clip_share, exponent_tangent, log_or_zero, masked_product, pole_ratio,
                     power_derivative, radial_share, selected_product, sign_of, sinc_derivative,
                     tangent_ratio, tie_share)
from .linalg import (NUMPY_MAJOR_FOR_SOLVE, cholesky_adjoint_helper, cholesky_tangent_helper,
                     dot_adjoint_left, dot_adjoint_right, inner_adjoint_left,
                     inner_adjoint_right, matmul_adjoint_left, matmul_adjoint_right, norm_adjoint_helper,
                     norm_tangent_helper, solve_adjoint_a, solve_adjoint_helper, solve_is_vector,
                     solve_tangent_a, tensordot_adjoint_left, tensordot_adjoint_right, tensordot_axes,
                     trace_adjoint_helper)
from .linalg import det_cofactor, det_cofactor_tangent
from .manipulation import (atleast_adjoint_helper, atleast_tangent_helper, cross_adjoint_left,
                           cross_adjoint_right, diff_adjoint_helper, diff_tangent_helper, gradient_adjoint_helper,
                           gradient_spacing_adjoint, gradient_spacing_adjoint_tangent, gradient_tangent_helper,
                           imaginary_part_adjoint, kron_adjoint_left, kron_adjoint_right, logspace_base,
                           logspace_base_adjoint, logspace_exponents, partition_adjoint_helper,
                           partition_tangent_helper, pieces_adjoint, real_part_adjoint, rollaxis_adjoint_helper,
                           select_adjoint_helper, select_choice, select_default_adjoint)
from .reductions import (cumprod_adjoint_helper, cumprod_tangent_helper, cumsum_adjoint_helper,
                         extreme_tangent_helper, logsumexp_weights, prod_adjoint_helper, prod_tangent_helper,
                         reduced_size, reverse_cumsum, running_extreme_adjoint,
                         running_extreme_tangent, sort_adjoint_helper, sort_tangent_helper,
                         std_adjoint_helper, std_tangent_helper, tie_mean, unreduce, unreduce_extreme,
                         var_adjoint_helper, var_tangent_helper)
from .reductions import (extreme_form_share, extreme_form_tangent, initial_factor, std_where_adjoint,
                         std_where_tangent, var_where_adjoint, var_where_tangent, where_count)
from .special import convolve_padding
from .second_order import (cholesky_adjoint_tangent_z, cumprod_adjoint_tangent_a,
                           norm_adjoint_tangent_x, prod_adjoint_tangent_a, singular_grad_tangent,
                           sinc_derivative_dx, sinc_derivative_dz, solve_adjoint_tangent_a)
from .solves import (band_flip, band_matmul, band_outer, band_transpose, cho_factor_adjoint_helper, cho_factor_tangent_helper, cho_solve_adjoint_factor,
                     cho_solve_adjoint_factor_tangent_helper, cho_solve_tangent_rhs, other_trans,
                     solve_sylvester_stack, trans_flag, triangle_of, triangular_adjoint_a,
                     triangular_tangent_a)
from .shaping import (append_adjoint_helper, array_adjoint_helper, astype_adjoint_helper, cast_tangent,
                      concatenate_adjoint_helper, diag_adjoint_helper, diagonal_adjoint_helper,
                      float_dtype_like, item_adjoint_helper, item_tangent_helper, memory_order, method_axes,
                      pad_adjoint_helper, pad_constant_values_adjoint_helper,
                      pad_constant_values_tangent_helper, pad_tangent_helper, pieces_like,
                      promoted_stack_adjoint_helper, repeat_adjoint_helper, reshape_adjoint_helper,
                      reshape_tangent_helper, split_adjoint_helper, stack_adjoint_helper,
                      structure_adjoint_helper, tile_adjoint_helper, transpose_adjoint_helper)
from .reductions import outer_expand, outer_unexpand
from .sampled import (convolve_adjoint_a, convolve_adjoint_v, interp_fp_adjoint, interp_fp_adjoint_dx, interp_fp_tangent, interp_side,
                      interp_slope, trapezoid_dx_weight, trapezoid_integral, trapezoid_x_adjoint,
                      trapezoid_x_tangent, trapezoid_y_adjoint, trapezoid_y_adjoint_dx)
from .statistics import (average_part, average_scale, average_tangent, average_weights, average_weights_adjoint,
                         corrcoef_tangent, cov_adjoint, cov_adjoint_tangent, cov_diagonal, cov_tangent,
                         histogram_adjoint, histogram_adjoint_dz, histogram_tangent, leading_expand, leading_sum, quantile_adjoint,
                         quantile_q_adjoint, quantile_q_slope, quantile_tangent, square_like)
from .stats import (dirichlet_points, dirichlet_points_adjoint, dirichlet_points_tangent, mvn_cov,
                    mvn_cov_adjoint, mvn_full_rank, mvn_mean, mvn_points, mvn_precision)
from .writes import (MISSING, copy_slice, copy_stack, drop_last, fresh_tape, in_place_result, last_item_adjoint, owned,
                     owned_adjoint, owned_tangent, restore_entry, scatter_add, take_adjoint_helper, unindex,
                     written_adjoint, zero_at)


def is_helper(obj) -> bool:
    """Whether `obj` is one of srcgrad's runtime helpers: a function or class
    defined in a module of this package (not a constant, not `is_helper`).

    The one test of what a helper is: `export` copies such an object by its
    own source and globals, and rules/facts.py describes each one.
    """
    return isinstance(obj, (types.FunctionType, type)) \
        and (getattr(obj, "__module__", None) or "").startswith(__name__ + ".")

