"""The bracket closure of lifted fields over GF(p): polynomial fields exactly, rational ones by jets.

Both closures start from the depth-1 fields kept by :func:`theory.symbolic.lie.count_laws` (their
values raise the rank at the random point) and add, depth by depth, the brackets
:math:`[a, b]` of a depth-1 field :math:`a` with a field :math:`b` added at the previous depth
whose values at the point raise the rank further.  The values of a whole depth of candidates
come from values and Jacobians at the point, :math:`[a, b](\\theta_0) = J_b a - J_a b`, all in
one reduction; a bracket is built (as a polynomial field, or as a jet) only when it is kept.
Building stops when a depth adds nothing (the span is closed under brackets, see
:func:`theory.symbolic.lie._count_lifted`), when the rank is full, or at ``max_depth``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from ..errors import InvalidArgument
from . import _lie_jets as jets
from . import _lie_modp as modp

__all__ = ["Closure", "close_by_jets", "close_polynomial", "independent", "is_polynomial"]

#: Largest number of jet coefficients (dense bound: series terms x components x depth-1 fields)
#: built.  Measured on the d1 = 2, dim = 3 head (D = 24, 16 fields): the actual series hold 1/3
#: to 1/6 of the dense bound; order 4 (7.9e6) takes about 20 s, order 5 (4.6e7) 90 s.
MAX_JET_COEFFICIENTS = 20_000_000


@dataclass(frozen=True)
class Closure:
    """Ranks after each depth, fields kept, and whether the span closed before ``max_depth``."""

    ranks: tuple[int, ...]
    fields: int
    closed: bool


def independent(basis: list[list[int]], candidates: list[list[int]]) -> list[int]:
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


def _mat(table: list[list[int]]) -> modp.Mat:
    return modp.matrix(len(table), len(table[0]), [v for r in table for v in r])


def is_polynomial(lifted: modp.Lift, basis: Sequence[modp.Field]) -> bool:
    """The fields are polynomials in the state alone (no denominator, no exponential generator)."""
    return lifted.K == 0 and all(f.den.is_constant() for f in basis)


def _check_size(fields: int, max_fields: int) -> None:
    if fields > max_fields:
        raise InvalidArgument(f"the Lie algebra basis exceeds {max_fields} fields; use smaller sizes")


def close_polynomial(
    lifted: modp.Lift,
    basis: list[modp.Field],
    rows: list[list[int]],
    full: list[list[int]],
    point: list[int],
    D: int,
    max_depth: int,
    max_fields: int,
) -> Closure:
    """Brackets of polynomial fields, built as polynomials when kept: any depth."""
    level1 = list(range(len(basis)))
    newest = list(level1)
    ranks, depth, jac = [len(rows)], 1, {}

    def jacobian(i: int) -> modp.Mat:
        if i not in jac:
            jac[i] = _mat(lifted.jacobian(basis[i], point))
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
        kept = independent(rows, [c[:D] for c in cands])
        added = []
        for k in kept:
            a, b = pairs[k]
            basis.append(lifted.bracket(basis[a], basis[b]))
            rows.append(cands[k][:D])
            full.append(cands[k])
            added.append(len(basis) - 1)
            _check_size(len(basis), max_fields)
        depth += 1
        ranks.append(len(rows))
        if not added:
            break
        newest = added
    closed = ranks[-1] == D or depth == 1 or not added
    return Closure(tuple(ranks), len(basis), closed)


def close_by_jets(
    lifted: modp.Lift,
    rhs: Sequence[sp.Expr],
    data: Sequence[dict[sp.Symbol, sp.Rational]],
    rows: list[list[int]],
    point: list[int],
    max_depth: int,
    max_fields: int,
) -> Closure:
    """Brackets of rational fields from their jets at the point, to depth ``max_depth``.

    A depth-:math:`t` bracket loses one order per bracket, so its value needs the
    :math:`(t-1)`-jets of the depth-1 fields (:mod:`theory.symbolic._lie_jets`).  The order is
    raised one step at a time, starting at 2 (depth 3): most models close early, and a jet of
    order :math:`k` in :math:`D` variables has :math:`\\binom{D+k}{k}` terms per component.  The
    values at the point are exact (no truncation error: a truncated series of order :math:`k`
    carries every derivative of order at most :math:`k` exactly), so the ranks are those of the
    lifted fields themselves, with the failure probability of
    :func:`theory.symbolic.lie._count_lifted`.

    Parameters
    ----------
    lifted : Lift
        The lift the depth-1 fields were converted by (its generator table is complete).
    rhs : sequence of sympy.Expr
        The flow's right-hand sides, as prepared by :func:`theory.symbolic._lie_modp.lift`.
    data : sequence of dict
        The data values of each kept depth-1 field.
    rows : list of list of int
        Their :math:`\\theta`-values at the point.
    point : list of int
        :math:`(\\theta_0, E_0)`.
    max_depth, max_fields : int
        As for :func:`theory.symbolic.lie.count_laws`.
    """
    order = min(2, max_depth - 1)
    while True:
        closure, by_order = _close_jets_at(order, lifted, rhs, data, rows, point, max_depth, max_fields)
        if not by_order:
            return closure
        order += 1


def jet_order(order: int) -> int:
    """The jet order used for a requested one (a seam for the tests' negative control)."""
    return order


def _close_jets_at(
    order: int,
    lifted: modp.Lift,
    rhs: Sequence[sp.Expr],
    data: Sequence[dict[sp.Symbol, sp.Rational]],
    rows: list[list[int]],
    point: list[int],
    max_depth: int,
    max_fields: int,
) -> tuple[Closure, bool]:
    """One closure with ``order``-jets (depth ``order + 1`` at most); ``True`` if the order stopped it."""
    D = lifted.D
    coefficients = jets.jet_size(D, order) * D * len(data)
    if coefficients > MAX_JET_COEFFICIENTS:
        raise InvalidArgument(
            f"bracket depth {order + 1} of these rational fields needs their {order}-jets at the point, "
            f"about {coefficients:.1e} coefficients (limit {MAX_JET_COEFFICIENTS:.0e}); "
            f"use max_depth={order} or smaller sizes"
        )
    engine = jets.Jets(lifted, point, jet_order(order))
    level1 = [engine.field(rhs, values) for values in data]
    rows = [list(r) for r in rows]
    jac: dict[int, modp.Mat] = {}
    fields: list[list[jets.Series]] = list(level1)
    values = [_mat([[v] for v in r]) for r in rows]

    def jacobian(i: int) -> modp.Mat:
        if i not in jac:
            jac[i] = _mat([c.linear(D) for c in fields[i]])
        return jac[i]

    n1 = len(level1)
    newest = list(range(n1))
    ranks, depth, added = [len(rows)], 1, newest
    while depth < min(max_depth, order + 1) and ranks[-1] < D:
        pairs = [(a, b) for b in newest for a in range(n1) if a != b and not (b < n1 and b < a)]
        cands = [jacobian(b) * values[a] - jacobian(a) * values[b] for a, b in pairs]
        kept = independent(rows, [[int(c[i, 0]) for i in range(D)] for c in cands])
        added = []
        for k in kept:
            a, b = pairs[k]
            last = depth + 1 == min(max_depth, order + 1)
            # a field of the last depth is only ranked: its jet is never bracketed again
            fields.append([] if last else jets.bracket(fields[a], fields[b]))
            rows.append([int(cands[k][i, 0]) for i in range(D)])
            values.append(cands[k])
            added.append(len(fields) - 1)
            _check_size(len(fields), max_fields)
        depth += 1
        ranks.append(len(rows))
        if not added:
            break
        newest = added
    grew = bool(added) and depth > 1 and ranks[-1] < D
    by_order = grew and depth == order + 1 < max_depth
    return Closure(tuple(ranks), len(fields), not grew), by_order
