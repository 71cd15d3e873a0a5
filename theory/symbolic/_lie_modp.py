"""Vector fields as rational functions over GF(p), lifted through exponential generators.

The engine behind :func:`theory.symbolic.lie.count_laws` when the flow is rational in the state
and in exponentials of polynomials of the state (polynomial, ReLU-free linear, softmax, exp,
tanh / sigmoid / SiLU models).  Written on FLINT's sparse multivariate polynomials over
:math:`\\mathrm{GF}(p)` (python-flint ``nmod_mpoly`` and ``nmod_mat``): SymPy's own polynomial
rings evaluate a polynomial at a point one variable at a time and were 100x slower here.

The lift.  Each exponential in the flow is rewritten as a product of integer powers of
generators :math:`E_m = e^{m/L_m}`, one per monomial :math:`m` of the state that occurs in an
exponent (:math:`L_m` clears every rational coefficient of :math:`m`, as in
:func:`theory.symbolic.zero.normal_forms`).  On :math:`(\\theta, E)` the field
:math:`F(\\theta)` becomes the rational field

.. math::

    \\tilde F(\\theta, E) = \\Big(F(\\theta, E),\\; E_m \\, \\nabla\\!\\big(\\tfrac{m}{L_m}\\big)\\cdot F\\Big)_m ,

tangent to the graph :math:`E = e^{m/L}` and equal to :math:`F` there; brackets of tangent
fields restricted to the graph are the brackets of the restrictions.  A minor of the
:math:`\\theta`-components of lifted brackets is a rational function of :math:`(\\theta, E)`;
because exponentials of distinct non-constant monomials are algebraically independent over
:math:`\\mathbb C(\\theta)` (Ax, "On Schanuel's conjectures", Ann. Math. 1971), it vanishes on
the graph only if it vanishes identically.  So the generic rank on the graph is the generic rank
over :math:`\\mathbb Q(\\theta, E)`, and a random point of :math:`\\mathrm{GF}(p)^{D+K}` finds it
except with probability at most (degree of the minor)/:math:`p` (Schwartz-Zippel).

Data that occur inside an exponent take small non-zero integer values (and constants there small
integers), so exponents stay integer powers of the generators; any other data take random
rationals.  Sampling data from a subset can only lower the rank found: the count stays an upper
bound on the number of laws.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

#: A FLINT ``nmod_mpoly`` (python-flint ships no type stubs).
Poly = Any
#: A FLINT ``nmod_mat``.
Mat = Any

__all__ = [
    "Field",
    "Lift",
    "NotLiftable",
    "P",
    "Refine",
    "atoms",
    "data_values",
    "lift",
    "modp",
    "random_rational",
    "small_integer",
]

#: The prime of the arithmetic: the 61-bit Mersenne prime.
P = 2**61 - 1


class NotLiftable(ValueError):
    """The flow is not rational in the state and exponentials of its polynomials."""


def modp(q: sp.Rational) -> int:
    """A rational number in GF(P)."""
    if q.q % P == 0:
        raise NotLiftable("a denominator divisible by the prime")
    return int(q.p) % P * pow(int(q.q) % P, -1, P) % P


@dataclass
class Field:
    """A vector field ``nums[i] / den`` on the lifted coordinates (state first, then generators)."""

    nums: list[Poly]
    den: Poly

    def values(self, point: Sequence[int]) -> list[int]:
        inv = pow(int(self.den(*point)) % P, -1, P)
        return [int(c(*point)) * inv % P if not c.is_zero() else 0 for c in self.nums]


def matrix(rows: int, cols: int, entries: list[int]) -> Mat:
    """A ``rows x cols`` matrix over GF(P) (FLINT ``nmod_mat``), row by row."""
    import flint

    return flint.nmod_mat(rows, cols, entries, P)


def _gens_of(poly: Poly) -> list[int]:
    return [j for j, d in enumerate(poly.degrees()) if d]


class Refine(Exception):
    """A conversion met a generator that the table lacks: add it and start again."""

    def __init__(self, updates: dict[sp.Expr, int]) -> None:
        super().__init__(f"{len(updates)} new generators")
        self.updates = updates


class Lift:
    """The lifted coordinates of one flow: the FLINT context, generators, and conversions.

    ``table`` maps each generator's monomial (in the state and the symbols of earlier
    generators, ``_E0, _E1, ...``) to :math:`L_m`; its order is the tower's order.
    """

    def __init__(self, state: list[sp.Symbol], table: dict[sp.Expr, int]) -> None:
        self.state, self.table = state, dict(table)
        self.esyms = [sp.Symbol(f"_E{k}", positive=True) for k in range(len(table))]
        self.lifted = [*state, *self.esyms]
        self.D, self.K = len(state), len(table)
        self.n = self.D + self.K
        import flint  # lazily: ``theory list`` and other quick commands never pay for FLINT

        self.ctx = flint.nmod_mpoly_ctx.get(("x", self.n), modulus=P)
        self.gens = self.ctx.gens()
        self.one, self.zero = self.ctx.constant(1), self.ctx.constant(0)
        self.index = {s: i for i, s in enumerate(state)}
        self.by_monomial = {m: (k, L) for k, (m, L) in enumerate(self.table.items())}
        self._powers_memo: dict[sp.Expr, list[tuple[int, int]]] = {}
        # d(m/L)/dy for the lifted coordinates y the monomial contains: the generators' velocities
        self.exponent_grads = [
            [(j, self._poly(sp.diff(m, y) / L)) for j, y in enumerate(self.lifted) if m.has(y)]
            for m, L in self.table.items()
        ]

    # ------------------------------------------------------------------ conversion

    def _poly(self, e: sp.Expr) -> Poly:
        """A polynomial in the state with rational coefficients, as an element of the context."""
        poly = sp.Poly(e, *self.lifted, domain=sp.QQ)
        terms = poly.terms()
        return self.ctx.from_dict({m: modp(sp.Rational(c)) for m, c in terms}) if terms else self.zero

    def field(self, rhs: Sequence[sp.Expr], values: dict[sp.Symbol, sp.Rational]) -> Field:
        """The lifted field of ``rhs`` with its data and constants at ``values``."""
        memo: dict[sp.Basic, tuple[Poly, Poly]] = {}
        comps = [self._convert(r, values, memo) for r in rhs]
        for k, grads in enumerate(self.exponent_grads):
            acc = (self.zero, self.one)
            for j, g in grads:
                num, den = comps[j]
                acc = _radd(acc, (g * num, den))
            comps.append((self.gens[self.D + k] * acc[0], acc[1]))
        den = self.one
        for _, d in comps:
            den = _lcm(den, d)
        return Field([num * (den // d) for num, d in comps], den)

    def convert(self, e: sp.Expr) -> tuple[Poly, Poly]:
        """``e`` (rational in the state and exponentials, no data) as numerator and denominator."""
        return self._convert(e, {}, {})

    def _convert(self, e: sp.Basic, values: dict, memo: dict) -> tuple[Poly, Poly]:
        if e in memo:
            return memo[e]
        if e.is_Rational:
            out = (self.ctx.constant(modp(sp.Rational(e))), self.one)
        elif isinstance(e, sp.Symbol):
            if e in self.index:
                out = (self.gens[self.index[e]], self.one)
            elif e in values:
                out = (self.ctx.constant(modp(values[e])), self.one)
            else:
                raise NotLiftable(f"no value for {e}")
        elif isinstance(e, sp.Add):
            out = (self.zero, self.one)
            for a in e.args:
                out = _radd(out, self._convert(a, values, memo))
        elif isinstance(e, sp.Mul):
            num, den = self.one, self.one
            for a in e.args:
                n, d = self._convert(a, values, memo)
                num, den = num * n, den * d
            out = _reduce(num, den)
        elif isinstance(e, sp.Pow) and e.exp.is_Integer:
            n, d = self._convert(e.base, values, memo)
            k = int(e.exp)
            if k < 0:
                if n.is_zero():
                    raise NotLiftable("division by zero")
                n, d, k = d, n, -k
            out = (n**k, d**k)
        elif isinstance(e, sp.exp):
            out = self._exp(e.args[0], values)
        else:
            raise NotLiftable(f"{type(e).__name__} is not rational in the state and exponentials")
        memo[e] = out
        return out

    def _powers(self, arg: sp.Expr) -> list[tuple[int, int]]:
        """``exp(arg)`` as ``[(generator index, integer power)]``; :class:`Refine` names missing generators."""
        if arg not in self._powers_memo:  # the same exponents recur across the fields' data draws
            self._powers_memo[arg] = self._powers_of(arg)
        return self._powers_memo[arg]

    def _terms(self, arg: sp.Expr) -> dict[sp.Expr, sp.Rational]:
        """``arg`` as ``{monomial: rational coefficient}`` (``sp.Poly`` over all D + K coordinates was slow)."""
        lifted = set(self.lifted)
        out: dict[sp.Expr, sp.Rational] = {}
        for term in sp.Add.make_args(sp.expand(arg)):
            c, m = term.as_coeff_Mul()
            powers = m.as_powers_dict() if m != 1 else {}
            monomial = all(b in lifted and e.is_Integer and e > 0 for b, e in powers.items())
            if not (isinstance(c, sp.Rational) and monomial):
                raise NotLiftable(f"exponent {arg} is not a polynomial of the state and generators")
            out[m] = out.get(m, sp.Integer(0)) + c
        return {m: c for m, c in out.items() if c != 0}

    def _powers_of(self, arg: sp.Expr) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        updates: dict[sp.Expr, int] = {}
        for m, c in self._terms(arg).items():
            if m == 1:
                raise NotLiftable(f"exponent {arg} has a constant term")
            L, q = self.table.get(m, 1), sp.Rational(c)
            if m not in self.table or not (q * L).is_Integer:
                updates[m] = math.lcm(L, int(q.q))
            else:
                out.append((self.by_monomial[m][0], int(q * L)))
        if updates:
            raise Refine(updates)
        return out

    def _exp(self, arg: sp.Expr, values: dict) -> tuple[Poly, Poly]:
        """``exp(arg)`` as a quotient of products of generators (inner exponentials rewritten first)."""
        exact = arg.xreplace({s: v for s, v in values.items() if s in arg.free_symbols})
        exact = exact.replace(
            lambda e: isinstance(e, sp.exp),
            lambda e: sp.Mul(*(self.esyms[k] ** p for k, p in self._powers(e.args[0]))),
        )
        num, den = self.one, self.one
        for k, power in self._powers(exact):
            g = self.gens[self.D + k] ** abs(power)
            num, den = (num * g, den) if power > 0 else (num, den * g)
        return num, den

    # ------------------------------------------------------------------ calculus at a point

    def jacobian(self, f: Field, point: Sequence[int]) -> list[list[int]]:
        """:math:`\\partial_j (N_i/\\delta)` at ``point``: ``(dN delta - N d delta) / delta^2``."""
        dv = int(f.den(*point)) % P
        inv = pow(dv, -1, P)
        inv2 = inv * inv % P
        dden = [0] * self.n
        for j in _gens_of(f.den):
            dden[j] = int(f.den.derivative(j)(*point)) % P
        rows = []
        for c in f.nums:
            row = [0] * self.n
            if not c.is_zero():
                cv = int(c(*point)) % P
                for j in _gens_of(c):
                    row[j] = int(c.derivative(j)(*point)) * dv % P
                if any(dden):
                    row = [(r - cv * dd) % P for r, dd in zip(row, dden, strict=True)]
            rows.append([r * inv2 % P for r in row])
        return rows

    def bracket(self, a: Field, b: Field) -> Field:
        """``[a, b] = (Db) a - (Da) b`` as a rational field, reduced by the common gcd."""
        A, B, al, be = a.nums, b.nums, a.den, b.den

        def directional(target: Poly, along: list) -> Poly:
            acc = self.zero
            for j in _gens_of(target):
                if not along[j].is_zero():
                    acc += along[j] * target.derivative(j)
            return acc

        jba = [directional(bi, A) for bi in B]
        jab = [directional(ai, B) for ai in A]
        if al.is_one() and be.is_one():
            return Field([x - y for x, y in zip(jba, jab, strict=True)], self.one)
        ga, gb = directional(al, B), directional(be, A)
        if al == be:
            nums = [al * (x - y) - bi * gb + ai * ga for x, y, ai, bi in zip(jba, jab, A, B, strict=True)]
            den = al**3
        else:
            nums = [
                al * be * (x - y) - al * bi * gb + be * ai * ga for x, y, ai, bi in zip(jba, jab, A, B, strict=True)
            ]
            den = al**2 * be**2
        g = den
        for c in nums:
            if g.is_constant():
                break
            if not c.is_zero():
                g = g.gcd(c)
        if not g.is_constant():
            nums, den = [c // g for c in nums], den // g
        return Field(nums, den)


def _reduce(num: Poly, den: Poly) -> tuple[Poly, Poly]:
    if den.is_constant():
        return num, den
    g = num.gcd(den)
    return (num, den) if g.is_constant() else (num // g, den // g)


def _radd(x: tuple[Poly, Poly], y: tuple[Poly, Poly]) -> tuple[Poly, Poly]:
    (n1, d1), (n2, d2) = x, y
    if n1.is_zero():
        return y
    if n2.is_zero():
        return x
    if d1 == d2:
        return _reduce(n1 + n2, d1)
    g = d1.gcd(d2)
    e1, e2 = d1 // g, d2 // g
    return _reduce(n1 * e2 + n2 * e1, e1 * d2)


def _lcm(a: Poly, b: Poly) -> Poly:
    if b.is_constant():
        return a
    if a.is_constant() or a == b:
        return b
    return a * (b // a.gcd(b))


def random_rational(rng: random.Random, positive: bool) -> sp.Rational:
    """A random rational with a 9-digit numerator and denominator (signed unless ``positive``)."""
    q = sp.Rational(rng.randrange(1, 10**9), rng.randrange(10**8, 10**9))
    return q if positive or rng.random() < 0.5 else -q


def data_values(
    values: dict[sp.Symbol, sp.Rational],
    sampled: Sequence[sp.Symbol],
    exp_data: Sequence[sp.Symbol],
    rng: random.Random,
) -> dict[sp.Symbol, sp.Rational]:
    """``values`` plus a draw of every sampled datum: small integers inside exponents, else rationals."""
    inside = set(exp_data)
    out = dict(values)
    for s in sampled:
        positive = bool(s.is_positive)
        out[s] = small_integer(rng, positive) if s in inside else random_rational(rng, positive)
    return out


def small_integer(rng: random.Random, positive: bool) -> sp.Integer:
    v = rng.randint(1, 3)
    return sp.Integer(v if positive or rng.random() < 0.5 else -v)


def atoms(expr: sp.Basic, *types: type) -> set[sp.Basic]:
    """``expr.atoms(*types)`` visiting each distinct subexpression once (SymPy's walks the tree:
    31 million nodes for the d1 = 2, dim = 3 head's shared softmax terms)."""
    seen, found, stack = set(), set(), [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, types):
            found.add(e)
        for a in e.args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return found


def lift(
    rhs: Sequence[sp.Expr],
    state: list[sp.Symbol],
    data: list[sp.Symbol],
    constants: list[sp.Symbol],
    rng: random.Random,
) -> tuple[list[sp.Expr], dict[sp.Symbol, sp.Rational], list[sp.Symbol]]:
    """Prepare a flow for the lift: right-hand sides, constants' values, data inside exponents.

    Hyperbolic functions become exponentials.  Constants inside an exponent take small positive
    integer values, other constants random rationals; the data symbols that occur inside an
    exponent are returned (they must take small integer values).  The generators themselves are
    found while fields are converted (:class:`Refine`).
    """
    bundle = sp.Tuple(*rhs)
    hyperbolic = [f for f in atoms(bundle, sp.tanh, sp.sinh, sp.cosh) if f.args[0].free_symbols]
    if hyperbolic:
        bundle = bundle.xreplace({f: f.rewrite(sp.exp) for f in hyperbolic})
    exps = atoms(bundle, sp.exp)
    inside = set().union(*(e.args[0].free_symbols for e in exps)) - set(state) if exps else set()
    free = inside - set(data) - set(constants)
    if free:
        raise NotLiftable(f"symbols {sorted(map(str, free))} inside exponents have no value")
    values: dict[sp.Symbol, sp.Rational] = {}
    for c in constants:
        if c in inside:
            values[c] = small_integer(rng, True)
        else:
            values[c] = random_rational(rng, bool(c.is_positive))
    exp_data = sorted((s for s in inside if s in set(data)), key=sp.default_sort_key)
    return list(bundle), values, exp_data
