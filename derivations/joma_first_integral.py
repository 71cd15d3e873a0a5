"""Reduced JoMA dynamics, nonlinear activation: the first integral :math:`G_\\mu`.

Tian et al., ICLR 2024 (arXiv 2310.00535), Sec. 4: salient features are learned first.  For
:math:`\\dot v = s(t)(\\mu - v)e^{v^2/2}` with a common positive factor :math:`s(t)`,

.. math:: G_\\mu(v) = \\int_0^v \\frac{e^{-r^2/2}}{\\mu - r}\\,dr

satisfies :math:`\\frac{d}{dt}G_\\mu(v(t)) = s(t)`, so :math:`G_\\mu(v(t)) - \\int_0^t s` is
conserved for every component.  The proof is the fundamental theorem of calculus plus the
ODE, both checked by SymPy with :math:`v(t), s(t)` undefined functions.
"""

from __future__ import annotations

import sys

import sympy as sp

from theory.symbolic import Derivation
from theory.symbolic.derivation import Tex
from theory.theorem import NumericSetup, Outcome

from ._common import outcome_of_derivation, theorem

NAME = "joma-first-integral"
TITLE = "Reduced dynamics, nonlinear activation: the first integral G_mu"
SUMMARY = "v' = s(t)(mu - v) exp(v^2/2): G_mu(v(t)) - int_0^t s is conserved"
STATEMENT = (
    r"For $\dot v = s(t)(\mu - v)e^{v^2/2}$: $\frac{d}{dt}G_\mu(v(t)) = s(t)$ with "
    r"$G_\mu(v) = \int_0^v \frac{e^{-r^2/2}}{\mu - r}\,dr$ (for $v$ between $0$ and $\mu$)."
)
EXPECTED = "proved"
KIND = "closed-form"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), Sec. 4"

t = sp.Symbol("t", real=True)
mu = sp.Symbol("mu", positive=True)
v = sp.Function("v")
s = sp.Function("s")
r = sp.Symbol("r", real=True)


def G(upper: sp.Expr) -> sp.Integral:
    """:math:`G_\\mu(\\cdot)` as an unevaluated integral."""
    return sp.Integral(sp.exp(-(r**2) / 2) / (mu - r), (r, 0, upper))


def ode_rhs() -> sp.Expr:
    r""":math:`s(t)(\mu - v)e^{v^2/2}`."""
    return s(t) * (mu - v(t)) * sp.exp(v(t) ** 2 / 2)


def derivation() -> Derivation:
    """Differentiate G_mu(v(t)), substitute the ODE, get s(t)."""
    d = Derivation(
        title=TITLE,
        statement=STATEMENT,
        assumptions=[
            Tex(r"$s(t) > 0$, a common factor (softmax normalisation)"),
            Tex(r"$v(t)$ stays on one side of $\mu$"),
        ],
        source=CITATION,
    )
    vt = v(t)
    c = d.chain(
        "Differentiate along a solution:",
        r"\frac{d}{dt}G_\mu(v(t))",
        sp.diff(G(vt), t),
        "fundamental theorem of calculus",
    )
    shown = c.last.subs(sp.Derivative(vt, t), sp.UnevaluatedExpr(ode_rhs()))
    c.then(shown, "substitute the ODE", given={sp.Derivative(vt, t): ode_rhs()})
    c.then(s(t), "cancel (mu - v) exp(v^2/2)")
    u = sp.Symbol("u", real=True)
    lin = d.chain(
        r"Near the fixed point $v = \mu$ the integrand of $G_\mu$ has a pole:",
        r"\frac{d}{dv}G_\mu(v)",
        sp.Derivative(G(u), u),
        "definition of G_mu",
    )
    lin.then(sp.exp(-(u**2) / 2) / (mu - u), "fundamental theorem of calculus: the integrand at the upper limit")
    lin.remark("It diverges as v -> mu: v approaches mu without crossing it.")
    d.conclusion = "G_mu(v(t)) - int_0^t s is conserved for every component; v approaches mu but never crosses it."
    return d


def verify() -> Outcome:
    """All steps verified means proved."""
    return outcome_of_derivation(sys.modules[__name__], sizes="symbolic: every mu, s(t), v(t)")


THEOREM = theorem(
    globals(),
    verify=verify,
    numeric=NumericSetup(
        "first-integral-quadrature", {"ode_rhs": ode_rhs, "G": G, "t": t, "v": v, "s": s, "mu": mu, "r": r}
    ),
)
