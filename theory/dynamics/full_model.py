"""Confirmation on the full one-block model: attention entropy drops, rises, or collapses.

Role: train the real model -- the independent referee :mod:`theory.numeric.referee`
(attention + MLP block, nonlinear activation, cross-entropy, hidden nodes read out as class
logits) -- on token data with salient and non-salient tokens
(:func:`~theory.dynamics.data.salient_token_data`), record the mean attention entropy, and
compare it with the reduced prediction: the same flow with attention integrated out,
:math:`z = z(v)` from the core's proved invariant (:func:`~theory.dynamics.reduced.logit_law`),
integrated by :func:`scipy.integrate.solve_ivp` in the MLP weights alone.

For exp attention the invariant is exact, so full gradient descent with step :math:`\\eta`
and the reduced ODE differ by the :math:`O(\\eta)` Euler error only (halving :math:`\\eta`
halves the distance).  For softmax attention the reduction uses the same :math:`z(v)` (the
conditional invariant's extra term is ignored), and the distance measures that
approximation.  Too large a learning rate collapses attention (entropy near 0, worse loss),
as Tian et al. report on Wikitext2 ("JoMA", ICLR 2024, Sec. 6).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy import integrate

from ..errors import InvalidArgument, SolverError
from .data import salient_token_data
from .entropy import entropy_shape
from .reduced_flow import reduced_flow

__all__ = ["Setup", "build", "confirm", "reduced_entropy", "train_entropy"]


@dataclass(frozen=True)
class Setup:
    """The confirmation experiment's settings (defaults: the set-up reported in docs/joma.md)."""

    M: int = 16
    C: int = 4
    N: int = 200
    attention: str = "exp"
    T: float = 0.5
    activation: str = "tanh"
    p_salient: float = 0.05
    kappa: float = 2.0
    seq_len: int = 10
    init_scale: float = 0.1
    seed: int = 0


def build(setup: Setup):
    """The referee model on the setup's data, and its initial parameters."""
    from ..numeric.referee import RefereeConfig, joma_referee

    data = salient_token_data(
        setup.M,
        setup.C,
        setup.N,
        salient_per_class=1,
        p_salient=setup.p_salient,
        kappa=setup.kappa,
        seq_len=setup.seq_len,
        seed=setup.seed,
    )
    settings = RefereeConfig(attention=setup.attention, T=setup.T, activation=setup.activation, loss="cross-entropy")
    model = joma_referee(setup.M, setup.C, setup.N, settings, x=data.X, seed=setup.seed)
    model = dataclasses.replace(model, targets=data.y)
    return model, model.init(scale=setup.init_scale, seed=setup.seed + 1)


def train_entropy(model, theta0: np.ndarray, *, lr: float, t_end: float) -> dict:
    """Full-batch gradient descent on the full model; entropy and loss at ``t = step * lr``."""
    if not (lr > 0 and t_end > 0):
        raise InvalidArgument(f"expected lr > 0 and t_end > 0, got lr={lr!r}, t_end={t_end!r}")
    steps = round(t_end / lr)
    theta = np.array(theta0, dtype=float)
    H = np.empty(steps + 1)
    loss = np.empty(steps + 1)
    for j in range(steps + 1):
        H[j] = float(model.attention_entropy(theta).mean())
        loss[j] = float(model.loss(theta))
        if j < steps:
            theta = theta + lr * model.velocity(theta)
            if not np.all(np.isfinite(theta)):
                H[j + 1 :] = np.nan
                loss[j + 1 :] = np.nan
                break
    return {"t": lr * np.arange(steps + 1), "H": H, "loss": loss, "theta": theta}


