"""Discover a model's conservation laws, prove each, count them, and check them numerically.

The pipeline behind ``theory discover`` and :func:`discover`:

1. every law of the ansatz: polynomials of degree :math:`\\le d` in the state, optionally
   with exponentials of the model's logits and quotients by its denominators
   (:func:`theory.symbolic.families.ansatz_laws`: exact linear algebra on the coefficients);
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

from ..errors import InvalidArgument
from ..models.spec import ModelSpec
from ..numeric.values import numeric_spec
from ..symbolic.families import ansatz_laws
from ..symbolic.flow import Flow, derive_flow
from ..symbolic.latex import latex_expr
from ..symbolic.lie import LawCount, RankUndecided, gradient_rank
from ..symbolic.lie import count_laws as _lie_count
from ..symbolic.prove import prove

__all__ = ["DiscoveredLaw", "Discovery", "count_laws", "discover"]


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
    families: tuple[str, ...] = ("polynomial",)

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
            "families": list(self.families),
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


def _check_depth(max_depth: object) -> int:
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or not 1 <= max_depth <= 8:
        raise InvalidArgument(f"max_depth must be an integer in [1, 8], got {max_depth!r}")
    return max_depth


def _count(spec: ModelSpec, flow: Flow | None, max_depth: int, seed: int) -> tuple[LawCount, bool]:
    """The count, and whether an arbitrary activation was instantiated (as tanh) for it."""
    counted, instantiated = numeric_spec(spec)  # brackets need phi'': count for tanh when phi is arbitrary
    if instantiated or flow is None:
        flow = derive_flow(counted)
    return _lie_count(flow, max_depth=_check_depth(max_depth), seed=seed), bool(instantiated)


def count_laws(spec: ModelSpec, *, max_depth: int = 4, seed: int = 0) -> LawCount:
    """The number of independent conservation laws of ``spec``, for every loss and data set.

    .. math::

        \\#\\text{laws} = D - \\dim \\operatorname{Lie}(V)(\\theta),\\qquad
        V = \\operatorname{span}\\{\\nabla_\\theta\\, g_j(\\theta, x)\\},

    near a generic :math:`\\theta` (Marcotte, Gribonval & Peyre, NeurIPS 2023, Thm. 3.3), computed
    by :func:`theory.symbolic.lie.count_laws` (exact over :math:`\\mathrm{GF}(2^{61}-1)` for
    fields rational in the state and exponentials of it, else 60 digits with a gap rule).  An
    arbitrary activation :math:`\\phi` is counted as :math:`\\tanh` (brackets need
    :math:`\\phi''`); a law that holds for every :math:`\\phi` is among those counted.

    Parameters
    ----------
    spec : ModelSpec
        A named model, a block of :mod:`theory.models.blocks`, or a user's
        :func:`theory.models.network` / :func:`theory.models.custom` spec.
    max_depth : int
        Deepest bracket level (1 to 8).
    seed : int
        Seed of the random point and data values.

    Returns
    -------
    LawCount
        ``count`` (an upper bound, exact when ``closed``), ``lie_rank``, ``depth``, ``ranks``.

    Raises
    ------
    RankUndecided
        When a 60-digit rank falls in the gap between zero and non-zero singular values.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.models.network import network
    >>> u1, u2, v1, v2, x = sp.symbols("u1 u2 v1 v2 x", real=True)
    >>> count_laws(network(u1 * v1 * x + u2 * v2 * x, {"u": [u1, u2], "v": [v1, v2]}, [x])).count
    3
    """
    return _count(spec, None, max_depth, seed)[0]


def discover(
    spec: ModelSpec,
    degree: int = 2,
    *,
    count: bool = True,
    check: bool = False,
    latex: bool = False,
    symmetries: bool = False,
    families: tuple[str, ...] = ("polynomial",),
    max_depth: int = 4,
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
    families : tuple of {"polynomial", "exp", "quotient"}
        Ansatz families (:func:`theory.symbolic.families.ansatz_laws`): polynomials always; ``exp``
        adds :math:`e^{\\ell}\\,m` for the model's data-free logits :math:`\\ell`, ``quotient``
        adds :math:`m/D` for the model's own denominators and the state variables.
    max_depth : int
        Deepest Lie bracket of the count (1 to 8).
    seed : int

    Returns
    -------
    Discovery
    """
    _check_depth(max_depth)
    flow = derive_flow(spec)
    found = ansatz_laws(flow, degree, families)
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
        try:
            law_count, instantiated = _count(spec, flow, max_depth, seed)
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
    return Discovery(
        spec.name,
        degree,
        len(flow.state),
        tuple(laws),
        len(kept),
        law_count,
        note,
        symmetries=found_sym,
        families=found.families,
    )
