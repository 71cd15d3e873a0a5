"""The oracle on catalogue invariants, and the exact per-step drift of gradient descent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from num_tol import CONTROL_MAX_SLOPE, PER_STEP_RTOL, SLOPE_BAND

from theory.checks.catalogue_oracle import check_names, fit_slope
from theory.errors import UnknownNameError
from theory.numeric.referee import joma_referee


def test_proved_invariant_drifts_linearly_in_eta() -> None:
    (res,) = check_names(["joma-exp"])
    assert res.ok and res.observed == "conserved"
    assert SLOPE_BAND[0] <= res.slope <= SLOPE_BAND[1]
    assert SLOPE_BAND[0] <= res.gd_to_ode_slope <= SLOPE_BAND[1]
    assert res.referee_gap < 1e-12  # independent referee velocity == compiled symbolic flow


def test_negative_control_drifts_order_one() -> None:
    (res,) = check_names(["joma-two-query"])
    assert res.ok and res.observed == "drifts O(1)"
    assert res.slope < CONTROL_MAX_SLOPE and min(res.gd_drift) > 1e-3


def test_conditional_invariant_residual_accounts_for_drift() -> None:
    (res,) = check_names(["joma-exp-almost-orthogonal"])
    assert res.ok and res.residual["raw_ode_drift"] > 1e3 * res.residual["corrected_ode_drift"]


def test_unknown_name() -> None:
    with pytest.raises(UnknownNameError, match="theory list"):
        check_names(["joma-nope"])


def test_fit_slope_recovers_known_rates() -> None:
    etas = np.array([0.1, 0.05, 0.025])
    assert fit_slope(etas, 3 * etas) == pytest.approx(1.0)
    assert fit_slope(etas, 0.5 + 0 * etas) == pytest.approx(0.0, abs=1e-12)


@given(
    attention=st.sampled_from(["exp", "linear"]),
    eta=st.floats(1e-3, 0.2),
    ratio=st.floats(0.2, 5.0),
    temperature=st.floats(0.3, 3.0),
    seed=st.integers(0, 2**16),
)
def test_per_step_drift_closed_form(attention: str, eta: float, ratio: float, temperature: float, seed: int) -> None:
    """One GD step changes the invariant by exactly -(r/2T) sum_k dv_k^2 (exp) or dz^2 - r sum_k dv_k^2 (linear).

    Gradient descent uses the flow's velocity at the current point, for which
    dz = (r/T) sum_k v_k o dv_k (exp) or z o dz = r sum_k v_k o dv_k (linear) hold exactly;
    expanding the quadratic invariant leaves only the squared increments.
    """
    model = joma_referee(4, 3, 5, attention=attention, T=temperature, eta_z=ratio, seed=seed)
    theta = model.init(scale=0.7, z_scale=0.5, seed=seed + 1)
    nxt = theta + eta * model.velocity(theta)
    (z0,), v0, _ = model.projections(theta)
    (z1,), v1, _ = model.projections(nxt)
    dz, dv = z1 - z0, v1 - v0
    if attention == "exp":
        inv = lambda z, v: z - ratio / (2 * temperature) * (v**2).sum(axis=0)  # noqa: E731
        predicted = -ratio / (2 * temperature) * (dv**2).sum(axis=0)
    else:
        inv = lambda z, v: z**2 - ratio * (v**2).sum(axis=0)  # noqa: E731
        predicted = dz**2 - ratio * (dv**2).sum(axis=0)
    actual = inv(z1, v1) - inv(z0, v0)
    scale = np.abs(inv(z0, v0)).max() + np.abs(z1).max() ** 2 + (v1**2).sum(axis=0).max() * ratio / min(temperature, 1)
    np.testing.assert_allclose(actual, predicted, rtol=0, atol=PER_STEP_RTOL * scale)
    # negative control: the per-step drift is really there (not zero) at this eta
    assert np.abs(predicted).max() > 0


def test_per_step_closed_form_fails_for_softmax() -> None:
    """Negative control: under softmax attention the exp closed form misses by far more than rounding."""
    model = joma_referee(4, 3, 5, attention="softmax", T=0.7, eta_z=1.5, seed=1)
    theta = model.init(scale=0.7, z_scale=0.5, seed=2)
    nxt = theta + 0.05 * model.velocity(theta)
    (z0,), v0, _ = model.projections(theta)
    (z1,), v1, _ = model.projections(nxt)
    inv = lambda z, v: z - 1.5 / (2 * 0.7) * (v**2).sum(axis=0)  # noqa: E731
    miss = inv(z1, v1) - inv(z0, v0) + 1.5 / (2 * 0.7) * ((v1 - v0) ** 2).sum(axis=0)
    assert np.abs(miss).max() > 1e6 * PER_STEP_RTOL


@pytest.mark.parametrize(
    "name",
    ["joma-softmax-identity", "joma-linear-closed-form", "joma-first-integral", "joma-local-rate", "lu-closed-form"],
)
def test_identities_and_closed_forms_checked_independently(name: str) -> None:
    (res,) = check_names([name])
    assert res.ok and res.observed in ("holds", "matches"), res.details
    if "control_rel_error" in res.details:  # the negative control of the identity really differs
        assert res.details["control_rel_error"] > 1e-3


def test_unsetupable_entry_is_reported_not_raised() -> None:
    """A catalogue entry the oracle cannot build is a failed verdict with a reason, not a traceback."""
    from theory.checks.catalogue_oracle import check_entry
    from theory.theorem import NumericSetup, Theorem

    entry = Theorem(
        name="fake",
        title="",
        summary="",
        statement="",
        expected="proved",
        kind="invariant",
        citation="",
        derivation=lambda: None,  # type: ignore[arg-type,return-value]
        sizes=({"M": 1},),
        model=lambda **_: (_ for _ in ()).throw(KeyError("K")),
        quantity=lambda spec: [],
        numeric=NumericSetup("compiled-flow"),
    )
    res = check_entry(entry)
    assert res.observed == "not checkable" and not res.ok and "KeyError" in res.note
