"""Reduced JoMA dynamics, linear activation: the erfinv closed form and its blow-up time.

Tian et al., ICLR 2024 (arXiv 2310.00535), Sec. 4.  Take exp attention with
:math:`r = T = 1`, one hidden node with linear activation (:math:`\\phi' = 1`) and a
stationary :math:`\\Delta = \\mathbb E[g x]`.  Substituting the *proved* invariant
:math:`z = v^2/2 + c` (``joma-exp``) into the *derived* flow gives the reduced ODE
:math:`\\dot v = \\Delta\\,e^{v^2/2 + c}`; separation of variables and SymPy's integral give
:math:`v(t) = \\sqrt2\\,\\mathrm{erfinv}(\\sqrt{2/\\pi}\\,\\Delta t)` for :math:`v(0)=0, c=0`,
which blows up at :math:`t^* = \\sqrt{\\pi/2}/|\\Delta|`.
"""

from __future__ import annotations

import sys
from functools import cache

import sympy as sp

from theory.symbolic import Derivation, derive_flow
from theory.symbolic.derivation import StepError, Tex
from theory.theorem import NumericSetup, Outcome

from ._common import JOMA_NOTATION, outcome_of_derivation, theorem
from .joma_exp import invariant, model

NAME = "joma-linear-closed-form"
TITLE = "Reduced dynamics, linear activation: v(t) = sqrt(2) erfinv(sqrt(2/pi) Delta t)"
SUMMARY = "exp attention + linear activation: v = sqrt(2) erfinv(sqrt(2/pi) Delta t), blow-up at sqrt(pi/2)/|Delta|"
STATEMENT = (
    r"With $r = T = 1$, $\phi(a) = a$, $\Delta = \mathbb E[gx]$ stationary, $v(0) = 0$, $c = 0$: "
    r"$v(t) = \sqrt2\,\operatorname{erfinv}\!\big(\sqrt{2/\pi}\,\Delta t\big)$ solves $\dot v = \Delta e^{v^2/2}$ "
    r"and blows up at $t^* = \sqrt{\pi/2}/|\Delta|$."
)
EXPECTED = "proved"
KIND = "closed-form"
CITATION = "Tian et al., JoMA, ICLR 2024 (arXiv 2310.00535), Sec. 4"

t = sp.Symbol("t", positive=True)
Delta = sp.Symbol("Delta", positive=True)
c0 = sp.Symbol("c", real=True)


@cache
def reduced_rhs() -> tuple[sp.Symbol, sp.Expr]:
    r"""The reduced ODE right-hand side :math:`\Delta e^{v^2/2 + c}`, derived (state symbol, rhs)."""
    spec = model(1, 1, 1, activation="linear")
    flow = derive_flow(spec)
    s = spec.symbols
    v, z = s["v1_1"], s["z1"]
    z_of_v = _z_of_v(spec)
    rhs = flow["v1_1"].subs(z, z_of_v)
    rhs = rhs.subs({s["eta_w"]: 1, s["eta_z"]: 1, s["T"]: 1}).subs(s["g1_1"], Delta / s["x1_1"])
    return v, sp.powsimp(sp.expand(rhs), combine="exp")


def _z_of_v(spec) -> sp.Expr:
    """Solve the joma-exp invariant Q = z - (r/2T) v^2 = c for z (Q is affine in z with slope 1)."""
    z = spec.symbols["z1"]
    q = invariant(spec)[0]
    if sp.diff(q, z) != 1:
        raise AssertionError("the exp invariant is not of the form z - f(v)")
    return sp.expand(c0 + z - q)


@cache
def closed_form() -> sp.Expr:
    """:math:`v(t)` from :math:`v(0) = 0`, :math:`c = 0`, derived by separation of variables."""
    v, rhs = reduced_rhs()
    rho = sp.Symbol("rho", real=True)
    # int_0^v e^{-rho^2/2} d rho; manual integration is SymPy's fastest route here (0.06 s vs 0.9 s)
    lhs = sp.integrate((1 / rhs.subs(c0, 0)).subs(v, rho) * Delta, (rho, 0, v), manual=True)
    (sol,) = sp.solve(sp.Eq(lhs, Delta * t), v)
    return sol


def blow_up_time() -> sp.Expr:
    """:math:`t^*` where the erfinv argument reaches 1."""
    v = closed_form()
    arg = next(a for a in v.atoms(sp.erfinv)).args[0]
    (ts,) = sp.solve(sp.Eq(arg, 1), t)
    return ts


