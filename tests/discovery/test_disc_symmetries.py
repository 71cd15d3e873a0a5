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
