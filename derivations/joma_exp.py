"""JoMA Theorem 1, exp attention: :math:`z - \\frac{r}{2T}\\sum_k v_k^2` is conserved.

Tian et al., ICLR 2024 (arXiv 2310.00535), Theorem 1.  With :math:`b = x\\circ e^{z/T}`,
:math:`J = \\mathrm{diag}(b)/T`, so :math:`\\dot z_l = \\tfrac{\\eta_z}{T}\\mathbb E[\\sum_k
g_k\\phi'_k b_l v_{kl}]` while :math:`\\dot v_{kl} = \\eta_w\\mathbb E[g_k\\phi'_k b_l]`: the
velocity ratio is the constant :math:`r/T`.  The invariant is discovered from that ratio
(:func:`theory.symbolic.integrate_ratio`) and proved at every listed size.
"""

from __future__ import annotations

import sympy as sp

from theory.models import ModelSpec, joma_block
from theory.symbolic import Derivation, derive_flow, integrate_ratio
from theory.symbolic import index_proof as ix
from theory.symbolic.indexed import K, i
from theory.theorem import NumericSetup

from ._common import (
    JOMA_NOTATION,
    add_general_section,
    conservation_chain,
    discovered_chain,
    discovered_on_grid,
    joma_short,
    joma_sizes,
    theorem,
    velocity_ratio,
)
from .joma_linear import half_square_norm

NAME = "joma-exp"
TITLE = "JoMA Theorem 1: the exp-attention invariant"
SUMMARY = "exp attention: z - (r/2T) sum_k v_k^2 is conserved for every phi, loss and data"
STATEMENT = (
    r"For $b = x\circ e^{z/T}$ and every activation $\phi$, loss and data distribution, "
    r"$\frac{d}{dt}\left(z - \frac{r}{2T}\sum_k v_k^{2}\right) = 0$ with $r = \eta_z/\eta_w$."
)
EXPECTED = "proved"
KIND = "invariant"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), Theorem 1"
ARBITRARY_LOSS = True
SIZES = joma_sizes()


def model(M: int, K: int, N: int, **options: object) -> ModelSpec:
    """The JoMA block with exp attention (arbitrary activation and loss unless given)."""
    return joma_block(M, K, N, attention="exp", **options)  # type: ignore[arg-type]


def invariant(spec: ModelSpec, *, query: str = "") -> list[sp.Expr]:
    """Conserved components :math:`z_l - \\tfrac{r}{2T}\\sum_k v_{kl}^2` (``query="b"``: second query's logits)."""
    s = spec.symbols
    r = s["eta_z"] / s["eta_w"]
    return [s[f"z{query}{l}"] - r / s["T"] * half_square_norm(spec, l) for l in range(1, spec.sizes["M"] + 1)]


def discovered(spec: ModelSpec) -> list[sp.Expr]:
    """The laws with coefficient 1 on :math:`z_l`, discovered from the flow (never typed in)."""
    return discovered_on_grid(spec, model, SIZES, invariant, lambda s, l: s[f"z{l}"])


#: The theorem's quantity is the discovered one; :func:`invariant` is the paper's statement,
#: which the derivation shows to be equal to it.
quantity = discovered


def index_quantity(scale: sp.Expr) -> sp.Expr:
    """:math:`Q_i = z_i - \\tfrac{r}{2T}\\sum_k v_{k,i}^2` in index form (``scale`` multiplies the last term)."""
    kk = ix.fresh_index()
    return ix.z[i] - scale * ix.eta_z / ix.eta_w / (2 * ix.T) * sp.Sum(ix.v[kk, i] ** 2, (kk, 1, K))


#: The claim for symbolic M, K, N, proved by :func:`theory.symbolic.index_proof.general_proof`.
INDEX_CLAIM = ix.IndexClaim(
    attention="exp",
    subject="dQ/dt = 0",
    description="dQ_i/dt = 0 for Q_i = z_i - (r/2T) sum_k v_ki^2",
    rhs=lambda scale: sp.Integer(0),
    quantity=index_quantity,
    label=r"Q_i = z_i - \tfrac{r}{2T}\sum_k v_{k,i}^2",
)


def derivation() -> Derivation:
    """Discover the invariant from the flow at M=2, K=1, N=1, then prove it."""
    spec = model(2, 1, 1)
    flow = derive_flow(spec)
    s = spec.symbols
    z1, v11 = s["z1"], s["v1_1"]
    found = integrate_ratio(flow, z1, half_square_norm(spec, 1), name="zeta")
    d = Derivation(
        notation=JOMA_NOTATION,
        title=TITLE,
        statement=STATEMENT,
        assumptions=list(spec.assumptions),
        source=CITATION,
    )
    short = joma_short(d, spec)
    S = d.abbreviate(sp.Symbol("S_1", positive=True), half_square_norm(spec, 1))
    d.section("Discovery (M = 2, K = 1, N = 1)")
    c = d.chain(
        r"Ratio of the velocities of $z_1$ and $S_1 = \tfrac12\sum_k v_{k,1}^2$, from the derived flow:",
        r"\dot z_1 / \dot S_1",
        velocity_ratio(short(flow["z1"]), v11 * short(flow["v1_1"])),
        "derived flow",
        value=flow["z1"] / (v11 * flow["v1_1"]),
    )
    c.then(found.ratio, "cancel the common factor: a constant")
    c2 = d.chain(
        "Integrating in $S_1$ gives a conserved quantity:",
        r"Q_1",
        z1 - found.ratio * S,
        "z_1 minus the integral of the ratio over S_1",
        value=found.quantity,
    )
    c2.then(invariant(spec)[0], "S_1 = v_{1,1}^2/2")
    c2.remark("This is the theorem's quantity, component l = 1.")
    discovered_chain(d, discovered(spec)[0], invariant(spec)[0], "z_1")
    d.section("Proof (M = 2, K = 1, N = 1)")
    conservation_chain(
        d,
        flow,
        discovered(spec)[0],
        r"\left(z_1 - \tfrac{r}{2T} v_{1,1}^2\right)",
        why_zero="equal monomials cancel",
        short=short,
    )
    add_general_section(d, INDEX_CLAIM)
    d.conclusion = "Each component is conserved along the flow, whatever the activation, loss and data."
    return d


THEOREM = theorem(
    globals(),
    sizes=SIZES,
    model=model,
    quantity=quantity,
    index_claim=INDEX_CLAIM,
    arbitrary_loss=ARBITRARY_LOSS,
    numeric=NumericSetup("joma-referee"),
)
