"""scipy.integrate's solvers: no derivative rules, a located refusal (SciPy is optional).

odeint, solve_ivp and quad call back into Python from compiled code, adapting
their steps to the values: srcgrad cannot read them as the user's source,
and their derivatives (an adjoint ODE, a differentiated integrand) are not
written here. Where a derivative through one is needed, building it fails at
the call with the hint below, instead of inside SciPy's own source.

Without an importable SciPy this module raises ModuleNotFoundError naming
itself, which `srcgrad.rules` takes as "no rules for this namespace".
"""
try:
    import scipy.integrate
except ImportError as _err:  # SciPy missing (or broken): srcgrad works without it
    raise ModuleNotFoundError(f"SciPy is not importable ({_err}); no rules for scipy.integrate",
                              name=__name__) from _err

from srcgrad.rules.registry import unsupported

for _name in ("odeint", "solve_ivp", "quad"):
    unsupported(getattr(scipy.integrate, _name),
                "an adaptive solver has no derivative rule: write the steps in the function (a "
                "fixed-step Runge-Kutta loop in NumPy is differentiated like any loop), or pass "
                "srcgrad.stop_gradient(...) of its arguments if no derivative should flow through it")
