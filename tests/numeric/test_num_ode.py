"""ODE solving: blow-up against its closed form, invariant drift, methods and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from num_tol import ODE_INVARIANT_ATOL
from theory.derivations import joma_exp

from theory.errors import InvalidArgument, UnknownNameError
from theory.models import joma_block
from theory.numeric.compile import compile_flow
from theory.numeric.ode import METHODS, SolverConfig, solve_flow
from theory.symbolic import derive_flow

_DELTA = 0.5


@pytest.fixture(scope="module")
def reduced_exp():
    """Exp attention, linear activation, one token, fixed gradient g = Delta (REFERENCE sec. 1)."""
    spec = joma_block(1, 1, 1, attention="exp", activation="linear")
    cf = compile_flow(derive_flow(spec), invariants={"joma-exp": joma_exp.invariant(spec)})
    p = cf.param_vector({"x1_1": 1.0, "g1_1": _DELTA, "T": 1.0, "eta_w": 1.0, "eta_z": 1.0})
    return cf, p


@pytest.mark.parametrize("method", ["DOP853", "Radau"])
def test_blow_up_time_matches_closed_form(reduced_exp, method: str) -> None:
    """v' = Delta exp(v^2/2) from 0 blows up at t* = sqrt(pi/2)/Delta (derived in the catalogue)."""
    cf, p = reduced_exp
    tr = solve_flow(lambda y: cf.rhs(y, p), np.zeros(3), 10.0, method=method, jac=lambda y: cf.jacobian(y, p))
    t_star = np.sqrt(np.pi / 2) / _DELTA
    assert tr.status == "blow-up" and np.all(np.isfinite(tr.y))
    # both resolve the singularity to ~1e-11 relative (the step size collapses within
    # rtol * t* of it); 1e-8 leaves room yet is far tighter than any wrong formula
    assert abs(tr.t_stop - t_star) < 1e-8 * t_star


def test_no_blow_up_before_the_singularity(reduced_exp) -> None:
    """Negative control: a horizon below t* integrates to the end with status ok."""
    cf, p = reduced_exp
    tr = solve_flow(lambda y: cf.rhs(y, p), np.zeros(3), 2.0, invariants=lambda y: cf.invariants(y, p))
    assert tr.status == "ok" and tr.t_stop == 2.0
    assert tr.drift["joma-exp"] < ODE_INVARIANT_ATOL


def _exp_block():
    spec = joma_block(2, 2, 2, attention="exp", activation="tanh", loss="squared")
    cf = compile_flow(derive_flow(spec), invariants={"joma-exp": joma_exp.invariant(spec)})
    rng = np.random.default_rng(5)
    vals = {s.name: float(rng.normal()) for s in cf.params}
    vals.update({"x1_1": 0.3, "x1_2": 0.7, "x2_1": 0.6, "x2_2": 0.4, "T": 0.8, "eta_w": 1.0, "eta_z": 2.0})
    return cf, cf.param_vector(vals), 0.3 * rng.standard_normal(len(cf.state))


def test_tight_tolerances_keep_invariants_and_loose_ones_do_not() -> None:
    """Why rtol=1e-10: at SciPy's default rtol=1e-3 the integration drift swamps the check."""
    cf, p, y0 = _exp_block()
    tight = solve_flow(lambda y: cf.rhs(y, p), y0, 3.0, invariants=lambda y: cf.invariants(y, p))
    loose = solve_flow(
        lambda y: cf.rhs(y, p), y0, 3.0, method="RK45", rtol=1e-3, atol=1e-6, invariants=lambda y: cf.invariants(y, p)
    )
    assert tight.status == "ok" and tight.drift["joma-exp"] < ODE_INVARIANT_ATOL
    assert loose.drift["joma-exp"] > 100 * tight.drift["joma-exp"]


def test_implicit_methods_agree_with_dop853() -> None:
    cf, p, y0 = _exp_block()
    ref = solve_flow(lambda y: cf.rhs(y, p), y0, 1.0)
    for method in ("Radau", "BDF"):
        tr = solve_flow(lambda y: cf.rhs(y, p), y0, 1.0, method=method, jac=lambda y: cf.jacobian(y, p))
        # BDF's variable order/step control reaches ~1e-7 at rtol 1e-10 on this short horizon
        np.testing.assert_allclose(tr.y[-1], ref.y[-1], atol=1e-6)
    sparse = solve_flow(lambda y: cf.rhs(y, p), y0, 1.0, method="Radau", jac_sparsity=cf.sparsity())
    np.testing.assert_allclose(sparse.y[-1], ref.y[-1], atol=1e-6)


def test_bad_arguments() -> None:
    with pytest.raises(UnknownNameError, match="DOP853"):
        solve_flow(np.sin, np.ones(2), 1.0, method="Euler")
    with pytest.raises(InvalidArgument, match="t_end"):
        solve_flow(np.sin, np.ones(2), float("inf"))
    with pytest.raises(InvalidArgument, match="finite"):
        solve_flow(np.sin, np.array([np.nan]), 1.0)
    with pytest.raises(InvalidArgument, match="tolerances"):
        solve_flow(np.sin, np.ones(2), 1.0, rtol=0.0)
    with pytest.raises(InvalidArgument, match="unknown setting tol of SolverConfig"):
        solve_flow(np.sin, np.ones(2), 1.0, tol=1e-3)
    with pytest.raises(InvalidArgument, match="expected a SolverConfig"):
        solve_flow(np.sin, np.ones(2), 1.0, {"method": "Radau"})  # type: ignore[arg-type]
    assert "DOP853" in METHODS


def test_config_object_equals_keyword_shorthand() -> None:
    """``solve_flow(..., SolverConfig(...))`` and the keyword shorthand are the same run;
    keywords override the fields of a given config, which is never mutated."""
    config = SolverConfig(method="Radau", n_points=7)
    a = solve_flow(np.cos, np.zeros(1), 1.0, config)
    b = solve_flow(np.cos, np.zeros(1), 1.0, method="Radau", n_points=7)
    c = solve_flow(np.cos, np.zeros(1), 1.0, config, rtol=1e-6)
    assert np.array_equal(a.y, b.y) and a.t.size == 7 and a.method == "Radau"
    assert c.rtol == 1e-6 and config.rtol == 1e-10


def test_solve_compiled_reports_every_invariant_with_jacobian() -> None:
    from theory.numeric.ode import solve_compiled

    cf, p, y0 = _exp_block()
    for method in ("DOP853", "Radau"):
        tr = solve_compiled(cf, y0, p, 1.0, method=method)
        assert set(tr.drift) == set(cf.invariant_names) == {"joma-exp"}
        # Radau's error control is looser than DOP853's at the same rtol: 1e-6 bound for both
        assert tr.status == "ok" and tr.drift["joma-exp"] < 1e-6


def test_evaluation_budget_stops_with_a_status_not_a_hang() -> None:
    """A stiff flow under an explicit method exhausts the budget: status failed, time, no NaN."""
    stiff = lambda y: -1e5 * (y - np.array([1.0, -1.0]))  # noqa: E731
    tr = solve_flow(stiff, np.zeros(2), 10.0, max_nfev=500)
    assert tr.status == "failed" and 0 < tr.t_stop < 10.0 and "LSODA" in tr.message
    assert np.all(np.isfinite(tr.y))
    implicit = solve_flow(stiff, np.zeros(2), 10.0, method="LSODA", jac=lambda y: -1e5 * np.eye(2), max_nfev=500)
    assert implicit.status == "ok"  # the suggested method gets through within the same budget
