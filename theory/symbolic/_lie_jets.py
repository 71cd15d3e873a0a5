"""Truncated Taylor expansions (k-jets) of lifted rational fields at a point, over GF(p).

The engine behind the bracket closure of rational fields in
:func:`theory.symbolic.lie.count_laws` (:mod:`theory.symbolic._lie_close`).  A field of
:mod:`theory.symbolic._lie_modp` lives on the lifted coordinates :math:`(\\theta, E)`, with
:math:`E_m = e^{\\mu_m}`, :math:`\\mu_m = m/L_m`, and is tangent to every leaf
:math:`E_m\\,e^{-\\mu_m} = \\text{const}`.  Through the random point :math:`(\\theta_0, E_0)` the
leaf is, as a formal power series in :math:`h = \\theta - \\theta_0`,

.. math::

    E_m(h) = E_{0,m}\\, \\exp\\big(\\mu_m(\\theta_0 + h, E(h)) - \\mu_m(\\theta_0, E_0)\\big)

(generators in the tower's order, so :math:`\\mu_m` sees only earlier :math:`E`).  Brackets of
fields tangent to a leaf, restricted to it, are the brackets of the restrictions, and the leaf
is a graph over :math:`\\theta`: so the :math:`\\theta`-components of every bracket at the point
follow from the :math:`\\theta`-components of the fields as power series in the :math:`D`
variables :math:`h` alone, never in the :math:`D + K` lifted ones.  This is a formal identity
(derivations of truncated power series), valid over :math:`\\mathrm{GF}(p)` because every
truncation order :math:`k` used is far below :math:`p` (the exponential series needs
:math:`1/k!`).

A series is stored by homogeneous parts (FLINT ``nmod_mpoly`` in :math:`h`, part :math:`i` of
degree :math:`i`, up to the order :math:`k`): a truncated product then multiplies only the pairs
of parts whose degrees add up to at most :math:`k`, where one product of whole polynomials
would build every term up to degree :math:`2k` and throw most away.  Inverse and exponential
follow the degree recurrences
:math:`t_n = -c^{-1} \\sum_{i=1}^{n} s_i t_{n-i}` for :math:`t = 1/s`, :math:`c = s_0`, and
:math:`n e_n = \\sum_{i=1}^{n} i\\, u_i e_{n-i}` for :math:`e = \\exp(u)`, :math:`u_0 = 0` (Euler's
operator :math:`\\sum_j h_j\\partial_j` applied to :math:`e' = u' e`).

Why not bracket the rational fields exactly: each bracket multiplies denominators
(:math:`\\delta_a^2\\delta_b^2`), and the lifted softmax fields already have numerators of
thousands of terms in :math:`D + K` variables; a bracket's value at the point needs only a finite
jet, and a depth-:math:`t` bracket needs :math:`(t-1)`-jets of the depth-1 fields.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from . import _lie_modp as modp

__all__ = ["Jets", "Series", "bracket", "jet_size"]

P = modp.P


def _const(p: modp.Poly) -> int:
    """The value of a constant polynomial."""
    return 0 if p.is_zero() else int(p.coeffs()[0]) % P


def jet_size(variables: int, order: int) -> int:
    """Coefficients of one series: the monomials of degree at most ``order`` in ``variables``."""
    return int(sp.binomial(variables + order, order))


class Series:
    """A power series in :math:`h` truncated after degree ``order``: ``parts[i]`` is homogeneous of degree ``i``."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[modp.Poly]) -> None:
        self.parts = parts

    @property
    def order(self) -> int:
        return len(self.parts) - 1

    def value(self) -> int:
        return _const(self.parts[0])

    def is_zero(self) -> bool:
        return all(p.is_zero() for p in self.parts)

    def __add__(self, other: Series) -> Series:
        n = min(self.order, other.order) + 1
        return Series([a + b for a, b in zip(self.parts[:n], other.parts[:n], strict=True)])

    def __sub__(self, other: Series) -> Series:
        n = min(self.order, other.order) + 1
        return Series([a - b for a, b in zip(self.parts[:n], other.parts[:n], strict=True)])

    def scale(self, c: int) -> Series:
        return Series([p * c for p in self.parts])

    def __mul__(self, other: Series) -> Series:
        k = min(self.order, other.order)
        a, b = self.parts, other.parts
        nz_a = [i for i in range(k + 1) if not a[i].is_zero()]
        nz_b = [j for j in range(k + 1) if not b[j].is_zero()]
        out = [a[0] * 0 for _ in range(k + 1)]
        for i in nz_a:
            for j in nz_b:
                if i + j > k:
                    break
                out[i + j] += a[i] * b[j]
        return Series(out)

    def inverse(self) -> Series:
        c = self.value()
        if c == 0:  # the point lies on a denominator's zero set: draw another point
            raise modp.Refine({})
        ci = pow(c, -1, P)
        s, t = self.parts, [s0 * 0 + ci for s0 in self.parts[:1]]
        for n in range(1, self.order + 1):
            acc = s[0] * 0
            for i in range(1, n + 1):
                if not s[i].is_zero():
                    acc += s[i] * t[n - i]
            t.append(acc * (P - ci))
        return Series(t)

    def power(self, m: int) -> Series:
        base = self if m > 0 else self.inverse()
        m = abs(m)
        out: Series | None = None
        while m:
            if m & 1:
                out = base if out is None else out * base
            m >>= 1
            if m:
                base = base * base
        assert out is not None
        return out

    def exp(self) -> Series:
        """:math:`\\exp` of a series without constant term."""
        u = self.parts
        e = [u[0] * 0 + 1]
        for n in range(1, self.order + 1):
            acc = u[0] * 0
            for i in range(1, n + 1):
                if not u[i].is_zero():
                    acc += u[i] * e[n - i] * i
            e.append(acc * pow(n, -1, P))
        return Series(e)

    def derivative(self, j: int) -> Series:
        """:math:`\\partial_{h_j}`: one order lost."""
        return Series([p.derivative(j) for p in self.parts[1:]])

    def linear(self, n: int) -> list[int]:
        """The coefficients of :math:`h_0, \\dots, h_{n-1}` (the Jacobian row at the point)."""
        row = [0] * n
        if self.order >= 1:
            for mono, c in self.parts[1].to_dict().items():
                row[mono.index(1)] = int(c) % P
        return row


