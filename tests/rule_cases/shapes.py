"""Cases for srcgrad/rules/shapes.py (array manipulation and array building)."""
import numpy as np

from rule_cases import C, R, case

# --- reshaping and permuting ------------------------------------------------


@case(np.reshape, variants=[(R(12), C(3, 4)), (R(2, 6), C(3, 4)), (R(4, 3), C(3, 4))])
def reshape_case(x, c):
    return np.sum(np.reshape(x, (3, 4)) * c)


@case(np.reshape, variants=[(R(2, 6), C(4, 3)), (R(3, 4), C(4, 3))])
def reshape_order_f_case(x, c):
    return np.sum(np.reshape(x, (4, 3), order="F") * c)


@case(np.reshape, variants=[(R(2, 3, 2), C(4, 3))])
def reshape_order_a_case(x, c):
    return np.sum(np.reshape(x, (4, -1), "A") * c)


@case(np.reshape, variants=[(R(), C(1, 1))])
def reshape_scalar_case(x, c):
    return np.sum(np.reshape(x, (1, 1)) * c)


@case(np.ravel, variants=[(R(3, 4), C(12)), (R(2, 3, 2), C(12))])
def ravel_case(x, c):
    return np.sum(np.ravel(x) * c)


@case(np.ravel, variants=[(R(3, 4), C(12))])
def ravel_order_f_case(x, c):
    return np.sum(np.ravel(x, order="F") * c)


@case(np.squeeze, variants=[(R(3, 1, 4), C(3, 4)), (R(1, 3, 4, 1), C(3, 4))])
def squeeze_case(x, c):
    return np.sum(np.squeeze(x) * c)


@case(np.squeeze, variants=[(R(3, 1, 4), C(3, 4))])
def squeeze_axis_case(x, c):
    return np.sum(np.squeeze(x, axis=1) * c)


@case(np.squeeze, variants=[(R(1, 3, 1), C(3))])
def squeeze_axes_case(x, c):
    return np.sum(np.squeeze(x, (0, 2)) * c)


@case(np.expand_dims, variants=[(R(3, 4), C(1, 3, 4)), (R(), C(1))])
def expand_dims_case(x, c):
    return np.sum(np.expand_dims(x, 0) * c)


@case(np.expand_dims, variants=[(R(3, 4), C(3, 4, 1))])
def expand_dims_last_case(x, c):
    return np.sum(np.expand_dims(x, axis=-1) * c)


@case(np.expand_dims, variants=[(R(3, 4), C(1, 3, 1, 4))])
def expand_dims_axes_case(x, c):
    return np.sum(np.expand_dims(x, (0, 2)) * c)


@case(np.transpose, variants=[(R(3, 4), C(4, 3)), (R(2, 3, 4), C(4, 3, 2)), (R(5), C(5))])
def transpose_case(x, c):
    return np.sum(np.transpose(x) * c)


@case(np.transpose, variants=[(R(2, 3, 4), C(3, 4, 2))])
def transpose_axes_case(x, c):
    return np.sum(np.transpose(x, (1, 2, 0)) * c)


@case(np.transpose, variants=[(R(2, 3, 4), C(4, 2, 3))])
def transpose_negative_axes_case(x, c):
    return np.sum(np.transpose(x, axes=(-1, 0, 1)) * c)


@case(np.swapaxes, variants=[(R(2, 3, 4), C(4, 3, 2)), (R(5, 3, 4), C(4, 3, 5))])
def swapaxes_case(x, c):
    return np.sum(np.swapaxes(x, 0, 2) * c)


@case(np.swapaxes, variants=[(R(3, 4), C(4, 3))])
def swapaxes_negative_case(x, c):
    return np.sum(np.swapaxes(x, -1, 0) * c)


@case(np.moveaxis, variants=[(R(2, 3, 4), C(3, 4, 2))])
def moveaxis_case(x, c):
    return np.sum(np.moveaxis(x, 0, -1) * c)


@case(np.moveaxis, variants=[(R(2, 3, 4), C(4, 2, 3))])
def moveaxis_many_case(x, c):
    return np.sum(np.moveaxis(x, (0, 1), (1, 2)) * c)


@case(np.broadcast_to, variants=[(R(3), C(4, 3)), (R(1, 3), C(4, 3)), (R(), C(4, 3))])
def broadcast_to_case(x, c):
    return np.sum(np.broadcast_to(x, (4, 3)) * c)


