"""Lu, Mao & Nayak (ICLR 2021): the score / embedding-norm identity, discovered and proved.

"On the Dynamics of Training Attention Models", arXiv 2011.10036, Sec. 4.  Under the side
conditions (the query :math:`q` fixed, every sentence with topic word :math:`t` has exactly
:math:`m` non-topic words whose embeddings stay 0 and whose scores stay :math:`s_0`) the
velocities of :math:`A = \\|q\\|^2\\|w_t\\|^2` and of the score :math:`s_t = q^\\top k_t` have
the ratio :math:`\\dot A/\\dot s_t = 2(1 + e^{s_t - s_0}/m)`, a function of :math:`s_t` alone
(derived by :func:`theory.symbolic.integrate_ratio`), whence the conserved quantity

.. math:: \\|q\\|^2\\|w_t\\|^2 - 2 s_t - \\frac{2}{m} e^{s_t - s_0}.

The proof holds for any classifier and loss (the back-propagated :math:`G_n` are free
symbols), for every :math:`m` (a symbol), and is repeated with the concrete FC / TC / TL
classifiers and cross-entropy (TC and TL here; FC, whose flow is TC's without the readout
update, in the test suite).
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theory.models import ModelSpec, lu_classifier
from theory.symbolic import Derivation, derive_flow, integrate_ratio
from theory.theorem import NumericSetup

from ._common import LU_NOTATION, conservation_chain, theorem, velocity_ratio

NAME = "lu-identity"
TITLE = "Lu et al. (2021): the score / embedding-norm identity"
SUMMARY = "q fixed, m frozen non-topic words: |q|^2 |w_t|^2 - 2 s_t - (2/m) exp(s_t - s_0) is conserved"
STATEMENT = (
    r"With $q$ fixed and every sentence containing $t$ having $m$ non-topic words with $w = 0$, score $s_0$: "
    r"$\|q\|^2\|w_t\|^2 - 2 s_t - \frac{2}{m}e^{s_t - s_0}$ is conserved, for any classifier and loss."
)
EXPECTED = "proved"
KIND = "invariant"
CITATION = "Lu, Mao, Nayak, On the Dynamics of Training Attention Models, ICLR 2021 (arXiv 2011.10036)"
GENERALITY = "every m (m is a symbol); TC/TL: one sentence each (FC and larger sizes: tests/symbolic)"
SIZES = (
    {"N": 1, "d_e": 1, "d_k": 1, "classifier": None},
    {"N": 2, "d_e": 2, "d_k": 2, "classifier": None},
    {"N": 1, "d_e": 1, "d_k": 1, "classifier": "TC"},
    {"N": 1, "d_e": 1, "d_k": 1, "classifier": "TL"},
)


def model(N: int, d_e: int, d_k: int, classifier: str | None = None, **options: object) -> ModelSpec:
    """Lu et al. model with a symbolic number m of frozen non-topic words."""
    return lu_classifier(N, None, d_e, d_k, classifier=classifier, **options)  # type: ignore[arg-type]


def discover(spec: ModelSpec):
    """Integrate the velocity ratio of :math:`\\|q\\|^2\\|w_t\\|^2` and :math:`s_t`."""
    return integrate_ratio(derive_flow(spec), spec.extra["q2"] * spec.extra["w2"], spec.extra["score_t"], name="sigma")


def quantity(spec: ModelSpec) -> list[sp.Expr]:
    """The discovered invariant (:func:`invariant`) written in this spec's state symbols.

    It is discovered once, on the smallest model, and *proved* at every listed size.
    """
    e = spec.extra
    names = {x.name: x for x in invariant().free_symbols}
    return [
        invariant().xreplace(
            {
                names["q2"]: e["q2"],
                names["w2"]: e["w2"],
                names["s_t"]: e["score_t"],
                names["s_0"]: e["s_0"],
                names["m"]: e["m"],
            }
        )
    ]


@cache
def invariant() -> sp.Expr:
    """The conserved quantity in the symbols ``q2, w2, s_t, s_0, m`` (derived, not typed).

    Returns
    -------
    sympy.Expr
        :math:`q_2 w_2 - \\int \\rho(s_t)\\,ds_t` with :math:`\\rho` the derived velocity ratio.
    """
    spec = model(1, 1, 1)
    found = discover(spec)
    q2, w2, s_t = sp.symbols("q2 w2 s_t", real=True)
    return q2 * w2 - sp.integrate(found.ratio, found.variable).subs(found.variable, s_t)


def derivation() -> Derivation:
    """Discover the ratio and the invariant (N = d_e = d_k = 1, symbolic m), then prove it."""
    spec = model(1, 1, 1)
    flow = derive_flow(spec)
    found = discover(spec)
    A, S = spec.extra["q2"] * spec.extra["w2"], spec.extra["score_t"]
    d = Derivation(
        notation=LU_NOTATION,
        title=TITLE,
        statement=STATEMENT,
        assumptions=list(spec.assumptions),
        source=CITATION,
    )
    from theory.symbolic.flow import time_derivative

    c = d.chain(
        r"Velocity ratio of $A = \|q\|^2\|w_t\|^2$ and $s_t = q^\top k_t$ (derived flow):",
        r"\dot A / \dot s_t",
        velocity_ratio(time_derivative(flow, A), time_derivative(flow, S)),
        "derived gradient flow",
        value=time_derivative(flow, A) / time_derivative(flow, S),
    )
    c.then(found.ratio.subs(found.variable, S), "cancel: a function of s_t alone")
    c2 = d.chain("Integrating in $s_t$:", "Q", found.quantity, "A minus the integral of the ratio")
    s_t, s_0, m = S, spec.extra["s_0"], spec.extra["m"]
    c2.then(A - 2 * s_t - 2 / m * sp.exp(s_t - s_0), "the paper's form")
    conservation_chain(d, flow, found.quantity, "Q", why_zero="equal monomials cancel")
    d.conclusion = "Score and embedding norm grow together (mutual promotion); the identity holds for every m."
    return d


THEOREM = theorem(
    globals(),
    sizes=SIZES,
    model=model,
    quantity=quantity,
    generality=GENERALITY,
    numeric=NumericSetup("lu-referee", {"train_query": False, "frozen_nontopic": True}),
)
