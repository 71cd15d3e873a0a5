"""Attention flow: fast certified method == networkx Edmonds-Karp reference; capacities."""

from __future__ import annotations

import numpy as np
import pytest
from arch_tol import FLOW_GAP, FLOW_MATCH
from conftest import profile
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.architecture.attention import synthetic_attention
from theory.architecture.attention_flow import (
    SCALE,
    attention_flow,
    flow_capacity_graph,
    max_flow_edges,
)
from theory.architecture.mask_spec import parse_mask
from theory.architecture.rollout import residual_mix
from theory.errors import InvalidArgument

SPECS = ["full", "causal", "window:3", "dilated:window=2,d=2", "mix:block:3|sink:1"]
KINDS = ["uniform", "decay", "peaked", "random"]


@settings(max_examples=8 if profile() == "ci" else 60)
@given(
    spec=st.sampled_from(SPECS),
    kind=st.sampled_from(KINDS),
    n=st.integers(2, 9),
    layers=st.integers(1, 3),
    seed=st.integers(0, 5),
)
def test_fast_equals_reference(spec, kind, n, layers, seed) -> None:
    attn = synthetic_attention(parse_mask(spec), n, layers, kind=kind, heads=2, seed=seed).attn
    fast = attention_flow(attn)
    ref = attention_flow(attn, method="reference")
    exact = attention_flow(attn, method="networkx")
    np.testing.assert_allclose(fast.values, ref.values, rtol=0, atol=FLOW_MATCH)
    np.testing.assert_allclose(exact.values, ref.values, rtol=0, atol=FLOW_MATCH)
    assert fast.max_gap <= FLOW_GAP


def test_one_layer_flow_is_the_attention_itself() -> None:
    attn = synthetic_attention(parse_mask("full"), 6, 1, kind="random", seed=2).attn
    cap = residual_mix(attn)
    np.testing.assert_allclose(attention_flow(attn).values, cap[0], rtol=0, atol=FLOW_MATCH)


def test_two_layer_flow_closed_form() -> None:
    # Two layers: paths i -> k -> j are disjoint, so max-flow = sum_k min(C2[i,k], C1[k,j]).
    attn = synthetic_attention(parse_mask("causal"), 7, 2, kind="random", seed=4).attn
    c1, c2 = residual_mix(attn)
    expected = np.minimum(c2[:, :, None], c1[None, :, :]).sum(axis=1)
    got = attention_flow(attn).values
    np.testing.assert_allclose(got, expected, rtol=0, atol=FLOW_MATCH)
    # negative control: rollout (the product) is not the flow
    assert not np.allclose(got, c2 @ c1, atol=1e-3)


def test_flow_never_exceeds_capacity_and_is_conserved() -> None:
    attn = synthetic_attention(parse_mask("full"), 8, 3, kind="random", seed=7).attn
    cap = residual_mix(attn)
    graph = flow_capacity_graph(cap).toarray()
    n_nodes = graph.shape[0]
    for i, j in [(0, 0), (7, 2), (3, 5)]:
        value, flow = max_flow_edges(cap, i, j)
        f = flow.toarray()
        assert np.all(f <= graph + 1e-15)  # on every edge
        assert np.all(f[graph == 0] == 0)  # only along edges
        net = f.sum(axis=1) - f.sum(axis=0)  # outflow - inflow
        s, t = 3 * 8 + i, j
        inner = np.setdiff1d(np.arange(n_nodes), [s, t])
        np.testing.assert_allclose(net[inner], 0, atol=1e-12)
        assert net[s] == pytest.approx(value, abs=1e-12)
        # and the value is within the certified gap of the reported flow
        reported = attention_flow(attn, outputs=[i], inputs=[j]).values[0, 0]
        assert 0 <= reported - value <= FLOW_GAP
        assert reported <= cap[-1][i].sum() + 1e-12  # never more than the source can send


def test_gap_fallback_recomputes_exactly() -> None:
    attn = synthetic_attention(parse_mask("causal"), 6, 2, kind="random", seed=1).attn
    strict = attention_flow(attn, tol=0.0)
    normal = attention_flow(attn)
    np.testing.assert_allclose(strict.values, normal.values, rtol=0, atol=FLOW_MATCH)
    reachable = 6 * 7 // 2  # causal pairs j <= i
    assert 0 < strict.fallbacks <= reachable  # tol = 0: every pair with a gap is redone
    assert strict.max_gap == 0.0  # ... so no uncertified pair is left
    assert normal.fallbacks == 0 and 0 < normal.max_gap <= FLOW_GAP


def test_unreachable_pairs_are_zero_and_perturbation_changes_value() -> None:
    attn = synthetic_attention(parse_mask("causal"), 5, 2, kind="decay").attn
    f = attention_flow(attn).values
    assert np.all(f[np.triu_indices(5, 1)] == 0)  # causal: no flow from later inputs
    attn2 = attn.copy()
    attn2[1, 0, 4] = np.r_[0.9, np.full(4, 0.025)]
    assert not np.allclose(attention_flow(attn2).values, f)  # the check can fail


def test_parallel_workers_give_same_values() -> None:
    attn = synthetic_attention(parse_mask("full"), 6, 2, kind="random", seed=3).attn
    one = attention_flow(attn, workers=1)
    two = attention_flow(attn, workers=2)
    np.testing.assert_array_equal(one.values, two.values)


def test_normalized_rows_and_bad_arguments() -> None:
    attn = synthetic_attention(parse_mask("full"), 4, 2, kind="random").attn
    res = attention_flow(attn)
    np.testing.assert_allclose(res.normalized().sum(axis=1), 1.0, atol=1e-12)
    for kwargs in [
        {"method": "magic"},
        {"outputs": [9]},
        {"layer": 5},
        {"tol": -1.0},
        {"residual": 1.5},
    ]:
        with pytest.raises(InvalidArgument):
            attention_flow(attn, **kwargs)
    assert SCALE == 2**30
