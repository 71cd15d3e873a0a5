"""Negative control: training the query breaks the Lu et al. identity.

Lu, Mao & Nayak (ICLR 2021, arXiv 2011.10036) keep :math:`q` fixed.  If :math:`q` is trained
too, :math:`\\|q\\|^2` changes in time and the quantity of ``lu-identity`` is not conserved:
the prover must refute it with a counterexample.
"""

from __future__ import annotations

import sympy as sp

from theory.models import ModelSpec, lu_classifier
from theory.symbolic import Derivation, derive_flow
from theory.theorem import NumericSetup

from ._common import LU_NOTATION, conservation_chain, theorem
from .lu_identity import quantity as lu_quantity

NAME = "lu-trained-query"
TITLE = "Negative control: a trained query breaks the Lu et al. identity"
SUMMARY = "q trained: |q|^2 |w_t|^2 - 2 s_t - (2/m) exp(s_t - s_0) is NOT conserved"
STATEMENT = r"If $q$ is trained, $\|q\|^2\|w_t\|^2 - 2 s_t - \frac{2}{m}e^{s_t - s_0}$ is not conserved."
EXPECTED = "refuted"
KIND = "invariant"
CITATION = "Lu, Mao, Nayak, ICLR 2021 (arXiv 2011.10036), negative control"
SIZES = ({"N": 1, "d_e": 1, "d_k": 1}, {"N": 2, "d_e": 2, "d_k": 2})


def model(N: int, d_e: int, d_k: int) -> ModelSpec:
    """Lu et al. model with the query trained."""
    return lu_classifier(N, None, d_e, d_k, trainable_query=True)


def quantity(spec: ModelSpec) -> list[sp.Expr]:
    """The identity's quantity (discovered on the fixed-query model), in this spec's symbols."""
    return lu_quantity(spec)


def derivation() -> Derivation:
    """The derivative is the query's own motion, not zero."""
    spec = model(1, 1, 1)
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
    c.then(sp.factor_terms(sp.simplify(c.last)), "simplify: not identically zero")
    d.conclusion = "Not conserved (see the prover's counterexample)."
    return d


THEOREM = theorem(
    globals(),
    sizes=SIZES,
    model=model,
    quantity=quantity,
    numeric=NumericSetup("lu-referee", {"train_query": True, "frozen_nontopic": True}),
)