def reduced_entropy(model, theta0: np.ndarray, t_eval: np.ndarray, *, rtol: float = 1e-8) -> dict:
    """Integrate the reduced flow (attention integrated out) and return its entropy curve.

    State: the projections :math:`(V, v_m)` only, :math:`K(M + 1)` numbers
    (:class:`~theory.dynamics.reduced_flow.ReducedFlow`); at every evaluation
    :math:`z_l = c_l + \\frac{r}{2T}\\sum_k v_{kl}^2` with :math:`c` fixed by ``theta0``.  The
    full model is never called.
    """
    flow, y0 = reduced_flow(model, theta0)
    t_eval = np.asarray(t_eval, dtype=float)
    sol = integrate.solve_ivp(
        lambda t, y: flow.rhs(y), (0.0, float(t_eval[-1])), y0, t_eval=t_eval, rtol=rtol, atol=1e-10
    )
    if sol.status != 0:
        raise SolverError(f"reduced flow failed: {sol.message}; shorten t_end")
    H = np.array([flow.mean_entropy(y) for y in sol.y.T])
    return {"t": t_eval, "H": H, "nfev": int(sol.nfev), "rtol": rtol, "y": sol.y.T}


def confirm(
    setup: Setup | None = None,
    *,
    lrs: tuple[float, ...] = (0.5, 0.25),
    collapse_lrs: tuple[float, ...] = (16.0, 32.0),
    t_end: float = 400.0,
    n_eval: int = 401,
    tol: float = 1e-3,
) -> dict:
    """Run the full model at several learning rates and the reduced prediction once.

    Returns
    -------
    dict
        ``reduced`` (entropy shape), ``flow_vs_reduced`` (max entropy gap between the full
        gradient flow, solve_ivp rtol 1e-8, and the reduced flow: exact reduction means solver
        error only), ``runs`` (per learning rate: entropy shape, final loss,
        ``distance`` = max over the reduced grid of :math:`|H_{full} - H_{red}|`,
        ``t_min_gap``), ``collapse`` (per large learning rate: final entropy and loss),
        ``curves`` (times and entropies for plotting).
    """
    setup = setup or Setup()
    model, theta0 = build(setup)
    t_grid = np.linspace(0.0, t_end, n_eval)
    red = reduced_entropy(model, theta0, t_grid)
    red_shape = entropy_shape(red["t"], red["H"], tol=tol)
    flow = integrate.solve_ivp(
        lambda t, y: model.velocity(y), (0.0, t_end), theta0, t_eval=t_grid, rtol=1e-8, atol=1e-10
    )
    if flow.status != 0:
        raise SolverError(f"full gradient flow failed: {flow.message}; shorten t_end")
    H_flow = np.array([model.attention_entropy(y).mean() for y in flow.y.T])
    runs, curves = [], {"reduced": {"t": red["t"].tolist(), "H": red["H"].tolist()}}
    for lr in lrs:
        full = train_entropy(model, theta0, lr=lr, t_end=t_end)
        shape = entropy_shape(full["t"], full["H"], tol=tol)
        H_on_grid = np.interp(t_grid, full["t"], full["H"])
        runs.append(
            {
                "lr": lr,
                "shape": shape.as_dict(),
                "final_loss": float(full["loss"][-1]),
                "distance": float(np.max(np.abs(H_on_grid - red["H"]))),
                "t_min_gap": float(abs(shape.t_min - red_shape.t_min)),
            }
        )
        curves[f"lr={lr:g}"] = {
            "t": full["t"][:: max(1, len(full["t"]) // 400)].tolist(),
            "H": full["H"][:: max(1, len(full["t"]) // 400)].tolist(),
        }
    collapse = []
    for lr in collapse_lrs:
        full = train_entropy(model, theta0, lr=lr, t_end=t_end)
        collapse.append(
            {
                "lr": lr,
                "H_end": float(full["H"][-1]),
                "H_min": float(np.nanmin(full["H"])),
                "final_loss": float(full["loss"][-1]),
            }
        )
        curves[f"lr={lr:g}"] = {"t": full["t"].tolist(), "H": full["H"].tolist()}
    return {
        "setup": dataclasses.asdict(setup),
        "t_end": t_end,
        "H_uniform_tokens": float(np.mean(model.attention_entropy(theta0))),
        "reduced": {**red_shape.as_dict(), "nfev": red["nfev"], "rtol": red["rtol"]},
        "flow_vs_reduced": float(np.max(np.abs(H_flow - red["H"]))),
        "runs": runs,
        "collapse": collapse,
        "curves": curves,
    }
