"""Integrators and simulators: Euler, RK4, leapfrog / Verlet, pendulum,
spring-mass chains, heat-equation stencils with slices, particle lists,
double buffering."""
import math

import numpy as np

import srcgrad
from user_programs.harness import case, check_grad, check_jvp, check_vjp, Check


# 1 -------------------------------------------------------------- Euler decay
def euler_decay(k, y0, dt=0.05, n=40):
    y = y0
    for i in range(n):
        y = y + dt * (-k * y)
    return y


@case("euler_scalar_decay", "explicit Euler for y' = -k y on Python floats; grad wrt k and y0")
def _():
    return check_grad(euler_decay, (0.7, 2.0), wrt=(0, 1), autograd=True)


# 2 -------------------------------------------------------------- RK4 Lotka-Volterra
def lotka_volterra(y, p):
    prey, pred = y[0], y[1]
    return np.array([p[0] * prey - p[1] * prey * pred, p[2] * prey * pred - p[3] * pred])


def rk4_step(y, p, h):
    k1 = lotka_volterra(y, p)
    k2 = lotka_volterra(y + 0.5 * h * k1, p)
    k3 = lotka_volterra(y + 0.5 * h * k2, p)
    k4 = lotka_volterra(y + h * k3, p)
    return y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


def rk4_fit_loss(p, y0, obs, h=0.1):
    y = y0
    loss = 0.0
    for t in range(obs.shape[0]):
        y = rk4_step(y, p, h)
        loss = loss + np.sum((y - obs[t]) ** 2)
    return loss


@case("rk4_lotka_volterra", "RK4 with helper rhs building np.array from active scalars; fit loss")
def _():
    obs = np.abs(np.random.default_rng(0).normal(1.0, 0.2, size=(8, 2)))
    return check_grad(rk4_fit_loss, (np.array([1.1, 0.4, 0.1, 0.4]), np.array([1.0, 0.5]), obs), wrt=(0, 1),
                      autograd=True)


# 3 -------------------------------------------------------------- leapfrog n-body
def pair_forces(x, masses, soft=0.1):
    d = x[None, :, :] - x[:, None, :]
    r2 = np.sum(d ** 2, axis=-1) + soft
    inv = masses[None, :] / r2 ** 1.5
    return np.sum(d * inv[:, :, None], axis=1)


def leapfrog_nbody(x, v, masses, dt=0.01, steps=10):
    a = pair_forces(x, masses)
    for s in range(steps):
        v = v + 0.5 * dt * a
        x = x + dt * v
        a = pair_forces(x, masses)
        v = v + 0.5 * dt * a
    return np.sum(x[:, 0] ** 2) + 0.5 * np.sum(masses[:, None] * v ** 2)


@case("leapfrog_nbody", "velocity Verlet for 4 bodies in 2-D, pairwise forces by broadcasting")
def _():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 2))
    v = 0.1 * rng.normal(size=(4, 2))
    m = np.array([1.0, 0.5, 2.0, 1.5])
    return check_grad(leapfrog_nbody, (x, v, m), wrt=(0, 1, 2), autograd=True)


# 4 -------------------------------------------------------------- pendulum math.*
def pendulum_energy_drift(theta0, length, g=9.81, dt=0.01, n=100):
    theta = theta0
    omega = 0.0
    for i in range(n):
        omega = omega - dt * (g / length) * math.sin(theta)
        theta = theta + dt * omega
    return 0.5 * length ** 2 * omega ** 2 + g * length * (1 - math.cos(theta))


@case("pendulum_math", "symplectic Euler pendulum with math.sin / math.cos on floats")
def _():
    return check_grad(pendulum_energy_drift, (0.8, 1.3), wrt=(0, 1))


# 5 -------------------------------------------------------------- spring chain slices
def spring_chain(k, x0, dt=0.02, steps=30):
    x = x0.copy()
    v = np.zeros_like(x0)
    n = x.shape[0]
    for s in range(steps):
        f = np.zeros(n)
        f[1:-1] = k * (x[2:] - 2 * x[1:-1] + x[:-2])
        f[0] = k * (x[1] - x[0])
        f[-1] = k * (x[-2] - x[-1])
        v = v + dt * f
        x = x + dt * v
    return np.sum(x * np.arange(n))