@case(np.broadcast_to, variants=[(R(3, 1), C(2, 3, 4))])
def broadcast_to_middle_case(x, c):
    return np.sum(np.broadcast_to(x, shape=(2, 3, 4)) * c)


@case(np.flip, variants=[(R(5), C(5)), (R(3, 4), C(3, 4))])
def flip_case(x, c):
    return np.sum(np.flip(x) * c)


@case(np.flip, variants=[(R(3, 4), C(3, 4)), (R(3, 4, 2), C(3, 4, 2))])
def flip_axis_case(x, c):
    return np.sum(np.flip(x, axis=1) * c)


@case(np.flip, variants=[(R(3, 4, 2), C(3, 4, 2))])
def flip_axes_case(x, c):
    return np.sum(np.flip(x, (0, 2)) * c)


@case(np.fliplr, variants=[(R(3, 4), C(3, 4)), (R(3, 4, 2), C(3, 4, 2))])
def fliplr_case(x, c):
    return np.sum(np.fliplr(x) * c)


@case(np.flipud, variants=[(R(3, 4), C(3, 4)), (R(5), C(5))])
def flipud_case(x, c):
    return np.sum(np.flipud(x) * c)


@case(np.roll, variants=[(R(7), C(7)), (R(3, 4), C(3, 4))])
def roll_case(x, c):
    return np.sum(np.roll(x, 2) * c)


@case(np.roll, variants=[(R(3, 4), C(3, 4))])
def roll_axis_case(x, c):
    return np.sum(np.roll(x, -1, axis=1) * c)


@case(np.roll, variants=[(R(3, 4), C(3, 4))])
def roll_axes_case(x, c):
    return np.sum(np.roll(x, (1, -2), axis=(0, 1)) * c)


# --- joining ----------------------------------------------------------------


@case(np.concatenate, variants=[(R(3), R(2), C(5)), (R(3, 4), R(2, 4), C(5, 4))], wrt=(0, 1))
def concatenate_case(x, y, c):
    return np.sum(np.concatenate([x, y]) * c)


@case(np.concatenate, variants=[(R(3, 2), R(3, 4), C(3, 6))], wrt=(0, 1))
def concatenate_axis_case(x, y, c):
    return np.sum(np.concatenate((x, y), axis=1) * c)


@case(np.concatenate, variants=[(R(3, 2), R(4), C(10)), (R(2), R(2, 2), C(6))], wrt=(0, 1))
def concatenate_flat_case(x, y, c):
    return np.sum(np.concatenate([x, y], axis=None) * c)


@case(np.concatenate, variants=[(R(2, 3), R(2, 1), C(2, 6))], wrt=(0, 1))
def concatenate_constant_piece_case(x, y, c):
    return np.sum(np.concatenate([x, np.ones((2, 2)), y], -1) * c)


@case(np.concatenate, variants=[(R(3, 2), C(6))])
def concatenate_rows_case(x, c):
    return np.sum(np.concatenate(x) * c)


@case(np.stack, variants=[(R(3), R(3), C(2, 3)), (R(2, 3), R(2, 3), C(2, 2, 3)), (R(), R(), C(2))],
      wrt=(0, 1))
def stack_case(x, y, c):
    return np.sum(np.stack([x, y]) * c)


@case(np.stack, variants=[(R(2, 3), R(2, 3), C(2, 3, 3))], wrt=(0, 1))
def stack_axis_case(x, y, c):
    return np.sum(np.stack((x, x * y, y), axis=1) * c)


@case(np.stack, variants=[(R(2, 3), R(2, 3), C(2, 3, 2))], wrt=(0, 1))
def stack_last_axis_case(x, y, c):
    return np.sum(np.stack([x, y], -1) * c)


@case(np.hstack, variants=[(R(3), R(2), C(5)), (R(3, 2), R(3, 4), C(3, 6)), (R(), R(4), C(5))],
      wrt=(0, 1))
def hstack_case(x, y, c):
    return np.sum(np.hstack([x, y]) * c)


if getattr(np, "row_stack", np.vstack) is not np.vstack:  # a deprecated wrapper on NumPy 2.x
    @case(np.row_stack, variants=[(R(3), R(3), C(2, 3)), (R(2, 3), R(1, 3), C(3, 3))], wrt=(0, 1))
    def row_stack_case(x, y, c):
        return np.sum(np.row_stack((x, y)) * c)


