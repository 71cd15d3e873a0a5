"""JoMA Theorem 1, softmax attention: the conditional invariant and its exact residual.

Tian et al., ICLR 2024 (arXiv 2310.00535), Theorem 1.  If :math:`\\bar b = \\mathbb E[b]` is
constant in time (here: free symbols ``bbar{l}`` that the flow does not move) then, for

.. math::

    Q = z - \\frac{r}{2T}\\sum_k\\big(v_k^2 - \\|v_k\\|^2\\,\\bar b\\big),

the prover shows :math:`\\dot Q \\ne 0` in general (a counterexample) but
:math:`\\dot Q = R` exactly, where

.. math::

    R = -\\frac{\\eta_z}{T}\\sum_k \\Delta_k v_k,\\qquad
    \\Delta_k = \\mathbb E[g_k\\phi'_k\\,bb^\\top] - \\bar b\\,\\mathbb E[g_k\\phi'_k b]^\\top,

the violation of the paper's assumption :math:`\\mathbb E[g_k\\phi'_k bb^\\top] = \\bar b\\,
\\mathbb E[g_k\\phi'_k b]^\\top`.  So :math:`Q` is conserved exactly when the assumption holds.
"""

from __future__ import annotations

import sympy as sp

from theory.models import ModelSpec, joma_block
from theory.symbolic import Derivation, derive_flow
from theory.symbolic import index_proof as ix
from theory.symbolic.derivation import Tex
from theory.symbolic.indexed import K, M, i
from theory.theorem import NumericSetup

from ._common import JOMA_NOTATION, SOFTMAX_SIZES, add_general_section, conservation_chain, joma_short, theorem
from .joma_softmax_identity import expectation_terms

NAME = "joma-softmax-conditional"
TITLE = "JoMA Theorem 1: the conditional softmax invariant"
SUMMARY = "softmax: z - (r/2T) sum_k (v_k^2 - |v_k|^2 bbar) is conserved iff E[g phi' b b^T] = bbar E[g phi' b]^T"
STATEMENT = (
    r"If $\bar b = \mathbb E[b]$ is constant and "
    r"$\mathbb E[g_k\phi'_k bb^\top] = \bar b\,\mathbb E[g_k\phi'_k b]^\top$ "
    r"for each $k$, then $z - \frac{r}{2T}\sum_k\left(v_k^2 - \|v_k\|^2\bar b\right)$ is conserved."
)
RESIDUAL = (
    r"\dot Q = -\frac{\eta_z}{T}\sum_k \Big(\mathbb E[g_k\phi'_k\, b b^\top] "
    r"- \bar b\, \mathbb E[g_k\phi'_k b]^\top\Big) v_k"
)
EXPECTED = "conditional"
KIND = "invariant"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), Theorem 1"
SIZES = SOFTMAX_SIZES


def model(M: int, K: int, N: int) -> ModelSpec:
    """The JoMA block with softmax attention, arbitrary activation and loss."""
    return joma_block(M, K, N, attention="softmax")


def bbar(spec: ModelSpec) -> list[sp.Symbol]:
    """Symbols :math:`\\bar b_l` (constant in time by assumption)."""
    return [sp.Symbol(f"bbar{l}", positive=True) for l in range(1, spec.sizes["M"] + 1)]


def quantity(spec: ModelSpec) -> list[sp.Expr]:
    """:math:`Q_l = z_l - \\tfrac{r}{2T}\\sum_k (v_{kl}^2 - \\|v_k\\|^2\\bar b_l)`."""
    s = spec.symbols
    M, K = spec.sizes["M"], spec.sizes["K"]
    v = spec.extra["v"]
    r = s["eta_z"] / s["eta_w"]
    bb = bbar(spec)
    out = []
    for l in range(M):
        acc = sum(v[k][l] ** 2 - sum(vj**2 for vj in v[k]) * bb[l] for k in range(K))
        out.append(s[f"z{l + 1}"] - r / (2 * s["T"]) * acc)
    return out


def residual(spec: ModelSpec) -> list[sp.Expr]:
    """:math:`R = -\\tfrac{\\eta_z}{T}\\sum_k\\Delta_k v_k`, built from the assumption-violation matrices."""
    s = spec.symbols
    M, K = spec.sizes["M"], spec.sizes["K"]
    v = spec.extra["v"]
    bb = bbar(spec)
    out = [sp.Integer(0)] * M
    for k in range(1, K + 1):
        gb, gbb = expectation_terms(spec, k)
        for l in range(M):
            out[l] += sum((gbb[l][j] - bb[l] * gb[j]) * v[k - 1][j] for j in range(M))
    return [-s["eta_z"] / s["T"] * o for o in out]


