"""Polynomial conservation laws by linear algebra over GF(p), verified symbolically.

The fast route of :func:`theory.symbolic.laws.polynomial_laws` and
:func:`theory.symbolic.families.ansatz_laws` for flows whose only constant is one shared
learning rate (network specs): the laws do not depend on its value.  The basis may be
monomials (rows read off the exponents) or any functions rational in the state and its
exponentials, such as the quotient family's :math:`m/D` (each converted once to FLINT
numerator and denominator; rows from their derivatives on the lifted coordinates).  A law
:math:`Q = \\sum_j c_j m_j` satisfies :math:`\\nabla Q\\cdot F_s(\\theta, E) = 0` for every data
value :math:`s` and, after the lift of :mod:`theory.symbolic._lie_modp` (exponentials of
monomials as coordinates :math:`E`), at every point of :math:`(\\theta, E)`.  Each field at each
random point gives one linear equation on the :math:`c_j` over GF(:math:`2^{61}-1`); equations
are added until the rank stops growing.  The null space found contains the true one (more
equations can only shrink it); its reduced basis is lifted to rationals by rational
reconstruction (Wang's algorithm), and every candidate must then pass the prover's symbolic zero
test of :math:`\\dot Q`, or the caller falls back to the exact rational route.  So nothing here
is trusted without a symbolic check: the modular work only proposes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import sympy as sp

from . import _lie_modp as modp
from .flow import Flow
from .zero import symbolic_zero

__all__ = ["modular_laws"]


def _reconstruct(a: int) -> sp.Rational | None:
    """The rational :math:`u/v` with :math:`|u|, |v| \\le \\sqrt{p/2}` and :math:`u \\equiv a v` (mod p)."""
    bound = math.isqrt(modp.P // 2)
    r0, r1, s0, s1 = modp.P, a % modp.P, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1, s0, s1 = r1, r0 - q * r1, s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound:
        return None
    return sp.Rational(r1, s1)


def modular_laws(flow: Flow, monos: Sequence[sp.Expr], seed: int = 0) -> tuple[list[sp.Expr], int] | None:
    """A basis of the laws in ``monos`` and the number of equations used, or ``None`` to fall back.

    ``None`` when the route does not apply (several learning rates, a metric, a flow that is not
    liftable) or when a candidate fails reconstruction or the symbolic zero test.  Constants
    other than the rate (a temperature ``tau``) take one random value: the null space there
    contains the generic one, and a law whose coefficients depend on the constant does not
    survive reconstruction and the symbolic test (with the constant symbolic), so the caller
    falls back to the exact route; when every candidate passes, they are the generic laws.
    """
    state = list(flow.state)
    rates = {g.rate for g in flow.spec.params}
    data = sorted(set().union(*(r.free_symbols for r in flow.rhs)) - set(state), key=sp.default_sort_key)
    fixed = [s for s in data if s in set(flow.spec.constants)]
    sampled = [s for s in data if s not in set(fixed)]
    if len(rates) != 1 or any(g.metric is not None for g in flow.spec.params):
        return None
    rng = random.Random(seed)
    table: dict[sp.Expr, int] = {}
    for _ in range(64):
        try:
            vectors, equations = _null_vectors(modp.Lift(state, table), flow, monos, sampled, fixed, rng)
            break
        except modp.Refine as more:
            table.update(more.updates)
        except modp.NotLiftable:
            return None
    else:
        return None
    velocity = flow.velocity()
    laws = []
    for vec in vectors:
        coeffs = [_reconstruct(c) for c in vec]
        if any(c is None for c in coeffs):
            return None
        law = sp.Add(*(c * m for c, m in zip(coeffs, monos, strict=True) if c))
        lead = next(c for c in coeffs if c)
        law = sp.expand(law / lead)
        if not symbolic_zero(sp.Add(*(sp.diff(law, s) * velocity[s] for s in law.free_symbols if s in velocity))):
            return None
        laws.append(law)
    return laws, equations


def _null_vectors(
    lifted: modp.Lift,
    flow: Flow,
    monos: Sequence[sp.Expr],
    sampled: list[sp.Symbol],
    fixed: list[sp.Symbol],
    rng: random.Random,
) -> tuple[list[list[int]], int]:
    """The reduced null-space basis (mod p) of the equations from random fields at random points."""
    state = list(flow.state)
    P = modp.P
    rhs, values, exp_data = modp.lift(flow.rhs, state, sampled, fixed, rng)
    monomial = all(_is_monomial(m, state) for m in monos)
    row_of = _monomial_rows(state, monos) if monomial else _rational_rows(lifted, monos)
    rows: list[list[int]] = []
    rank, stable = 0, 0
    while stable < 2 and rank < len(monos):
        field = lifted.field(rhs, modp.data_values(values, sampled, exp_data, rng))
        for _ in range(max(4, len(monos) // 8)):
            point = [rng.randrange(1, P) for _ in range(lifted.n)]
            if int(field.den(*point)) % P == 0:
                continue
            row = row_of(point, field.values(point))
            if row is None:
                continue
            rows.append(row)
        new = modp.matrix(len(rows), len(monos), [v for r in rows for v in r]).rank()
        stable = stable + 1 if new == rank else 0
        rank = new
    reduced, rank = modp.matrix(len(rows), len(monos), [v for r in rows for v in r]).rref()
    table = reduced.tolist()
    pivots = [next(j for j, v in enumerate(table[i]) if int(v)) for i in range(rank)]
    free = [j for j in range(len(monos)) if j not in set(pivots)]
    out = []
    for f in free:
        vec = [0] * len(monos)
        vec[f] = 1
        for i, p in enumerate(pivots):
            vec[p] = (-int(table[i][f])) % P
        out.append(vec)
    return out, len(rows)


def _is_monomial(m: sp.Expr, state: list[sp.Symbol]) -> bool:
    return m.is_polynomial(*state) and len(sp.Add.make_args(sp.expand(m))) == 1 and m.free_symbols <= set(state)


def _monomial_rows(state: list[sp.Symbol], monos: Sequence[sp.Expr]):  # -> row function
    """Rows for monomials: :math:`\\nabla m\\cdot F = \\sum_j k_j\\, m\\, F_j/\\theta_j`, no conversion."""
    D, P = len(state), modp.P
    exps = [sp.Poly(m, *state).monoms()[0] for m in monos]

    def row_of(point: list[int], F: list[int]) -> list[int]:
        theta = point[:D]
        inv = [pow(t, -1, P) for t in theta]
        row = []
        for e in exps:
            mono = 1
            for t, k in zip(theta, e, strict=True):
                if k:
                    mono = mono * pow(t, k, P) % P
            row.append(sum(k * mono * inv[j] % P * F[j] for j, k in enumerate(e) if k) % P)
        return row

    return row_of


def _rational_rows(lifted: modp.Lift, basis: Sequence[sp.Expr]):  # -> row function
    """Rows for rational basis functions on the lifted coordinates (quotients, exponentials).

    Each :math:`b = n/d` is converted once; :math:`\\dot b = \\sum_y (n_y d - n d_y)/d^2\\, F_y`
    over every lifted coordinate :math:`y` (state and generators), evaluated at the point.
    """
    P = modp.P
    parts = []
    for b in basis:
        num, den = lifted.convert(b)
        moving = [(i, num.derivative(i), den.derivative(i)) for i in range(lifted.n)]
        parts.append((num, den, [(i, dn, dd) for i, dn, dd in moving if not (dn.is_zero() and dd.is_zero())]))

    def row_of(point: list[int], F: list[int]) -> list[int] | None:
        row = []
        for num, den, moving in parts:
            d = int(den(*point)) % P
            if d == 0:
                return None  # on a pole of a basis function: another point
            n = int(num(*point)) % P
            acc = 0
            for i, dn, dd in moving:
                if F[i]:
                    acc += (int(dn(*point)) * d - n * int(dd(*point))) % P * F[i]
            row.append(acc % P * pow(d * d % P, -1, P) % P)
        return row

    return row_of
