"""JoMA Theorem 1, softmax attention: the exact identity for :math:`\\dot z`.

Tian et al., ICLR 2024 (arXiv 2310.00535), Theorem 1 (softmax case).  With
:math:`b = x\\circ e^{z/T}/(x^\\top e^{z/T})`, :math:`J = (\\mathrm{diag}(b) - bb^\\top)/T` and

.. math::

    \\dot z = \\frac{\\eta_z}{T}\\Big[\\sum_k v_k\\circ\\mathbb E(g_k\\phi'_k b)
              - \\mathbb E\\Big(\\sum_k g_k\\phi'_k\\,(b^\\top v_k)\\,b\\Big)\\Big].

The right-hand side is the paper's claim (the target); the left-hand side is the flow that
SymPy derives from the loss.  Their difference is proved identically zero.
"""

from __future__ import annotations

import time

import sympy as sp

from theory.models import DPHI, ModelSpec, joma_block
from theory.symbolic import Derivation, derive_flow
from theory.symbolic import index_proof as ix
from theory.symbolic.indexed import K, M
from theory.symbolic.indexed import i as tok
from theory.symbolic.zero import is_identically_zero
from theory.theorem import NumericSetup, Outcome

from ._common import JOMA_NOTATION, SOFTMAX_SIZES, add_general_section, joma_short, theorem

NAME = "joma-softmax-identity"
TITLE = "JoMA Theorem 1: the exact softmax identity"
SUMMARY = "softmax attention: z' = (eta_z/T)[sum_k v_k o E(g phi' b) - E(sum_k g phi' (b.v_k) b)] exactly"
STATEMENT = (
    r"For $b = x\circ e^{z/T}/(x^\top e^{z/T})$: "
    r"$\dot z = \frac{\eta_z}{T}\Big[\sum_k v_k\circ\mathbb E(g_k\phi'_k b) "
    r"- \mathbb E\big(\sum_k g_k\phi'_k (b^\top v_k) b\big)\Big]$."
)
EXPECTED = "proved"
KIND = "identity"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), Theorem 1"
SIZES = SOFTMAX_SIZES


def model(M: int, K: int, N: int) -> ModelSpec:
    """The JoMA block with softmax attention, arbitrary activation and loss."""
    return joma_block(M, K, N, attention="softmax")


def expectation_terms(spec: ModelSpec, k: int, query: str = "") -> tuple[list[sp.Expr], list[list[sp.Expr]]]:
    """:math:`\\mathbb E[g_k\\phi'_k b]` (vector) and :math:`\\mathbb E[g_k\\phi'_k bb^\\top]` (matrix).

    The expectation is the average over the spec's samples of query ``query``.
    """
    M, N = spec.sizes["M"], spec.sizes["N"]
    b, pre, g = spec.extra["b"], spec.extra["pre"], spec.extra["g"]
    gb = [sp.Integer(0)] * M
    gbb = [[sp.Integer(0)] * M for _ in range(M)]
    for n in range(1, N + 1):
        w = g[(k, query, n)] * DPHI(pre[(k, query, n)]) / N
        bn = b[(query, n)]
        for i in range(M):
            gb[i] += w * bn[i]
            for j in range(M):
                gbb[i][j] += w * bn[i] * bn[j]
    return gb, gbb


def claimed_rhs(spec: ModelSpec) -> list[sp.Expr]:
    """The paper's right-hand side, built from the model's b, g and phi'."""
    s = spec.symbols
    M, K = spec.sizes["M"], spec.sizes["K"]
    v = spec.extra["v"]
    out = [sp.Integer(0)] * M
    for k in range(1, K + 1):
        gb, gbb = expectation_terms(spec, k)
        for l in range(M):
            # E[g phi' (b.v_k) b_l] = sum_j E[g phi' b_l b_j] v_kj
            out[l] += v[k - 1][l] * gb[l] - sum(gbb[l][j] * v[k - 1][j] for j in range(M))
    return [s["eta_z"] / s["T"] * o for o in out]


def _b(nn: sp.Expr, idx: sp.Expr) -> sp.Expr:
    return ix.attention_weight("softmax", nn, idx)


