r"""Reduced JoMA dynamics: the local convergence rate :math:`-e^{\mu^2/2}` at :math:`v = \mu`.

Tian et al., ICLR 2024 (arXiv 2310.00535), Sec. 4.  Linearising
:math:`f(v) = (\mu - v)e^{v^2/2}` at its zero :math:`v = \mu` gives
:math:`f'(\mu) = -e^{\mu^2/2}`: components with large :math:`\mu` (salient tokens) converge
exponentially faster, so they are learned first.
"""

from __future__ import annotations

import sys

import sympy as sp

from theory.symbolic import Derivation, StepError
from theory.symbolic.derivation import Tex
from theory.theorem import NumericSetup, Outcome

from ._common import outcome_of_derivation, theorem

NAME = "joma-local-rate"
TITLE = "Reduced dynamics: the local rate at v = mu"
SUMMARY = "f(v) = (mu - v) exp(v^2/2) has f'(mu) = -exp(mu^2/2): salient components converge first"
STATEMENT = r"For $f(v) = (\mu - v)e^{v^2/2}$: $f'(\mu) = -e^{\mu^2/2}$, and $|f'(\mu)|$ increases with $\mu > 0$."
EXPECTED = "proved"
KIND = "closed-form"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), Sec. 4"

mu = sp.Symbol("mu", positive=True)
vv = sp.Symbol("v", real=True)


def rate() -> sp.Expr:
    r""":math:`f'(\mu)`, derived by differentiation."""
    f = (mu - vv) * sp.exp(vv**2 / 2)
    return sp.diff(f, vv).subs(vv, mu)


def derivation() -> Derivation:
    """Differentiate, evaluate at the fixed point, check monotonicity in mu."""
    d = Derivation(
        title=TITLE,
        statement=STATEMENT,
        assumptions=[Tex(r"$\mu > 0$")],
        source=CITATION,
    )
    f = (mu - vv) * sp.exp(vv**2 / 2)
    c = d.chain("Linearise at the fixed point:", r"f'(\mu)", sp.Subs(sp.diff(f, vv), vv, mu), "differentiate f")
    c.then(-sp.exp(mu**2 / 2), "set v = mu: the (mu - v) term vanishes")
    c2 = d.chain(
        r"Faster for larger $\mu$:", r"\frac{d}{d\mu}\,|f'(\mu)|", sp.Derivative(-rate(), mu), "|f'(mu)| = exp(mu^2/2)"
    )
    c2.then(mu * sp.exp(mu**2 / 2), "differentiate")
    c2.remark("Positive for mu > 0.")
    if not (c2.last.is_positive):
        raise StepError("rate not increasing in mu")
    d.conclusion = "Salient components (large mu) converge at rate exp(mu^2/2): first."
    return d


def verify() -> Outcome:
    """All steps verified means proved."""
    return outcome_of_derivation(sys.modules[__name__], sizes="symbolic: every mu > 0")


THEOREM = theorem(
    globals(),
    verify=verify,
    numeric=NumericSetup("derivative-vs-difference", {"rate": rate, "mu": mu}),
)
