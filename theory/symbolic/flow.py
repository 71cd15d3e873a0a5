"""Gradient flow derived from a model's loss: :math:`\\dot\\theta = -\\eta\\,G\\,\\nabla_\\theta\\mathcal L`.

The derivative of an undefined activation, which SymPy writes as
``Subs(Derivative(phi(_xi), _xi), _xi, a)``, is renamed to the undefined function
``dphi(a)`` (printed :math:`\\phi'(a)`), so that equal pre-activations give equal atoms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from ..models.activations import DPHI, PHI
from ..models.spec import ModelSpec

__all__ = ["Flow", "canonical_derivatives", "derive_flow", "time_derivative"]


@dataclass(frozen=True)
class Flow:
    """The gradient flow of a model: ``d state/dt = rhs``.

    Attributes
    ----------
    spec : ModelSpec
        The model it was derived from.
    state : tuple of sympy.Symbol
        State variables, group by group (same order as ``spec.state``).
    rhs : tuple of sympy.Expr
        Their time derivatives, :math:`-\\eta_g\\,(G_g\\nabla_{\\theta_g}\\mathcal L)_i`.
    """

    spec: ModelSpec
    state: tuple[sp.Symbol, ...]
    rhs: tuple[sp.Expr, ...]

    def velocity(self) -> dict[sp.Symbol, sp.Expr]:
        """Map each state symbol to its time derivative."""
        return dict(zip(self.state, self.rhs, strict=True))

    def __getitem__(self, name: str) -> sp.Expr:
        for s, r in zip(self.state, self.rhs, strict=True):
            if s.name == name:
                return r
        raise KeyError(name)


def canonical_derivatives(expr: sp.Expr) -> sp.Expr:
    """Rewrite derivatives of the undefined activation as ``dphi(argument)``."""

    def is_phi_prime(e: sp.Basic) -> bool:
        return (
            isinstance(e, sp.Subs)
            and isinstance(e.expr, sp.Derivative)
            and e.expr.expr.func == PHI
            and len(e.expr.variables) == 1
        )

    return expr.replace(is_phi_prime, lambda e: DPHI(e.point[0]))


def derive_flow(spec: ModelSpec) -> Flow:
    """Derive the gradient flow of ``spec`` by differentiating its loss with SymPy.

    Parameters
    ----------
    spec : ModelSpec

    Returns
    -------
    Flow
        With :math:`\\dot\\theta_g = -\\eta_g\\,G_g\\,\\nabla_{\\theta_g}\\mathcal L` for each
        parameter group :math:`g` (:math:`G_g = I` unless the group has a metric).

    Examples
    --------
    >>> from theory.models import joma_block
    >>> flow = derive_flow(joma_block(1, 1, 1, attention="linear"))
    >>> flow["z1"]
    eta_z*g1_1*v1_1*x1_1*dphi(v1_1*x1_1*z1 + vm1)
    """
    state: list[sp.Symbol] = []
    rhs: list[sp.Expr] = []
    loss, inner = _hide_activation(spec.loss)
    outer = {h: sp.diff(loss, h) for h in inner}
    memo: dict[tuple[sp.Expr, sp.Symbol], sp.Expr] = {}
    for group in spec.params:
        grad = sp.Matrix([_chain_rule(loss, inner, s, outer, memo) for s in group.symbols])
        if group.metric is not None:
            grad = group.metric * grad
        state.extend(group.symbols)
        rhs.extend(-group.rate * gi for gi in grad)
    return Flow(spec=spec, state=tuple(state), rhs=tuple(rhs))


def _hide_activation(loss: sp.Expr) -> tuple[sp.Expr, dict[sp.Symbol, sp.Expr]]:
    """Replace each application :math:`\\phi(a_i)` of the arbitrary activation by a symbol :math:`h_i`."""
    apps = sorted(loss.atoms(sp.core.function.AppliedUndef), key=sp.default_sort_key)
    apps = [a for a in apps if a.func == PHI]
    hidden = {a: sp.Symbol(f"_h{i}", real=True) for i, a in enumerate(apps)}
    return loss.xreplace(hidden), {h: a.args[0] for a, h in hidden.items()}


def _diff(expr: sp.Expr, s: sp.Symbol, memo: dict[tuple[sp.Expr, sp.Symbol], sp.Expr]) -> sp.Expr:
    """``sp.diff(expr, s)`` with the sum and product rules applied here and factor derivatives memoised.

    Pre-activations :math:`a_{kn} = \\sum_l v_{kl} b_{nl} + v_{km}` share the attention factors
    :math:`b_{nl}` across hidden nodes; differentiating each shared factor once is what makes the
    softmax flows cheap.
    """
    if not expr.has(s):
        return sp.Integer(0)
    if isinstance(expr, sp.Add):
        return sp.Add(*(_diff(t, s, memo) for t in expr.args))
    if isinstance(expr, sp.Mul):
        factors = expr.args
        terms = []
        for i, f in enumerate(factors):
            df = _diff(f, s, memo)
            if df != 0:
                terms.append(sp.Mul(*factors[:i], df, *factors[i + 1 :]))
        return sp.Add(*terms)
    key = (expr, s)
    if key not in memo:
        memo[key] = sp.diff(expr, s)
    return memo[key]


def _chain_rule(
    loss: sp.Expr,
    inner: dict[sp.Symbol, sp.Expr],
    s: sp.Symbol,
    outer: dict[sp.Symbol, sp.Expr] | None = None,
    memo: dict[tuple[sp.Expr, sp.Symbol], sp.Expr] | None = None,
) -> sp.Expr:
    """:math:`\\partial_s L + \\sum_i \\partial L/\\partial h_i\\,\\phi'(a_i)\\,\\partial_s a_i` (chain rule
    through the arbitrary activation; equals ``diff`` of the original loss, without SymPy's ``Subs``)."""
    memo = {} if memo is None else memo
    out = _diff(loss, s, memo)
    for h, a in inner.items():
        da = _diff(a, s, memo)
        if da != 0:
            out += (outer[h] if outer is not None else sp.diff(loss, h)) * DPHI(a) * da
    out = out.xreplace({h: PHI(a) for h, a in inner.items()}) if inner else out
    return canonical_derivatives(out)


def time_derivative(flow: Flow, quantity: sp.Expr) -> sp.Expr:
    """:math:`\\dot Q = \\sum_i \\partial Q/\\partial\\theta_i\\,\\dot\\theta_i` along ``flow``.

    Symbols of ``quantity`` that are not state (data, constants) are constant in time.  A string
    is read by the safe parser over the model's symbols (never evaluated).
    """
    from ._safe import expression

    quantity = expression(quantity, "quantity", flow.spec.symbols)
    return sp.Add(*(sp.diff(quantity, s) * r for s, r in zip(flow.state, flow.rhs, strict=True) if quantity.has(s)))


def time_derivatives(flow: Flow, quantities: Sequence[sp.Expr]) -> list[sp.Expr]:
    """:func:`time_derivative` of each quantity."""
    return [time_derivative(flow, q) for q in quantities]