def index_rhs(scale: sp.Expr) -> sp.Expr:
    """The paper's right side for :math:`\\dot z_i` in index form (``scale`` multiplies the second term)."""
    k1, k2, ll = ix.fresh_index(), ix.fresh_index(), ix.fresh_index()
    first = sp.Sum(ix.v[k1, tok] * ix.mean(lambda nn: ix.g_dphi("softmax", k1, nn) * _b(nn, tok)), (k1, 1, K))
    second = ix.mean(
        lambda nn: sp.Sum(
            ix.g_dphi("softmax", k2, nn) * sp.Sum(_b(nn, ll) * ix.v[k2, ll], (ll, 1, M)) * _b(nn, tok), (k2, 1, K)
        )
    )
    return ix.eta_z / ix.T * (first - scale * second)


#: The claim for symbolic M, K, N, proved by :func:`theory.symbolic.index_proof.general_proof`.
INDEX_CLAIM = ix.IndexClaim(
    attention="softmax",
    subject="z' = the paper's right side",
    description="z_i' = (eta_z/T)[sum_k v_ki E(g_k phi'_k b_i) - E(sum_k g_k phi'_k (b.v_k) b_i)]",
    rhs=index_rhs,
)


def verify() -> Outcome:
    """Check the identity component by component at every listed size."""
    t0 = time.perf_counter()
    method = "symbolic"  # every component's normal form is 0 (anything else returns above)
    for sizes in SIZES:
        spec = model(**sizes)
        flow = derive_flow(spec)
        for l, rhs in enumerate(claimed_rhs(spec), start=1):
            test = is_identically_zero(flow[f"z{l}"] - rhs, samples=2)
            if test.refuted:
                assert test.point is not None
                cex = {"sizes": sizes, "component": l - 1, "point": {str(a): str(b) for a, b in test.point.items()}}
                return Outcome(NAME, "refuted", EXPECTED, STATEMENT, None, cex, "certified", str(sizes), 0.0)
            if not test.zero:  # no normal form reached 0 and no witness: evidence only
                return Outcome(NAME, "unproven", EXPECTED, STATEMENT, None, None, "sampled", str(sizes), 0.0)
    bounds = ", ".join(f"{k}<={max(s[k] for s in SIZES)}" for k in SIZES[0])
    ok, how = ix.general_proof(INDEX_CLAIM)  # symbolic M, K, N in index form
    bounds = f"{bounds} ({len(SIZES)} size combinations)" + (f"; {how}" if ok else "")
    return Outcome(
        NAME,
        "proved",
        EXPECTED,
        STATEMENT,
        None,
        None,
        method,
        bounds,
        time.perf_counter() - t0,
    )


def paper_form(spec: ModelSpec, short, l: int = 1) -> sp.Expr:
    """The paper's right-hand side for :math:`\\dot z_l` as written, in the abbreviations ``short``."""
    s = spec.symbols
    M, K = spec.sizes["M"], spec.sizes["K"]
    v = spec.extra["v"]
    terms = []
    for k in range(1, K + 1):
        gb, gbb = expectation_terms(spec, k)
        bv = [short(gbb[l - 1][j]) * v[k - 1][j] for j in range(M)]
        terms += [v[k - 1][l - 1] * short(gb[l - 1]), sp.Mul(-1, sp.Add(*bv, evaluate=False), evaluate=False)]
    return sp.Mul(s["eta_z"] / s["T"], sp.Add(*terms, evaluate=False), evaluate=False)


def derivation() -> Derivation:
    """The identity for the first logit at M=2, K=1, N=1, then for every size in index form."""
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
    d.section("M = 2, K = 1, N = 1")
    c = d.chain(
        "The derived flow of the first logit, in the softmax weights $b_{n,l}$:",
        r"\dot z_1",
        short(flow["z1"]),
        "gradient flow derived from the loss",
        value=flow["z1"],
    )
    c.then(
        paper_form(spec, short),
        "regroup as the paper's right-hand side: v_1 E[g phi' b_1] - E[g phi' (b . v_1) b_1]",
    )
    add_general_section(d, INDEX_CLAIM)
    d.conclusion = "The identity holds exactly, for every activation, loss and data; it is not an approximation."
    return d


THEOREM = theorem(
    globals(),
    sizes=SIZES,
    verify=verify,
    index_claim=INDEX_CLAIM,
    numeric=NumericSetup(
        "referee-velocity", {"claim": claimed_rhs, "expectation_terms": expectation_terms, "sizes": SIZES[-1]}
    ),
)
