"""How many independent conservation laws a flow has: the rank of the Lie algebra of its fields.

Marcotte, Gribonval & Peyre (NeurIPS 2023, Thm. 3.3 and sec. 3.3): near a generic point
:math:`\\theta`, the number of independent conservation laws common to the vector fields
:math:`V = \\operatorname{span}\\{F_s\\}` (here: the flow with its data set to the values
:math:`s`) is

.. math::

    D - \\dim \\operatorname{Lie}(V)(\\theta),\\qquad [a, b] = (Db)\\,a - (Da)\\,b,

:math:`D` the number of parameters.  The algebra is built depth by depth: depth 1 holds the
fields :math:`F_s` for random data values :math:`s` (drawn until their values stop gaining rank
three times running), depth :math:`t + 1` the brackets of depth-1 fields with the fields added at
depth :math:`t`; building stops when a depth adds nothing, or at ``max_depth``.

What the number certifies.  Every field built lies in :math:`\\operatorname{Lie}(V)`, so the rank
found is at most the generic rank and :math:`D - \\text{rank}` is an *upper bound* on the number
of independent laws, whatever the stopping depth.  Independent laws proved symbolically give a
*lower bound*; when the two meet (``complete`` in :func:`theory.checks.discover`) the count is
exact.

Two routes.  Fields rational in the state and in exponentials of its polynomials are lifted
(:mod:`theory.symbolic._lie_modp`) and ranked exactly over :math:`\\mathrm{GF}(2^{61}-1)` at one
random point; the rank falls short of the generic rank only on the zero set of a minor
(Schwartz-Zippel: probability at most degree/:math:`p`).  Polynomial fields are bracketed as
polynomials; rational ones through their truncated Taylor series at the point
(:mod:`theory.symbolic._lie_jets`: a depth-:math:`t` bracket needs the :math:`(t-1)`-jets of the
depth-1 fields, which give its value exactly), so ``max_depth`` is honoured on both.
Other fields (``erf``, ...) are valued with mpmath at 60 digits at three random points, and a
rank is the number of singular values above :math:`10^{-15}\\sigma_{\\max}`; if one falls in the
gap :math:`[10^{-40}, 10^{-15}]\\sigma_{\\max}` the rank is not decided and the call says so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import InvalidArgument, TheoryError
from . import _lie_close as close
from . import _lie_modp as modp
from .flow import Flow
from .numbers import mp_value

__all__ = ["LawCount", "RankUndecided", "count_laws", "gradient_rank"]

_DIGITS = 60
_ZERO, _GAP = mpmath.mpf("1e-40"), mpmath.mpf("1e-15")


class RankUndecided(TheoryError, ArithmeticError):
    """A numerical rank could not be decided with the stated confidence."""


@dataclass(frozen=True)
class LawCount:
    """Outcome of :func:`count_laws`.

    Attributes
    ----------
    count : int
        :math:`D` minus the rank reached: an upper bound on the number of independent laws near a
        generic point, equal to it when the brackets built span :math:`\\operatorname{Lie}(V)(\\theta)`.
    parameters : int
        :math:`D`.
    lie_rank : int
        :math:`\\dim \\operatorname{Lie}(V)(\\theta)`.
    depth : int
        Bracket depth at which the rank stabilised.
    ranks : tuple of int
        The rank after each depth.
    exact : bool
        Ranks computed in exact rational arithmetic (else 60-digit SVD with a gap criterion).
    fields : int
        Fields kept in the algebra's basis.
    closed : bool
        The last depth added no field, so the span is closed under brackets; ``False`` when the
        depth limit stopped the build while the rank still grew (``count`` is then only an
        upper bound).
    """

    count: int
    parameters: int
    lie_rank: int
    depth: int
    ranks: tuple[int, ...]
    exact: bool
    fields: int
    closed: bool = True


def _point(symbols: list[sp.Symbol], rng: random.Random) -> dict[sp.Symbol, sp.Rational]:
    return {s: modp.random_rational(rng, bool(s.is_positive)) for s in symbols}


class _Evaluator:
    """Values of vector fields at fixed points as 60-digit mpmath numbers, ranked by an SVD gap."""

    def __init__(self, points: list[dict]) -> None:
        self.points = points

    def values(self, field: list[sp.Expr], p: int) -> list:
        return [mp_value(c, self.points[p], _DIGITS) for c in field]

    def rank(self, rows: list[list]) -> int:
        if not rows:
            return 0
        with mpmath.workdps(_DIGITS):
            sv = mpmath.svd_r(mpmath.matrix(rows), compute_uv=False)
            values = sorted((abs(s) for s in sv), reverse=True)
            if not values or values[0] == 0:
                return 0
            top = values[0]
            ambiguous = [s for s in values if _ZERO * top < s < _GAP * top]
            if ambiguous:
                raise RankUndecided(
                    f"a singular value {mpmath.nstr(ambiguous[0] / top, 3)} x the largest lies between 1e-40 and "
                    "1e-15: the rank cannot be decided at 60 digits; try smaller sizes or exact (polynomial) models"
                )
            return sum(1 for s in values if s >= _GAP * top)


def count_laws(flow: Flow, *, max_depth: int = 4, seed: int = 0, max_fields: int = 400) -> LawCount:
    """The number of independent conservation laws of ``flow`` for every value of its data.

    Parameters
    ----------
    flow : Flow
        From :func:`theory.symbolic.derive_flow`; its data symbols (inputs, back-propagated
        gradients) are the values the laws must hold for.
    max_depth : int
        Deepest bracket level tried (1 to 8, for every route); the count is reported with the
        depth where the rank stopped growing, and ``closed`` is ``False`` only when the rank
        still grew at ``max_depth``.  Rational fields need jets of order ``max_depth - 1`` only
        when the rank keeps growing that deep; jets too large for memory are refused with an
        estimate.
    seed : int
        Seed of the random points and data values.
    max_fields : int
        Refuse to grow the basis beyond this many fields.

    Returns
    -------
    LawCount

    Raises
    ------
    RankUndecided
        A numerical rank fell in the gap; nothing is guessed.
    InvalidArgument
        ``max_depth`` outside [1, 8], an arbitrary activation, or a basis or jets too large.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.models.network import network
    >>> from theory.symbolic import derive_flow
    >>> U = sp.Matrix(2, 2, sp.symbols("u1:5", real=True))
    >>> V = sp.Matrix(2, 2, sp.symbols("v1:5", real=True))
    >>> x = sp.symbols("x1:3", real=True)
    >>> count_laws(derive_flow(network(U * V.T * sp.Matrix(x), {"U": U, "V": V}, x))).count  # r(r+1)/2
    3
    """
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or not 1 <= max_depth <= 8:
        raise InvalidArgument(f"max_depth must be an integer in [1, 8], got {max_depth!r}")
    if flow.rhs and modp.atoms(sp.Tuple(*flow.rhs), AppliedUndef):
        raise InvalidArgument(
            "the flow has an arbitrary activation (phi); count laws for a concrete activation (e.g. activation='tanh')"
        )
    rng = random.Random(seed)
    state = list(flow.state)
    data = sorted(set().union(*(r.free_symbols for r in flow.rhs)) - set(state), key=sp.default_sort_key)
    fixed = [s for s in data if s in set(flow.spec.constants)]
    sampled = [s for s in data if s not in set(fixed)]
    constants = _point(fixed, rng)
    try:
        return _count_lifted(flow, sampled, fixed, random.Random(seed), max_depth, max_fields)
    except modp.NotLiftable:
        pass  # not rational in the state and exponentials of its polynomials: 60-digit values
    return _count_numeric(flow, sampled, constants, rng, max_depth, max_fields)


def _count_numeric(
    flow: Flow,
    sampled: list[sp.Symbol],
    constants: dict[sp.Symbol, sp.Rational],
    rng: random.Random,
    max_depth: int,
    max_fields: int,
) -> LawCount:
    """:func:`count_laws` on fields that are not liftable: 60-digit values at three random points."""
    state = list(flow.state)
    D = len(state)
    evaluator = _Evaluator([_point(state, rng) for _ in range(3)])

    def field_for(values: dict) -> list[sp.Expr]:
        sub = {**constants, **values}
        return [r.xreplace(sub) for r in flow.rhs]

    basis: list[list[sp.Expr]] = []
    stacked: list[list] = []
    jacobians: dict[int, sp.Matrix] = {}

    def jacobian(field: list[sp.Expr]) -> sp.Matrix:
        if id(field) not in jacobians:
            jacobians[id(field)] = sp.Matrix(field).jacobian(state)
        return jacobians[id(field)]

    def stack(field: list[sp.Expr]) -> list:
        return [v for p in range(3) for v in evaluator.values(field, p)]

    def try_add(field: list[sp.Expr]) -> bool:
        if all(c == 0 for c in field):
            return False
        row = stack(field)
        new = evaluator.rank([*stacked, row]) > len(stacked)
        if new:
            basis.append(field)
            stacked.append(row)
            if len(basis) > max_fields:
                raise InvalidArgument(f"the Lie algebra basis exceeds {max_fields} fields; use smaller sizes")
        return new

    # depth 1: fields for random data values, until values stop gaining rank three times running
    misses = 0
    while misses < 3 and len(basis) < D + 3 * len(sampled) + 3:
        misses = 0 if try_add(field_for(_point(sampled, rng))) else misses + 1
    level1 = list(basis)
    ranks = [evaluator.rank([evaluator.values(f, 0) for f in basis])]
    newest = list(basis)
    depth = 1
    while depth < max_depth and ranks[-1] < D:
        added = []
        for a in level1:
            for b in newest:
                if a is b:
                    continue
                jb, ja = jacobian(b), jacobian(a)
                bracket = list(jb * sp.Matrix(a) - ja * sp.Matrix(b))
                if try_add(bracket):
                    added.append(bracket)
        depth += 1
        ranks.append(evaluator.rank([evaluator.values(f, 0) for f in basis]))
        if not added or ranks[-1] == ranks[-2]:
            break
        newest = added
    grew = depth > 1 and ranks[-1] > ranks[-2] and ranks[-1] < D  # the depth limit stopped a growing rank
    return LawCount(D - ranks[-1], D, ranks[-1], depth, tuple(ranks), False, len(basis), not grew)


def gradient_rank(laws: list[sp.Expr], state: tuple[sp.Symbol, ...] | list[sp.Symbol], rng: random.Random) -> int:
    """Rank of the gradients of ``laws`` at a random rational point (functional independence).

    Exact over GF(2^61 - 1) for rational laws; the rank at a random point equals the generic
    rank except on a zero set of a minor (Schwartz-Zippel, as for :func:`count_laws`).
    """
    if not laws:
        return 0
    symbols = sorted(set(state).union(*(q.free_symbols for q in laws)), key=sp.default_sort_key)
    point = _point(symbols, rng)  # constants in the laws (learning rates, T) get values too
    rows = []
    for q in laws:
        grad = [sp.diff(q, s).xreplace(point) for s in state]
        if not all(isinstance(g, sp.Rational) for g in grad):  # non-rational law: 60 digits, SVD gap rule
            return _Evaluator([point]).rank(
                [[mp_value(sp.diff(law, s), point, _DIGITS) for s in state] for law in laws]
            )
        rows.append([modp.modp(g) for g in grad])
    return int(modp.matrix(len(rows), len(state), [v for r in rows for v in r]).rank())


def _count_lifted(
    flow: Flow,
    sampled: list[sp.Symbol],
    fixed: list[sp.Symbol],
    rng: random.Random,
    max_depth: int,
    max_fields: int,
) -> LawCount:
    """:func:`count_laws` on the lifted rational fields over GF(p) (:mod:`theory.symbolic._lie_modp`).

    One random point :math:`(\\theta_0, E_0)`.  A field is kept when its value there raises the
    rank of the kept fields' values; a field dependent at the generic point is, generically, a
    combination of the kept ones with function coefficients, and
    :math:`[a, \\sum_k f_k b_k] = \\sum_k f_k [a, b_k] + \\sum_k (a\\cdot\\nabla f_k)\\, b_k`, so
    brackets of kept fields span everything (the involutive closure of the distribution).  The
    values of a depth's candidate brackets come from the values and Jacobians at the point,
    :math:`[a, b](\\theta_0) = J_b a - J_a b`, all in one reduction; a bracket is built as a
    field (a polynomial field, or the jet of a rational one,
    :func:`theory.symbolic._lie_close.close_by_jets`) only when it is kept.

    Failure probability.  The values are exact, so the rank found at the point is below the
    generic rank over :math:`\\mathbb Q(\\theta, E)` only if the point is a zero of a non-zero
    maximal minor of the bracket values (a rational function whose numerator has some degree
    :math:`\\delta`) or of a denominator met on the way (then the point is drawn again).
    Schwartz-Zippel bounds this by :math:`\\delta / p` with :math:`p = 2^{61} - 1`: even a
    degree of :math:`10^6` gives :math:`4 \\cdot 10^{-13}`.  A wrong rank can only be too low,
    so the count stays an upper bound in any case.
    """
    state = list(flow.state)
    table: dict[sp.Expr, int] = {}
    for _ in range(64):  # each round adds the generators a conversion met (a tower is finite)
        try:
            return _count_with(
                modp.Lift(state, table), flow, sampled, fixed, random.Random(rng.random()), max_depth, max_fields
            )
        except modp.Refine as more:
            table.update(more.updates)
            rng = random.Random(rng.random())
    raise modp.NotLiftable("more than 64 rounds of new exponential generators")


def _count_with(
    lifted: modp.Lift,
    flow: Flow,
    sampled: list[sp.Symbol],
    fixed: list[sp.Symbol],
    rng: random.Random,
    max_depth: int,
    max_fields: int,
) -> LawCount:
    """One attempt of :func:`_count_lifted` with a given generator table."""
    state = list(flow.state)
    D = len(state)
    rhs, values, exp_data = modp.lift(flow.rhs, state, sampled, fixed, rng)
    point = [rng.randrange(1, modp.P) for _ in range(lifted.n)]

    basis: list[modp.Field] = []
    data: list[dict[sp.Symbol, sp.Rational]] = []  # the data values of each kept field
    rows: list[list[int]] = []  # theta-components of the kept fields at the point
    full: list[list[int]] = []  # all components (theta and generators)
    misses = 0
    while misses < 3 and len(basis) < D:
        drawn = modp.data_values(values, sampled, exp_data, rng)
        f = lifted.field(rhs, drawn)
        if int(f.den(*point)) % modp.P == 0:
            misses += 1
            continue
        v = f.values(point)
        if close.independent(rows, [v[:D]]):
            basis.append(f)
            data.append(drawn)
            rows.append(v[:D])
            full.append(v)
            misses = 0
        else:
            misses += 1
    if close.is_polynomial(lifted, basis):
        out = close.close_polynomial(lifted, basis, rows, full, point, D, max_depth, max_fields)
    else:
        out = close.close_by_jets(lifted, rhs, data, rows, point, max_depth, max_fields)
    ranks = out.ranks
    return LawCount(D - ranks[-1], D, ranks[-1], len(ranks), ranks, True, out.fields, out.closed)
