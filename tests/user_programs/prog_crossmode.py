"""The same user programs under the other transforms: forward mode (jvp) and
split reverse mode (vjp), each against central differences.  A program that
works under grad must work under jvp and vjp too (SPEC section 2)."""
import numpy as np

from user_programs.harness import case, check_jvp, check_vjp, Check
from user_programs import prog_optimizers as O, prog_integrators as I, prog_nets as N
from user_programs import prog_stats as S, prog_control as C, prog_numerics as U, prog_transforms as T

RNG = np.random.default_rng(81)


def _tangent_like(x, rng):
    if isinstance(x, dict):
        return {k: _tangent_like(v, rng) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        out = [_tangent_like(v, rng) for v in x]
        return tuple(out) if isinstance(x, tuple) else out
    if isinstance(x, np.ndarray):
        return rng.normal(size=x.shape)
    return float(rng.normal())


def cross(name, fn, args, wrt_positions, desc):
    """Register a jvp case and a vjp case for fn at args."""
    def jvp_case():
        rng = np.random.default_rng(5)
        tangents = [(_tangent_like(a, rng) if i in wrt_positions else None) for i, a in enumerate(args)]
        return check_jvp(fn, args, tangents)

    def vjp_case():
        out = fn(*args)
        rng = np.random.default_rng(6)
        cot = _tangent_like(out if isinstance(out, (np.ndarray, dict, list, tuple)) else float(out), rng)
        wrt = tuple(wrt_positions) if len(wrt_positions) > 1 else wrt_positions[0]
        return check_vjp(fn, args, cot, wrt=wrt)

    case(f"jvp_{name}", f"jvp of {desc}")(jvp_case)
    case(f"vjp_{name}", f"vjp (split mode, pullback twice) of {desc}")(vjp_case)


A = RNG.normal(size=(6, 3))
B = RNG.normal(size=6)
cross("sgd_momentum", O.sgd_momentum_meta, (0.3, np.array([0.5, -0.2, 0.1]), A, B), [0, 1], "unrolled SGD+momentum")
cross("adam", O.adam_unrolled, (np.array([0.3, -0.1, 0.2]), 0.05, A, B), [0, 1], "hand-written Adam")
cross("lr_schedule_if", O.scheduled_descent, (np.array([0.1, 0.2, -0.3]), A, B), [0], "`if i == 2: lr = 0.1` schedule")
cross("early_stopping", O.early_stopping, (np.array([2.0, -1.0, 0.5]), A, B), [0], "early stopping with break")
cross("line_search", O.backtracking_descent, (np.array([-0.7, 0.9]),), [0], "Armijo step-halving while loop")
cross("rk4", I.rk4_fit_loss, (np.array([1.1, 0.4, 0.1, 0.4]), np.array([1.0, 0.5]),
                              np.abs(RNG.normal(1.0, 0.2, size=(5, 2)))), [0, 1], "RK4 Lotka-Volterra fit")
cross("heat_stencil", I.heat_equation, (np.sin(np.linspace(0, np.pi, 9)), 0.9), [0, 1], "in-place heat stencil")
cross("spring_chain", I.spring_chain, (2.0, np.array([0.0, 0.3, -0.2, 0.5, 0.1, -0.4])), [0, 1],
      "spring chain with slice writes")
cross("trajectory", I.trajectory, (np.array([0.3, -0.8, 1.2]), 1.7), [0, 1], "trajectory buffer")
Ws, bs = N.init_mlp([4, 5, 2])
cross("mlp_list_layers", N.mlp_lists, (Ws, bs, N.X, N.T_REG), [0, 1], "MLP over zip(Ws[:-1], bs[:-1])")
cross("lstm", N.lstm_loss, (RNG.normal(size=(8, 2)), RNG.normal(size=(8, 2)) * 0.5, RNG.normal(size=8) * 0.1,
                            RNG.normal(size=(4, 2)), RNG.normal(size=2)), [0, 1, 2], "LSTM gate slices")
cross("conv2d", N.conv2d_loss, (RNG.normal(size=(4, 5)), RNG.normal(size=(3, 3)) * 0.3), [0, 1], "conv2d loops")
cross("gp_nlml", S.gp_nlml, (np.array([-0.3, 0.1, -1.0]), np.linspace(0, 3, 6), np.sin(np.linspace(0, 3, 6))), [0],
      "GP NLML solve/det")
cross("kalman", S.kalman_nll, (-1.0, -0.5, np.cumsum(RNG.normal(size=6))), [0, 1], "Kalman filter loop")
cross("loo_kde", S.loo_kde_loglik, (-0.2, RNG.normal(size=8)), [0, 1], "LOO KDE mask write")
cross("interp_clamp", C.interp_loss, (np.array([0.0, 1.0, 4.0, 9.0]), np.array([0.3, 1.7, 2.5, 3.2])), [0, 1],
      "interpolation with clamped index (if without else)")
cross("nested_break", C.first_crossing_time, (3.123,), [0], "nested loops with double break")
cross("elif_chain", C.piecewise_energy, (np.array([0.9, -0.1, -1.2, 0.3, 0.7]), 2.0, 3.0), [0, 1, 2],
      "if/elif/else selecting a parameter")
cross("linspace", U.trapezoid_integral, (2.0, 0.7), [0, 1], "trapezoid rule over linspace(0, T)")
cross("full", U.init_then_fit, (0.3, np.array([1.0, 2.0, -1.0])), [0, 1], "np.full with active fill")
cross("survival", U.survival_nll, (np.array([-1.0, -0.5, 0.2, -0.3]), np.array([0, 0, 1, 0])), [0],
      "survival cumprod")
cross("rosenbrock_loop", T.rosen_sum, (np.array([0.5, 1.2, -0.3, 0.8]),), [0], "Rosenbrock loop over indices")
