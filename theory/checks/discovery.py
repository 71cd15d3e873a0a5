"""Discover a model's conservation laws, prove each, count them, and check them numerically.

The pipeline behind ``theory discover`` and :func:`discover`:

1. every polynomial law of degree :math:`\\le d` in the state
   (:func:`theory.symbolic.laws.polynomial_laws`: exact linear algebra on the ansatz);
2. each law proved by the prover (:func:`theory.symbolic.prove.prove`; a law is kept only if
   the verdict is ``proved``, a symbolic proof) and rendered as a LaTeX derivation;
3. a maximal functionally independent subset (rank of the laws' gradients at a random
   rational point, exact over :math:`\\mathrm{GF}(2^{61}-1)`);
4. the number of independent laws near a generic point,
   :math:`D - \\dim\\operatorname{Lie}(V)(\\theta)` (:func:`theory.symbolic.lie.count_laws`,
   Marcotte, Gribonval & Peyre, NeurIPS 2023), and whether the list is complete;
5. optionally each law against gradient descent (:func:`theory.checks.check`: drift slope
   about 1 in the step size) and a perturbed copy as the negative control (slope about 0).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy as sp

from ..models.spec import ModelSpec
from ..numeric.values import numeric_spec
from ..symbolic.flow import derive_flow
from ..symbolic.latex import latex_expr
from ..symbolic.laws import polynomial_laws
from ..symbolic.lie import LawCount, RankUndecided, count_laws, gradient_rank
from ..symbolic.prove import prove

__all__ = ["DiscoveredLaw", "Discovery", "discover"]


@dataclass(frozen=True)
class DiscoveredLaw:
    """One law: the expression, its proof verdict, its LaTeX and its numerical check."""

    expr: sp.Expr
    verdict: str
    latex: str
    independent: bool
    slope: float | None = None
    control_slope: float | None = None
    numeric: str | None = None
    document: str | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {
            "law": str(self.expr),
            "latex": self.latex,
            "verdict": self.verdict,
            "independent": self.independent,
            "slope": self.slope,
            "control_slope": self.control_slope,
            "numeric": self.numeric,
        }


@dataclass(frozen=True)
class Discovery:
    """Everything :func:`discover` found for one model."""

    model: str
    degree: int
    parameters: int
    laws: tuple[DiscoveredLaw, ...]
    independent: int
    count: LawCount | None
    count_note: str
    notes: tuple[str, ...] = field(default=())
    symmetries: tuple[dict, ...] | None = None

    @property
    def complete(self) -> bool | None:
        """Whether the independent laws found are as many as the count (``None`` if not counted).

        The proved, independent laws are a lower bound and the count an upper bound on the
        number of independent laws, so ``True`` certifies both the list and the count.
        """
        return None if self.count is None else self.independent == self.count.count

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {
            "model": self.model,
            "degree": self.degree,
            "parameters": self.parameters,
            "laws": [law.as_dict() for law in self.laws],
            "independent": self.independent,
            "count": None if self.count is None else self.count.count,
            "lie_rank": None if self.count is None else self.count.lie_rank,
            "bracket_depth": None if self.count is None else self.count.depth,
            "exact_rank": None if self.count is None else self.count.exact,
            "closed": None if self.count is None else self.count.closed,
            "complete": self.complete,
            "count_note": self.count_note,
            "notes": list(self.notes),
            "symmetries": None if self.symmetries is None else list(self.symmetries),
        }


def discover(
    spec: ModelSpec,
    degree: int = 2,
    *,
    count: bool = True,
    check: bool = False,
    latex: bool = False,
    symmetries: bool = False,
    seed: int = 0,
) -> Discovery:
    """Find, prove, count and (optionally) check the polynomial conservation laws of ``spec``.

    Parameters
    ----------
    spec : ModelSpec
    degree : int
        Largest degree of the polynomial ansatz.
    count : bool
        Also compute the number of independent laws (Lie-algebra rank).
    check : bool
        Also check each independent law against gradient descent, with a perturbed copy.
    latex : bool
        Also render each independent law's proof as a standalone LaTeX document (``document``).
    symmetries : bool
        Also take the second route: symmetries of the loss and their Noether charges
        (:func:`theory.symbolic.symmetries.linear_symmetries`), each proved and compared with the
        laws found by the ansatz (``in_span``: a function of them, by the rank of the gradients).
    seed : int

    Returns
    -------
    Discovery
    """
    flow = derive_flow(spec)
    found = polynomial_laws(flow, degree)
    laws: list[DiscoveredLaw] = []
    kept: list[sp.Expr] = []
    rng = random.Random(seed)
    for q in found.laws:
        v = prove(flow, q)
        if v.verdict != "proved":  # never report a law without a symbolic proof
            continue
        independent = gradient_rank([*kept, q], flow.state, rng) > len(kept)
        if independent:
            kept.append(q)
        slope = control = None
        numeric = None
        if check and independent:
            from .generic import check as run_check

            report = run_check(spec, q)
            slope, numeric = report.slope, report.verdict_numeric
            perturbed = q + flow.state[0]  # the law plus a moving coordinate: not conserved
            control = run_check(spec, perturbed).slope
        document = v.latex() if latex and independent else None
        laws.append(DiscoveredLaw(q, v.verdict, latex_expr(q), independent, slope, control, numeric, document))
    law_count, note = None, ""
    if count:
        counted, instantiated = numeric_spec(spec)  # brackets need phi'': count for tanh when phi is arbitrary
        try:
            law_count = count_laws(derive_flow(counted) if instantiated else flow, seed=seed)
            note = (
                f"at most D - rank Lie(V) = {law_count.parameters} - {law_count.lie_rank} = {law_count.count} "
                f"independent laws (brackets to depth {law_count.depth}, ranks {list(law_count.ranks)}, "
                f"{'exact over GF(2^61-1)' if law_count.exact else '60-digit SVD'})"
            )
            if not law_count.closed:
                note += "; the rank still grew at the last depth, so this is only an upper bound"
            if instantiated:
                note += "; counted with phi = tanh (the laws above hold for every phi, so they are counted among these)"
        except RankUndecided as exc:
            note = f"not counted: {exc}"
    found_sym = None
    if symmetries:
        from ..symbolic.symmetries import linear_symmetries

        exprs = [law.expr for law in laws if law.independent]
        base = gradient_rank(exprs, flow.state, random.Random(seed))
        found_sym = tuple(
            {
                "family": sym.family,
                "action": sym.action,
                "charge": str(sym.charge),
                "charge_latex": latex_expr(sym.charge),
                "verdict": prove(flow, sym.charge).verdict,
                "in_span": gradient_rank([*exprs, sym.charge], flow.state, random.Random(seed)) == base,
            }
            for sym in linear_symmetries(flow)
        )
    return Discovery(spec.name, degree, len(flow.state), tuple(laws), len(kept), law_count, note, symmetries=found_sym)
