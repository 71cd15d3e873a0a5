"""How many independent conservation laws a flow has: the rank of the Lie algebra of its fields.

Marcotte, Gribonval & Peyre (NeurIPS 2023, Thm. 3.3 and sec. 3.3): near a generic point
:math:`\\theta`, the number of independent conservation laws common to the vector fields
:math:`V = \\operatorname{span}\\{F_s\\}` (here: the flow with its data set to the values
:math:`s`) is

.. math::

    D - \\dim \\operatorname{Lie}(V)(\\theta),\\qquad [a, b] = (Db)\\,a - (Da)\\,b,

:math:`D` the number of parameters.  The algebra is built depth by depth: depth 1 holds the
fields :math:`F_s` for random rational data values :math:`s` (drawn until their values at
:math:`\\theta` stop gaining rank), depth :math:`t + 1` the brackets of depth-1 fields with
the fields added at depth :math:`t`.  A new field is kept only if its values at three random
points are independent of the kept fields' values there (a field that is a constant-coefficient
combination of kept fields is so at every point).  Building stops when a depth adds no field or
does not raise the rank at :math:`\\theta`, or at ``max_depth``.

What the number certifies.  Every field built lies in :math:`\\operatorname{Lie}(V)`, so the rank
found is at most the generic rank and :math:`D - \\text{rank}` is an *upper bound* on the number
of independent laws, whatever the stopping depth.  Independent laws proved symbolically give a
*lower bound*; when the two meet (``complete`` in :func:`theory.checks.discover`) the count is
exact.

Ranks are exact where the fields are rational in :math:`\\theta`: the values at a rational
point are rational, reduced modulo the prime :math:`p = 2^{61} - 1` and ranked by Gaussian
elimination over :math:`\\mathrm{GF}(p)`.  The rank found is at most the generic rank over
:math:`\\mathbb Q`, and falls short only if the random point is a zero of a non-zero minor (a
polynomial of degree :math:`\\deg`: probability at most :math:`\\deg/10^{8}` by
Schwartz-Zippel for coordinates with 9-digit numerators) or :math:`p` divides that minor's value
(probability about :math:`\\log_p|\\text{value}|/p`).  Otherwise (exp,
softmax) values are computed with mpmath at 60 digits and the rank is the number of singular
values above :math:`10^{-40}\\sigma_{\\max}`; if a singular value falls in the gap
:math:`[10^{-40}, 10^{-15}]\\sigma_{\\max}` the rank is not decided and the call says so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.polys.rings import ring

from ..errors import InvalidArgument, TheoryError
from .flow import Flow
from .numbers import is_rational_in_atoms, mp_value

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
    """

    count: int
    parameters: int
    lie_rank: int
    depth: int
    ranks: tuple[int, ...]
    exact: bool
    fields: int


def _rational(rng: random.Random, positive: bool) -> sp.Rational:
    q = sp.Rational(rng.randrange(1, 10**9), rng.randrange(10**8, 10**9))
    return q if positive or rng.random() < 0.5 else -q


def _point(symbols: list[sp.Symbol], rng: random.Random) -> dict[sp.Symbol, sp.Rational]:
    return {s: _rational(rng, bool(s.is_positive)) for s in symbols}


#: A 61-bit prime: exact ranks are computed over GF(_P).
_P = 2**61 - 1


def _mod(q: sp.Rational) -> int:
    return q.p % _P * pow(q.q % _P, -1, _P) % _P


class _Echelon:
    """Rows reduced incrementally over GF(_P): ``add`` says whether a row raises the rank."""

    def __init__(self) -> None:
        self.rows: dict[int, list[int]] = {}  # pivot column -> row with 1 at the pivot

    def reduce(self, row: list[int]) -> list[int]:
        row = list(row)
        for col, basis in self.rows.items():
            if row[col]:
                f = row[col]
                row = [(a - f * b) % _P for a, b in zip(row, basis, strict=True)]
        return row

    def add(self, row: list[int]) -> bool:
        row = self.reduce(row)
        pivot = next((i for i, a in enumerate(row) if a), None)
        if pivot is None:
            return False
        inv = pow(row[pivot], -1, _P)
        row = [a * inv % _P for a in row]
        for col, basis in list(self.rows.items()):  # keep the rows reduced against the new pivot
            if basis[pivot]:
                f = basis[pivot]
                self.rows[col] = [(a - f * b) % _P for a, b in zip(basis, row, strict=True)]
        self.rows[pivot] = row
        return True

    @property
    def rank(self) -> int:
        return len(self.rows)


