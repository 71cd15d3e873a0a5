"""``fit_slope``: the one observed-order fit shared by the oracle and the Lu et al. studies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theory.errors import InvalidArgument
from theory.numeric.slopes import CONTROL_MAX_SLOPE, DRIFT_FLOOR, SLOPE_BAND, fit_slope


@given(order=st.floats(-2.0, 3.0), scale=st.floats(1e-6, 1e6))
def test_fit_slope_recovers_a_power(order: float, scale: float) -> None:
    etas = np.array([0.4, 0.2, 0.1, 0.05])
    assert fit_slope(etas, scale * etas**order) == pytest.approx(order, abs=1e-9)


def test_fit_slope_accepts_lists_and_tuples() -> None:
    assert fit_slope((0.1, 0.2, 0.4), [0.3, 0.6, 1.2]) == pytest.approx(1.0)


def test_exact_zeros_are_floored_not_fatal() -> None:
    # all zeros: a constant log -> slope 0, outside the invariant band (reported, not accepted)
    assert fit_slope([0.1, 0.2], [0.0, 0.0]) == pytest.approx(0.0, abs=1e-12)
    assert not SLOPE_BAND[0] <= fit_slope([0.1, 0.2], [0.0, 0.0]) <= SLOPE_BAND[1]
    # one zero: the floor stands in for it
    expected = np.log(1e-3 / DRIFT_FLOOR) / np.log(2.0)
    assert fit_slope([0.1, 0.2], [0.0, 1e-3]) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("etas", "drifts", "culprit"),
    [
        ([0.1], [1.0], "length"),
        ([0.1, 0.2], [1.0], "length"),
        ([0.1, 0.0], [1.0, 2.0], "etas"),
        ([0.1, -0.2], [1.0, 2.0], "etas"),
        ([0.1, np.inf], [1.0, 2.0], "etas"),
        ([0.1, 0.2], [1.0, np.nan], "drifts"),
        ([0.1, 0.2], [1.0, np.inf], "drifts"),
        ([0.1, 0.2], [-1.0, 2.0], "drifts"),
    ],
)
def test_bad_input_names_the_culprit(etas: list[float], drifts: list[float], culprit: str) -> None:
    with pytest.raises(InvalidArgument, match=culprit):
        fit_slope(etas, drifts)


def test_thresholds_separate_the_orders() -> None:
    """O(eta) inside the band; O(1) below the control threshold; O(sqrt eta) neither."""
    etas = np.array([0.02, 0.01, 0.005, 0.0025])
    assert SLOPE_BAND[0] <= fit_slope(etas, etas) <= SLOPE_BAND[1]
    assert fit_slope(etas, 0 * etas + 1.0) < CONTROL_MAX_SLOPE
    half = fit_slope(etas, np.sqrt(etas))
    assert not SLOPE_BAND[0] <= half <= SLOPE_BAND[1] and half > CONTROL_MAX_SLOPE
