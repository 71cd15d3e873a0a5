"""`simulate_joma` takes a `JomaSimulationConfig`; keywords are a shorthand for its fields."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import InvalidArgument
from theory.numeric.simulate import JomaSimulationConfig, simulate, simulate_joma

CHEAP = {"tokens": 4, "hidden": 2, "samples": 5, "t_end": 0.5, "seed": 3, "n_points": 6}


def _timeless(summary: dict) -> dict:
    # run-dependent fields: timings, where the compiled flow came from, the process's peak memory
    return {k: v for k, v in summary.items() if k not in ("seconds", "compile_cache", "memory")}


def test_config_and_keyword_shorthand_agree() -> None:
    by_config = simulate_joma("joma-exp", JomaSimulationConfig(**CHEAP))
    by_keywords = simulate_joma("joma-exp", **CHEAP)
    mixed = simulate_joma(
        "joma-exp", JomaSimulationConfig(tokens=4, hidden=2), samples=5, t_end=0.5, seed=3, n_points=6
    )
    via_simulate = simulate("joma-exp", 0.5, config=JomaSimulationConfig(**CHEAP))
    for other in (by_keywords, mixed, via_simulate):
        assert _timeless(other.summary) == _timeless(by_config.summary)
        assert np.array_equal(other.trajectory.y, by_config.trajectory.y)
    assert by_config.summary["sizes"] == {"M": 4, "K": 2, "N": 5}
    assert by_config.trajectory.t.size == 6


def test_unknown_setting_names_the_fields() -> None:
    with pytest.raises(InvalidArgument, match="unknown setting steps of JomaSimulationConfig; expected one of: tokens"):
        simulate_joma("joma-exp", steps=3)
    with pytest.raises(InvalidArgument, match="expected a JomaSimulationConfig"):
        simulate_joma("joma-exp", {"tokens": 4})  # type: ignore[arg-type]
