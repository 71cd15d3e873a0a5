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
(Schwartz-Zippel: probability at most degree/:math:`p`).  Other fields (``erf``, ...) are valued
with mpmath at 60 digits at three random points, and a rank is the number of singular values above
:math:`10^{-15}\\sigma_{\\max}`; if one falls in the gap :math:`[10^{-40}, 10^{-15}]\\sigma_{\\max}`
the rank is not decided and the call says so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import InvalidArgument, TheoryError
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
        Deepest bracket level tried; the count is reported with the depth where the rank stopped growing.
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
    if flow.rhs and any(r.atoms(AppliedUndef) for r in flow.rhs):
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
    return LawCount(D - ranks[-1], D, ranks[-1], depth, tuple(ranks), False, len(basis))


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


def _independent(basis: list[list[int]], candidates: list[list[int]]) -> list[int]:
    """Indices of the candidates that raise the rank, taken greedily in order (one rref over GF(p))."""
    if not candidates:
        return []
    rows = [*basis, *candidates]
    width = len(rows[0])
    cols = modp.matrix(len(rows), width, [v for r in rows for v in r]).transpose()
    reduced, rank = cols.rref()
    table = reduced.tolist()
    pivots = [next(j for j, v in enumerate(table[i]) if int(v)) for i in range(rank)]
    return [j - len(basis) for j in pivots if j >= len(basis)]


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
    field only when it is kept.
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

    def draw() -> modp.Field:
        return lifted.field(rhs, modp.data_values(values, sampled, exp_data, rng))

    basis: list[modp.Field] = []
    rows: list[list[int]] = []  # theta-components of the kept fields at the point
    full: list[list[int]] = []  # all components (theta and generators)
    misses = 0
    while misses < 3 and len(basis) < D:
        f = draw()
        if int(f.den(*point)) % modp.P == 0:
            misses += 1
            continue
        v = f.values(point)
        if _independent(rows, [v[:D]]):
            basis.append(f)
            rows.append(v[:D])
            full.append(v)
            misses = 0
        else:
            misses += 1
    if all(f.den.is_constant() for f in basis) and lifted.K == 0:
        return _close_polynomial(lifted, basis, rows, full, point, D, max_depth, max_fields)
    return _close_by_jets(lifted, basis, rows, full, point, D, max_depth)


def _close_polynomial(
    lifted: modp.Lift,
    basis: list[modp.Field],
    rows: list[list[int]],
    full: list[list[int]],
    point: list[int],
    D: int,
    max_depth: int,
    max_fields: int,
) -> LawCount:
    """Brackets of polynomial fields, built as polynomials when kept: any depth."""
    level1 = list(range(len(basis)))
    newest = list(level1)
    ranks, depth, jac = [len(rows)], 1, {}

    def jacobian(i: int) -> modp.Mat:
        if i not in jac:
            table = lifted.jacobian(basis[i], point)
            jac[i] = modp.matrix(lifted.n, lifted.n, [v for r in table for v in r])
        return jac[i]

    def column(i: int) -> modp.Mat:
        return modp.matrix(lifted.n, 1, full[i])

    added: list[int] = []
    while depth < max_depth and ranks[-1] < D:
        pairs, cands = [], []
        for b in newest:
            jb, vb = jacobian(b), column(b)
            for a in level1:
                if a == b or (b in level1 and b < a):  # [a, b] = -[b, a]
                    continue
                value = jb * column(a) - jacobian(a) * vb
                pairs.append((a, b))
                cands.append([int(value[i, 0]) for i in range(lifted.n)])
        kept = _independent(rows, [c[:D] for c in cands])
        added = []
        for k in kept:
            a, b = pairs[k]
            basis.append(lifted.bracket(basis[a], basis[b]))
            rows.append(cands[k][:D])
            full.append(cands[k])
            added.append(len(basis) - 1)
            if len(basis) > max_fields:
                raise InvalidArgument(f"the Lie algebra basis exceeds {max_fields} fields; use smaller sizes")
        depth += 1
        ranks.append(len(rows))
        if not added:
            break
        newest = added
    closed = ranks[-1] == D or depth == 1 or not added
    return LawCount(D - ranks[-1], D, ranks[-1], depth, tuple(ranks), True, len(basis), closed)


def _mat(table: list[list[int]]) -> modp.Mat:
    return modp.matrix(len(table), len(table[0]), [v for r in table for v in r])


def _close_by_jets(
    lifted: modp.Lift,
    basis: list[modp.Field],
    rows: list[list[int]],
    full: list[list[int]],
    point: list[int],
    D: int,
    max_depth: int,
) -> LawCount:
    """Brackets of rational fields from their 2-jets at the point: depth 3 at most.

    A depth-2 bracket :math:`c = [a, b]` needs no polynomial: its value is
    :math:`J_b a - J_a b` and its Jacobian
    :math:`J_c = H_b[a] + J_b J_a - H_a[b] - J_a J_b`
    (:math:`H_b[a]_{ij} = \\sum_k \\partial_j\\partial_k b_i\\, a_k`), all at the point; the
    values of depth-3 brackets :math:`[a, c]` follow.  If depth 3 still raises the rank, the
    count is reported as not closed (an upper bound).
    """
    level1 = list(range(len(basis)))
    values = [_mat([[v] for v in vec]) for vec in full]
    jac = [_mat(lifted.jacobian(f, point)) for f in basis]
    hess = [[_mat(h) for h in lifted.hessian(f, point)] for f in basis]

    def contract(h: list[modp.Mat], v: modp.Mat) -> modp.Mat:
        return _mat([[int(x) for x in (hi * v).entries()] for hi in h])

    def select(cands: list[modp.Mat]) -> list[int]:
        return _independent(rows, [[int(c[i, 0]) for i in range(D)] for c in cands])

    ranks, depth, closed = [len(rows)], 1, True
    # depth 2
    pairs = [(a, b) for b in level1 for a in level1 if a < b]
    cands = [jac[b] * values[a] - jac[a] * values[b] for a, b in pairs]
    kept = select(cands)
    second: list[tuple[modp.Mat, modp.Mat]] = []
    for k in kept:
        a, b = pairs[k]
        rows.append([int(cands[k][i, 0]) for i in range(D)])
        j_c = contract(hess[b], values[a]) + jac[b] * jac[a] - contract(hess[a], values[b]) - jac[a] * jac[b]
        second.append((cands[k], j_c))
    depth, ranks = 2, [*ranks, len(rows)]
    if second and max_depth >= 3 and ranks[-1] < D:
        pairs3 = [(a, k) for k in range(len(second)) for a in level1]
        cands3 = [second[k][1] * values[a] - jac[a] * second[k][0] for a, k in pairs3]
        kept3 = select(cands3)
        for k in kept3:
            rows.append([int(cands3[k][i, 0]) for i in range(D)])
        depth, ranks = 3, [*ranks, len(rows)]
        closed = not kept3
    elif second and ranks[-1] < D:
        closed = False
    return LawCount(D - ranks[-1], D, ranks[-1], depth, tuple(ranks), True, len(basis) + len(second), closed)