def derivation() -> Derivation:
    """Derive the reduced ODE from the flow and the invariant, solve it, verify the solution."""
    v, rhs = reduced_rhs()
    d = Derivation(
        notation=JOMA_NOTATION,
        title=Tex(
            r"Reduced dynamics, linear activation: "
            r"$v(t) = \sqrt2\,\operatorname{erfinv}\big(\sqrt{2/\pi}\,\Delta t\big)$"
        ),
        statement=STATEMENT,
        assumptions=[
            Tex(r"exp attention, $r = T = 1$, one hidden node, linear activation ($\phi(a) = a$)"),
            Tex(r"$\Delta = \mathbb E[g x]$ stationary (exact for the reduced ODE)"),
            Tex(r"$v(0) = 0$, $c = 0$"),
        ],
        source=CITATION,
    )
    spec = model(1, 1, 1, activation="linear")
    flow = derive_flow(spec)
    s = spec.symbols
    ch = d.chain(
        r"Reduced ODE: the derived flow with the proved invariant $z = \frac{r}{2T}v^2 + c$ substituted:",
        r"\dot v",
        flow["v1_1"],
        "derived flow (linear activation, M = K = N = 1)",
    )
    z_of_v = _z_of_v(spec)
    ch.then(flow["v1_1"].subs(s["z1"], z_of_v), "invariant of joma-exp solved for z", given={s["z1"]: z_of_v})
    ch.then(
        rhs,
        "r = T = 1 and Delta = E[g x]",
        given={s["eta_w"]: 1, s["eta_z"]: 1, s["T"]: 1, s["g1_1"]: Delta / s["x1_1"]},
    )
    sol = closed_form()
    rho = sp.Symbol("rho", real=True)
    integral = sp.Integral(sp.exp(-(rho**2) / 2), (rho, 0, v))
    value = sp.integrate(integral.function, integral.limits[0], manual=True)
    ch2 = d.chain("Separation of variables ($c = 0$):", integral, value, "SymPy's integral")
    ch2.then(Delta * t, "equals Delta t along the solution v(t) below", given={v: sol})
    vt = sp.Function("v")(t)
    d.abbreviate(vt, sol)
    d.chain("Solving for $v$ gives the closed form:", vt, sol, "solve the separated equation for v")
    ch3 = d.chain("The closed form satisfies the ODE:", r"\dot v(t)", sp.Derivative(sol, t), "differentiate v(t)")
    ch3.then(sp.diff(sol, t), "d/dy erfinv(y) = (sqrt(pi)/2) exp(erfinv(y)^2)")
    ch3.then(Delta * sp.exp(vt**2 / 2), "the ODE's right-hand side at v = v(t)")
    d.chain("Initial condition:", "v(0)", sp.Subs(sol, t, 0), "set t = 0").then(sp.Integer(0), "erfinv(0) = 0")
    ts = blow_up_time()
    d.chain(
        r"Blow-up: the argument of $\operatorname{erfinv}$ reaches 1 at",
        "t^*",
        ts,
        "solve sqrt(2/pi) Delta t = 1",
    ).remark("Finite for every Delta > 0.")
    (arg,) = [a.args[0] for a in sol.atoms(sp.erfinv)]
    d.chain("Check:", r"\sqrt{2/\pi}\,\Delta t^*", sp.Subs(arg, t, ts), "the argument at t = t^*").then(
        sp.Integer(1), "simplify"
    )
    y = sp.Symbol("y")
    lim = sp.limit(sp.erfinv(y), y, 1, "-")
    d.conclusion = f"As t -> t^* from below, erfinv -> {lim}: finite-time blow-up."
    if lim != sp.oo:
        raise StepError("erfinv does not diverge at 1: no blow-up")
    return d


def verify() -> Outcome:
    """Every step of the derivation verified means proved (all t in [0, t*), all Delta > 0)."""
    return outcome_of_derivation(sys.modules[__name__], sizes="symbolic: all Delta > 0, t < t*")


THEOREM = theorem(
    globals(),
    verify=verify,
    numeric=NumericSetup(
        "closed-form-vs-flow",
        {"closed_form": closed_form, "blow_up_time": blow_up_time, "t": t, "Delta": Delta},
    ),
)