@case(np.vstack, variants=[(R(3), R(3), C(2, 3)), (R(2, 3), R(4, 3), C(6, 3)), (R(3), R(2, 3), C(3, 3))],
      wrt=(0, 1))
def vstack_case(x, y, c):
    return np.sum(np.vstack((x, y)) * c)


@case(np.column_stack, variants=[(R(3), R(3), C(3, 2)), (R(3, 2), R(3), C(3, 3))], wrt=(0, 1))
def column_stack_case(x, y, c):
    return np.sum(np.column_stack([x, y]) * c)


@case(np.append, variants=[(R(3), R(2), C(5)), (R(2, 3), R(4), C(10)), (R(3), R(), C(4))], wrt=(0, 1))
def append_case(x, y, c):
    return np.sum(np.append(x, y) * c)


@case(np.append, variants=[(R(2, 3), R(1, 3), C(3, 3))], wrt=(0, 1))
def append_axis_case(x, y, c):
    return np.sum(np.append(x, y, axis=0) * c)


@case(np.append, variants=[(R(2, 3), R(2, 2), C(2, 5))], wrt=(0, 1))
def append_last_axis_case(x, y, c):
    return np.sum(np.append(x, y, -1) * c)


# --- repeating and padding --------------------------------------------------


@case(np.tile, variants=[(R(3), C(6)), (R(2, 3), C(2, 6)), (R(), C(2))])
def tile_case(x, c):
    return np.sum(np.tile(x, 2) * c)


@case(np.tile, variants=[(R(3), C(2, 9)), (R(2, 3), C(4, 9)), (R(2, 1, 3), C(2, 2, 9))])
def tile_reps_case(x, c):
    return np.sum(np.tile(x, (2, 3)) * c)


@case(np.repeat, variants=[(R(3), C(9)), (R(2, 3), C(18)), (R(), C(3))])
def repeat_case(x, c):
    return np.sum(np.repeat(x, 3) * c)


@case(np.repeat, variants=[(R(2, 3), C(2, 6))])
def repeat_axis_case(x, c):
    return np.sum(np.repeat(x, 2, axis=1) * c)


@case(np.repeat, variants=[(R(2, 3), C(6, 3))])
def repeat_first_axis_case(x, c):
    return np.sum(np.repeat(x, 3, 0) * c)


@case(np.repeat, variants=[(R(3, 2), C(4, 2))])
def repeat_counts_case(x, c):
    return np.sum(np.repeat(x, [1, 0, 3], axis=0) * c)


@case(np.repeat, variants=[(R(2, 2), C(6))])
def repeat_counts_flat_case(x, c):
    return np.sum(np.repeat(x, np.array([2, 1, 0, 3])) * c)


@case(np.pad, variants=[(R(3), C(5)), (R(3, 4), C(5, 6))])
def pad_case(x, c):
    return np.sum(np.pad(x, 1) * c)


@case(np.pad, variants=[(R(3, 4), C(6, 5))])
def pad_widths_case(x, c):
    return np.sum(np.pad(x, ((1, 2), (0, 1)), mode="constant") * c)


@case(np.pad, variants=[(R(3, 4), R(), C(5, 7)), (R(3, 4), R(2), C(5, 7)), (R(3, 4), R(2, 2), C(5, 7))],
      wrt=(0, 1))
def pad_constant_values_case(x, v, c):
    return np.sum(np.pad(x, ((1, 1), (2, 1)), "constant", constant_values=v) * c)


@case(np.pad, variants=[(R(3, 4), C(6, 7))])
def pad_edge_case(x, c):
    return np.sum(np.pad(x, ((1, 2), (3, 0)), mode="edge") * c)


@case(np.pad, variants=[(R(3, 4), C(9, 10)), (R(4), C(10))])
def pad_reflect_case(x, c):
    return np.sum(np.pad(x, 3, mode="reflect") * c)


@case(np.pad, variants=[(R(3, 4), C(9, 10))])
def pad_symmetric_case(x, c):
    return np.sum(np.pad(x, 3, mode="symmetric") * c)


@case(np.pad, variants=[(R(3, 4), C(10, 7))])
def pad_wrap_case(x, c):
    return np.sum(np.pad(x, ((4, 3), (1, 2)), "wrap") * c)


# --- building arrays ----------------------------------------------------------


