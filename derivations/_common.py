"""Shared building blocks of the catalogue modules (chains every theorem uses)."""

from __future__ import annotations

import time
from types import ModuleType

import sympy as sp

from theory.catalogue import Outcome
from theory.symbolic.derivation import Derivation, StepError
from theory.symbolic.flow import Flow

#: Notation paragraph of the JoMA derivations (LaTeX).
JOMA_NOTATION = (
    r"$\phi'$ is the derivative of the activation, $v_{k,l} = u_l^\top w_k$, $v_{m,k} = u_m^\top w_k$, "
    r"$x_{n,l}$ the frequency of token $l$ in sample $n$, $g_{k,n} = -\partial\ell_n/\partial h_{k,n}$; "
    r"dotted symbols are time derivatives."
)
#: Notation paragraph of the Lu et al. derivations (LaTeX).
LU_NOTATION = (
    r"$k_{t,i}$, $w_{t,i}$: coordinates of the topic word's key and embedding; $q_i$: the query; "
    r"$G_{n,i} = \partial\ell_n/\partial c_{n,i}$, the loss gradient at sentence $n$'s context; "
    r"dotted symbols are time derivatives."
)

__all__ = ["conservation_chain", "dot_symbols", "joma_sizes", "outcome_of_derivation"]

#: Size grid of the JoMA invariant proofs (M tokens, K hidden nodes, N samples).
JOMA_SIZES = (
    {"M": 1, "K": 1, "N": 1},
    {"M": 2, "K": 1, "N": 2},
    {"M": 3, "K": 2, "N": 2},
)


#: Per-symbol cross-check sizes of the softmax entries (their index-form proof covers every size).
SOFTMAX_SIZES = (
    {"M": 1, "K": 1, "N": 1},
    {"M": 2, "K": 2, "N": 2},
)


def joma_sizes() -> tuple[dict, ...]:
    """The JoMA size grid."""
    return JOMA_SIZES


def dot_symbols(flow: Flow, expr: sp.Expr) -> dict[sp.Symbol, sp.Symbol]:
    """Placeholders :math:`\\dot\\theta_i` for the state symbols that ``expr`` depends on."""
    return {s: sp.Symbol(f"_dot_{s.name}", real=True) for s in flow.state if expr.has(s)}


def conservation_chain(
    d: Derivation, flow: Flow, quantity: sp.Expr, label: str, *, why_zero: str, end: sp.Expr | None = None
) -> None:
    """Append the chain :math:`\\dot Q = \\sum_i \\partial_i Q\\,\\dot\\theta_i = \\dots = 0` (or ``= end``)."""
    from theory.symbolic.latex import symbol_latex

    dots = dot_symbols(flow, quantity)
    for s, ds in dots.items():
        d.symbol_names[ds] = rf"\dot{{{symbol_latex(s)}}}"
    chain_rule = sp.Add(*(sp.diff(quantity, s) * ds for s, ds in dots.items()))
    c = d.chain(
        f"Time derivative of ${label}$ along the flow:",
        rf"\frac{{d}}{{dt}}{label}",
        chain_rule,
        "chain rule",
    )
    velocity = flow.velocity()
    substituted = chain_rule.xreplace({ds: velocity[s] for s, ds in dots.items()})
    c.then(substituted, "substitute the derived gradient flow", given={ds: velocity[s] for s, ds in dots.items()})
    c.then(sp.Integer(0) if end is None else end, why_zero)


def outcome_of_derivation(module: ModuleType, *, sizes: str) -> Outcome:
    """Build the module's derivation; every step verified symbolically means ``proved``.

    A derivation with a step checked only at random points is ``unproven`` (evidence).

    A step that does not hold gives ``refuted`` with the failing step as the counterexample.
    """
    t0 = time.perf_counter()
    try:
        d = module.derivation()
    except StepError as exc:
        return Outcome(
            module.NAME,
            "refuted",
            module.EXPECTED,
            module.STATEMENT,
            None,
            {"step": str(exc)},
            "symbolic",
            sizes,
            time.perf_counter() - t0,
        )
    # a derivation with a sampled step is evidence, not a proof
    sampled = "sampled" in d.methods
    return Outcome(
        module.NAME,
        "unproven" if sampled else "proved",
        module.EXPECTED,
        module.STATEMENT,
        None,
        None,
        "sampled" if sampled else "symbolic",
        sizes,
        time.perf_counter() - t0,
    )
