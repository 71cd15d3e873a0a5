"""Machine-checked derivations: chains of equalities, each step verified.

A :class:`Derivation` is a title, a statement, assumptions and one or more *chains*.  A chain
starts from an expression and moves through steps ``= e_1 = e_2 = ...``; every step carries
a one-line justification and is verified when it is added:

* ``symbolic`` - the difference of consecutive expressions has normal form 0 (or
  ``sympy.simplify`` reduces it to 0 for special functions): a proof;
* ``sampled`` - SymPy could not decide and no random point gave a certified non-zero
  difference: evidence only.  The step says so in its LaTeX, and a theorem whose derivation
  has such a step is reported ``unproven``, never ``proved``.

A step that fails raises :class:`StepError`: a derivation never contains an unchecked step.
A step that repeats its predecessor is refused (say it with :meth:`Chain.remark`: a remark
is not a step).  A chain may open with a *checked start* (``value``: what the left-hand side
is, e.g. the derived flow), and a derivation may name *abbreviations* (``b_l`` for an attention
weight): they are unfolded before every check, and listed in the LaTeX.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp

from ..errors import ExpressionError, TheoryError
from .zero import is_identically_zero

__all__ = ["Chain", "Derivation", "Step", "StepError", "Tex", "check_equal", "evaluated"]


class StepError(TheoryError, AssertionError):
    """A derivation step does not hold."""


@dataclass(frozen=True)
class Step:
    """One verified equality ``previous = expr``.

    Attributes
    ----------
    expr : sympy.Expr
        The new right-hand side.
    why : str
        Justification (plain text, rendered with ``\\text{}``).
    method : {"symbolic", "sampled", "given"}
        How it was verified (``given``: a definition or assumption, nothing to check).
    """

    expr: sp.Expr
    why: str
    method: str


@dataclass
class Chain:
    """A chain of equalities ``lhs = e_0 = e_1 = ...``; build it with :meth:`then`.

    Attributes
    ----------
    lhs : sympy.Expr or str
        The left-hand side (LaTeX if a string).
    start : sympy.Expr
        :math:`e_0`.
    start_why : str
        Justification of :math:`e_0`.
    steps : list of Step
    relation : str
        The relation printed after ``lhs``.
    value : sympy.Expr or None
        What ``lhs`` stands for (e.g. SymPy's derivative of the loss); if given, ``lhs = start``
        is checked when the chain opens and counts as a step (``start_method``).
    unfold : callable or None
        Expands the derivation's abbreviations before each check.
    checker : callable or None
        ``checker(a, b, context=...) -> method``; :func:`check_equal` unless given (the
        index-form proofs use the sum normal form).
    remarks : list of str
        Plain-text remarks shown after the chain (not steps).
    """

    lhs: sp.Expr | str
    start: sp.Expr
    start_why: str = "definition"
    steps: list[Step] = field(default_factory=list)
    relation: str = "="
    value: sp.Expr | None = None
    unfold: Callable[[sp.Expr], sp.Expr] | None = None
    checker: Callable[..., str] | None = None
    remarks: list[str] = field(default_factory=list)
    start_method: str = "given"

    def __post_init__(self) -> None:
        if self.value is not None:
            self.start_method = self._check(sp.sympify(self.value), self.start, self.start_why)

    @property
    def last(self) -> sp.Expr:
        """The current right-hand side."""
        return self.steps[-1].expr if self.steps else self.start

    def _check(self, a: sp.Expr, b: sp.Expr, why: str) -> str:
        a, b = evaluated(a), evaluated(b)
        if self.unfold is not None:
            a, b = self.unfold(a), self.unfold(b)
        return (self.checker or check_equal)(a, b, context=why)

    def then(
        self,
        expr: sp.Expr,
        why: str,
        *,
        given: Mapping[sp.Basic, sp.Expr] | Callable[[sp.Expr], sp.Expr] | None = None,
    ) -> Chain:
        """Append ``= expr`` after checking it equals the current right-hand side.

        Parameters
        ----------
        expr : sympy.Expr
        why : str
            Justification.
        given : mapping, optional
            Substitutions licensed by an assumption or an earlier result (e.g. an invariant
            solved for :math:`z`); the check is ``last.subs(given) == expr``.  A callable is
            applied to ``last`` instead (index-form substitutions).

        Raises
        ------
        StepError
            If the step does not hold, or if ``expr`` repeats the previous expression (that
            is a remark, not a step: use :meth:`remark`).
        """
        expr = sp.sympify(expr)
        if expr == self.last:
            raise StepError(f"step {why!r} repeats the previous expression; make it a remark (Chain.remark)")
        previous = evaluated(self.last)
        if callable(given):
            previous = given(previous)
        elif given:
            previous = previous.subs(given)
        method = self._check(previous, expr, why)
        self.steps.append(Step(expr, why, method))
        return self

    def remark(self, text: str) -> Chain:
        """Add a plain-text remark after the chain (not a step, not counted)."""
        self.remarks.append(text)
        return self

    @property
    def checked(self) -> list[tuple[sp.Expr, str, str]]:
        """Every checked equality as ``(expr, why, method)``: a checked start, then the steps."""
        head = [(self.start, self.start_why, self.start_method)] if self.start_method != "given" else []
        return head + [(s.expr, s.why, s.method) for s in self.steps]


def evaluated(e: sp.Expr) -> sp.Expr:
    """``e`` rebuilt with evaluation: :class:`sympy.UnevaluatedExpr` and ``evaluate=False`` undone.

    Displayed steps keep SymPy from cancelling (so a reader sees the cancellation); checks
    work on the evaluated expression.  An unevaluated :class:`sympy.Subs` or
    :class:`sympy.Derivative` is carried out.
    """
    e = sp.sympify(e)
    if not e.args or isinstance(e, (sp.Symbol, sp.Indexed, sp.IndexedBase, sp.Idx)):
        return e
    if isinstance(e, sp.UnevaluatedExpr):
        return evaluated(e.args[0])
    if isinstance(e, (sp.Subs, sp.Derivative)):  # written out for the reader; their value is meant
        done = e.doit()
        if done != e:
            return evaluated(done)
    return e.func(*(evaluated(a) for a in e.args))


def check_equal(a: sp.Expr, b: sp.Expr, *, context: str = "") -> str:
    """Verify ``a == b``; return ``"symbolic"`` or ``"sampled"``, or raise :class:`StepError`.

    ``symbolic``: the difference has normal form 0 (:func:`theory.symbolic.zero.is_identically_zero`),
    or ``sympy.simplify`` reduces it to 0 - a proof.  ``sampled``: neither, and no random
    point gave a certified non-zero difference; the step is labelled as such in the LaTeX and
    the theorem built from it is reported ``unproven``.  A certified non-zero difference at a
    point raises :class:`StepError` with that point.
    """
    if isinstance(a, str) or isinstance(b, str):
        raise ExpressionError("check_equal takes SymPy expressions; strings are never evaluated")
    diff = sp.sympify(a) - sp.sympify(b)
    test = is_identically_zero(diff)
    if test.refuted:
        value = test.value if test.exact else sp.N(test.value, 6)
        raise StepError(f"step {context!r} does not hold: difference {value} at {test.point}")
    if test.zero or sp.simplify(diff) == 0:
        return "symbolic"
    return "sampled"


@dataclass
class Derivation:
    """A titled set of checked chains with its statement and assumptions.

    Attributes
    ----------
    title : str
    statement : str
        LaTeX statement of the result.
    assumptions : list of str
        Assumptions: plain text (maths fragments such as ``x_l > 0`` are typeset as maths) or
        :class:`Tex` (LaTeX as written).
    chains : list of (str, Chain)
        Each chain with its introductory sentence (LaTeX).
    conclusion : str
        Closing sentence (plain text, or :class:`Tex`).
    source : str
        Citation.
    symbol_names : dict
        LaTeX names of symbols.
    notation : str
        LaTeX paragraph explaining the symbols.
    abbreviations : list of (sympy.Expr, sympy.Expr)
        ``(short, meaning)``: the short form is printed, the meaning is unfolded before checks.
    sections : dict of int to str
        Section headings, keyed by the index of the first chain of the section.
    shown : dict
        How an abbreviation's meaning is printed, when not as itself.
    """

    title: str
    statement: str
    assumptions: list[str] = field(default_factory=list)
    chains: list[tuple[str, Chain]] = field(default_factory=list)
    conclusion: str = ""
    source: str = ""
    symbol_names: dict[sp.Symbol, str] = field(default_factory=dict)
    notation: str = ""
    abbreviations: list[tuple[sp.Expr, sp.Expr]] = field(default_factory=list)
    sections: dict[int, str] = field(default_factory=dict)
    shown: dict[sp.Expr, sp.Expr] = field(default_factory=dict)

    def chain(
        self,
        intro: str,
        lhs: sp.Expr | str,
        start: sp.Expr,
        start_why: str = "definition",
        *,
        value: sp.Expr | None = None,
        checker: Callable[..., str] | None = None,
    ) -> Chain:
        """Open a new chain ``lhs = start`` introduced by the sentence ``intro`` (LaTeX).

        ``value``: what ``lhs`` stands for; ``lhs = start`` is then checked (see :class:`Chain`).
        """
        unfold = self.unfold if self.abbreviations else None
        c = Chain(lhs, sp.sympify(start), start_why, value=value, unfold=unfold, checker=checker)
        self.chains.append((intro, c))
        return c

    def section(self, heading: str) -> None:
        """Start a new section (rendered as a subsection heading before the next chain)."""
        self.sections[len(self.chains)] = heading

    def abbreviate(self, short: sp.Expr, meaning: sp.Expr, *, shown: sp.Expr | None = None) -> sp.Expr:
        """Name ``meaning`` by ``short`` (listed in the LaTeX; unfolded before every check).

        ``short`` may be an :class:`sympy.IndexedBase` with ``meaning`` a :class:`sympy.Lambda`
        of its indices (an index-form abbreviation such as :math:`\\phi'_{k,n}`).  ``shown``:
        how the meaning is printed (e.g. written with earlier abbreviations); it must unfold to
        ``meaning``.
        """
        if shown is not None:
            a, b = self.unfold(sp.sympify(shown)), self.unfold(sp.sympify(meaning))
            if isinstance(a, sp.Lambda) and isinstance(b, sp.Lambda):
                from .index_proof import sums_equal

                if not sums_equal(a(*b.variables), b.expr)[0]:
                    raise StepError(f"abbreviation {short}: the shown meaning is not the meaning")
            else:
                check_equal(a, b, context=f"abbreviation {short}")
            self.shown[short] = shown
        self.abbreviations.append((short, sp.sympify(meaning)))
        return short

    def unfold(self, e: sp.Expr) -> sp.Expr:
        """Replace abbreviations by their meanings, until none is left."""
        table = {s: m for s, m in self.abbreviations if not isinstance(m, sp.Lambda)}
        indexed = {s: m for s, m in self.abbreviations if isinstance(m, sp.Lambda)}
        for _ in range(len(self.abbreviations) + 1):
            new = e.xreplace(table)
            if indexed:
                new = new.replace(
                    lambda a: isinstance(a, sp.Indexed) and a.base in indexed,
                    lambda a: indexed[a.base](*a.indices),
                )
            if new == e:
                return new
            e = new
        return e

    @property
    def methods(self) -> set[str]:
        """Verification methods of the checked equalities."""
        return {m for _, c in self.chains for _, _, m in c.checked}

    @property
    def n_steps(self) -> int:
        """Number of verified equalities (steps, and chain starts checked against a value)."""
        return sum(len(c.checked) for _, c in self.chains)


class Tex(str):
    """A string that is LaTeX already (assumptions, conclusions): rendered as written."""
