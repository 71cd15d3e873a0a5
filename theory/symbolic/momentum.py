"""Conservation laws of the heavy-ball (momentum) flow: time-dependent laws, discovered and proved.

Marcotte, Gribonval & Peyre, "Keep the momentum: conservation laws beyond Euclidean gradient
flows", ICML 2024 (arXiv 2405.12888).  The heavy-ball flow
:math:`a\\ddot\\theta + b\\dot\\theta = -\\nabla\\mathcal L(\\theta)`, :math:`a, b > 0`, on the phase
space :math:`(\\theta, p)` is :math:`\\dot\\theta = p,\\ \\dot p = -(b p + \\nabla\\mathcal L)/a`.
:math:`\\nabla\\mathcal L` is the one :func:`theory.symbolic.flow.derive_flow` derives: the
gradient-flow velocity :math:`-\\eta_g G_g \\nabla\\mathcal L` of group :math:`g` divided by
:math:`\\eta_g` (a group with a metric :math:`G_g` keeps the force :math:`-G_g\\nabla\\mathcal L`).
For a network spec (:func:`theory.models.network`) the loss is the surrogate
:math:`-\\sum_i G_i g_i(\\theta, x)` with free :math:`G, x`; :math:`\\dot Q` is affine in
:math:`\\nabla\\mathcal L`, so a law for every value of them is a law for every loss and data set.

Ansatz: :math:`Q = \\sum_j c_j m_j(\\theta, p) + E \\sum_k d_k n_k(\\theta, p)`,
:math:`E = e^{(b/a)t}`, :math:`m_j, n_k` the monomials of degree :math:`1..d`.  With
:math:`\\dot E = (b/a) E` and :math:`F` the phase-space field,

.. math::

    \\dot Q = \\sum_j c_j \\nabla m_j\\cdot F + E \\sum_k d_k\\,\\bigl(\\nabla n_k\\cdot F
    + \\tfrac{b}{a} n_k\\bigr).

The first sum does not depend on :math:`t`, the second is :math:`e^{(b/a)t}` times one that does
not, so both vanish: two linear systems, each solved exactly over
:math:`\\mathbb Q(a, b, \\text{constants})` by :func:`theory.symbolic.laws.null_combinations`.
Each law is then proved: :math:`\\partial_t Q + \\nabla Q\\cdot F`, with :math:`E = \\exp(bt/a)`
written out, reduces to 0 in the prover's normal form (:func:`theory.symbolic.zero.symbolic_zero`).

Why (Noether): if :math:`\\mathcal L(e^{sX}\\theta) = \\mathcal L(\\theta)` for an antisymmetric
:math:`X` (an isometry), :math:`\\frac{d}{dt}(e^{(b/a)t} a\\, p^\\top X\\theta) = e^{(b/a)t}(b\\,p^\\top
X\\theta - (b p + \\nabla\\mathcal L)^\\top X\\theta + a\\,p^\\top X p) = 0`.  For :math:`g = U V^\\top x`,
:math:`U \\to U R, V \\to V R` (:math:`R` orthogonal) gives :math:`r(r-1)/2` laws; the other
:math:`r(r+1)/2` directions of :math:`GL(r)` are not isometries, and :math:`U^\\top U - V^\\top V`
is lost: :math:`\\dot h = \\nabla h\\cdot p \\ne 0` for some :math:`p` unless :math:`h(\\theta)` is
constant.  :attr:`MomentumLaws.lost` certifies each loss with a counterexample point.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from .._budget import check as budget_check
from .._progress import say
from ..errors import InvalidArgument
from ..models.spec import ModelSpec
from .flow import derive_flow
from .laws import MAX_UNKNOWNS, check_degree, count_monomials, monomials, null_combinations, polynomial_laws
from .zero import ZeroTest, is_identically_zero, normal_forms, symbolic_zero

__all__ = ["HeavyBall", "LostLaw", "MomentumLaw", "MomentumLaws", "heavy_ball_field", "momentum_laws"]

#: Peak memory and time per entry (row x column) of each dense exact system, measured: linear
#: network 2x2x2 378 x 152 per part, 0.1 GB, 6 s; one head (dim 1, d1 2) 11008 x 152, 2.9 GB, 151 s.
BYTES_PER_ENTRY = 1800
SECONDS_PER_ENTRY = 6e-5

#: Digits of the re-evaluation that confirms a counterexample (the certificate uses 30 to 960).
RECHECK_DIGITS = 60


@dataclass(frozen=True)
class HeavyBall:
    """The heavy-ball system on the phase space.

    Attributes
    ----------
    state : tuple of sympy.Symbol
        :math:`\\theta` (the spec's state order) then the momenta :math:`p` (``p_<name>``).
    field : dict
        Each phase-space variable mapped to its time derivative.
    a, b, t : sympy.Symbol
        Mass, friction (positive) and time.
    constants : frozenset of sympy.Symbol
        The spec's constants together with ``a`` and ``b``.
    """

    state: tuple[sp.Symbol, ...]
    field: dict[sp.Symbol, sp.Expr]
    a: sp.Symbol
    b: sp.Symbol
    t: sp.Symbol
    constants: frozenset[sp.Symbol]

    def derivative(self, quantity: sp.Expr) -> sp.Expr:
        """:math:`\\dot Q = \\partial_t Q + \\sum_v \\partial_v Q\\, F_v` (other symbols are constant)."""
        terms = [sp.diff(quantity, v) * f for v, f in self.field.items() if quantity.has(v)]
        return sp.Add(sp.diff(quantity, self.t), *terms)


def _fresh(name: str, taken: set[str], **assumptions: bool) -> sp.Symbol:
    """A symbol called ``name`` (underscores appended while the name is taken)."""
    while name in taken:
        name += "_"
    taken.add(name)
    return sp.Symbol(name, **assumptions)


def heavy_ball_field(spec: ModelSpec) -> HeavyBall:
    """The first-order heavy-ball system :math:`\\dot\\theta = p,\\ \\dot p = -(b p + \\nabla\\mathcal L)/a`.

    Parameters
    ----------
    spec : ModelSpec

    Returns
    -------
    HeavyBall
        ``a``, ``b``, ``t`` and the momenta get names no symbol of the spec uses.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.models.network import network
    >>> u, v, x = sp.symbols("u v x", real=True)
    >>> hb = heavy_ball_field(network(u * v * x, {"u": [u], "v": [v]}, [x]))
    >>> hb.field[sp.Symbol("p_u", real=True)]
    (G1*v*x - b*p_u)/a
    """
    flow = derive_flow(spec)
    taken = set(spec.symbols) | {s.name for s in spec.loss.free_symbols}
    a = _fresh("a", taken, positive=True)
    b = _fresh("b", taken, positive=True)
    t = _fresh("t", taken, real=True)
    rate = {s: g.rate for g in spec.params for s in g.symbols}
    momenta = [_fresh(f"p_{s.name}", taken, real=True) for s in flow.state]
    field: dict[sp.Symbol, sp.Expr] = dict(zip(flow.state, momenta, strict=True))
    for s, p, velocity in zip(flow.state, momenta, flow.rhs, strict=True):
        field[p] = -(b * p - velocity / rate[s]) / a  # velocity / rate = -G grad L
    return HeavyBall((*flow.state, *momenta), field, a, b, t, frozenset({*spec.constants, a, b}))


@dataclass(frozen=True)
class MomentumLaw:
    """One conservation law of the heavy-ball flow.

    Attributes
    ----------
    quantity : sympy.Expr
        :math:`Q(t, \\theta, p)`, with the factor ``exp(b*t/a)`` written out when time dependent.
    time_dependent : bool
    proved : bool
        :math:`\\dot Q` reduced to 0 in the prover's normal form (a proof, not a sample).
    independent : bool
        Its gradient in :math:`(\\theta, p)` raises the rank of the gradients of the laws before
        it (see :func:`_independence`); a law that does not is a function of those before it
        near a generic point (e.g. a product of two of them).
    """

    quantity: sp.Expr
    time_dependent: bool
    proved: bool
    independent: bool = True


@dataclass(frozen=True)
class LostLaw:
    """A gradient-flow law that the heavy-ball flow does not conserve.

    Attributes
    ----------
    quantity : sympy.Expr
        The gradient-flow law :math:`h(\\theta)`.
    derivative : sympy.Expr
        Its heavy-ball derivative :math:`\\nabla h\\cdot p`.
    test : ZeroTest
        The outcome of :func:`theory.symbolic.zero.is_identically_zero`; ``refuted`` when a
        certified counterexample point was found.
    recheck : sympy.Float or None
        :math:`\\dot h` at the counterexample re-evaluated at :data:`RECHECK_DIGITS` digits.
    """

    quantity: sp.Expr
    derivative: sp.Expr
    test: ZeroTest
    recheck: sp.Expr | None

    @property
    def certified(self) -> bool:
        """Refuted, and the re-evaluation agrees with the certified value to 20 digits."""
        if not self.test.refuted or self.recheck is None or self.test.value is None:
            return False
        value = sp.Float(self.test.value, RECHECK_DIGITS)
        return bool(self.recheck != 0) and bool(abs(self.recheck - value) <= abs(value) * sp.Float(10) ** -20)


@dataclass(frozen=True)
class MomentumLaws:
    """The conservation laws of the heavy-ball flow in the ansatz family, and the lost ones.

    Attributes
    ----------
    model : str
    degree : int
    laws : tuple of MomentumLaw
        A basis of the laws in the family (time-independent first).
    lost : tuple of LostLaw
        The polynomial gradient-flow laws of the same degree, each tested under momentum.
    unknowns : int
        Coefficients :math:`c_j, d_k` in the ansatz.
    equations : int
        Rows of the two linear systems together.
    a, b, t : sympy.Symbol
    """

    model: str
    degree: int
    laws: tuple[MomentumLaw, ...]
    lost: tuple[LostLaw, ...]
    unknowns: int
    equations: int
    a: sp.Symbol
    b: sp.Symbol
    t: sp.Symbol

    def as_dict(self) -> dict:
        """A JSON-ready summary (expressions as strings; exact values as strings)."""
        return {
            "model": self.model,
            "flow": f"{self.a}*theta'' + {self.b}*theta' = -grad L",
            "degree": self.degree,
            "unknowns": self.unknowns,
            "equations": self.equations,
            "laws": [
                {
                    "law": str(q.quantity),
                    "time_dependent": q.time_dependent,
                    "proved": q.proved,
                    "independent": q.independent,
                }
                for q in self.laws
            ],
            "independent": sum(law.independent for law in self.laws),
            "lost": [
                {
                    "law": str(lost.quantity),
                    "conserved_under_momentum": lost.test.zero,
                    "method": lost.test.method,
                    "counterexample": (
                        {str(k): str(v) for k, v in lost.test.point.items()} if lost.test.point is not None else None
                    ),
                    "value": None if lost.test.value is None else str(lost.test.value),
                    "recheck": None if lost.recheck is None else str(sp.N(lost.recheck, 20)),
                    "certified": lost.certified,
                }
                for lost in self.lost
            ],
        }


def _normalised(vector: sp.Matrix, monos: Sequence[sp.Expr]) -> sp.Expr:
    """The combination with its first non-zero coefficient scaled to 1, coefficients factored."""
    coeffs = [sp.factor(sp.together(c)) for c in vector]
    lead = next(c for c in coeffs if c != 0)
    return sp.Add(*(sp.factor(sp.together(c / lead)) * m for c, m in zip(coeffs, monos, strict=True) if c != 0))


def _independence(hb: HeavyBall, laws: Sequence[sp.Expr], seed: int) -> list[bool]:
    """Whether each law's gradient in :math:`(\\theta, p)` raises the rank of those before it.

    Exact gradients at one random positive rational point (:math:`t = 0`: the factor
    :math:`e^{(b/a)t}` only rescales a row), ranked over :math:`\\mathbb Q`.  The rank there is at
    most the generic rank (a law marked independent is so); it is lower only on the zero set of a
    non-zero minor, hit with probability at most its degree over :math:`10^9`, the number of
    numerators drawn from (Schwartz-Zippel).
    """
    rng = random.Random(seed)
    symbols = set().union(*(q.free_symbols for q in laws)) - {hb.t} if laws else set()
    point = {s: sp.Rational(rng.randrange(1, 10**9), rng.randrange(10**9, 10**10) | 1) for s in symbols}
    point[hb.t] = sp.Integer(0)
    rows: list[list[sp.Expr]] = []
    out = []
    rank = 0
    for q in laws:
        rows.append([sp.diff(q, v).xreplace(point) for v in hb.state])
        new = sp.Matrix(rows).rank()
        out.append(new > rank)
        rank = new
    return out


def _rows_bound(exprs: Sequence[sp.Expr], constants: set[sp.Symbol]) -> int:
    """Estimated rows of :func:`~theory.symbolic.laws.null_combinations`: terms times their cofactor's terms.

    A term (up to constant factors) lacking :math:`\\beta^{K-k}` of the common denominator's
    :math:`\\beta^{K}` is multiplied by it: at most :math:`\\binom{n + K - k - 1}{K - k}` monomials,
    :math:`n` the terms of :math:`\\beta` (overlaps make the true count smaller: 2.4x on a head).
    """
    shapes: dict[sp.Expr, dict[sp.Expr, int]] = {}
    for term in (t for e in exprs for t in sp.Add.make_args(e)):
        factors = [f for f in sp.Mul.make_args(term) if not f.free_symbols <= constants]
        powers = (f.as_base_exp() for f in factors)
        shapes.setdefault(sp.Mul(*factors), {b: -int(k) for b, k in powers if k.is_Integer and k < 0})
    top: dict[sp.Expr, int] = {}
    for dens in shapes.values():
        top.update({b: max(top.get(b, 0), k) for b, k in dens.items()})

    def ways(b: sp.Expr, k: int) -> int:
        return math.comb(len(sp.Add.make_args(b)) + k - 1, k)

    return sum(math.prod(ways(b, K - dens.get(b, 0)) for b, K in top.items()) for dens in shapes.values())


def _refute(hb: HeavyBall, law: sp.Expr, seed: int) -> LostLaw:
    """Test a gradient-flow law under momentum; re-evaluate a counterexample at high precision."""
    derivative = sp.expand(hb.derivative(law))
    test = is_identically_zero(derivative, seed=seed, extra=sorted(law.free_symbols, key=sp.default_sort_key))
    recheck = None
    if test.refuted and test.point is not None:
        recheck = sp.N(derivative.xreplace(test.point), RECHECK_DIGITS)
    return LostLaw(law, derivative, test, recheck)


def momentum_laws(spec: ModelSpec, degree: int = 2, *, lost: bool = True, seed: int = 0) -> MomentumLaws:
    """Discover, prove and count the heavy-ball conservation laws of ``spec`` up to ``degree``.

    Parameters
    ----------
    spec : ModelSpec
        Any model (a network output, a custom loss, a named block).
    degree : int
        Largest total degree in :math:`(\\theta, p)` of the monomials :math:`m_j, n_k` (1 to 4).
    lost : bool
        Also derive the gradient-flow laws of the same degree
        (:func:`theory.symbolic.laws.polynomial_laws`) and test each under momentum.
    seed : int
        Seed of the counterexample search.

    Returns
    -------
    MomentumLaws

    Raises
    ------
    InvalidArgument
        A degree outside [1, 4], or an ansatz with more than
        :data:`theory.symbolic.laws.MAX_UNKNOWNS` coefficients (refused with the count).
    BudgetExceeded
        The estimated memory or time (:data:`BYTES_PER_ENTRY`, :data:`SECONDS_PER_ENTRY` times the
        entries of the dense systems, :func:`_rows_bound`) is over the budget of ``theory._budget``.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.models.network import network
    >>> u, v, x = sp.symbols("u v x", real=True)
    >>> found = momentum_laws(network(u * v * x, {"u": [u], "v": [v]}, [x]))
    >>> found.laws, found.lost[0].quantity, found.lost[0].test.refuted   # r = 1: nothing survives
    ((), u**2 - v**2, True)
    """
    check_degree(degree, high=4)
    phase = 2 * len(spec.state)
    per_part = count_monomials(phase, degree)
    if 2 * per_part > MAX_UNKNOWNS:
        raise InvalidArgument(
            f"the degree-{degree} momentum ansatz in {phase} phase-space variables has {2 * per_part} coefficients, "
            f"more than {MAX_UNKNOWNS}; lower the degree or use smaller sizes"
        )
    hb = heavy_ball_field(spec)
    monos = monomials(hb.state, degree)
    say(f"momentum: {2 * len(monos)} coefficients over {len(hb.state)} phase-space variables")
    # The field in the prover's normal form once (exponentials as shared generators, expanded): each
    # grad m . F is then a sum of monomials times expanded entries, not a fresh expansion of the field.
    field = dict(zip(hb.field, normal_forms(list(hb.field.values())), strict=True))
    static = [sp.expand(sp.Add(*(sp.diff(m, v) * field[v] for v in m.free_symbols))) for m in monos]
    entries = _rows_bound(static, set(hb.constants)) * len(monos)
    budget_check(
        f"the momentum ansatz of {spec.name!r} ({2 * len(monos)} coefficients)",
        memory=BYTES_PER_ENTRY * entries,
        seconds=2 * SECONDS_PER_ENTRY * entries,
        detail=f"{entries} matrix entries, {BYTES_PER_ENTRY} B and {SECONDS_PER_ENTRY * 1e6:g} us each",
        reduce="--degree or the sizes",
    )
    rate = hb.b / hb.a
    moving = [sp.expand(d + rate * m) for d, m in zip(static, monos, strict=True)]  # d(E n)/dt = E (n' + b/a n)
    exp_t = sp.exp(hb.b * hb.t / hb.a)
    found: list[sp.Expr] = []
    equations = 0
    for exprs, factor in ((static, sp.Integer(1)), (moving, exp_t)):
        vectors, rows = null_combinations(exprs, set(hb.constants))
        equations += rows
        found += [factor * _normalised(vec, monos) for vec in vectors]
    independent = _independence(hb, found, seed)
    laws = [
        MomentumLaw(q, q.has(hb.t), symbolic_zero(hb.derivative(q)), free)
        for q, free in zip(found, independent, strict=True)
    ]
    say(f"momentum: {len(laws)} laws, {sum(law.proved for law in laws)} proved")
    refuted: list[LostLaw] = []
    if lost:
        for i, law in enumerate(polynomial_laws(derive_flow(spec), degree).laws):
            refuted.append(_refute(hb, law, seed + i))
    return MomentumLaws(spec.name, degree, tuple(laws), tuple(refuted), 2 * len(monos), equations, hb.a, hb.b, hb.t)
