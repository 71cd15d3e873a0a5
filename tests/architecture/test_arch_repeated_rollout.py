"""Rollout of one map repeated L times: equals the list form, and stops at its fixed point."""

from __future__ import annotations

import numpy as np

from theory.architecture.rollout import repeated_rollout_row, rollout_row
from theory.cli import main


def _map(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).random((n, n))
    return a / a.sum(axis=1, keepdims=True)


def test_repeated_equals_the_list_form() -> None:
    a = _map(12, 0)
    for layers in (1, 2, 7, 40):
        # float64 products in the same order: equal to rounding (1e-15 is the stop rule's own threshold)
        assert np.allclose(repeated_rollout_row(a, layers, 3), rollout_row([a] * layers, 3), atol=1e-14)
    # control: a different depth gives a different row
    assert not np.allclose(rollout_row([a] * 2, 3), rollout_row([a] * 7, 3), atol=1e-6)


def test_astronomical_depth_is_cheap(capsys) -> None:
    a = _map(16, 1)
    deep = repeated_rollout_row(a, 10**15, 0)
    assert np.isclose(deep.sum(), 1.0) and np.allclose(deep, repeated_rollout_row(a, 10**4, 0), atol=1e-12)
    code = main(["compare-arch", "layers=1000000000000000,heads=3,d_model=192", "layers=30,heads=5", "--json"])
    assert code == 0
