"""The generated function of forward mode: `jvp_f(args, *, x_dot, ...) -> (value, value_dot)`."""
from __future__ import annotations

import gast

from .. import nodes
from ..emit import dedupe_comments, with_finite_checks


def tangent_function(tree, body: list, returned, returned_dot, names, ctx, options):
    """(the tangent function, its tangent parameters' names): `tree`'s signature plus
    one keyword-only tangent per `wrt` parameter, running `body`."""
    out = nodes.without_body(tree)
    out.name = names.claim("jvp_" + tree.name)
    out.returns = None
    tangent_params = [names.tangent(p) for p in options.wrt]
    out.args.kwonlyargs = list(out.args.kwonlyargs) + [
        gast.Name(id=t, ctx=gast.Param(), annotation=None, type_comment=None) for t in tangent_params]
    out.args.kw_defaults = list(out.args.kw_defaults) + [None] * len(tangent_params)
    if options.debug_nans:
        body = with_finite_checks(body, ctx)
    out.body = dedupe_comments(body + [nodes.ret(nodes.tuple_of([returned, returned_dot]))])
    return out, tangent_params
