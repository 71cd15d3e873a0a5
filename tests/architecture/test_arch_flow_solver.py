"""The certified layered max-flow (issue 15): equal to networkx within its certified gap,
on maps whose minimum cut is not trivial; refinement instead of the float fallback; no
tolerance cliff at n > 256."""

from __future__ import annotations

import numpy as np
import pytest
from arch_tol import FLOW_ROUND, FLOW_TIGHT

import theory.architecture.flow_solver as fs
from theory.architecture import AttentionStack, attention_flow, rollout
from theory.architecture.attention import synthetic_attention
from theory.architecture.attention_flow import _PairSolver
from theory.architecture.mask_spec import parse_mask
from theory.architecture.rollout import residual_mix


def dirichlet_maps(n: int, layers: int, seed: int, alpha: float = 0.01) -> np.ndarray:
    """Dense rows with most mass on a few keys: minimum cuts are mostly not trivial."""
    rng = np.random.default_rng(seed)
    a = rng.dirichlet(np.full(n, alpha), size=(layers, n)) + 1e-9  # dense; networkx fails near 1e-300
    return a / a.sum(-1, keepdims=True)


MAPS = {
    "dirichlet": lambda: dirichlet_maps(10, 4, seed=1),
    "window+global": lambda: (
        synthetic_attention(parse_mask("mix:window:3|global:1"), 12, 4, kind="random", seed=2).attn
    ),
    "causal-peaked": lambda: synthetic_attention(parse_mask("causal"), 12, 3, kind="peaked", heads=2).attn,
}


_REF: dict[int, np.ndarray] = {}


def networkx_all(attn: np.ndarray) -> np.ndarray:
    """All-pairs networkx preflow-push (cached per map: the slow part of these tests)."""
    key = hash(attn.tobytes())
    if key in _REF:
        return _REF[key]
    solver = _PairSolver(residual_mix(attn))
    n = solver.n
    _REF[key] = np.array([[solver.exact(i, j) for j in range(n)] for i in range(n)])
    return _REF[key]


@pytest.mark.parametrize("name", sorted(MAPS))
def test_values_within_certified_gap_of_networkx(name) -> None:
    attn = MAPS[name]()
    res = attention_flow(attn)
    ref = networkx_all(attn)
    err = res.values - ref
    assert np.all(err >= -FLOW_ROUND)  # the value is a cut capacity: never below the max-flow
    assert np.all(err <= res.gaps + FLOW_ROUND)  # ... and the per-pair bound holds
    assert np.all(res.gaps <= 1e-6 * res.values + FLOW_ROUND)  # default relative tolerance
    assert res.fallbacks == 0


def test_nontrivial_cuts_are_exercised() -> None:
    # negative control: on these maps the trivial cut is not the answer for many pairs
    attn = MAPS["dirichlet"]()
    cap = residual_mix(attn)
    solver = fs.LayeredSolver(cap)
    n = cap.shape[-1]
    trivial = np.array([[solver.trivial_cut(i, j) for j in range(n)] for i in range(n)])
    ref = networkx_all(attn)
    assert np.mean(trivial - ref > 1e-6) > 0.3
    np.testing.assert_allclose(attention_flow(attn).values, ref, rtol=0, atol=1e-6)


def test_refinement_reaches_tight_tolerance_without_fallback(monkeypatch) -> None:
    attn = MAPS["dirichlet"]()
    ref = networkx_all(attn)
    tight = attention_flow(attn, tol=FLOW_TIGHT)
    assert tight.fallbacks == 0
    assert np.all(tight.gaps <= FLOW_TIGHT * tight.values + FLOW_ROUND)
    np.testing.assert_allclose(tight.values, ref, rtol=0, atol=FLOW_TIGHT + FLOW_ROUND)
    # negative control: one scaled round alone cannot certify this tolerance
    monkeypatch.setattr(fs, "MAX_REFINE", 0)
    unrefined = attention_flow(attn, tol=FLOW_TIGHT)
    assert unrefined.fallbacks > 0
    np.testing.assert_allclose(unrefined.values, ref, rtol=0, atol=FLOW_TIGHT + FLOW_ROUND)


def test_no_tolerance_cliff_beyond_n_256() -> None:
    # one output at n = 300: the one-round gap exceeds the old fixed 1e-7 (which sent every
    # pair to preflow-push on the whole graph) but is within the relative default
    attn = dirichlet_maps(300, 3, seed=4, alpha=0.5)
    res = attention_flow(attn, outputs=[299], inputs=list(range(0, 300, 25)))
    assert res.fallbacks == 0
    assert res.max_gap > 1e-7  # the regime of the old cliff (control: the test is not vacuous)
    assert np.all(res.gaps <= 1e-6 * res.values)
    tight = attention_flow(attn, outputs=[299], inputs=list(range(0, 300, 25)), tol=FLOW_TIGHT)
    assert tight.fallbacks == 0 and tight.max_gap <= FLOW_TIGHT
    assert np.all(np.abs(res.values - tight.values) <= res.gaps + tight.gaps + FLOW_ROUND)


def test_one_output_split_over_workers_and_progress(capsys) -> None:
    attn = MAPS["dirichlet"]()
    one = attention_flow(attn, outputs=[5], workers=1)
    two = attention_flow(attn, outputs=[5], workers=2, progress=True)
    np.testing.assert_array_equal(one.values, two.values)
    assert "attention flow (fast)" in capsys.readouterr().err  # the bar is on stderr
    attention_flow(attn, outputs=[5], progress=False)
    assert capsys.readouterr().err == ""


def test_attention_stack_inputs() -> None:
    attn = synthetic_attention(parse_mask("full"), 6, 2, kind="random", heads=3, seed=1).attn
    stacks = [AttentionStack(attn), AttentionStack(attn[::-1].copy())]
    rolled = rollout(stacks)
    assert isinstance(rolled, list) and len(rolled) == 2
    np.testing.assert_array_equal(rolled[0], rollout(attn))
    assert not np.allclose(rolled[1], rolled[0])  # control: the second stack is its own
    np.testing.assert_array_equal(rollout(stacks[0]), rollout(attn))
    np.testing.assert_array_equal(attention_flow(stacks[0]).values, attention_flow(attn).values)


def test_general_path_agrees_with_the_structured_one(monkeypatch) -> None:
    # the fallback used if SciPy's flow matrix ever stops being the pair graph plus reverse
    # entries: aligned by search instead of by structure, same certified values
    attn = MAPS["dirichlet"]()
    ref = networkx_all(attn)
    structured = attention_flow(attn, tol=FLOW_TIGHT)
    monkeypatch.setattr(fs.LayeredSolver, "_structure", lambda self, flow, n_edges: None)
    general = attention_flow(attn, tol=FLOW_TIGHT)
    assert general.fallbacks == 0
    np.testing.assert_allclose(general.values, ref, rtol=0, atol=FLOW_TIGHT + FLOW_ROUND)
    np.testing.assert_allclose(general.values, structured.values, rtol=0, atol=2 * FLOW_TIGHT + FLOW_ROUND)
