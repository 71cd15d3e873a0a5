"""The paper's Fig. 2 check: exact identity per step, O(lr) split, the correlation/error gap."""

from __future__ import annotations

import numpy as np
import pytest
from joma_tol import FD_ABS, IDENTITY_REL, SLOPE_RATIO

from theory.dynamics import invariant_check as ic
from theory.dynamics.data import salient_token_data
from theory.errors import InvalidArgument


@pytest.fixture(scope="module")
def short_run() -> dict:
    return ic.invariant_check(N=80, steps=600, record_every=100, setting="toolkit")


def test_exact_identity_matches_referee_gradient(short_run) -> None:
    assert short_run["identity_max_rel_residual"] < IDENTITY_REL


def test_identity_without_term2_fails() -> None:
    # negative control: drop the b b^T part of the softmax Jacobian -> not the gradient
    import dataclasses

    from theory.numeric.referee import joma_referee

    d = salient_token_data(6, 3, 40, salient_per_class=0, seed=1)
    m = dataclasses.replace(
        joma_referee(6, 3, 40, attention="softmax", T=0.5, activation="tanh", loss="cross-entropy", x=d.X, seed=1),
        targets=d.y,
    )
    th = m.init(scale=0.5, seed=2)
    zdot = m.velocity(th)[:6]
    t1, t2 = ic._identity_terms(m, th)
    assert np.max(np.abs((m.eta_z / m.T) * (t1 - t2) - zdot)) < IDENTITY_REL * np.max(np.abs(zdot)) * 10
    assert np.max(np.abs((m.eta_z / m.T) * t1 - zdot)) > 1e-3 * np.max(np.abs(zdot))


def test_training_gradients_agree_with_finite_differences() -> None:
    import dataclasses

    from theory.numeric.referee import joma_referee

    d = salient_token_data(5, 3, 30, salient_per_class=1, p_salient=0.3, seed=3)
    for att in ("softmax", "exp"):
        m = dataclasses.replace(
            joma_referee(5, 3, 30, attention=att, T=0.5, activation="tanh", loss="cross-entropy", x=d.X, seed=3),
            targets=d.y,
        )
        th = m.init(scale=0.3, z_scale=0.2, seed=4)
        assert np.max(np.abs(m.gradient(th) - m.gradient(th, method="central"))) < FD_ABS


def test_discretisation_term_is_first_order() -> None:
    D = [
        ic.invariant_check(N=60, lr=lr, steps=steps, record_every=steps, setting="toolkit")["discretisation_D"]
        for lr, steps in ((0.2, 150), (0.1, 300))
    ]
    lo, hi = SLOPE_RATIO
    assert lo < D[0] / D[1] < hi


def test_correlation_hides_absolute_error(short_run) -> None:
    f = short_run["final"]
    assert f["cosine"] > 0.7  # the normalised correlation looks fine ...
    assert f["rel_error"] > 1.0  # ... while the error exceeds |dz| itself
    assert f["best_scale"] < 0.5  # the estimate overshoots in scale
    assert abs(f["sum_z"]) < 1e-10 < abs(f["sum_zhat"])  # softmax conserves sum(z), the estimate does not
    assert f["B_minus_P"] == pytest.approx(f["abs_error"], rel=0.05)  # the error is B - P (up to D)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidArgument):
        ic.invariant_check(lr=0.0)
