"""What the runtime helpers the numba backend has no version of are there for, in the user's words.

A derivative that calls such a helper is refused (export/exporter.py) at the
user's line; the refusal names what that line does that the numba backend
does not compile yet (FINDINGS17 #15), then the helper, for a report.
"""

CONSTRUCTS = {
    "add_grad": "a gradient that is not a float or a float array (a list made in the function, "
                "a list of ints, a NumPy float32 or int scalar, list(ndarray))",
    "loop_items": "a loop over something other than range(...), a float array or a list of floats "
                  "(a list of ints, numpy.linspace(...), a nested list)",
    "loop_items_adjoint": "a loop over something other than range(...), a float array or a list of floats",
    "concat_adjoint_left": "an entry of a list that is not differentiated (w[i] * x[i], w a list)",
    "concat_adjoint_right": "an entry of a list that is not differentiated",
    "record_adjoint": "unpacking a tuple that holds an array ((a, b) = p)",
    "extreme_share": "max() or min() of a list or an array",
    "max_of": "max() of a sequence",
    "min_of": "min() of a sequence",
    "check_finite": "debug_nans=True",
    "fresh_tape": "has_aux with an auxiliary value the loop fills",
    "copy_stack": "a function with a loop of its own, called in a loop",
    "sum_adjoint_helper": "sum() of a list or an array",
    "list_adjoint_helper": "list(...) of an array",
    "pack_list": "a list built of differentiated values",
    "pack_tuple": "a tuple built of differentiated values",
    "unpack_adjoint": "unpacking a sequence",
    "item_adjoint_helper": ".item() of an array",
    "float_adjoint_helper": "float() of an array",
}


def construct(helper_name: str):
    """The user's construct a helper is called for, or None where it is a NumPy function's rule."""
    return CONSTRUCTS.get(helper_name)
