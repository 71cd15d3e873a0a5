"""The prover: is a quantity conserved along a gradient flow?

For a flow :math:`\\dot\\theta = F(\\theta)` and a quantity :math:`Q(\\theta)` (a scalar or a
list of components) the prover computes :math:`\\dot Q = \\nabla Q\\cdot F` and returns one
verdict:

* ``proved`` - every component of :math:`\\dot Q` is identically 0;
* ``refuted`` - a concrete point where :math:`\\dot Q \\ne 0`, re-evaluated at 50 digits;
* ``conditional`` - :math:`\\dot Q` is not 0, but equals a *named residual* exactly; the
  residual vanishes under stated assumptions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from .flow import Flow, time_derivative
from .zero import ZeroTest, evaluate, is_identically_zero, on_simplex

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
    method : {"symbolic", "sampled"}
        How zero was decided (``sampled``: random 50-digit evaluations only).
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


def _as_list(q: sp.Expr | Sequence[sp.Expr]) -> list[sp.Expr]:
    if isinstance(q, sp.MatrixBase):
        return list(q)
    if isinstance(q, (list, tuple)):
        return [sp.sympify(e) for e in q]
    return [sp.sympify(q)]


def _counterexample(component: int, test: ZeroTest, expr: sp.Expr) -> dict:
    assert test.point is not None and test.value is not None
    point = {str(k): str(v) for k, v in test.point.items()}
    # Undefined applications are independent only at distinct arguments: check it.
    args = [a.args for a in test.point if isinstance(a, AppliedUndef)]
    syms = {s: v for s, v in test.point.items() if not isinstance(s, AppliedUndef)}
    values = [tuple(sp.N(x.xreplace(syms), 30) for x in a) for a in args]
    distinct = len(set(values)) == len(values)
    high = evaluate(expr, test.point)
    return {
        "component": component,
        "point": point,
        "value": str(sp.N(high, 20)),
        "distinct_function_arguments": distinct,
    }


def prove(
    flow: Flow,
    quantity: sp.Expr | Sequence[sp.Expr],
    *,
    residual: sp.Expr | Sequence[sp.Expr] | None = None,
    samples: int = 4,
    seed: int = 0,
) -> Verdict:
    """Decide whether ``quantity`` is conserved along ``flow``.

    Parameters
    ----------
    flow : Flow
        From :func:`theory.symbolic.derive_flow`.
    quantity : sympy.Expr or sequence of sympy.Expr
        :math:`Q`, or its components :math:`Q_1, \\dots, Q_M`.
    residual : sympy.Expr or sequence, optional
        The exact term :math:`R` that :math:`\\dot Q` should equal when it is not zero (the
        violation of a stated assumption).  If :math:`\\dot Q \\not\\equiv 0` but
        :math:`\\dot Q - R \\equiv 0`, the verdict is ``conditional``.
    samples, seed : int
        Random 50-digit evaluations per component, and their seed.

    Returns
    -------
    Verdict

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.models import joma_block
    >>> from theory.symbolic import derive_flow
    >>> spec = joma_block(2, 1, 1, attention="exp")
    >>> s = spec.symbols
    >>> r = s["eta_z"] / s["eta_w"]
    >>> q = [s[f"z{l}"] - r / (2 * s["T"]) * s[f"v1_{l}"] ** 2 for l in (1, 2)]
    >>> prove(derive_flow(spec), q).verdict
    'proved'
    """
    t0 = time.perf_counter()
    qs = _as_list(quantity)
    domain = on_simplex(flow.spec.extra.get("simplex", ()))
    derivs = tuple(time_derivative(flow, q) for q in qs)
    method = "symbolic"
    for i, d in enumerate(derivs):
        test = is_identically_zero(d, samples=samples, seed=seed + i, domain=domain)
        if not test.zero:
            break
        if test.method == "sampled":
            method = "sampled"
    else:
        return Verdict("proved", derivs, method=method, seconds=time.perf_counter() - t0, quantity=tuple(qs), flow=flow)

    cex = _counterexample(i, test, derivs[i])
    if residual is not None:
        rs = _as_list(residual)
        if len(rs) != len(qs):
            raise ValueError(f"residual has {len(rs)} components, quantity has {len(qs)}")
        method = "symbolic"
        for j, (d, r) in enumerate(zip(derivs, rs, strict=True)):
            test_r = is_identically_zero(d - r, samples=samples, seed=seed + 100 + j, domain=domain)
            if not test_r.zero:
                break
            if test_r.method == "sampled":
                method = "sampled"
        else:
            return Verdict(
                "conditional",
                derivs,
                residual=tuple(rs),
                counterexample=cex,
                method=method,
                seconds=time.perf_counter() - t0,
                quantity=tuple(qs),
                flow=flow,
            )
    return Verdict(
        "refuted",
        derivs,
        counterexample=cex,
        method="symbolic",
        seconds=time.perf_counter() - t0,
        quantity=tuple(qs),
        flow=flow,
    )
