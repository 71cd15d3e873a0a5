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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from ..errors import TheoryError
from .zero import is_identically_zero

__all__ = ["Chain", "Derivation", "Step", "StepError", "check_equal"]


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
    """A chain of equalities ``lhs = e_0 = e_1 = ...``; build it with :meth:`then`."""

    lhs: sp.Expr | str
    start: sp.Expr
    start_why: str = "definition"
    steps: list[Step] = field(default_factory=list)
    relation: str = "="

    @property
    def last(self) -> sp.Expr:
        """The current right-hand side."""
        return self.steps[-1].expr if self.steps else self.start

    def then(self, expr: sp.Expr, why: str, *, given: Mapping[sp.Basic, sp.Expr] | None = None) -> Chain:
        """Append ``= expr`` after checking it equals the current right-hand side.

        Parameters
        ----------
        expr : sympy.Expr
        why : str
            Justification.
        given : mapping, optional
            Substitutions licensed by an assumption or an earlier result (e.g. an invariant
            solved for :math:`z`); the check is ``last.subs(given) == expr``.
        """
        previous = self.last
        if given:
            previous = previous.subs(given)
        method = check_equal(previous, expr, context=why)
        self.steps.append(Step(sp.sympify(expr), why, method))
        return self


def check_equal(a: sp.Expr, b: sp.Expr, *, context: str = "") -> str:
    """Verify ``a == b``; return ``"symbolic"`` or ``"sampled"``, or raise :class:`StepError`.

    ``symbolic``: the difference has normal form 0 (:func:`theory.symbolic.zero.is_identically_zero`),
    or ``sympy.simplify`` reduces it to 0 - a proof.  ``sampled``: neither, and no random
    point gave a certified non-zero difference; the step is labelled as such in the LaTeX and
    the theorem built from it is reported ``unproven``.  A certified non-zero difference at a
    point raises :class:`StepError` with that point.
    """
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
        Plain-text assumptions.
    chains : list of Chain
    conclusion : str
        Plain-text closing sentence.
    source : str
        Citation.
    notation : str
        LaTeX paragraph explaining the symbols.
    """

    title: str
    statement: str
    assumptions: list[str] = field(default_factory=list)
    chains: list[tuple[str, Chain]] = field(default_factory=list)
    conclusion: str = ""
    source: str = ""
    symbol_names: dict[sp.Symbol, str] = field(default_factory=dict)
    notation: str = ""

    def chain(self, intro: str, lhs: sp.Expr | str, start: sp.Expr, start_why: str = "definition") -> Chain:
        """Open a new chain ``lhs = start`` introduced by the sentence ``intro``."""
        c = Chain(lhs, sp.sympify(start), start_why)
        self.chains.append((intro, c))
        return c

    @property
    def methods(self) -> set[str]:
        """Verification methods used by the steps."""
        return {s.method for _, c in self.chains for s in c.steps}

    @property
    def n_steps(self) -> int:
        """Number of verified steps."""
        return sum(len(c.steps) for _, c in self.chains)