class _Evaluator:
    """Values of vector fields at fixed points: exact (in GF(p)) or 60-digit mpmath numbers."""

    def __init__(self, points: list[dict], exact: bool) -> None:
        self.points, self.exact = points, exact

    def values(self, field: list[sp.Expr], p: int) -> list:
        if self.exact:
            return [_mod(sp.Rational(c.xreplace(self.points[p]))) for c in field]
        return [mp_value(c, self.points[p], _DIGITS) for c in field]

    def rank(self, rows: list[list]) -> int:
        if not rows:
            return 0
        if self.exact:
            echelon = _Echelon()
            for r in rows:
                echelon.add(r)
            return echelon.rank
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


class _PolyFields:
    """Polynomial fields as sparse polynomials over GF(_P) (SymPy ``PolyElement``): fast brackets.

    Used when every component of the flow is a polynomial in the state once the data and
    constants have numbers: differentiation and products are then exact sparse-polynomial
    arithmetic modulo :data:`_P`, about two orders of magnitude faster than expression trees.
    """

    def __init__(self, state: list[sp.Symbol], points: list[dict]) -> None:
        self.state = state
        self.ff, *self.gens = ring(state, sp.FF(_P))
        self.points = [[_mod(sp.Rational(pt[s])) for s in state] for pt in points]
        self.terms: list[list[tuple[tuple[int, ...], tuple[int, ...], int]]] = []

    def prepare(self, exprs: list[sp.Expr], data: list[sp.Symbol]) -> bool:
        """Read each component as a polynomial in (state, data) once; ``False`` if one is not."""
        big, *_ = ring([*self.state, *data], sp.QQ)
        n = len(self.state)
        self.terms = []
        for e in exprs:
            try:
                q = big.from_expr(e)
            except ValueError:  # a state variable (or data) in a denominator: not a polynomial
                return False
            self.terms.append(
                [
                    (m[:n], m[n:], int(c.numerator) % _P * pow(int(c.denominator) % _P, -1, _P) % _P)
                    for m, c in q.items()
                ]
            )
        return True

    def field(self, values: list[sp.Rational]) -> tuple:
        """The field for data values ``values`` (in the order given to :meth:`prepare`), over GF(p)."""
        vals = [_mod(v) for v in values]
        out = []
        for comp in self.terms:
            acc: dict[tuple[int, ...], int] = {}
            for ms, md, c in comp:
                for v, e in zip(vals, md, strict=True):
                    if e:
                        c = c * pow(v, e, _P) % _P
                acc[ms] = (acc.get(ms, 0) + c) % _P
            out.append(self.ff.from_dict({m: c for m, c in acc.items() if c}))
        return tuple(out)

    def bracket(self, a: tuple, b: tuple) -> tuple:
        """``[a, b] = (Db) a - (Da) b``."""
        return tuple(
            sum((bi.diff(g) * aj - ai.diff(g) * bj for g, aj, bj in zip(self.gens, a, b, strict=True)), self.ff.zero)
            for ai, bi in zip(a, b, strict=True)
        )

    def values(self, field: tuple, p: int) -> list[int]:
        return [int(c(*self.points[p])) % _P if c else 0 for c in field]

    def jacobian_values(self, field: tuple, p: int) -> list[list[int]]:
        """:math:`\\partial F_i/\\partial\\theta_j` at point ``p`` (mod p)."""
        pt = self.points[p]
        return [[int(d(*pt)) % _P if (d := c.diff(g)) else 0 for g in self.gens] for c in field]

    @staticmethod
    def bracket_values(a: list[int], ja: list[list[int]], b: list[int], jb: list[list[int]]) -> list[int]:
        """``[a, b]`` at a point from the values and Jacobians there: ``Jb a - Ja b`` (mod p)."""
        return [
            (sum(x * y for x, y in zip(rb, a, strict=True)) - sum(x * y for x, y in zip(ra, b, strict=True))) % _P
            for ra, rb in zip(ja, jb, strict=True)
        ]


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
    D = len(state)
    data = sorted(set().union(*(r.free_symbols for r in flow.rhs)) - set(state), key=sp.default_sort_key)
    fixed = [s for s in data if s in set(flow.spec.constants)]
    sampled = [s for s in data if s not in set(fixed)]
    constants = _point(fixed, rng)
    exact = all(is_rational_in_atoms(r) for r in flow.rhs)
    points = [_point(state, rng) for _ in range(3)]
    evaluator = _Evaluator(points, exact)
    if exact:
        polys = _PolyFields(state, points)
        if polys.prepare([r.xreplace(constants) for r in flow.rhs], sampled):
            return _count_polynomial(flow, polys, sampled, rng, max_depth, max_fields)

    def field_for(values: dict) -> list[sp.Expr]:
        sub = {**constants, **values}
        return [r.xreplace(sub) for r in flow.rhs]

    basis: list[list[sp.Expr]] = []
    stacked: list[list] = []
    echelon = _Echelon()
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
        new = echelon.add(row) if exact else evaluator.rank([*stacked, row]) > len(stacked)
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
                bracket = [sp.expand(e) if exact else e for e in (jb * sp.Matrix(a) - ja * sp.Matrix(b))]
                if try_add(bracket):
                    added.append(bracket)
        depth += 1
        ranks.append(evaluator.rank([evaluator.values(f, 0) for f in basis]))
        if not added or ranks[-1] == ranks[-2]:
            break
        newest = added
    return LawCount(D - ranks[-1], D, ranks[-1], depth, tuple(ranks), exact, len(basis))


