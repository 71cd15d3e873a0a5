"""Readable derivations: the flow shown component by component, then the cancellation.

Role: the building blocks that make a conservation proof read like the paper.  The flow of
each variable a quantity depends on is shown (and checked against SymPy's derivative of the
loss), with the paper's abbreviations (:math:`b_{n,l}`, :math:`\\phi'_{k,n}`); then
:math:`\\dot Q = \\sum_i \\partial_i Q\\,\\dot\\theta_i`, the flow substituted without
cancelling (:class:`sympy.UnevaluatedExpr`), the products expanded with equal monomials side
by side, and what is left (0, a named residual, or a remainder).  Used by the catalogue
(``derivations``) and by :func:`theory.symbolic.explain.verdict_derivation`.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ..models.spec import ModelSpec
from .derivation import Chain, Derivation, StepError, evaluated
from .flow import Flow

__all__ = ["conservation_chain", "dot_symbols", "flow_rows", "generic_short", "joma_short", "velocity_ratio"]


def dot_symbols(flow: Flow, expr: sp.Expr) -> dict[sp.Symbol, sp.Symbol]:
    """Placeholders :math:`\\dot\\theta_i` for the state symbols that ``expr`` depends on."""
    return {s: sp.Symbol(f"_dot_{s.name}", real=True) for s in flow.state if expr.has(s)}


def joma_short(d: Derivation, spec: ModelSpec) -> Callable[[sp.Expr], sp.Expr]:
    """Register the paper's abbreviations for a JoMA block; return the function that applies them.

    :math:`\\phi'_{k,n}` is the activation's derivative at hidden node :math:`k`, sample
    :math:`n` (a tilde for the second query), and :math:`b_{n,l}` the attention weight of
    token :math:`l` (exp and softmax attention; linear attention keeps :math:`x_{n,l} z_l`).
    Each is listed in the LaTeX and unfolded before every check.
    """
    from ..models import DPHI

    e = spec.extra
    b_table: dict[sp.Expr, sp.Symbol] = {}
    if e["attention"] != "linear":
        for (q, n), weights in e["b"].items():
            for l, w in enumerate(weights, start=1):
                sym = sp.Symbol(f"u|b{q}{n}_{l}", positive=True)  # sorts before v (printing order)
                d.symbol_names[sym] = (r"\tilde b" if q else "b") + f"_{{{n},{l}}}"
                b_table[w] = d.abbreviate(sym, w)
    phi_table: dict[sp.Expr, sp.Symbol] = {}
    for (k, q, n), a in e["pre"].items():
        sym = sp.Symbol(f"g|dphi{q}{k}_{n}", real=True)  # sorts after g, before b
        d.symbol_names[sym] = (r"\tilde\phi'" if q else r"\phi'") + f"_{{{k},{n}}}"
        phi_table[DPHI(a)] = d.abbreviate(sym, DPHI(a.subs(b_table)))

    def short(x: sp.Expr) -> sp.Expr:
        return sp.sympify(x).xreplace(phi_table).subs(b_table)

    return short


def velocity_ratio(num: sp.Expr, den: sp.Expr) -> sp.Expr:
    """:math:`\\dot a / \\dot b` as written (SymPy would cancel it before printing)."""
    return sp.Mul(sp.UnevaluatedExpr(num), sp.Pow(sp.UnevaluatedExpr(den), -1, evaluate=False), evaluate=False)


def generic_short(d: Derivation, spec: ModelSpec) -> Callable[[sp.Expr], sp.Expr]:
    """Abbreviations for any model: the JoMA ones when ``spec`` is a JoMA block, otherwise one
    :math:`\\phi'_{(j)}` per distinct application of the activation's derivative."""
    if {"pre", "b", "attention"} <= set(spec.extra):
        return joma_short(d, spec)
    from ..models import DPHI

    table: dict[sp.Expr, sp.Symbol] = {}

    def short(x: sp.Expr) -> sp.Expr:
        x = sp.sympify(x)
        for app in sorted(x.atoms(DPHI), key=sp.default_sort_key):
            if app not in table:
                sym = sp.Symbol(f"g|dphi({len(table) + 1})", real=True)
                d.symbol_names[sym] = rf"\phi'_{{({len(table) + 1})}}"
                table[app] = d.abbreviate(sym, app)
        return x.xreplace(table)

    return short


