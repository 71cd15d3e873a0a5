"""The symmetry route (Noether for gradient flows) against the ansatz route.

Targets from the literature (not from this code): two-layer linear networks are invariant under
U -> U A, V -> V A^{-T} (r(r+1)/2 charges U^T U - V^T V); a ReLU layer under the rescaling of
each hidden unit (one charge per unit); a softmax classifier under a common shift of its rows
(the column sums).  Every charge must be proved and lie in the span of the laws the ansatz finds.
"""

from __future__ import annotations

import random

import pytest
import sympy as sp

from theory.checks.discovery import discover
from theory.models import blocks
from theory.models.network import network
from theory.symbolic import derive_flow, prove
from theory.symbolic.lie import gradient_rank
from theory.symbolic.symmetries import linear_symmetries


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (lambda: blocks.linear_network(2, 2, 2), 3),
        (lambda: blocks.feedforward(2, 2, "relu"), 2),
        (lambda: blocks.classifier(2, 3), 2),
        (lambda: blocks.feedforward(2, 2, "tanh"), 0),  # no continuous symmetry (count 0 too)
    ],
    ids=["linear", "relu", "classifier", "tanh"],
)
def test_charges_are_proved_and_independent(spec, expected: int) -> None:
    flow = derive_flow(spec())
    found = linear_symmetries(flow)
    charges = [s.charge for s in found]
    assert len(found) == expected
    assert gradient_rank(charges, flow.state, random.Random(0)) == expected
    assert all(prove(flow, q).verdict == "proved" for q in charges)


def test_routes_agree_on_the_linear_network() -> None:
    found = discover(blocks.linear_network(2, 2, 2), 2, symmetries=True)
    assert found.complete and found.symmetries is not None
    assert len(found.symmetries) == 3
    assert all(s["verdict"] == "proved" and s["in_span"] for s in found.symmetries)


def test_a_broken_symmetry_is_not_reported() -> None:
    # negative control: a term in U alone breaks U -> U A, V -> V A^{-T} except along V's direction
    U = sp.Matrix(1, 1, [sp.Symbol("u", real=True)])
    V = sp.Matrix(1, 1, [sp.Symbol("v", real=True)])
    x = sp.Symbol("x", real=True)
    symmetric = derive_flow(network(U * V.T * x, {"U": U, "V": V}, [x]))
    broken = derive_flow(network((U * V.T)[0] * x + U[0] * x**2, {"U": U, "V": V}, [x]))
    assert [s.charge for s in linear_symmetries(symmetric)] == [U[0] ** 2 - V[0] ** 2]
    assert linear_symmetries(broken) == []


a, b, x = sp.symbols("a b x", real=True)


@pytest.mark.parametrize("power", [1, 2])
def test_a_symmetry_across_families_is_found(power: int) -> None:
    """g = e^a b^p x is invariant under a -> a + eps, b -> (1 - eps/p) b: a translation and a
    rescaling together, neither alone.  Noether (equal rates): Q = a - b^2/(2p)."""
    spec = network(sp.exp(a) * b**power * x, {"a": sp.Matrix([[a]]), "b": sp.Matrix([[b]])}, [x])
    flow = derive_flow(spec)
    found = linear_symmetries(flow)
    assert [s.family for s in found] == ["combined"]
    assert sp.expand(found[0].charge - (a - b**2 / (2 * power))) == 0
    assert prove(flow, found[0].charge).verdict == "proved"


def test_no_symmetry_across_families_when_broken() -> None:
    """Negative control: e^a b x + a x is not invariant under the combined move (a appears alone)."""
    spec = network(sp.exp(a) * b * x + a * x, {"a": sp.Matrix([[a]]), "b": sp.Matrix([[b]])}, [x])
    assert linear_symmetries(derive_flow(spec)) == []


def test_joma_invariants_from_a_symmetry() -> None:
    """JoMA exp attention: z_l -> z_l + eps T with v_l -> (1 - eps) v_l leaves v_l e^{z_l/T}
    unchanged, for an arbitrary activation phi; the charges are the JoMA invariants, proved and in
    the span of the ansatz's laws (the phi applications are opaque values in the search)."""
    from theory.models import joma_block

    found = discover(joma_block(2, 1, 1, attention="exp"), 2, count=False, symmetries=True)
    assert found.symmetries is not None and len(found.symmetries) == 2
    assert all(s["family"] == "combined" and s["verdict"] == "proved" and s["in_span"] for s in found.symmetries)


def test_a_wrong_numerical_proposal_is_caught_by_the_proof(monkeypatch) -> None:
    """The 30-digit SVD only proposes null vectors; each must pass the symbolic zero test.  A
    planted wrong proposal (every coefficient 1) fails it and the exact solve still finds the
    linear network's three charges (control: the same count as without the plant)."""
    from theory.symbolic import symmetries

    flow = derive_flow(blocks.linear_network(2, 2, 2))
    honest = linear_symmetries(flow)
    monkeypatch.setattr(symmetries, "_proposed", lambda basis: [[sp.Integer(1)] * len(basis[0])])
    planted = symmetries.linear_symmetries(flow)
    assert len(planted) == len(honest) == 3
    assert all(prove(flow, s.charge).verdict == "proved" for s in planted)