@case(np.array, variants=[(R(), R(), R(), R(), C(2, 2))], wrt=(0, 1, 2, 3))
def array_nested_case(a, b, e, f, c):
    return np.sum(np.array([[a, b], [e, f]]) * c)


@case(np.array, variants=[(R(3), R(3), C(3, 3)), (R(2, 2), R(2, 2), C(3, 2, 2))], wrt=(0, 1))
def array_of_arrays_case(x, y, c):
    return np.sum(np.array([x, x * y, y]) * c)


@case(np.array, variants=[(R(), R(2), C(2, 3))], wrt=(0, 1))
def array_mixed_case(a, y, c):
    return np.sum(np.array([[a, 1.0, a * a], [y[0], y[1], 2.0]]) * c)


@case(np.array, variants=[(R(3, 4), C(3, 4)), (R(), C())])
def array_passthrough_case(x, c):
    return np.sum(np.array(x) * c)


@case(np.array, variants=[(R(3, 4), C(3, 4))])
def array_dtype_case(x, c):
    return np.sum(np.array(x, dtype=float) * c)


@case(np.array, variants=[(R(4), C(4))])
def array_int_dtype_case(x, c):
    return np.sum((np.array(x * 10.0, dtype=int) + x) * c)


@case(np.asarray, variants=[(R(3, 4), C(3, 4)), (R(), C())])
def asarray_case(x, c):
    return np.sum(np.asarray(x) * c)


@case(np.asarray, variants=[(R(), R(), C(2))], wrt=(0, 1))
def asarray_list_case(a, b, c):
    return np.sum(np.asarray([a, b], dtype=float) * c)


@case(np.copy, variants=[(R(3, 4), C(3, 4)), (R(5), C(5))])
def copy_case(x, c):
    y = np.copy(x)
    return np.sum(y * x * c)


# --- diagonals and triangles --------------------------------------------------


@case(np.diag, variants=[(R(3), C(3, 3)), (R(1), C(1, 1))])
def diag_build_case(x, c):
    return np.sum(np.diag(x) * c)


@case(np.diag, variants=[(R(3), C(4, 4))])
def diag_build_offset_case(x, c):
    return np.sum(np.diag(x, 1) * c)


@case(np.diag, variants=[(R(3), C(5, 5))])
def diag_build_negative_offset_case(x, c):
    return np.sum(np.diag(x, k=-2) * c)


@case(np.diag, variants=[(R(3, 3), C(3)), (R(3, 5), C(3)), (R(4, 2), C(2))])
def diag_extract_case(x, c):
    return np.sum(np.diag(x) * c)


@case(np.diag, variants=[(R(3, 5), C(3)), (R(4, 4), C(3))])
def diag_extract_offset_case(x, c):
    return np.sum(np.diag(x, 1) * c)


@case(np.diag, variants=[(R(4, 3), C(3)), (R(3, 3), C(2))])
def diag_extract_negative_offset_case(x, c):
    return np.sum(np.diag(x, -1) * c)


@case(np.diagonal, variants=[(R(3, 4), C(3)), (R(3, 4, 2), C(2, 3))])
def diagonal_case(x, c):
    return np.sum(np.diagonal(x) * c)


@case(np.diagonal, variants=[(R(3, 4, 5), C(4, 3))])
def diagonal_axes_case(x, c):
    return np.sum(np.diagonal(x, offset=1, axis1=0, axis2=2) * c)


@case(np.diagonal, variants=[(R(4, 3, 5), C(3, 4))])
def diagonal_negative_case(x, c):
    return np.sum(np.diagonal(x, -1, 2, 0) * c)


@case(np.triu, variants=[(R(3, 4), C(3, 4)), (R(2, 3, 3), C(2, 3, 3)), (R(4), C(4, 4))])
def triu_case(x, c):
    return np.sum(np.triu(x) * c)


@case(np.triu, variants=[(R(4, 4), C(4, 4))])
def triu_offset_case(x, c):
    return np.sum(np.triu(x, k=1) * c)


@case(np.tril, variants=[(R(3, 4), C(3, 4)), (R(4), C(4, 4))])
def tril_case(x, c):
    return np.sum(np.tril(x) * c)


@case(np.tril, variants=[(R(4, 4), C(4, 4))])
def tril_offset_case(x, c):
    return np.sum(np.tril(x, -1) * c)