@case("spring_chain_slice_writes", "spring-mass chain; force buffer filled by slice and index writes")
def _():
    x0 = np.array([0.0, 0.3, -0.2, 0.5, 0.1, -0.4])
    return check_grad(spring_chain, (2.0, x0), wrt=(0, 1))


# 6 -------------------------------------------------------------- heat eq in place
def heat_equation(u0, alpha, steps=20):
    u = u0.copy()
    r = alpha * 0.4
    for s in range(steps):
        u[1:-1] = u[1:-1] + r * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


@case("heat_stencil_inplace", "explicit heat equation: `u[1:-1] = u[1:-1] + r*(u[2:]-2u[1:-1]+u[:-2])`")
def _():
    u0 = np.sin(np.linspace(0, np.pi, 9)) + 0.1 * np.arange(9)
    return check_grad(heat_equation, (u0, 0.9), wrt=(0, 1))


# 7 -------------------------------------------------------------- heat eq augmented slice
def heat_augmented(u0, alpha, steps=15):
    u = u0 + 0.0
    for s in range(steps):
        lap = u[2:] - 2 * u[1:-1] + u[:-2]
        u[1:-1] += alpha * lap
    return np.sum(u[::2] ** 3)


@case("heat_stencil_augslice", "heat equation with `u[1:-1] += alpha * lap`, strided read u[::2]")
def _():
    u0 = np.cos(np.linspace(0, 2, 8))
    return check_grad(heat_augmented, (u0, 0.3), wrt=(0, 1))


# 8 -------------------------------------------------------------- particle list state
def particles(pos, vel, dt=0.1, steps=5):
    ps = [pos[i] for i in range(0)]  # placeholder (empty list comprehension: rejected)
    return 0.0


def particles_list(pos, vel, dt=0.1, steps=5):
    ps = []
    vs = []
    for i in range(pos.shape[0]):
        ps.append(pos[i])
        vs.append(vel[i])
    for s in range(steps):
        for i in range(len(ps)):
            acc = -ps[i] * np.sum(ps[i] ** 2)
            vs[i] = vs[i] + dt * acc
            ps[i] = ps[i] + dt * vs[i]
    total = 0.0
    for p in ps:
        total = total + np.sum(p ** 2)
    return total


@case("particle_list_state", "particles held in Python lists, `ps[i] = ps[i] + dt*vs[i]` in nested loops "
      "(rejected as aliasing: documented 'a list holding x', though only list slots are rebound)",
      outside_spec=True)
def _():
    rng = np.random.default_rng(3)
    return check_grad(particles_list, (rng.normal(size=(3, 2)), rng.normal(size=(3, 2))), wrt=(0, 1))


@case("list_comprehension_rejected", "a list comprehension in the body (outside SPEC: must be rejected)",
      outside_spec=True)
def _():
    return check_grad(particles, (np.ones((2, 2)), np.ones((2, 2))))


# 9 -------------------------------------------------------------- double buffering
def double_buffer(u0, c, steps=6):
    cur = u0.copy()
    nxt = np.zeros_like(u0)
    n = u0.shape[0]
    for s in range(steps):
        for i in range(n):
            left = cur[i - 1]
            right = cur[(i + 1) % n]
            nxt[i] = cur[i] + c * (left - 2 * cur[i] + right)
        cur, nxt = nxt, cur
    return np.sum(cur * cur) + cur[0]


@case("double_buffer_swap", "two buffers swapped each step (`cur, nxt = nxt, cur`), element writes "
      "(rejected as aliasing: documented `z = x` rule)", outside_spec=True)
def _():
    return check_grad(double_buffer, (np.array([1.0, 0.2, -0.5, 0.7, 0.3]), 0.2), wrt=(0, 1))


# 10 ------------------------------------------------------------- augmented RHS update
def damped_oscillator(state, params, dt=0.05, n=30):
    x = state.copy()
    for i in range(n):
        dxdt = np.array([x[1], -params[0] * x[0] - params[1] * x[1]])
        x += dt * dxdt
    return x[0] ** 2 + 0.1 * x[1]