class Jets:
    """Jets of order ``order`` of the :math:`\\theta`-components of lifted fields at ``point``.

    Parameters
    ----------
    lifted : Lift
        The lift whose generator table (complete: the fields were converted once) is used.
    point : sequence of int
        :math:`(\\theta_0, E_0)` in GF(p), state first.
    order : int
        Truncation order :math:`k`.
    """

    def __init__(self, lifted: modp.Lift, point: Sequence[int], order: int) -> None:
        import flint

        self.lifted, self.order, self.D = lifted, order, lifted.D
        self.ctx = flint.nmod_mpoly_ctx.get(("h", max(self.D, 1)), modulus=P)
        zero = self.ctx.constant(0)
        self.zeros = [zero] * (order + 1)
        gens = self.ctx.gens()
        self.vars = [self._shifted(point[i], gens[i]) for i in range(self.D)]
        self.e0 = list(point[self.D :])
        # delta_m = mu_m(theta_0 + h, E(h)) - mu_m(theta_0, E_0), tower order; E_m(h) = E_0m exp(delta_m)
        self.deltas: list[Series] = []
        coordinates = dict(zip(lifted.state, self.vars, strict=True))
        for k, (m, L) in enumerate(lifted.table.items()):
            mu = self._convert(m / L, {}, coordinates, {})
            self.deltas.append(mu - self.constant(mu.value()))
            coordinates[lifted.esyms[k]] = self.deltas[-1].exp().scale(self.e0[k])
        self.coordinates = coordinates

    def constant(self, c: int) -> Series:
        return Series([self.zeros[0] + c, *self.zeros[1:]])

    def _shifted(self, c: int, h: modp.Poly) -> Series:
        return Series([self.zeros[0] + c, h, *self.zeros[2:]][: self.order + 1])

    def field(self, rhs: Sequence[sp.Expr], values: dict[sp.Symbol, sp.Rational]) -> list[Series]:
        """The jets of ``rhs`` (the :math:`\\theta`-components) with the data at ``values``."""
        memo: dict[sp.Basic, Series] = {}
        return [self._convert(r, values, self.coordinates, memo) for r in rhs]

    def _convert(self, e: sp.Basic, values: dict, coordinates: dict, memo: dict) -> Series:
        if e in memo:
            return memo[e]
        if e.is_Rational:
            out = self.constant(modp.modp(sp.Rational(e)))
        elif isinstance(e, sp.Symbol):
            if e in coordinates:
                out = coordinates[e]
            elif e in values:
                out = self.constant(modp.modp(values[e]))
            else:
                raise modp.NotLiftable(f"no value for {e}")
        elif isinstance(e, sp.Add):
            terms = [self._convert(a, values, coordinates, memo) for a in e.args]
            out = terms[0]
            for t in terms[1:]:
                out = out + t
        elif isinstance(e, sp.Mul):
            factors = [self._convert(a, values, coordinates, memo) for a in e.args]
            out = factors[0]
            for f in factors[1:]:
                out = out * f
        elif isinstance(e, sp.Pow) and e.exp.is_Integer:
            out = self._convert(e.base, values, coordinates, memo).power(int(e.exp))
        elif isinstance(e, sp.exp):
            out = self._exp(e.args[0], values)
        else:
            raise modp.NotLiftable(f"{type(e).__name__} is not rational in the state and exponentials")
        memo[e] = out
        return out

    def _exp(self, arg: sp.Expr, values: dict) -> Series:
        """``exp(arg) = prod_m E_m^{c_m}`` on the leaf: :math:`\\prod E_{0,m}^{c_m} \\exp(\\sum c_m\\delta_m)`."""
        lifted = self.lifted
        exact = arg.xreplace({s: v for s, v in values.items() if s in arg.free_symbols})
        exact = exact.replace(
            lambda e: isinstance(e, sp.exp),
            lambda e: sp.Mul(*(lifted.esyms[k] ** p for k, p in lifted._powers(e.args[0]))),
        )
        scale, total = 1, Series(list(self.zeros))
        for k, power in lifted._powers(exact):
            scale = scale * pow(self.e0[k], power, P) % P
            total = total + self.deltas[k].scale(power % P)
        return total.exp().scale(scale)


def bracket(a: list[Series], b: list[Series]) -> list[Series]:
    """:math:`[a, b]_i = \\sum_j a_j \\partial_j b_i - b_j \\partial_j a_i`, one order below the lower of the two."""
    order = min(a[0].order, b[0].order) - 1
    out = []
    for i in range(len(a)):
        acc = Series([p * 0 for p in a[i].parts[: order + 1]])
        for j in range(len(a)):
            if not a[j].is_zero():
                d = b[i].derivative(j)
                if not d.is_zero():
                    acc = acc + a[j] * d
            if not b[j].is_zero():
                d = a[i].derivative(j)
                if not d.is_zero():
                    acc = acc - b[j] * d
        out.append(acc)
    return out