def flow_rows(d: Derivation, flow: Flow, state: list[sp.Symbol], short: Callable[[sp.Expr], sp.Expr]) -> None:
    """One checked row per state variable: :math:`\\dot\\theta = ` its derived flow (abbreviated)."""
    from .latex import dot_latex

    velocity = flow.velocity()
    for n, s in enumerate(state):
        intro = "The derived gradient flow of the variables it depends on:" if n == 0 else ""
        d.chain(
            intro,
            dot_latex(s),
            short(velocity[s]),
            "gradient flow derived from the loss",
            value=velocity[s],
        )


def _times(coefficient: sp.Expr, factor: sp.Expr) -> sp.Expr:
    """``coefficient * factor`` as written (no ``1 *``)."""
    if coefficient == 1:
        return factor.args[0] if isinstance(factor, sp.UnevaluatedExpr) else factor
    if coefficient == -1:
        return sp.Mul(-1, factor, evaluate=False)
    return sp.Mul(coefficient, factor, evaluate=False)


def _grouped(terms: list[sp.Expr]) -> tuple[sp.Expr, sp.Expr]:
    """Monomials with the same symbols, side by side in brackets; and the sum of each bracket."""
    groups: dict[sp.Expr, list[sp.Expr]] = {}
    for t in terms:
        groups.setdefault(t.as_coeff_Mul()[1], []).append(t)
    shown = [sp.Add(*g, evaluate=False) if len(g) > 1 else g[0] for g in groups.values()]
    return sp.Add(*shown, evaluate=False) if len(shown) > 1 else shown[0], sp.Add(*terms)


def conservation_chain(
    d: Derivation,
    flow: Flow,
    quantity: sp.Expr,
    label: str,
    *,
    why_zero: str,
    end: sp.Expr | None = None,
    short: Callable[[sp.Expr], sp.Expr] | None = None,
    with_flow: bool = True,
    remainder: bool = False,
) -> Chain:
    """The flow of the variables :math:`Q` depends on, then the chain
    :math:`\\dot Q = \\sum_i \\partial_i Q\\,\\dot\\theta_i`, the flow substituted (not cancelled),
    the products expanded and equal monomials bracketed, and the result (0 or ``end``; with
    ``remainder=True`` the chain stops at what is left, which is not zero).
    """
    from .latex import dot_latex

    short = short or (lambda x: x)
    dots = dot_symbols(flow, quantity)
    if with_flow:
        flow_rows(d, flow, sorted(dots, key=lambda s: not s.name.startswith("z")), short)
    for s, ds in dots.items():
        d.symbol_names[ds] = dot_latex(s)
    chain_rule = sp.Add(*(sp.diff(quantity, s) * ds for s, ds in dots.items()))
    c = d.chain(
        f"Time derivative of ${label}$ along the flow:",
        rf"\frac{{d}}{{dt}}{label}",
        chain_rule,
        "chain rule",
    )
    velocity = flow.velocity()
    shown = {ds: short(velocity[s]) for s, ds in dots.items()}
    products = [_times(sp.diff(quantity, s), sp.UnevaluatedExpr(shown[ds])) for s, ds in dots.items()]
    substituted = sp.Add(*products, evaluate=False) if len(products) > 1 else products[0]
    c.then(substituted, "substitute the derived flow", given={ds: velocity[s] for s, ds in dots.items()})
    terms = [t for prod in products for t in sp.Add.make_args(sp.expand(evaluated(prod)))]
    grouped, total = _grouped(terms)
    if grouped != total:
        c.then(grouped, "expand; equal monomials side by side")
    target = total if remainder else (sp.Integer(0) if end is None else end)
    if total != target and c.last != total:
        c.then(total, "add up each bracket")
    if c.last != target:
        c.then(target, why_zero)
    if remainder and total == 0:
        raise StepError("the derivative cancels to 0: nothing remains")
    return c
