"""A verdict as a readable, checked derivation (``Verdict.latex()``, ``theory prove --latex``).

Role: turn what the prover decided into the same kind of page as the catalogue's theorems.
For each component :math:`Q_j` of the quantity: the derived flow of the state variables it
depends on, the chain rule, the flow substituted, the products expanded with equal monomials
side by side, and then

* ``proved`` - the cancellation to 0;
* ``refuted`` - the nonzero remainder, and the counterexample point with its certified value;
* ``conditional`` - the equality with the named residual;
* ``unproven`` - the remainder SymPy could not decide, in a section that says it is
  evidence only (the derivative vanished at sampled points), not a proof.

Every equality shown is checked (:meth:`theory.symbolic.derivation.Chain.then`).
"""

from __future__ import annotations

from typing import Any, Protocol

import sympy as sp

from ..models.spec import ModelSpec
from ._readable import conservation_chain, dot_symbols, flow_rows, generic_short
from .derivation import Derivation, StepError, Tex
from .latex import latex_expr


class Verdict(Protocol):
    """What this module reads of a :class:`theory.symbolic.prove.Verdict` (no import of the prover)."""

    @property
    def verdict(self) -> str: ...
    @property
    def derivative(self) -> tuple[sp.Expr, ...]: ...
    @property
    def residual(self) -> tuple[sp.Expr, ...] | None: ...
    @property
    def counterexample(self) -> dict | None: ...
    @property
    def method(self) -> str: ...
    @property
    def notes(self) -> tuple[str, ...]: ...
    @property
    def quantity(self) -> tuple[sp.Expr, ...]: ...
    @property
    def flow(self) -> Any: ...


__all__ = ["point_latex", "verdict_derivation"]

NOTATION = (
    r"Dotted symbols are time derivatives along the gradient flow $\dot\theta = -\eta\,G\,\nabla_\theta\mathcal L$ "
    r"derived from the model's loss; $\phi'$ is the derivative of the activation."
)


def point_latex(point: dict[str, str], spec: ModelSpec | None = None) -> str:
    """A point ``{name: value}`` (a counterexample) as LaTeX: ``$x_{1,1} = 3/2$, ...``."""
    from ..models import DPHI

    names = {s.name: s for s in spec.symbols.values() if isinstance(s, sp.Symbol)} if spec is not None else {}
    out = []
    for key, value in point.items():
        try:
            k = sp.sympify(key, locals={**names, "dphi": DPHI})
            val = latex_expr(sp.sympify(value))
        except (sp.SympifyError, TypeError, SyntaxError):
            out.append(rf"$\texttt{{{key}}}$")
            continue
        out.append(f"${latex_expr(k)} = {val}$")
    return ", ".join(out)


def verdict_derivation(verdict: Verdict) -> Derivation:
    """The derivation behind ``verdict``: flow, chain rule, substitution, cancellation, conclusion.

    Parameters
    ----------
    verdict : Verdict
        From :func:`theory.symbolic.prove` (it carries the flow and the quantity).

    Returns
    -------
    Derivation
        Render it with :func:`theory.symbolic.render_latex` (``Verdict.latex()`` does both).

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.models import joma_block
    >>> from theory.symbolic import derive_flow, prove
    >>> spec = joma_block(1, 1, 1, attention="exp")
    >>> s = spec.symbols
    >>> v = prove(derive_flow(spec), s["z1"] - s["eta_z"] / (2 * s["eta_w"] * s["T"]) * s["v1_1"] ** 2)
    >>> d = verdict_derivation(v)
    >>> d.n_steps > 0, r"\\dot{v}_{1,1}" in v.latex()
    (True, True)
    """
    flow = verdict.flow
    if flow is None or not verdict.quantity:
        raise ValueError("this verdict carries no flow or quantity (build it with theory.symbolic.prove)")
    spec = flow.spec
    names = ", ".join(f"Q_{{{j + 1}}}" for j in range(len(verdict.quantity)))
    d = Derivation(
        title=f"Is the quantity conserved along {spec.name}? Verdict: {verdict.verdict}",
        statement=rf"The question: is $\frac{{d}}{{dt}}Q = 0$ along the flow, for ${names}$ below? "
        + f"The prover's verdict: \\textbf{{{verdict.verdict}}}.",
        assumptions=list(spec.assumptions),
        notation=NOTATION,
    )
    short = generic_short(d, spec)
    for j, q in enumerate(verdict.quantity, start=1):
        d.chain("The quantity:" if j == 1 else "", f"Q_{{{j}}}", short(q), "as given")
    used = [s for s in flow.state if any(q.has(s) for q in verdict.quantity)]
    if used:
        flow_rows(d, flow, sorted(used, key=lambda s: not s.name.startswith("z")), short)
    failing = (verdict.counterexample or {}).get("component", len(verdict.quantity))
    for j, q in enumerate(verdict.quantity):
        _component(d, verdict, j, q, short, failing)
    d.conclusion = _conclusion(verdict, spec)
    return d


def _component(d: Derivation, verdict: Verdict, j: int, q: sp.Expr, short, failing: int) -> None:
    label = f"Q_{{{j + 1}}}"
    if len(verdict.quantity) > 1:
        d.section(f"Component {j + 1}")
    if not dot_symbols(verdict.flow, q):
        d.chain(f"${label}$ involves no state variable:", rf"\frac{{d}}{{dt}}{label}", sp.Integer(0), "constant")
        return
    kind = verdict.verdict
    if kind == "unproven":
        d.section("Not proved: evidence only" if len(verdict.quantity) == 1 else f"Component {j + 1}: evidence only")
    args = {"flow": verdict.flow, "quantity": q, "label": label, "short": short, "with_flow": False}
    if kind == "proved" or (kind == "refuted" and j < failing):
        conservation_chain(d, why_zero="equal monomials cancel", **args)
    elif kind == "conditional" and verdict.residual is not None:
        conservation_chain(d, why_zero="the named residual", end=short(verdict.residual[j]), **args)
    elif kind == "refuted" and j > failing:
        n_chains, sections = len(d.chains), dict(d.sections)
        try:
            conservation_chain(d, why_zero="equal monomials cancel", **args)
        except StepError:
            d.chains[n_chains:], d.sections = [], sections
            conservation_chain(d, why_zero="", remainder=True, **args)
    else:
        conservation_chain(d, why_zero="", remainder=True, **args)
        if kind == "unproven":
            d.chains[-1][1].remark(
                "SymPy could not decide whether this remainder is identically 0; it vanished at every "
                "sampled point. That is evidence, not a proof."
            )


def _conclusion(verdict: Verdict, spec: ModelSpec) -> Tex:
    kind = verdict.verdict
    if kind == "proved":
        return Tex("Every component is conserved along the flow: the quantity is an invariant.")
    if kind == "refuted":
        cex = verdict.counterexample or {}
        j = cex.get("component", 0) + 1
        return Tex(
            f"Not conserved: at the point {point_latex(cex.get('point', {}), spec)} "
            f"the derivative of $Q_{{{j}}}$ equals ${latex_expr(sp.sympify(cex.get('value', '?')))}$ "
            + ("(exact)." if cex.get("exact") else "(certified: two evaluations at different precisions agree).")
        )
    if kind == "conditional":
        return Tex("The derivative equals the named residual exactly: the quantity is conserved where it vanishes.")
    return Tex(
        r"\textbf{Not proved.} The remainder above vanished at every sampled point, but SymPy could not show "
        "that it is identically zero: this is evidence only."
    )
