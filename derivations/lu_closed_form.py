"""Lu et al. (ICLR 2021): the identity from zero initialisation, in closed form.

From the conserved quantity of ``lu-identity`` (derived, not typed) with
:math:`s_t(0) = s_0 = 0` and :math:`w_t(0) = 0`:
:math:`\\|q\\|\\,\\|w_t\\| = \\sqrt{2\\,(s_t + (e^{s_t} - 1)/m)}`.
"""

from __future__ import annotations

import sys
from functools import cache

import sympy as sp

from theory.symbolic import Derivation
from theory.theorem import NumericSetup, Outcome

from ._common import LU_NOTATION, outcome_of_derivation, theorem
from .lu_identity import invariant
from .lu_identity import model as identity_model

NAME = "lu-closed-form"
TITLE = "Lu et al. (2021): the identity from zero initialisation"
SUMMARY = "from s_t(0) = s_0 = 0, w_t(0) = 0: |q| |w_t| = sqrt(2 (s_t + (exp(s_t) - 1)/m))"
STATEMENT = r"With $s_t(0) = s_0 = 0$ and $w_t(0) = 0$: $\|q\|\,\|w_t\| = \sqrt{2\left(s_t + (e^{s_t} - 1)/m\right)}$."
EXPECTED = "proved"
KIND = "closed-form"
CITATION = "Lu, Mao, Nayak, ICLR 2021 (arXiv 2011.10036)"


def _symbols() -> dict[str, sp.Symbol]:
    return {s.name: s for s in invariant().free_symbols}


@cache
def closed_form() -> sp.Expr:
    """:math:`\\|q\\|\\,\\|w_t\\|` as a function of ``s_t`` and ``m`` (zero initialisation)."""
    Q = invariant()
    s = _symbols()
    Q0 = Q.subs({s["w2"]: 0, s["s_t"]: 0}).subs(s["s_0"], 0)
    A = sp.Symbol("A", nonnegative=True)
    (sol,) = sp.solve(sp.Eq(Q.subs(s["s_0"], 0).subs(s["q2"] * s["w2"], A), Q0), A)
    return sp.sqrt(sp.expand(sol))


def derivation() -> Derivation:
    """Conservation, initial value, solve for |q|^2 |w_t|^2."""
    Q = invariant()
    s = _symbols()
    d = Derivation(
        notation=LU_NOTATION,
        title=TITLE,
        statement=STATEMENT,
        assumptions=["side conditions of lu-identity", "s_t(0) = s_0 = 0, w_t(0) = 0"],
        source=CITATION,
    )
    c = d.chain(
        "The conserved quantity (lu-identity) at time $t$ equals its initial value:", "Q(t)", Q, "derived invariant"
    )
    Q0 = Q.subs({s["w2"]: 0, s["s_t"]: 0})
    d.chain("Initial value:", "Q(0)", Q0, "w_t(0) = 0, s_t(0) = 0").then(
        Q0.subs(s["s_0"], 0), "s_0 = 0", given={s["s_0"]: 0}
    )
    c.then(Q.subs(s["s_0"], 0), "s_0 = 0", given={s["s_0"]: 0})
    cf = closed_form()
    d.chain("Solving $Q(t) = Q(0)$ for the norm product:", r"\|q\|\,\|w_t\|", cf, "positive root").then(
        sp.sqrt(2 * (s["s_t"] + (sp.exp(s["s_t"]) - 1) / s["m"])), "the paper's form"
    )
    d.conclusion = "Score and norm grow together from zero; the curve is the identity plotted against training."
    return d


def verify() -> Outcome:
    """All steps verified means proved."""
    return outcome_of_derivation(sys.modules[__name__], sizes="symbolic: every m >= 1, s_t >= 0")


THEOREM = theorem(
    globals(),
    verify=verify,
    numeric=NumericSetup("lu-classifier-flow", {"closed_form": closed_form, "model": identity_model}),
)
