"""From the Python API too, a bad argument is a toolkit error naming it, never a bare NumPy/SciPy error."""

from __future__ import annotations

import numpy as np
import pytest

from theory.architecture import attention_flow, parse_mask, rollout, synthetic_attention
from theory.errors import InvalidArgument, TheoryError
from theory.hierarchy.report import hierarchy_report
from theory.numeric.simulate import simulate_joma

BAD_SEEDS = [-1, 2**32, 1.5, "0", True]
CALLS = {
    "simulate_joma": lambda seed: simulate_joma("joma-exp", seed=seed, t_end=0.1),
    "synthetic_attention": lambda seed: synthetic_attention(parse_mask("causal"), 6, 1, seed=seed),
    "hierarchy_report": lambda seed: hierarchy_report(2, 2, seed=seed, toy_runs=0, samples=100),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_bad_seed_is_named(name: str, seed: object) -> None:
    with pytest.raises(InvalidArgument, match="seed"):
        CALLS[name](seed)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_control_good_seed_runs(name: str) -> None:
    CALLS[name](2**32 - 1)  # the largest accepted seed


@pytest.mark.parametrize("fn", [attention_flow, rollout], ids=["attention_flow", "rollout"])
@pytest.mark.parametrize(
    "maps",
    [np.full((2, 4, 4), np.nan), np.full((2, 1, 4, 4), np.inf), None, [[1.0]], np.ones((2, 3, 4))],
    ids=["nan", "inf", "none", "list", "not-square"],
)
def test_bad_maps_refused(fn, maps) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TheoryError):
        fn(maps)


def test_control_good_maps_give_finite_flow() -> None:
    maps = synthetic_attention(parse_mask("causal"), 5, 2, seed=0).attn
    assert np.all(np.isfinite(attention_flow(maps).values))
