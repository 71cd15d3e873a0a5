"""``theory simulate``: integrate the JoMA gradient flow at any number of tokens.

Role: the user-facing simulation.  The flow is derived once in index form
(:func:`theory.symbolic.indexed.joma_indexed`), compiled to vectorised NumPy
(:func:`theory.numeric.indexed_flow.compile_indexed`) and integrated by
:func:`theory.numeric.ode.solve_flow`; the catalogue quantity of the attention type
(golden-tested against the catalogue) is watched and its drift reported, with the loss
and the mean attention entropy at the start and the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

import numpy as np

from ..errors import InvalidArgument, UnknownNameError
from .entropy import entropy
from .indexed_flow import CompiledIndexedFlow, compile_indexed
from .ode import METHODS, Trajectory, solve_flow

__all__ = ["SIM_MODELS", "Simulation", "simulate"]

from .names import SIM_MODELS

MAX_TOKENS = 100_000


@dataclass(frozen=True)
class Simulation:
    """A simulation run: settings, data, trajectory and the JSON summary."""

    summary: dict
    trajectory: Trajectory
    x: np.ndarray
    targets: np.ndarray
    quantity: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        """Arrays for ``--out FILE.npz``."""
        return {
            "t": self.trajectory.t,
            "y": self.trajectory.y,
            "quantity": self.quantity,
            "x": self.x,
            "targets": self.targets,
        }


@cache
def _compiled(attention: str, activation: str) -> CompiledIndexedFlow:
    from ..symbolic.indexed import joma_indexed

    return compile_indexed(joma_indexed(attention=attention, activation=activation))


def _positive_int(name: str, value: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hi:
        raise InvalidArgument(f"expected an integer {name} in [1, {hi}], got {name}={value!r}")
    return value


def _positive_float(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
        raise InvalidArgument(f"expected a positive finite {name}, got {name}={value!r}")
    return float(value)


def _entropy(b: np.ndarray) -> float:
    return float(np.mean(entropy(b / b.sum(axis=1, keepdims=True))))


def _attention(attention: str, x: np.ndarray, z: np.ndarray, T: float) -> np.ndarray:
    if attention == "linear":
        return np.abs(x * z)
    e = x * np.exp((z - z.max()) / T)
    return e / e.sum(axis=1, keepdims=True)


def simulate(
    model: str,
    *,
    tokens: int = 20,
    hidden: int = 4,
    samples: int = 16,
    t_end: float = 10.0,
    method: str = "DOP853",
    seed: int = 0,
    temperature: float = 1.0,
    eta_w: float = 1.0,
    eta_z: float = 1.0,
    activation: str = "tanh",
    init_scale: float = 0.1,
    n_points: int = 101,
) -> Simulation:
    """Simulate the gradient flow of a JoMA block (squared loss) on random simplex data.

    Parameters
    ----------
    model : {"joma-linear", "joma-exp", "joma-softmax"}
    tokens, hidden, samples : int
        ``M`` contextual tokens, ``K`` hidden nodes, ``N`` samples.
    t_end : float
        Horizon.
    method : str
        ODE method (:data:`theory.numeric.ode.METHODS`).
    seed : int
        Seed of data (Dirichlet frequencies, Gaussian targets) and of the start
        (``v, vm ~ N(0, init_scale^2)``, ``z = 0``).
    temperature, eta_w, eta_z : float
        :math:`T`, learning rates.
    activation : str
        Hidden-node activation (a name of :data:`theory.models.ACTIVATIONS`).

    Returns
    -------
    Simulation
    """
    if model not in SIM_MODELS:
        raise UnknownNameError(f"unknown model {model!r}; expected one of: {', '.join(SIM_MODELS)}")
    if method not in METHODS:
        raise UnknownNameError(f"unknown ODE method {method!r}; expected one of: {', '.join(METHODS)}")
    M = _positive_int("tokens", tokens, MAX_TOKENS)
    K = _positive_int("hidden", hidden, 256)
    N = _positive_int("samples", samples, 100_000)
    t_end = _positive_float("t_end", t_end)
    T = _positive_float("temperature", temperature)
    eta_w, eta_z = _positive_float("eta_w", eta_w), _positive_float("eta_z", eta_z)
    init_scale = _positive_float("init_scale", init_scale)
    attention = model.removeprefix("joma-")
    t0 = time.perf_counter()
    flow = _compiled(attention, activation)
    t_compile = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    x = rng.dirichlet(np.ones(M), size=N)
    targets = rng.standard_normal((K, N))
    v = init_scale * rng.standard_normal((K, M))
    vm = init_scale * rng.standard_normal(K)
    z = np.zeros(M) if attention != "linear" else np.ones(M)  # linear attention: b = x o z needs z != 0
    y0 = flow.pack(v, vm, z)
    bbar = _attention(attention, x, z, T).mean(axis=0) if attention == "softmax" else None

    def quantity(y: np.ndarray) -> np.ndarray:
        return flow.quantity(y, x, targets, T, eta_w, eta_z, bbar)

    t1 = time.perf_counter()
    traj = solve_flow(
        lambda y: flow.rhs(y, x, targets, T, eta_w, eta_z),
        y0,
        t_end,
        method=method,
        invariants=lambda y: {"quantity": quantity(y)},
        n_points=n_points,
    )
    seconds = time.perf_counter() - t1
    y_end = traj.y[-1]
    z_end = flow.split(y_end, M, K)[2]
    summary = {
        "model": model,
        "sizes": {"M": M, "K": K, "N": N},
        "settings": {
            "t_end": t_end,
            "method": method,
            "seed": seed,
            "T": T,
            "eta_w": eta_w,
            "eta_z": eta_z,
            "activation": activation,
            "init_scale": init_scale,
        },
        **traj.summary(),
        "quantity": flow.quantity_name,
        "quantity_expected": "conditional (drifts unless E[b] is constant)" if attention == "softmax" else "conserved",
        "quantity_drift": traj.drift.get("quantity"),
        "loss": {"start": flow.loss(y0, x, targets, T), "end": flow.loss(y_end, x, targets, T)},
        "attention_entropy": {
            "start": _entropy(_attention(attention, x, z, T)),
            "end": _entropy(_attention(attention, x, z_end, T)),
            "max": float(np.log(M)),
        },
        "state_size": int(y0.size),
        "seconds": {"compile": t_compile, "solve": seconds},
    }
    return Simulation(summary, traj, x, targets, traj.invariants.get("quantity", np.empty((0, M))))
