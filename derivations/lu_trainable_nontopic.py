"""Negative control: trainable non-topic words make the Lu et al. identity approximate.

Lu, Mao & Nayak (ICLR 2021, arXiv 2011.10036) assume the non-topic words keep zero
embeddings and equal scores.  When they are trained, the side conditions fail and the
quantity drifts: the prover refutes exact conservation (the numerical experiments in
``theory lu`` measure how large the drift is).
"""

from __future__ import annotations

import sympy as sp

from theory.models import ModelSpec, lu_classifier
from theory.symbolic import Derivation, derive_flow
from theory.symbolic.derivation import evaluated
from theory.theorem import NumericSetup

from ._common import LU_NOTATION, conservation_chain, theorem

NAME = "lu-trainable-nontopic"
TITLE = "Negative control: trainable non-topic words"
SUMMARY = "non-topic words trained: the Lu et al. identity is only approximate (NOT conserved)"
STATEMENT = (
    r"If the non-topic words are trained, $\|q\|^2\|w_t\|^2 - 2 s_t - \frac{2}{m}e^{s_t - s_0}$ "
    r"is not conserved (the identity is approximate)."
)
EXPECTED = "refuted"
KIND = "invariant"
CITATION = "Lu, Mao, Nayak, ICLR 2021 (arXiv 2011.10036), side conditions removed"
SIZES = ({"N": 1, "m": 1, "d_e": 1, "d_k": 1}, {"N": 1, "m": 2, "d_e": 2, "d_k": 1})


def model(N: int, m: int, d_e: int, d_k: int) -> ModelSpec:
    """Lu et al. model with trainable non-topic words (each sentence its own words)."""
    return lu_classifier(N, m, d_e, d_k, frozen_nontopic=False)


def quantity(spec: ModelSpec) -> list[sp.Expr]:
    """The identity's quantity with s_0 the initial non-topic score (0) and this m."""
    e = spec.extra
    return [e["q2"] * e["w2"] - 2 * e["score_t"] - sp.Rational(2, e["m"]) * sp.exp(e["score_t"])]


def derivation() -> Derivation:
    """At the side conditions' own point (non-topic w = 0, keys 0) the drift is 0 only there."""
    spec = model(1, 1, 1, 1)
    flow = derive_flow(spec)
    q = quantity(spec)[0]
    d = Derivation(
        notation=LU_NOTATION,
        title=TITLE,
        statement=STATEMENT,
        assumptions=list(spec.assumptions),
        source=CITATION,
    )
    c = conservation_chain(d, flow, q, "Q", why_zero="", remainder=True)
    on_conditions = {s: 0 for s in spec.state if s.name.startswith(("u", "c"))}
    d.chain(
        "Where the side conditions hold (non-topic $w = 0$, key 0, so $s_0 = 0$):",
        r"\dot Q\big|_{\text{side}}",
        evaluated(c.last).subs(on_conditions),
        "the derivative above with the non-topic variables set to 0",
    ).then(sp.Integer(0), "every remaining term vanishes there")
    d.conclusion = "Zero on the side conditions, non-zero off them: the identity is approximate once they drift."
    return d


THEOREM = theorem(
    globals(),
    sizes=SIZES,
    model=model,
    quantity=quantity,
    numeric=NumericSetup("lu-referee", {"train_query": False, "frozen_nontopic": False}),
)