def gradient_rank(laws: list[sp.Expr], state: tuple[sp.Symbol, ...] | list[sp.Symbol], rng: random.Random) -> int:
    """Rank of the gradients of ``laws`` at a random rational point (functional independence).

    Exact over GF(2^61 - 1) for rational laws; the rank at a random point equals the generic
    rank except on a zero set of a minor (Schwartz-Zippel, as for :func:`count_laws`).
    """
    if not laws:
        return 0
    symbols = sorted(set(state).union(*(q.free_symbols for q in laws)), key=sp.default_sort_key)
    point = _point(symbols, rng)  # constants in the laws (learning rates, T) get values too
    echelon = _Echelon()
    for q in laws:
        grad = [sp.diff(q, s).xreplace(point) for s in state]
        if all(isinstance(g, sp.Rational) for g in grad):
            echelon.add([_mod(sp.Rational(g)) for g in grad])
        else:  # non-rational law: 60-digit values, ranked by the SVD gap rule
            return _Evaluator([point], exact=False).rank(
                [[mp_value(sp.diff(law, s), point, _DIGITS) for s in state] for law in laws]
            )
    return echelon.rank


def _count_polynomial(
    flow: Flow,
    polys: _PolyFields,
    sampled: list[sp.Symbol],
    rng: random.Random,
    max_depth: int,
    max_fields: int,
) -> LawCount:
    """:func:`count_laws` for polynomial fields, with sparse polynomials over GF(p)."""
    D = len(flow.state)
    basis: list[tuple] = []
    echelon = _Echelon()
    cache: dict[int, tuple[list[list[int]], list[list[list[int]]]]] = {}

    def at_points(field: tuple) -> tuple[list[list[int]], list[list[list[int]]]]:
        if id(field) not in cache:
            cache[id(field)] = (
                [polys.values(field, p) for p in range(3)],
                [polys.jacobian_values(field, p) for p in range(3)],
            )
        return cache[id(field)]

    def keep(field: tuple, row: list[int]) -> bool:
        if echelon.add(row):
            basis.append(field)
            if len(basis) > max_fields:
                raise InvalidArgument(f"the Lie algebra basis exceeds {max_fields} fields; use smaller sizes")
            return True
        return False

    def rank_at_point() -> int:
        e = _Echelon()
        for f in basis:
            e.add(at_points(f)[0][0])
        return e.rank

    misses = 0
    while misses < 3 and len(basis) < D + 3 * len(sampled) + 3:
        values = _point(sampled, rng)
        field = polys.field([values[v] for v in sampled])
        row = [v for p in range(3) for v in polys.values(field, p)]
        misses = 0 if any(field) and keep(field, row) else misses + 1
    level1, newest = list(basis), list(basis)
    ranks, depth = [rank_at_point()], 1
    while depth < max_depth and ranks[-1] < D:
        added = []
        for a in level1:
            va, ja = at_points(a)
            for b in newest:
                if a is b:
                    continue
                vb, jb = at_points(b)
                # the bracket's values at the three points come from values and Jacobians there;
                # the bracket itself is built (sparse polynomials) only when it raises the rank
                row = [v for p in range(3) for v in polys.bracket_values(va[p], ja[p], vb[p], jb[p])]
                if any(row) and echelon.add(row):
                    br = polys.bracket(a, b)
                    basis.append(br)
                    added.append(br)
                    if len(basis) > max_fields:
                        raise InvalidArgument(f"the Lie algebra basis exceeds {max_fields} fields; use smaller sizes")
        depth += 1
        ranks.append(rank_at_point())
        if not added or ranks[-1] == ranks[-2]:
            break
        newest = added
    return LawCount(D - ranks[-1], D, ranks[-1], depth, tuple(ranks), True, len(basis))
