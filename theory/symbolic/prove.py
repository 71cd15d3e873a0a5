"""The prover: is a quantity conserved along a gradient flow?

For a flow :math:`\\dot\\theta = F(\\theta)` and a quantity :math:`Q(\\theta)` (a scalar or a
list of components) the prover computes :math:`\\dot Q = \\nabla Q\\cdot F` and returns one
verdict:

* ``proved`` - every component of :math:`\\dot Q` is identically 0;
* ``refuted`` - a concrete point where :math:`\\dot Q \\ne 0`, its value certified (exactly, or
  by two evaluations at different precisions that agree);
* ``unproven`` - no symbolic proof and no certified witness: evidence from sampling only;
* ``conditional`` - :math:`\\dot Q` is not 0, but equals a *named residual* exactly; the
  residual vanishes under stated assumptions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import ExpressionError
from ._lemmas import structured_derivative
from .flow import Flow, time_derivative
from .numbers import OutsideDomain, certified_value
from .parse import parse_quantity
from .zero import ZeroTest, is_identically_zero, on_simplex

__all__ = ["VERDICTS", "Verdict", "prove"]

VERDICTS = ("proved", "refuted", "conditional", "unproven")


@dataclass(frozen=True)
class Verdict:
    """The prover's answer for one model and one quantity.

    Attributes
    ----------
    verdict : {"proved", "refuted", "conditional", "unproven"}
        ``unproven``: no symbolic proof and no certified counterexample; the derivative
        vanished at every sampled point (evidence, never a proof).
    derivative : tuple of sympy.Expr
        :math:`\\dot Q`, one entry per component.
    residual : tuple of sympy.Expr or None
        For ``conditional``: the named residual that :math:`\\dot Q` equals exactly.
    counterexample : dict or None
        For ``refuted``: ``{"component": i, "point": {name: value}, "value": str}``.
    method : {"symbolic", "exact", "certified", "sampled"}
        How the verdict was reached: ``symbolic`` (normal form 0: the only route to
        ``proved`` and ``conditional``), ``exact`` / ``certified`` (a refutation whose witness
        value is exact rational / certified by accuracy-tracking evaluation), ``sampled``
        (``unproven``: random evaluations only).
    notes : tuple of str
        Lemmas used and, for ``unproven``, what was sampled.
    quantity : tuple of sympy.Expr
        The components :math:`Q_i` that were tested.
    flow : Flow or None
        The flow they were tested along.
    seconds : float
        Wall time.
    """

    verdict: str
    derivative: tuple[sp.Expr, ...]
    residual: tuple[sp.Expr, ...] | None = None
    counterexample: dict | None = None
    method: str = "symbolic"
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    quantity: tuple[sp.Expr, ...] = ()
    flow: Flow | None = field(default=None, compare=False, repr=False)

    def latex(self) -> str:
        """This verdict as a readable, checked LaTeX derivation (a standalone document)."""
        from .explain import verdict_derivation
        from .latex import render_latex

        return render_latex(verdict_derivation(self))


def _as_list(q: object, flow: Flow) -> list[sp.Expr]:
    """The components of a quantity as SymPy expressions; strings parsed without executing code."""
    if isinstance(q, sp.MatrixBase):
        items: list[object] = list(q)
    elif isinstance(q, (list, tuple)):
        items = list(q)
    else:
        items = [q]
    if not items:
        raise ExpressionError("quantity has no components; pass an expression or a non-empty list of them")
    out = []
    for item in items:
        if isinstance(item, str):
            expr = parse_quantity(item, flow.spec.symbols)
        elif isinstance(item, (sp.Expr, int, Fraction)) and not isinstance(item, bool):
            expr = sp.sympify(item)
        elif isinstance(item, float):
            expr = sp.Float(item)
        else:
            kind = type(item).__name__
            raise ExpressionError(f"quantity component must be a SymPy expression or a string, got {kind}")
        if not isinstance(expr, sp.Expr) or expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise ExpressionError(f"quantity component {item!r} is not a finite expression; check it")
        known = {*flow.spec.symbols.values(), *flow.state}
        names = {str(k): k for k in known}
        impostors = sorted(str(x) for x in expr.free_symbols if str(x) in names and x not in known)
        if impostors:
            raise ExpressionError(
                f"quantity uses symbols {', '.join(impostors)} that share a name with model {flow.spec.name!r}'s "
                "symbols but are different objects (other assumptions); take them from spec.symbols"
            )
        out.append(expr)
    return out


def _counterexample(component: int, test: ZeroTest, expr: sp.Expr, plain: sp.Expr) -> dict:
    """JSON-ready witness; its value re-certified on the plain chain-rule derivative ``plain`` when possible.

    ``expr`` is the lemma-folded derivative the witness was found on (equal to ``plain``
    identically); the value reported is that of ``plain`` (exact, or two agreeing precisions),
    falling back to ``expr`` where ``plain`` cannot be certified at the point.
    """
    assert test.point is not None and test.value is not None
    point = {str(k): str(v) for k, v in test.point.items()}
    args = [a.args for a in test.point if isinstance(a, AppliedUndef)]
    syms = {s: v for s, v in test.point.items() if not isinstance(s, AppliedUndef)}
    values = [tuple(sp.N(x.xreplace(syms), 30) for x in a) for a in args]
    distinct = len(set(values)) == len(values)
    try:
        value, exact = certified_value(plain, test.point)
    except OutsideDomain:
        value, exact = None, False
    if value is None or value == 0:
        value, exact = certified_value(expr, test.point)  # re-checked from scratch, 30 certified digits
    if value is None or value == 0:
        raise AssertionError(f"witness of component {component} did not re-check; please report this")
    return {
        "component": component,
        "point": point,
        "value": str(value),
        "exact": bool(exact),
        "distinct_function_arguments": distinct,
    }


def _decide(
    exprs: Sequence[sp.Expr],
    *,
    samples: int,
    seed: int,
    domain: Callable[[dict], dict],
    extra: Sequence[set[sp.Symbol]],
    confirm: Sequence[sp.Expr | None],
) -> tuple[str, int, ZeroTest]:
    """``("zero" | "witness" | "undecided", component, test)`` over the components, witness first."""
    undecided: tuple[int, ZeroTest] | None = None
    last = ZeroTest(True, "symbolic")
    for i, d in enumerate(exprs):
        test = is_identically_zero(
            d,
            samples=samples,
            seed=seed + i,
            domain=domain,
            extra=sorted(extra[i], key=sp.default_sort_key),
            confirm=confirm[i],
        )
        if test.refuted:
            return "witness", i, test
        if test.undecided and undecided is None:
            undecided = (i, test)
        last = test
    if undecided is not None:
        return "undecided", undecided[0], undecided[1]
    return "zero", 0, last


def prove(
    flow: Flow,
    quantity: sp.Expr | str | Sequence[sp.Expr | str],
    *,
    residual: sp.Expr | str | Sequence[sp.Expr | str] | None = None,
    samples: int = 6,
    seed: int = 0,
) -> Verdict:
    """Decide whether ``quantity`` is conserved along ``flow``.

    :math:`\\dot Q = \\nabla Q\\cdot F` is built on the quantity's expression tree with
    conserved sub-expressions folded to 0 (:func:`theory.symbolic._lemmas.structured_derivative`)
    and then tested by :func:`theory.symbolic.zero.is_identically_zero`:

    * ``proved`` - every component's normal form is 0 (a symbolic proof, nothing sampled);
    * ``refuted`` - a point of the model's domain where a component is certified non-zero
      (exactly, or by accuracy-tracking evaluation re-checked at twice the precision);
    * ``conditional`` - :math:`\\dot Q \\not\\equiv 0` but :math:`\\dot Q - R` has normal form 0;
    * ``unproven`` - neither: the derivative vanished at every sampled point, which is
      evidence, not a proof (the verdict's ``notes`` say what was sampled).

    Parameters
    ----------
    flow : Flow
        From :func:`theory.symbolic.derive_flow`.
    quantity : sympy.Expr, str, or a sequence of them
        :math:`Q`, or its components :math:`Q_1, \\dots, Q_M`.  Strings are parsed by the
        safe parser (:func:`theory.symbolic.parse.parse_quantity`) in the model's symbols;
        no text is ever executed.
    residual : same types as ``quantity``, optional
        The exact term :math:`R` that :math:`\\dot Q` should equal when it is not zero (the
        violation of a stated assumption).
    samples, seed : int
        Random points per component when the normal form cannot decide, and their seed.

    Returns
    -------
    Verdict

    Raises
    ------
    ExpressionError
        An empty, non-finite, unparsable quantity, or one with symbols the model lacks.

    Examples
    --------
    >>> from theory.models import joma_block
    >>> from theory.symbolic import derive_flow
    >>> flow = derive_flow(joma_block(2, 1, 1, attention="exp"))
    >>> prove(flow, ["z1 - eta_z/(2*T*eta_w)*v1_1^2", "z2 - eta_z/(2*T*eta_w)*v1_2^2"]).verdict
    'proved'
    >>> prove(flow, "z1 - eta_z/(2*T*eta_w)*v1_1^2 + 1e-40*z1").verdict
    'refuted'
    """
    t0 = time.perf_counter()
    qs = _as_list(quantity, flow)
    domain = on_simplex(flow.spec.extra.get("simplex", ()))
    structured = [structured_derivative(flow, q) for q in qs]
    derivs = tuple(time_derivative(flow, q) for q in qs)
    folded = [s.derivative for s in structured]
    notes = tuple(
        f"component {i + 1}: sub-expression proved conserved and used as a lemma: {lemma}"
        for i, s in enumerate(structured)
        for lemma in s.lemmas
        if lemma != qs[i]
    )
    common: dict[str, Any] = {"quantity": tuple(qs), "flow": flow}
    extra = [d.free_symbols for d in derivs]  # a witness gives every symbol of the plain dQ/dt a value
    outcome, i, test = _decide(folded, samples=samples, seed=seed, domain=domain, extra=extra, confirm=derivs)
    if outcome == "zero":
        return Verdict("proved", derivs, method="symbolic", seconds=time.perf_counter() - t0, notes=notes, **common)
    if outcome == "undecided":
        note = f"component {i + 1}: {test.evidence()}"
        return Verdict(
            "unproven", derivs, method="sampled", seconds=time.perf_counter() - t0, notes=(*notes, note), **common
        )
    cex = _counterexample(i, test, folded[i], derivs[i])
    if residual is not None:
        rs = _as_list(residual, flow)
        if len(rs) != len(qs):
            raise ExpressionError(f"residual has {len(rs)} components, quantity has {len(qs)}; give one per component")
        outcome_r, j, test_r = _decide(
            [d - r for d, r in zip(folded, rs, strict=True)],
            samples=samples,
            seed=seed + 100,
            domain=domain,
            extra=extra,
            confirm=[None] * len(rs),
        )
        if outcome_r == "zero":
            return Verdict(
                "conditional",
                derivs,
                residual=tuple(rs),
                counterexample=cex,
                method="symbolic",
                seconds=time.perf_counter() - t0,
                notes=notes,
                **common,
            )
        if outcome_r == "undecided":
            note = f"residual, component {j + 1}: {test_r.evidence()}"
            return Verdict(
                "unproven",
                derivs,
                residual=tuple(rs),
                counterexample=cex,
                method="sampled",
                seconds=time.perf_counter() - t0,
                notes=(*notes, note),
                **common,
            )
    return Verdict(
        "refuted",
        derivs,
        counterexample=cex,
        method="exact" if cex["exact"] else "certified",
        seconds=time.perf_counter() - t0,
        notes=notes,
        **common,
    )
