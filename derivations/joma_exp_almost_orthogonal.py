"""The exp invariant with almost-orthogonal embeddings: the cross-talk residual.

Tian et al. (ICLR 2024, arXiv 2310.00535) relax orthonormal embeddings to
:math:`|u_i^\\top u_j|\\le\\varepsilon`.  The projected weights :math:`a_k = U^\\top w_k` then
flow with the Gram metric :math:`G = U^\\top U = I + E` (chain rule:
:math:`\\dot a_k = -\\eta_w\\,G\\,\\nabla_{a_k}\\mathcal L`).  For
:math:`Q = z - \\tfrac{r}{2T}\\sum_k v_k^2` the prover finds :math:`\\dot Q` equal to the
cross-talk term

.. math::

    R_l = \\frac{r\\,\\eta_w}{T}\\sum_k v_{kl}\\,\\big(E\\,\\nabla_{a_k}\\mathcal L\\big)_l,

which is linear in the off-diagonal overlaps :math:`E` and vanishes for orthonormal embeddings;
its size is :math:`O(\\varepsilon)` times the gradient.
"""

from __future__ import annotations

import sympy as sp

from theory.models import ModelSpec, joma_block
from theory.symbolic import Derivation, derive_flow
from theory.symbolic.flow import _chain_rule, _hide_activation
from theory.theorem import NumericSetup

from ._common import JOMA_NOTATION, conservation_chain, joma_short, joma_sizes, theorem
from .joma_exp import invariant

NAME = "joma-exp-almost-orthogonal"
TITLE = "The exp invariant with almost-orthogonal embeddings"
SUMMARY = "exp attention, U^T U = I + E: the invariant drifts by exactly the O(eps) cross-talk term"
STATEMENT = (
    r"With $U^\top U = I + E$: $\frac{d}{dt}\left(z - \frac{r}{2T}\sum_k v_k^2\right)_l "
    r"= \frac{r\eta_w}{T}\sum_k v_{kl}\,(E\,\nabla_{a_k}\mathcal L)_l$, zero iff the cross-talk vanishes."
)
RESIDUAL = r"\dot Q_l = \frac{r\,\eta_w}{T}\sum_k v_{kl}\,\big(E\,\nabla_{a_k}\mathcal L\big)_l"
EXPECTED = "conditional"
KIND = "invariant"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), almost-orthogonal embeddings"
SIZES = joma_sizes()[:2]


def model(M: int, K: int, N: int) -> ModelSpec:
    """Exp-attention JoMA block with Gram metric I + E."""
    return joma_block(M, K, N, attention="exp", embeddings="almost-orthogonal")


quantity = invariant


def residual(spec: ModelSpec) -> list[sp.Expr]:
    """The cross-talk term, from the off-diagonal part of the metric and the loss gradient."""
    s = spec.symbols
    M, K = spec.sizes["M"], spec.sizes["K"]
    group = spec.group("w")
    per_k = len(group.symbols) // K
    assert group.metric is not None  # the almost-orthogonal model has a Gram matrix
    E = group.metric[:per_k, :per_k] - sp.eye(per_k)
    loss, inner = _hide_activation(spec.loss)
    r = s["eta_z"] / s["eta_w"]
    out = []
    for l in range(M):
        acc = sp.Integer(0)
        for k in range(K):
            coords = group.symbols[k * per_k : (k + 1) * per_k]
            grad = sp.Matrix([_chain_rule(loss, inner, c) for c in coords])
            acc += spec.extra["v"][k][l] * (E * grad)[l]
        out.append(r * s["eta_w"] / s["T"] * acc)
    return out


def derivation() -> Derivation:
    """At M=2, K=1, N=1 the derivative of Q_1 is exactly the cross-talk term."""
    spec = model(2, 1, 1)
    flow = derive_flow(spec)
    d = Derivation(
        notation=JOMA_NOTATION,
        title=TITLE,
        statement=STATEMENT,
        assumptions=list(spec.assumptions),
        source=CITATION,
    )
    short = joma_short(d, spec)
    chain = conservation_chain(
        d,
        flow,
        invariant(spec)[0],
        r"\left(z_1 - \tfrac{r}{2T}v_{1,1}^2\right)",
        why_zero="the identity part cancels; the off-diagonal overlaps remain",
        end=short(residual(spec)[0]),
        short=short,
    )
    eps = {e: 0 for e in spec.constants if e.name.startswith("eps")}
    d.chain(
        "With orthonormal embeddings ($E = 0$) the drift vanishes:",
        r"\dot Q_1\big|_{E=0}",
        sp.Subs(chain.last, tuple(eps), tuple(eps.values())),
        "the drift above at E = 0",
    ).then(sp.Integer(0), "every term carries an overlap")
    d.conclusion = "The drift is linear in the overlaps: O(eps) times the loss gradient."
    return d


THEOREM = theorem(
    globals(),
    sizes=SIZES,
    model=model,
    quantity=quantity,
    residual=residual,
    residual_tex=RESIDUAL,
    numeric=NumericSetup("joma-referee"),
)
