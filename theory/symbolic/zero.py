"""Deciding whether an expression is identically zero: a symbolic proof, a certified witness, or neither.

The outcome is one of three, and only the first is a proof:

``symbolic`` (zero)
    A normal form of the expression is 0.  Each ``exp`` of a linear combination of monomials
    is rewritten as a product of integer powers of fresh positive generators
    :math:`E_j = e^{m_j/L_j}` (one generator per monomial :math:`m_j`, :math:`L_j` the common
    denominator of its coefficients), applications of undefined functions (:math:`\\phi'(a)`)
    become fresh symbols, and the result is expanded; then denominators are cleared and the
    numerator expanded; small expressions also get ``sympy.simplify``.  Every rewrite is an
    equality, so a zero normal form proves the expression is identically 0.
``counterexample`` (not zero)
    A point of the model's domain where the value is certified non-zero: exactly (a rational
    value, when the expression is rational in its atoms at a rational point) or by SymPy's
    evaluation at two precisions whose leading digits agree (:mod:`theory.symbolic.numbers`;
    a value below about :math:`10^{-\\text{MAXN}}` relative to the terms is not certified).
    A value :math:`10^{-40}` or :math:`10^{-300}` is certified like any other: there is no
    absolute threshold.
``sampled`` (undecided)
    No normal form reached 0 and no point gave a certified non-zero value.  That is evidence,
    never a proof; the prover reports it as ``unproven`` with the number of points.

Points are drawn soundly: rationals with large random denominators (never a small grid on
which, e.g., :math:`\\sin(c\\pi x)` vanishes), magnitudes log-uniform over
:math:`[10^{-6}, 10^{3}]` (a term such as :math:`e^{-10^6 x^2}` is invisible at
:math:`|x| \\sim 1` but not at :math:`|x| \\sim 10^{-4}`), positive symbols positive,
and undefined-function applications whose arguments coincide at the point given equal
values (so a witness is a genuine choice of the arbitrary function).

Why not ``sympy.simplify`` or ``equals`` throughout: ``simplify`` is 5-40x slower on these
expressions and can run for minutes; ``Expr.equals`` decides by sampling with an absolute
threshold, which is exactly the unsound step this module replaces.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import ExpressionError
from .numbers import OutsideDomain, certified_value, is_rational_in_atoms

__all__ = [
    "MAXN",
    "ZeroTest",
    "certified_value",
    "is_identically_zero",
    "normal_forms",
    "on_simplex",
    "random_point",
    "symbolic_zero",
]

#: Largest working precision (decimal digits) used to certify a value (see :mod:`theory.symbolic.numbers`).
MAXN = 960
#: Expressions up to this many operations also get ``sympy.simplify`` (it can be slow beyond).
_SIMPLIFY_OPS = 150


@dataclass(frozen=True)
class ZeroTest:
    """Outcome of :func:`is_identically_zero`.

    Attributes
    ----------
    zero : bool
        ``True`` only for a symbolic proof that the expression vanishes identically.
    method : {"symbolic", "counterexample", "sampled"}
        ``symbolic``: a normal form is 0 (proof).  ``counterexample``: ``point`` gives a
        certified non-zero ``value``.  ``sampled``: undecided; the expression vanished (to
        :data:`MAXN` digits) at each of ``samples`` random points.
    point : dict or None
        For a counterexample: values of the symbols and undefined-function applications.
    value : sympy.Number or None
        The certified value at ``point`` (exact when ``exact``).
    samples : int
        Points evaluated.
    exact : bool
        The value was computed in exact rational arithmetic.
    normal_form_nonzero : bool
        The generator normal form is a non-zero rational function (the expression is then
        non-zero unless its atoms obey a relation the normal form does not know).
    """

    zero: bool
    method: str
    point: dict[sp.Basic, sp.Rational] | None = None
    value: sp.Expr | None = None
    samples: int = 0
    exact: bool = False
    normal_form_nonzero: bool = False

    @property
    def refuted(self) -> bool:
        """Whether a certified counterexample was found."""
        return self.method == "counterexample"

    @property
    def undecided(self) -> bool:
        """Neither proved nor refuted (evidence from sampling only)."""
        return self.method == "sampled"

    def evidence(self) -> str:
        """One sentence saying what an undecided test sampled and what that is worth."""
        structure = (
            "its normal form is a non-zero rational function of the atoms, so it is non-zero unless the atoms "
            "obey a relation the normal form does not know"
            if self.normal_form_nonzero
            else "no normal form reached 0"
        )
        return (
            f"not proved: the expression vanished at {self.samples} random points (two evaluations at up to "
            f"{MAXN} digits never agreed on a non-zero value), but {structure}; sampling bounds no error "
            "probability for transcendental expressions, so this is evidence, not a proof"
        )


def _undefined_applications(expr: sp.Expr) -> list[sp.Basic]:
    return sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key)


def _wide_rational(rng: random.Random, spread: bool, positive: bool) -> sp.Rational:
    """A rational with a large random denominator, magnitude moderate or log-uniform."""
    if spread:
        magnitude = 10 ** rng.uniform(-6.0, 3.0)
    else:
        magnitude = rng.uniform(0.05, 2.0)
    denominator = rng.randrange(10**9, 10**10) | 1  # odd, about 10 digits: off every small grid
    numerator = max(1, round(magnitude * denominator))
    if not positive and rng.random() < 0.5:
        numerator = -numerator
    return sp.Rational(numerator, denominator)


def random_point(
    expr: sp.Expr, rng: random.Random, *, spread: bool = False, extra: Sequence[sp.Basic] = ()
) -> dict[sp.Basic, sp.Rational]:
    """Random rational values for the free symbols and undefined applications of ``expr``.

    Positive symbols get positive values, integer symbols integers in [1, 50] (or [-50, 50]).
    ``spread=False``: magnitudes in [0.05, 2]; ``spread=True``: log-uniform in
    :math:`[10^{-6}, 10^3]`.  Denominators are random 10-digit odd integers.  Undefined
    applications such as :math:`\\phi'(a)` get their own values (see :func:`consistent`).
    ``extra`` symbols get values too (symbols that cancelled out of ``expr`` but belong in a witness).
    """
    point: dict[sp.Basic, sp.Rational] = {}
    for s in sorted(expr.free_symbols | set(extra), key=sp.default_sort_key):
        if s.is_integer:
            point[s] = sp.Integer(rng.randint(1, 50) if s.is_positive or s.is_nonnegative else rng.randint(-50, 50))
        else:
            point[s] = _wide_rational(rng, spread, bool(s.is_positive or s.is_nonnegative))
    for a in _undefined_applications(expr):
        point[a] = _wide_rational(rng, False, False)
    return point


def consistent(expr: sp.Expr, point: dict[sp.Basic, sp.Rational]) -> dict[sp.Basic, sp.Rational]:
    """Give undefined applications with equal arguments at ``point`` equal values.

    Values of an arbitrary function at distinct arguments are independent, but at equal
    arguments they must agree; arguments are compared to 30 digits (treating nearly equal
    arguments as equal is still a valid choice of the function).
    """
    syms = {s: v for s, v in point.items() if not isinstance(s, AppliedUndef)}
    seen: dict[tuple, sp.Rational] = {}
    out = dict(point)
    for a in _undefined_applications(expr):
        key = (a.func, *(sp.N(x.xreplace(syms), 30) for x in a.args))
        if key in seen:
            out[a] = seen[key]
        else:
            seen[key] = out[a]
    return out


# ----------------------------------------------------------------------------- normal forms


def _exp_generators(expr: sp.Expr) -> sp.Expr:
    """Rewrite ``exp(sum c_i m_i)`` as ``prod E_i**(c_i L_i)`` with one generator per monomial.

    :math:`E_i = e^{m_i/L_i}`, :math:`L_i` the least common denominator of every rational
    coefficient of :math:`m_i` in the expression, so the exponents are integers and
    :math:`e^{x/2}` and :math:`e^{x/3}` share one generator (they are algebraically dependent).
    """
    exps = [e for e in expr.atoms(sp.exp)]
    if not exps:
        return expr
    denominators: dict[sp.Expr, int] = {}
    split: dict[sp.Expr, list[tuple[sp.Rational, sp.Expr]]] = {}
    for e in exps:
        parts = []
        for term in sp.Add.make_args(sp.expand(e.args[0])):
            coeff, mono = term.as_coeff_Mul()
            parts.append((coeff, mono))
            if coeff.is_Rational and mono.free_symbols:
                denominators[mono] = math.lcm(denominators.get(mono, 1), int(coeff.q))
        split[e] = parts
    generators = {
        mono: sp.Symbol(f"_E{i}", positive=True) for i, mono in enumerate(sorted(denominators, key=sp.default_sort_key))
    }

    def rewrite(e: sp.Expr) -> sp.Expr:
        if e not in split:  # an exp created by an inner rewrite: leave it
            return e
        out = sp.Integer(1)
        rest = sp.Integer(0)
        for coeff, mono in split[e]:
            if coeff.is_Rational and mono in generators:
                out *= generators[mono] ** int(coeff * denominators[mono])
            else:
                rest += coeff * mono
        return out * (sp.exp(rest) if rest != 0 else 1)

    return expr.replace(lambda e: isinstance(e, sp.exp), rewrite)


def normal_forms(exprs: Sequence[sp.Expr]) -> list[sp.Expr]:
    """The normal forms of several expressions with *shared* fresh symbols and generators.

    Undefined applications become fresh symbols, ``tanh``/``sinh``/``cosh`` exponentials,
    exponentials generators (:func:`_exp_generators`), and each result is expanded; one
    bundle, so equal atoms of different expressions get the same symbol (the linear algebra of
    :mod:`theory.symbolic.laws` compares coefficients across expressions).
    """
    bundle = sp.Tuple(*exprs)
    apps = _undefined_applications(bundle)
    fresh = {a: sp.Symbol(f"_U{i}", real=True) for i, a in enumerate(apps)}
    bundle = bundle.xreplace(fresh) if fresh else bundle
    hyperbolic = [f for f in bundle.atoms(sp.tanh, sp.sinh, sp.cosh) if f.args[0].free_symbols]
    if hyperbolic:  # real exponentials, so the generators see them
        bundle = bundle.xreplace({f: f.rewrite(sp.exp) for f in hyperbolic})
    return [sp.expand(e) for e in _exp_generators(bundle)]


def _prepare(expr: sp.Expr) -> sp.Expr:
    """The normal form of one expression (:func:`normal_forms`)."""
    return normal_forms([expr])[0]


def _cleared_zero(e: sp.Expr) -> bool:
    """Multiply an expanded expression by its denominators; is the polynomial zero?"""
    denominators: dict[sp.Expr, int] = {}
    for term in sp.Add.make_args(e):
        for factor in sp.Mul.make_args(term):
            base, exponent = factor.as_base_exp()
            if exponent.is_Integer and exponent < 0:
                denominators[base] = max(denominators.get(base, 0), -int(exponent))
    if denominators:
        D = sp.Mul(*(b**p for b, p in denominators.items()))
        if sp.expand(sp.Add(*(sp.expand(t * D) for t in sp.Add.make_args(e)))) == 0:
            return True
    num, _ = sp.fraction(sp.together(e))
    return sp.expand(num) == 0


def symbolic_zero(expr: sp.Expr) -> bool:
    """Normal-form test: ``True`` only when the expression provably reduces to 0.

    Cheapest first: ``expand`` over the generators, clearing the denominators that remain,
    the numerator over a common denominator, and ``simplify`` for small expressions.
    """
    e = _prepare(expr)
    if e == 0 or _cleared_zero(e):
        return True
    return sp.count_ops(e) <= _SIMPLIFY_OPS and sp.simplify(e) == 0


def on_simplex(groups: Sequence[Sequence[sp.Symbol]]) -> Callable[[dict], dict]:
    """A point map that rescales each group of symbols (e.g. one sample's frequencies) to sum to 1."""

    def project(point: dict) -> dict:
        out = dict(point)
        for group in groups:
            present = [s for s in group if s in out]
            total = sum(out[s] for s in present)
            if present and total > 0:
                for s in present:
                    out[s] = out[s] / total
        return out

    return project


def _confirms(confirm: sp.Expr, point: dict) -> bool:
    """Whether ``confirm`` (equal to the tested expression) is certified non-zero at 30/60 digits."""
    try:
        value, _ = certified_value(confirm, point, precisions=(30,))
    except OutsideDomain:
        return False
    return value is not None and value != 0


def _search(
    expr: sp.Expr,
    rng: random.Random,
    samples: int,
    domain: Callable[[dict], dict] | None = None,
    extra: Sequence[sp.Basic] = (),
    accept_fragile: bool = True,
    confirm: sp.Expr | None = None,
) -> tuple[ZeroTest | None, int]:
    """Up to ``samples`` random points (moderate first, then log-uniform); a witness, or None."""
    evaluated = attempts = 0
    fragile: ZeroTest | None = None
    while evaluated < samples and attempts < 20 * samples:
        attempts += 1
        point = random_point(expr, rng, spread=evaluated % 2 == 1, extra=extra)
        if domain is not None:
            point = domain(point)
        point = consistent(expr, point)
        try:
            value, exact = certified_value(expr, point)
        except OutsideDomain:
            continue  # outside the real domain (e.g. erfinv beyond 1): draw again
        evaluated += 1
        if value is not None and value != 0:
            found = ZeroTest(False, "counterexample", point, value, evaluated, exact=exact)
            if exact or confirm is None or _confirms(confirm, point):
                return found, evaluated
            fragile = fragile or found  # certified, but tiny against the terms: look for a clearer one
    if fragile is not None and accept_fragile:
        return fragile, evaluated
    if evaluated == 0:
        raise ValueError("expression is not real and finite at any random point tried; check its domain")
    return None, evaluated


def is_identically_zero(
    expr: sp.Expr,
    *,
    samples: int = 6,
    seed: int = 0,
    symbolic: bool = True,
    domain: Callable[[dict], dict] | None = None,
    extra: Sequence[sp.Basic] = (),
    confirm: sp.Expr | None = None,
) -> ZeroTest:
    """Decide whether ``expr`` vanishes identically.

    Order: the expanded generator normal form (decides most proofs); one random point
    (decides most refutations); the normal form with denominators cleared and, for small
    expressions, ``simplify``; then ``samples`` random points.  Only a zero normal form
    gives ``zero=True``.

    Parameters
    ----------
    expr : sympy.Expr
    samples : int
        Random points when the normal form cannot decide (doubled when the normal form is
        a non-zero rational function: a witness must exist).
    seed : int
        Seed of the random points (verdicts are reproducible).
    symbolic : bool
        Try the symbolic normal form at all.
    domain : callable, optional
        Maps a random point into the model's domain (e.g. :func:`on_simplex`), so that a
        counterexample is a genuine point of the model.
    extra : sequence of sympy.Symbol
        Symbols to include in every point although ``expr`` does not contain them.
    confirm : sympy.Expr, optional
        An expression identically equal to ``expr`` (e.g. the unsimplified form a user will
        re-check); witnesses where it is certified at 30/60 digits are preferred, others are
        kept only if no such witness turns up.

    Returns
    -------
    ZeroTest

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> is_identically_zero(sp.exp(x / 2) ** 2 - sp.exp(x)).method
    'symbolic'
    >>> t = is_identically_zero(sp.Rational(1, 10**40) * x)
    >>> t.method, t.exact
    ('counterexample', True)
    >>> is_identically_zero(sp.sin(232792560 * sp.pi * x) ** 2).method
    'counterexample'
    """
    if isinstance(expr, str):
        raise ExpressionError("is_identically_zero takes a SymPy expression; strings are never evaluated")
    expr = sp.sympify(expr)
    if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise ValueError(f"expression is not finite ({expr}); it cannot be tested for zero")
    if expr == 0:
        return ZeroTest(True, "symbolic")
    rng = random.Random(seed)
    evaluated = 0
    nonzero_form = False
    if symbolic:
        e = _prepare(expr)
        if e == 0:
            return ZeroTest(True, "symbolic")
        found, n = _search(expr, rng, 1, domain, extra, accept_fragile=False, confirm=confirm)
        evaluated += n
        if found is not None:
            return found
        if _cleared_zero(e) or (sp.count_ops(e) <= _SIMPLIFY_OPS and sp.simplify(e) == 0):
            return ZeroTest(True, "symbolic", samples=evaluated)
        nonzero_form = is_rational_in_atoms(e)
    budget = 2 * samples if nonzero_form else samples
    found, n = _search(expr, rng, budget, domain, extra, confirm=confirm)
    evaluated += n
    if found is not None:
        return ZeroTest(False, "counterexample", found.point, found.value, evaluated, found.exact, nonzero_form)
    return ZeroTest(False, "sampled", samples=evaluated, normal_form_nonzero=nonzero_form)