@case("oscillator_inplace_add", "`x += dt * dxdt` for a damped oscillator, dxdt from np.array of entries")
def _():
    return check_grad(damped_oscillator, (np.array([1.0, 0.0]), np.array([4.0, 0.3])), wrt=(0, 1),
                      autograd=False)


# 11 ------------------------------------------------------------- wave eq with roll
def wave_roll(u0, c, steps=12, dt=0.1):
    u_prev = u0.copy()
    u = u0.copy()
    for s in range(steps):
        lap = np.roll(u, 1) - 2 * u + np.roll(u, -1)
        u_next = 2 * u - u_prev + (c * dt) ** 2 * lap
        u_prev = u
        u = u_next
    return np.sum(u ** 2 * np.linspace(0.5, 1.5, u.shape[0]))


@case("wave_equation_roll", "leapfrog wave equation with np.roll periodic boundaries; d/dc and d/du0")
def _():
    u0 = np.exp(-np.linspace(-2, 2, 10) ** 2)
    return check_grad(wave_roll, (u0, 2.0), wrt=(0, 1), autograd=True)


# 12 ------------------------------------------------------------- vjp/jvp of trajectory
def trajectory(y0, k):
    out = np.zeros((5, y0.shape[0]))
    y = y0
    for t in range(5):
        y = y + 0.1 * (np.tanh(k * y) - y)
        out[t] = y
    return out


@case("trajectory_vjp_jvp", "simulator returning a (T, n) trajectory buffer; vjp and jvp")
def _():
    y0 = np.array([0.3, -0.8, 1.2])
    cot = np.arange(15.0).reshape(5, 3) / 10
    return (check_vjp(trajectory, (y0, 1.7), cot, wrt=(0, 1))
            + check_jvp(trajectory, (y0, 1.7), (np.array([1.0, -1.0, 0.5]), 0.3)))


# 13 ------------------------------------------------------------- adaptive step while
def adaptive_euler(y0, k, t_end=1.0):
    t = 0.0
    y = y0
    h = 0.1
    while t < t_end:
        dy = -k * y * y
        if abs(dy) * h > 0.05:
            h = h * 0.5
            continue
        y = y + h * dy
        t = t + h
    return y


@case("adaptive_step_continue", "adaptive Euler: `while t < T` with step rejection via `continue`")
def _():
    return check_grad(adaptive_euler, (1.5, 0.8), wrt=(0, 1), autograd=True)


# 8b ------------------------------------------------------------ particle list with copies
def particles_list_copies(pos, vel, dt=0.1, steps=5):
    ps = []
    vs = []
    for i in range(pos.shape[0]):
        ps.append(pos[i].copy())
        vs.append(vel[i].copy())
    for s in range(steps):
        for i in range(len(ps)):
            acc = -ps[i] * np.sum(ps[i] ** 2)
            vs[i] = vs[i] + dt * acc
            ps[i] = ps[i] + dt * vs[i]
    total = 0.0
    for p in ps:
        total = total + np.sum(p ** 2)
    return total


@case("particle_list_copies", "particle lists built from `.copy()` rows, list slots rebound each step")
def _():
    rng = np.random.default_rng(3)
    return check_grad(particles_list_copies, (rng.normal(size=(3, 2)), rng.normal(size=(3, 2))), wrt=(0, 1))


# 9b ------------------------------------------------------------ double buffering, fresh buffer
def double_buffer_fresh(u0, c, steps=6):
    cur = u0.copy()
    n = u0.shape[0]
    for s in range(steps):
        nxt = np.zeros(n)
        for i in range(n):
            nxt[i] = cur[i] + c * (cur[i - 1] - 2 * cur[i] + cur[(i + 1) % n])
        cur = nxt
    return np.sum(cur * cur) + cur[0]


# Rejected today (located, with a hint): the alias check cannot yet tell that `nxt` is
# fresh at every write; issue 14 narrows it to what really shares memory.
@case("double_buffer_fresh", "stencil into a fresh buffer each step (`nxt = np.zeros(n)`, `cur = nxt`)",
      outside_spec=True)
def _():
    return check_grad(double_buffer_fresh, (np.array([1.0, 0.2, -0.5, 0.7, 0.3]), 0.2), wrt=(0, 1))
