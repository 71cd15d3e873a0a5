"""Negative control: two queries sharing the MLP weights break the exp invariant.

Tian et al. (ICLR 2024, arXiv 2310.00535) prove Theorem 1 for samples that share one query
token.  If a second query's samples also update :math:`w_k` (each query with its own logits),
:math:`\\dot v_k` picks up terms that :math:`\\dot z` of the first query does not see, and
:math:`z - \\tfrac{r}{2T}\\sum_k v_k^2` is no longer conserved: the prover must *refute* it
with a concrete counterexample.
"""

from __future__ import annotations

from theory.models import ModelSpec, joma_block
from theory.symbolic import Derivation, derive_flow, prove
from theory.symbolic.derivation import Tex
from theory.theorem import NumericSetup

from ._common import JOMA_NOTATION, conservation_chain, joma_short, point_latex, theorem
from .joma_exp import invariant

NAME = "joma-two-query"
TITLE = "Negative control: two queries sharing w_k"
SUMMARY = "exp attention with two queries sharing w_k: z - (r/2T) sum_k v_k^2 is NOT conserved"
STATEMENT = (
    r"With two query tokens sharing $w_k$, $z^{(1)} - \frac{r}{2T}\sum_k v_k^2$ is not conserved "
    r"(the second query's samples move $v_k$)."
)
EXPECTED = "refuted"
KIND = "invariant"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), Theorem 1 (its hypothesis removed)"
SIZES = ({"M": 1, "K": 1, "N": 1}, {"M": 2, "K": 1, "N": 1}, {"M": 2, "K": 2, "N": 2})


def model(M: int, K: int, N: int) -> ModelSpec:
    """Exp-attention JoMA block with a second query sharing the weights."""
    return joma_block(M, K, N, attention="exp", queries=2)


quantity = invariant


def derivation() -> Derivation:
    """At M=1, K=1, N=1: the derivative is the second query's contribution, not zero."""
    spec = model(1, 1, 1)
    flow = derive_flow(spec)
    q = invariant(spec)[0]
    d = Derivation(
        notation=JOMA_NOTATION,
        title=TITLE,
        statement=STATEMENT,
        assumptions=list(spec.assumptions),
        source=CITATION,
    )
    short = joma_short(d, spec)
    conservation_chain(d, flow, q, r"Q_1", why_zero="", short=short, remainder=True).remark(
        "Only the second query's terms (tilde) survive: they move v_1 but not z_1."
    )
    verdict = prove(flow, [q])
    cex = verdict.counterexample or {}
    d.conclusion = Tex(
        "Not conserved: at the point "
        + point_latex(cex.get("point", {}), spec)
        + f" the derivative equals ${cex.get('value')}$ (certified: two evaluations at different precisions agree)."
    )
    return d


THEOREM = theorem(
    globals(),
    sizes=SIZES,
    model=model,
    quantity=quantity,
    numeric=NumericSetup("joma-referee"),
)
