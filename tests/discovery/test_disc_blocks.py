"""The conservation laws of transformer blocks: counts, the laws themselves, and controls.

Expected counts come from the symmetries stated in the literature, not from this code:

* one softmax head: every law is a function of :math:`QQ^\\top - KK^\\top` and
  :math:`VV^\\top - OO^\\top` (Marcotte, Gribonval & Peyre, ICML 2025, arXiv 2506.06194), each a
  symmetric ``head_dim x head_dim`` matrix, so :math:`d_1(d_1 + 1)` laws; heads add up;
* a two-layer ReLU (or SwiGLU) layer: one law :math:`\\|w^{(1)}_j\\|^2 - \\|w^{(2)}_j\\|^2` per hidden
  unit, from the rescaling :math:`(w^{(1)}_j, w^{(2)}_j) \\to (\\lambda w^{(1)}_j, w^{(2)}_j/\\lambda)`
  (Marcotte et al., NeurIPS 2023);
* softmax (classifier, gate): adding one vector to every row of the logit matrix changes nothing,
  so the column sums :math:`\\sum_c W_{c,a}` are conserved: ``dim`` laws.

Two independent routes must agree (the exact lift over GF(p) and the 60-digit SVD route), and a
model whose symmetry is broken must lose laws (negative control).
"""

from __future__ import annotations

import pytest
import sympy as sp

from theory.models import blocks
from theory.models.network import network
from theory.symbolic import _lie_modp, derive_flow, prove
from theory.symbolic.laws import polynomial_laws
from theory.symbolic.lie import count_laws


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (lambda: blocks.attention(2, 2, 1), 2),
        (lambda: blocks.attention(2, 2, 1, causal=True), 2),
        (lambda: blocks.attention(2, 2, 1, scaled=True), 2),
        (lambda: blocks.attention(2, 2, 1, heads=2), 4),
        (lambda: blocks.feedforward(2, 2, "relu"), 2),
        (lambda: blocks.feedforward(2, 2, "swiglu"), 2),
        (lambda: blocks.feedforward(2, 2, "linear"), 3),  # r(r+1)/2 with r = hidden = 2
        (lambda: blocks.mixture_of_experts(2, 2), 2),
        (lambda: blocks.classifier(2, 3), 2),
        (lambda: blocks.attention(2, 2, 1, residual=True), 2),  # the skip adds no parameter and breaks nothing
        (lambda: blocks.transformer_block(2, 2, 1, 1), 3),  # head (2) + one rescaling of the hidden unit
    ],
    ids=["head", "causal", "scaled", "two-heads", "relu", "swiglu", "linear", "moe", "classifier", "residual", "block"],
)
def test_block_counts(spec, expected: int) -> None:
    out = count_laws(derive_flow(spec()))
    assert out.exact and out.closed and out.count == expected, out


def test_gelu_has_no_law_on_the_60_digit_route() -> None:
    # erf is not rational in exponentials: the count runs at 60 digits (exact=False) and finds no symmetry
    out = count_laws(derive_flow(blocks.feedforward(2, 2, "gelu")))
    assert not out.exact and out.count == 0


def test_lift_agrees_with_the_60_digit_route(monkeypatch) -> None:
    flow = derive_flow(blocks.classifier(2, 2))  # softmax: exponentials lifted on one route, 60 digits on the other
    lifted = count_laws(flow)

    def refuse(*args, **kwargs):
        raise _lie_modp.NotLiftable("forced")

    monkeypatch.setattr(_lie_modp, "lift", refuse)
    numeric = count_laws(flow)
    assert not numeric.exact and numeric.count == lifted.count == 2


def test_breaking_the_symmetry_loses_laws() -> None:
    # negative control: a term in Q alone breaks Q -> aQ, K -> K/a, so Q Q^T - K K^T is lost
    spec = blocks.attention(2, 2, 1)
    Q = sp.Symbol("Q1_1", real=True)
    g = [o + Q * spec.extra["inputs"][0] for o in spec.extra["outputs"]]
    params = {p.name: list(p.symbols) for p in spec.params}
    broken = network(g, params, list(spec.extra["inputs"]))
    assert count_laws(derive_flow(broken)).count == 1


def test_classifier_laws_are_the_column_sums_and_proved() -> None:
    spec = blocks.classifier(2, 3)
    flow = derive_flow(spec)
    laws = polynomial_laws(flow, 1).laws
    W = {s.name: s for s in flow.state}
    for a in (1, 2):
        column = sum(W[f"W{c}_{a}"] for c in (1, 2, 3))
        assert any(sp.simplify(q / column).is_constant() for q in laws), laws
        assert prove(flow, column).verdict == "proved"
    assert prove(flow, W["W1_1"]).verdict == "refuted"  # control: one entry alone drifts
