"""JoMA Theorem 1, linear attention: :math:`z\\circ z - r\\sum_k v_k^2` is conserved.

Tian et al., "JoMA: Demystifying Multilayer Transformers via JOint Dynamics of MLP and
Attention", ICLR 2024 (arXiv 2310.00535), Theorem 1.  With :math:`b = x\\circ z`, the
flow gives :math:`\\dot z_l = \\eta_z\\mathbb E[\\sum_k g_k\\phi'_k x_l v_{kl}]` and
:math:`\\dot v_{kl} = \\eta_w\\mathbb E[g_k\\phi'_k x_l z_l]`; the ratio of
:math:`\\dot z_l` to :math:`\\tfrac{d}{dt}\\tfrac12\\sum_k v_{kl}^2` is :math:`r/z_l`, whose
separation of variables gives the invariant.  Nothing below types the invariant in: it is
discovered by :func:`theory.symbolic.integrate_ratio` and then proved.
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

NAME = "joma-linear"
TITLE = "JoMA Theorem 1: the linear-attention invariant"
SUMMARY = "linear attention: z o z - r sum_k v_k^2 is conserved for every phi, loss and data"
STATEMENT = (
    r"For $b = x\circ z$ and every activation $\phi$, loss and data distribution, "
    r"$\frac{d}{dt}\left(z\circ z - r\sum_k v_k^{2}\right) = 0$ with $r = \eta_z/\eta_w$."
)
EXPECTED = "proved"
KIND = "invariant"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), Theorem 1"
ARBITRARY_LOSS = True
SIZES = joma_sizes()


def model(M: int, K: int, N: int) -> ModelSpec:
    """The JoMA block with linear attention and arbitrary activation and loss."""
    return joma_block(M, K, N, attention="linear")


def half_square_norm(spec: ModelSpec, l: int) -> sp.Expr:
    """:math:`S_l = \\tfrac12\\sum_k v_{kl}^2`."""
    s = spec.symbols
    return sum(s[f"v{k}_{l}"] ** 2 for k in range(1, spec.sizes["K"] + 1)) / 2


def invariant(spec: ModelSpec) -> list[sp.Expr]:
    """The conserved components :math:`z_l^2 - r\\sum_k v_{kl}^2`, in the spec's symbols."""
    s = spec.symbols
    r = s["eta_z"] / s["eta_w"]
    return [s[f"z{l}"] ** 2 - 2 * r * half_square_norm(spec, l) for l in range(1, spec.sizes["M"] + 1)]


def discovered(spec: ModelSpec) -> list[sp.Expr]:
    """The laws with coefficient 1 on :math:`z_l^2`, discovered from the flow (never typed in)."""
    return discovered_on_grid(spec, model, SIZES, invariant, lambda s, l: s[f"z{l}"] ** 2)


#: The theorem's quantity is the discovered one; :func:`invariant` is the paper's statement,
#: which the derivation shows to be equal to it.
quantity = discovered


def index_quantity(scale: sp.Expr) -> sp.Expr:
    """:math:`Q_i = z_i^2 - r\\sum_k v_{k,i}^2` in index form (``scale`` multiplies the last term)."""
    kk = ix.fresh_index()
    return ix.z[i] ** 2 - scale * ix.eta_z / ix.eta_w * sp.Sum(ix.v[kk, i] ** 2, (kk, 1, K))


#: The claim for symbolic M, K, N, proved by :func:`theory.symbolic.index_proof.general_proof`.
INDEX_CLAIM = ix.IndexClaim(
    attention="linear",
    subject="dQ/dt = 0",
    description="dQ_i/dt = 0 for Q_i = z_i^2 - r sum_k v_ki^2",
    rhs=lambda scale: sp.Integer(0),
    quantity=index_quantity,
    label=r"Q_i = z_i^2 - r\sum_k v_{k,i}^2",
)


def derivation() -> Derivation:
    """Discover the invariant from the flow at M=2, K=1, N=1, then prove it (and for all sizes)."""
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
    c.then(found.ratio.subs(found.variable, z1), "cancel the common factor: a function of z_1 alone")
    r = s["eta_z"] / s["eta_w"]
    c2 = d.chain(
        r"Separating variables, $dS_1 = (z_1/r)\,dz_1$, and integrating gives a conserved quantity:",
        r"Q_1",
        z1**2 / (2 * r) - S,
        "integral of dz_1 / ratio(z_1), minus S_1",
        value=found.quantity,
    )
    c2.then(invariant(spec)[0] / (2 * r), "S_1 = v_{1,1}^2/2")
    c2.remark("This is the theorem's quantity (component l = 1) divided by 2r.")
    discovered_chain(d, discovered(spec)[0], invariant(spec)[0], "z_1^2")
    d.section("Proof (M = 2, K = 1, N = 1)")
    conservation_chain(
        d,
        flow,
        discovered(spec)[0],
        r"\left(z_1^2 - r\, v_{1,1}^2\right)",
        why_zero="equal monomials cancel",
        short=short,
    )
    add_general_section(d, INDEX_CLAIM)
    d.conclusion = "Each component is conserved along the flow, for every size, activation, loss and data."
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
