"""The reduced flow (V, v_m only) against the full model's flow, with negative controls."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import integrate

from theory.dynamics.reduced_flow import reduced_flow
from theory.errors import InvalidArgument
from theory.numeric.referee import RefereeConfig, joma_referee

#: Velocity at one point: both sides are sums of O(N K M) double products of O(1) numbers
#: (the full side also multiplies by the d x M embedding matrix): rounding ~1e-16 * 1e3.
VELOCITY_REL = 1e-11
#: Trajectories: both solved with DOP853 at rtol 1e-11, atol 1e-13 up to t = 20; the global
#: error of each is ~1e-9 relative (error growth of this contracting flow is O(1)), so 1e-7.
TRAJECTORY_ABS = 1e-7
#: A wrong learning-rate ratio in the logit law must miss by much more than that.
CONTROL_MIN = 1e-3


def _model(d: int = 40, **changes):
    cfg = RefereeConfig(attention="exp", T=0.5, activation="tanh", loss="cross-entropy", d=d, **changes)
    model = joma_referee(12, 3, 60, cfg, seed=3)
    return model, model.init(scale=0.3, z_scale=0.2, seed=4)


def _project(model, theta: np.ndarray) -> np.ndarray:
    _, v, vm = model.projections(theta)
    return np.concatenate([v.ravel(), vm[:, 0]])


def _on_manifold(model, flow, y: np.ndarray) -> np.ndarray:
    """A full parameter vector whose projections are ``y`` and whose z satisfies the invariant."""
    V, vm = flow.split(y)
    rng = np.random.default_rng(9)
    W = rng.standard_normal((model.K, model.d))
    E = np.column_stack([model.U, model.u_query])
    W = W - (W @ E) @ E.T + V @ model.U.T + vm[:, None] * model.u_query[:, 0]
    return model.pack(flow.logits(V)[None, :], W)


def test_reduced_velocity_is_the_projected_full_velocity() -> None:
    model, theta0 = _model()
    flow, y0 = reduced_flow(model, theta0)
    assert flow.size == model.K * (model.M + 1) < model.n_params
    rng = np.random.default_rng(1)
    for _ in range(3):
        y = y0 + 0.5 * rng.standard_normal(y0.size)
        theta = _on_manifold(model, flow, y)
        full = _project(model, model.velocity(theta))  # d/dt of the projections (linear in W)
        red = flow.rhs(y)
        assert np.max(np.abs(red - full)) < VELOCITY_REL * max(1.0, np.abs(full).max())


def _trajectories(model, theta0, flow, y0, t_end=20.0):
    grid = np.linspace(0.0, t_end, 11)
    kw = {"method": "DOP853", "rtol": 1e-11, "atol": 1e-13, "t_eval": grid}
    full = integrate.solve_ivp(lambda t, th: model.velocity(th), (0, t_end), theta0, **kw)
    red = integrate.solve_ivp(lambda t, y: flow.rhs(y), (0, t_end), y0, **kw)
    assert full.status == 0 and red.status == 0
    proj = np.array([_project(model, th) for th in full.y.T])
    return proj, red.y.T


def test_reduced_trajectory_follows_the_full_flow() -> None:
    model, theta0 = _model()
    flow, y0 = reduced_flow(model, theta0)
    proj, red = _trajectories(model, theta0, flow, y0)
    assert np.abs(proj[-1] - proj[0]).max() > 0.1  # the weights really move
    assert np.abs(proj - red).max() < TRAJECTORY_ABS


def test_wrong_ratio_in_the_logit_law_breaks_the_match() -> None:
    # negative control: the same reduced flow with r = eta_z / eta_w doubled
    model, theta0 = _model()
    flow, y0 = reduced_flow(model, theta0)
    wrong = dataclasses.replace(flow, eta_z=2.0 * flow.eta_z)
    proj, red = _trajectories(model, theta0, wrong, y0)
    assert np.abs(proj - red).max() > CONTROL_MIN


def test_models_outside_the_reduction_are_refused() -> None:
    for changes in ({"layernorm": True}, {"queries": 2}, {"embeddings": "almost-orthogonal"}):
        model, theta0 = _model(**changes)
        with pytest.raises(InvalidArgument, match="reduced flow needs"):
            reduced_flow(model, theta0)
    model, theta0 = _model()
    model = dataclasses.replace(model, attention="linear")
    with pytest.raises(InvalidArgument, match="exp or softmax"):
        reduced_flow(model, theta0)