def residual_form(spec: ModelSpec, short) -> sp.Expr:
    """:math:`R_1` as written: :math:`-\\tfrac{\\eta_z}{T}\\sum_j (\\mathbb E[g\\phi' b_1 b_j] - \\bar b_1
    \\mathbb E[g\\phi' b_j]) v_{1,j}` (K = 1), in the abbreviations ``short``."""
    s = spec.symbols
    M = spec.sizes["M"]
    v = spec.extra["v"]
    bb = bbar(spec)
    gb, gbb = expectation_terms(spec, 1)
    terms = [
        sp.Mul(sp.Add(short(gbb[0][j]), -bb[0] * short(gb[j]), evaluate=False), v[0][j], evaluate=False)
        for j in range(M)
    ]
    return sp.Mul(-s["eta_z"] / s["T"], sp.Add(*terms, evaluate=False), evaluate=False)


def _b(nn: sp.Expr, idx: sp.Expr) -> sp.Expr:
    return ix.attention_weight("softmax", nn, idx)


def index_quantity(scale: sp.Expr) -> sp.Expr:
    """:math:`Q_i = z_i - \\tfrac{r}{2T}\\sum_k (v_{k,i}^2 - \\|v_k\\|^2\\bar b_i)` in index form (``scale`` unused)."""
    k1, l2, k2 = ix.fresh_index(), ix.fresh_index(), ix.fresh_index()
    sq = sp.Sum(ix.v[k1, i] ** 2, (k1, 1, K))
    norms = sp.Sum(ix.v[k2, l2] ** 2, (l2, 1, M), (k2, 1, K))
    return ix.z[i] - ix.eta_z / ix.eta_w / (2 * ix.T) * (sq - norms * ix.bbar[i])


def index_residual(scale: sp.Expr) -> sp.Expr:
    """The residual of :math:`\\dot Q_i` in index form (``scale`` multiplies its :math:`\\bar b` term)."""
    k3, jj = ix.fresh_index(), ix.fresh_index()
    gbb = ix.mean(lambda nn: ix.g_dphi("softmax", k3, nn) * _b(nn, i) * _b(nn, jj))
    gb = ix.mean(lambda nn: ix.g_dphi("softmax", k3, nn) * _b(nn, jj))
    return -ix.eta_z / ix.T * sp.Sum((gbb - scale * ix.bbar[i] * gb) * ix.v[k3, jj], (jj, 1, M), (k3, 1, K))


#: The claim for symbolic M, K, N, proved by :func:`theory.symbolic.index_proof.general_proof`.
INDEX_CLAIM = ix.IndexClaim(
    attention="softmax",
    subject="dQ/dt = the residual",
    description=(
        "dQ_i/dt = -(eta_z/T) sum_k sum_j (E[g_k phi'_k b_i b_j] - bbar_i E[g_k phi'_k b_j]) v_kj "
        "for Q_i = z_i - (r/2T) sum_k (v_ki^2 - |v_k|^2 bbar_i), bbar constant"
    ),
    rhs=index_residual,
    quantity=index_quantity,
)


def derivation() -> Derivation:
    """At M=2, K=1, N=1: the time derivative of Q_1 equals the residual exactly; then all sizes."""
    spec = model(2, 1, 1)
    flow = derive_flow(spec)
    q1 = quantity(spec)[0]
    d = Derivation(
        notation=JOMA_NOTATION,
        title=TITLE,
        statement=STATEMENT,
        assumptions=[*spec.assumptions, Tex(r"$\bar b$ constant in time")],
        source=CITATION,
    )
    short = joma_short(d, spec)
    d.section("M = 2, K = 1, N = 1")
    conservation_chain(
        d,
        flow,
        q1,
        r"Q_1",
        why_zero="regroup: minus eta_z/T times Delta_1 v_1, the violation of the assumption",
        end=residual_form(spec, short),
        short=short,
    )
    add_general_section(d, INDEX_CLAIM)
    d.conclusion = (
        "Q is conserved if and only if the residual vanishes; on generic data it does not "
        "(the prover exhibits a counterexample), so the invariant is conditional."
    )
    return d


THEOREM = theorem(
    globals(),
    sizes=SIZES,
    model=model,
    quantity=quantity,
    residual=residual,
    residual_tex=RESIDUAL,
    index_claim=INDEX_CLAIM,
    numeric=NumericSetup("joma-referee"),
)
