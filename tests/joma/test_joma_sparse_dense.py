"""Sparse then dense on the reduced dynamics: the JoMA code setting, its ODE limit, controls."""

from __future__ import annotations

import numpy as np
import pytest
from joma_tol import ENTROPY_TOL, FIRST_INTEGRAL_ABS, SLOPE_RATIO

from theory.dynamics.entropy import entropy, softmax
from theory.dynamics.reduced import ReducedJoMA
from theory.dynamics.sparse_dense import code_mu, run_code_iteration, run_ode
from theory.errors import InvalidArgument, UnknownNameError

MU = code_mu(20, seed=0)


@pytest.fixture(scope="module")
def code_run():
    return run_code_iteration(MU, steps=2500)


def test_reduced_softmax_step_is_the_code_update() -> None:
    # the JoMA code: v <- v + eta (mu - v) o softmax(v^2 / T), typed independently here
    v = np.linspace(0.05, 2.0, 20)
    model = ReducedJoMA(MU, attention="softmax", activation="nonlinear", T=3.0, r=6.0)
    p = np.exp(v**2 / 3.0) / np.exp(v**2 / 3.0).sum()
    assert np.allclose(model.rhs(0.0, v), (MU - v) * p, rtol=1e-13)


def test_code_setting_entropy_drops_then_rises(code_run) -> None:
    s = code_run.shape
    assert s.h0 == pytest.approx(np.log(20), abs=1e-12)
    assert s.drop_then_rise and s.drop > 0.5 and s.rise > 0.1
    assert 1000 < s.t_min / 0.02 < 1600  # minimum near step 1300 (26 time units)


def test_fixed_point_entropy_is_approached() -> None:
    ode = run_ode(MU, t_end=3000.0, n_points=301)
    limit = float(entropy(softmax(MU**2 / 3.0)))  # H(softmax(mu^2/T)), typed independently
    assert ode.H_limit == pytest.approx(limit, rel=1e-12)
    assert abs(ode.H[-1] - limit) < 0.2 * abs(ode.H[0] - limit)
    assert ode.extra["salient_first"]


def test_iteration_converges_to_ode_at_first_order() -> None:
    ode = run_ode(MU, t_end=40.0, n_points=2001)
    gaps = []
    for eta in (0.04, 0.02):
        it = run_code_iteration(MU, eta=eta, steps=int(40.0 / eta))
        H = np.interp(ode.t, it.t, it.H)
        gaps.append(np.max(np.abs(H - ode.H)))
    lo, hi = SLOPE_RATIO
    assert lo < gaps[0] / gaps[1] < hi


def test_first_integral_along_softmax_ode() -> None:
    ode = run_ode(MU, t_end=40.0, n_points=401)
    assert ode.extra["first_integral_residual"] < FIRST_INTEGRAL_ABS
    assert ode.extra["first_integral_points"] > 100


def test_exp_and_softmax_share_the_path() -> None:
    # same path in v-space, different clocks: the entropy minima agree in depth
    a = run_ode(MU, t_end=40.0, n_points=4001)
    b = run_ode(MU, attention="exp", t_end=1.5, n_points=4001)
    assert a.shape.h_min == pytest.approx(b.shape.h_min, abs=2e-3)
    assert b.shape.t_min < a.shape.t_min


def test_linear_activation_negative_control(code_run) -> None:
    lin = run_code_iteration(MU, steps=2500, activation="linear")
    assert lin.shape.only_falls and not lin.shape.drop_then_rise
    assert code_run.shape.drop_then_rise  # the positive case under the same threshold
    assert lin.shape.tol == ENTROPY_TOL


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: ReducedJoMA(MU, attention="linear"), UnknownNameError),
        (lambda: ReducedJoMA(MU, activation="relu"), UnknownNameError),
        (lambda: ReducedJoMA(MU, T=0.0), InvalidArgument),
        (lambda: ReducedJoMA(np.array([np.nan, 1.0])), InvalidArgument),
        (lambda: code_mu(1), InvalidArgument),
        (lambda: run_code_iteration(MU, eta=-1.0), InvalidArgument),
    ],
)
def test_bad_input(call, error) -> None:
    with pytest.raises(error):
        call()


def test_local_rate_matches_the_catalogue() -> None:
    # near v = mu the exp-attention reduced ODE (a = 1/2) decays like exp(f'(mu) t), with
    # f'(mu) = -exp(mu^2/2) from the catalogue's joma-local-rate (compiled, not retyped)
    from scipy import integrate
    from theory.derivations import joma_local_rate

    from theory.numeric.compile import compile_expression

    rate = compile_expression(joma_local_rate.rate(), [joma_local_rate.mu])
    mu = np.array([1.0, 2.0, 2.5])
    model = ReducedJoMA(mu, attention="exp", activation="nonlinear", T=1.0, r=1.0)
    eps0 = 1e-4
    slopes = []
    for l, m in enumerate(mu):
        t = np.linspace(0, 1.0 / abs(rate(m)), 11)  # one e-folding of component l

        def rhs(s: float, v: np.ndarray, l: int = l) -> np.ndarray:
            full = np.full(mu.size, 0.0)
            full[l] = v[0]
            return model.rhs(s, full)[l : l + 1]

        sol = integrate.solve_ivp(rhs, (0, t[-1]), [m - eps0], t_eval=t, rtol=1e-12, atol=1e-18, method="DOP853")
        slopes.append(np.polyfit(t, np.log(m - sol.y[0]), 1)[0])
    # linearisation error: w' = -w exp((mu - w)^2/2) = -w exp(mu^2/2)(1 - mu w + ...), w <= 1e-4
    assert np.allclose(slopes, rate(mu), rtol=5 * mu.max() * eps0)
    assert np.all(np.diff(slopes) < 0)  # salient (large mu) converge faster
