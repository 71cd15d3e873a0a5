"""Invariants discovered from the flow, not typed in.

:func:`integrate_ratio` finds a conserved quantity relating two observables
:math:`A(\\theta)` and :math:`S(\\theta)` whenever the ratio of their velocities is a function
of one of them: if :math:`\\dot A/\\dot S = \\rho(S)` then :math:`A - \\int\\rho(S)\\,dS` is
conserved; if :math:`\\dot A/\\dot S = \\rho(A)` then :math:`\\int dA/\\rho(A) - S` is.  This
is how the JoMA invariants (:math:`A = z_l`, :math:`S = \\tfrac12\\sum_k v_{kl}^2`) and the
Lu et al. identity (:math:`A = \\|q\\|^2\\|w_t\\|^2`, :math:`S = s_t`) are obtained.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import NotConservedError
from .flow import Flow, time_derivative

__all__ = ["RatioInvariant", "integrate_ratio"]


@dataclass(frozen=True)
class RatioInvariant:
    """A quantity found by :func:`integrate_ratio`.

    Attributes
    ----------
    quantity : sympy.Expr
        The conserved quantity, in state symbols.
    ratio : sympy.Expr
        :math:`\\dot A/\\dot S` written in the placeholder ``variable``.
    variable : sympy.Symbol
        Placeholder for the observable the ratio depends on.
    on : {"A", "S"}
        Which observable the ratio is a function of.
    """

    quantity: sp.Expr
    ratio: sp.Expr
    variable: sp.Symbol
    on: str


def _as_function_of(expr: sp.Expr, observable: sp.Expr, var: sp.Symbol, state: tuple[sp.Symbol, ...]) -> sp.Expr | None:
    """Write ``expr`` as a function of ``observable`` alone (placeholder ``var``), or None.

    Solves ``observable = var`` for a state symbol in which the observable is affine, substitutes,
    and accepts the result if no state symbol is left.
    """
    if not expr.free_symbols & set(state):
        return expr
    for s in state:
        slope = sp.diff(observable, s)
        if slope == 0 or slope.has(s):
            continue  # not affine in s
        solved = (var - observable.subs(s, 0)) / slope
        candidate = sp.powsimp(sp.cancel(sp.expand(expr.subs(s, solved))), combine="exp")
        if not candidate.free_symbols & set(state):
            return sp.powsimp(sp.expand(candidate), combine="exp")
    return None


def _antiderivative(f: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """An antiderivative: SymPy's manual integrator (fast), else its full algorithm."""
    result = sp.integrate(f, var, manual=True)
    if result.has(sp.Integral):
        result = sp.integrate(f, var)
    if result.has(sp.Integral):
        raise NotConservedError(f"no closed-form antiderivative of {f}; the invariant has no elementary form")
    return result


def integrate_ratio(flow: Flow, A: sp.Expr, S: sp.Expr, *, name: str = "u") -> RatioInvariant:
    """Find a conserved quantity from :math:`\\dot A/\\dot S` when it depends on A or S only.

    Parameters
    ----------
    flow : Flow
    A, S : sympy.Expr
        Observables (functions of the state).
    name : str
        Name of the placeholder symbol used for the integration variable.

    Returns
    -------
    RatioInvariant

    Raises
    ------
    NotConservedError
        If the ratio depends on more than one of the two observables (no separable invariant).
    """
    from ._safe import expression

    A = expression(A, "A", flow.spec.symbols)
    S = expression(S, "S", flow.spec.symbols)
    dA = time_derivative(flow, A)
    dS = time_derivative(flow, S)
    ratio = sp.cancel(sp.together(dA / dS))
    var = sp.Symbol(name, real=True)
    state = flow.state
    f = _as_function_of(ratio, S, var, state)
    if f is not None:
        quantity = A - _antiderivative(f, var).subs(var, S)
        return RatioInvariant(sp.expand(quantity), f, var, "S")
    f = _as_function_of(ratio, A, var, state)
    if f is not None:
        quantity = _antiderivative(1 / f, var).subs(var, A) - S
        return RatioInvariant(sp.expand(quantity), f, var, "A")
    raise NotConservedError(f"dA/dS = {ratio} is not a function of A or S alone; no separable invariant between them")
