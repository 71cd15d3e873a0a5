"""Discover every polynomial conservation law of a flow up to a degree: exact linear algebra.

An ansatz :math:`Q = \\sum_j c_j m_j(\\theta)` over the monomials :math:`m_j` of degree
:math:`1..d` in the state is conserved iff

.. math::

    \\dot Q = \\sum_j c_j \\, \\nabla m_j \\cdot F(\\theta) \\equiv 0

as a function of the state, the data and the arbitrary-function values.  Each
:math:`\\nabla m_j\\cdot F` is brought to the prover's normal form (exponentials of monomials
as generators, :math:`\\phi'` values as symbols, :mod:`theory.symbolic.zero`), all are put over
one common denominator, and the coefficients of every monomial in those atoms must vanish:
a linear system :math:`A c = 0` whose entries are rational functions of the constants
(learning rates, temperature).  Its null space over :math:`\\mathbb Q(\\text{constants})` is
computed exactly (SymPy ``DomainMatrix``), so the laws may depend on the constants (e.g.
:math:`z_l - \\frac{\\eta_z}{2T\\eta_w} v_l^2`).  The result is a basis of *all* polynomial
laws of degree :math:`\\le d` (Marcotte, Gribonval & Peyre, NeurIPS 2023, sec. 4: the linear
system on the coefficients of a polynomial ansatz).  Each law is then proved by
:func:`theory.symbolic.prove.prove`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.polys.matrices import DomainMatrix

from ..errors import InvalidArgument
from ._laws_modp import modular_laws
from .flow import Flow
from .zero import normal_forms

__all__ = ["MAX_TERMS", "MAX_UNKNOWNS", "PolynomialLaws", "check_degree", "count_monomials", "polynomial_laws"]

#: Largest ansatz (number of monomials) accepted; beyond it the system is refused with an estimate.
MAX_UNKNOWNS = 2000
#: Largest estimated number of expanded terms over the common denominator.
MAX_TERMS = 200_000


@dataclass(frozen=True)
class PolynomialLaws:
    """A basis of the polynomial conservation laws of degree at most ``degree``.

    Attributes
    ----------
    laws : tuple of sympy.Expr
        Linearly independent laws (integer-free primitive form where possible).
    degree : int
    unknowns : int
        Monomials in the ansatz.
    equations : int
        Rows of the linear system (monomials of the atoms; on the modular route of
        :mod:`theory.symbolic._laws_modp`, the random evaluations used).
    """

    laws: tuple[sp.Expr, ...]
    degree: int
    unknowns: int
    equations: int


def monomials(variables: Sequence[sp.Symbol], degree: int) -> list[sp.Expr]:
    """Every monomial of degree ``1..degree`` in ``variables``."""
    out: list[sp.Expr] = []
    for d in range(1, degree + 1):
        out += [sp.Mul(*c) for c in itertools.combinations_with_replacement(variables, d)]
    return out


def check_degree(degree: object, high: int = 6) -> int:
    """``degree`` if it is an integer in ``[1, high]``, else :class:`InvalidArgument` naming it."""
    if isinstance(degree, bool) or not isinstance(degree, int) or not 1 <= degree <= high:
        raise InvalidArgument(f"degree must be an integer in [1, {high}], got {degree!r}")
    return degree


def count_monomials(variables: int, degree: int) -> int:
    """How many monomials of degree ``1..degree`` ``variables`` symbols have (before building them)."""
    return sum(int(sp.binomial(variables + d - 1, d)) for d in range(1, degree + 1))


def _polynomial_atom(a: sp.Expr) -> bool:
    """Whether ``a`` is already fine inside a polynomial: an integer power of a symbol."""
    return isinstance(a, sp.Pow) and a.exp.is_Integer and isinstance(a.base, sp.Symbol)


def _cofactors(denominators: list[sp.Expr]) -> list[sp.Expr]:
    """``C / d_j`` for a common multiple ``C`` of the denominators, expanded.

    ``C`` is the product of every base :math:`b` that occurs in a denominator
    :math:`\\prod b^{e}` to its largest exponent: a common multiple without any polynomial
    gcd (SymPy's ``lcm_list`` expands the powers first, which did not finish in minutes on
    attention heads).  Any common multiple will do: the numerators are only required to vanish.
    """
    powers: list[dict[sp.Expr, int]] = []
    top: dict[sp.Expr, int] = {}
    for den in denominators:
        d: dict[sp.Expr, int] = {}
        for factor in sp.Mul.make_args(den):
            base, exp = factor.as_base_exp()
            if base.is_number:
                continue
            e = int(exp) if exp.is_Integer else 1
            base = base if exp.is_Integer else factor
            d[base] = d.get(base, 0) + e
        powers.append(d)
        for base, e in d.items():
            top[base] = max(top.get(base, 0), e)
    out = []
    for den, d in zip(denominators, powers, strict=True):
        numeric = sp.Mul(*(f for f in sp.Mul.make_args(den) if f.is_number))
        cof = sp.Mul(*(b ** (e - d.get(b, 0)) for b, e in top.items() if e > d.get(b, 0)))
        out.append(sp.expand(cof / numeric))
    return out


def _primitive(law: sp.Expr, monos: Sequence[sp.Expr]) -> sp.Expr:
    """``law`` scaled so that its first monomial (in the ansatz order) has coefficient 1."""
    variables = sorted(set().union(*(m.free_symbols for m in monos)), key=sp.default_sort_key)
    poly = sp.Poly(sp.expand(law), *variables)
    coeffs = [(poly.coeff_monomial(m), m) for m in monos]
    lead = next(c for c, _ in coeffs if c != 0)
    return sp.Add(*(sp.factor(sp.together(c / lead)) * m for c, m in coeffs if c != 0))


def polynomial_laws(
    flow: Flow,
    degree: int = 2,
    *,
    variables: Sequence[sp.Symbol] | None = None,
    max_unknowns: int = MAX_UNKNOWNS,
    max_terms: int = MAX_TERMS,
) -> PolynomialLaws:
    """All polynomial conservation laws of ``flow`` of degree ``1..degree`` in ``variables``.

    Parameters
    ----------
    flow : Flow
    degree : int
        Largest total degree of the ansatz (1 to 6).
    variables : sequence of sympy.Symbol, optional
        State variables the laws may use (default: the whole state).
    max_unknowns : int
        Refuse an ansatz with more monomials than this (with the count, before any work).
    max_terms : int
        Refuse when the numerators over the common denominator would expand to more terms than
        this (estimated from the factors' term counts before expanding): memory, not a guess.

    Returns
    -------
    PolynomialLaws

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.models.network import network
    >>> from theory.symbolic import derive_flow
    >>> u1, u2, v1, v2, x = sp.symbols("u1 u2 v1 v2 x", real=True)
    >>> spec = network(u1 * v1 * x + u2 * v2 * x, {"u": [u1, u2], "v": [v1, v2]}, [x])
    >>> polynomial_laws(derive_flow(spec), 2).laws  # U^T U - V^T V, plus u1 v2 - u2 v1 since r > n, m
    (u1*v2 - u2*v1, u1**2 - v1**2, u1*u2 - v1*v2, u2**2 - v2**2)
    """
    check_degree(degree)
    variables = tuple(flow.state if variables is None else variables)
    unknown = [v for v in variables if v not in set(flow.state)]
    if unknown:
        raise InvalidArgument(f"variables {unknown} are not state variables of the flow")
    n_monos = count_monomials(len(variables), degree)
    if n_monos > max_unknowns:
        raise InvalidArgument(
            f"the degree-{degree} ansatz in {len(variables)} variables has {n_monos} monomials, more than "
            f"max_unknowns={max_unknowns}; lower the degree or pass fewer variables"
        )
    monos = monomials(variables, degree)
    fast = modular_laws(flow, monos)  # proposes over GF(p), every law verified symbolically; else None
    if fast is not None:
        return PolynomialLaws(tuple(_primitive(law, monos) for law in fast[0]), degree, len(monos), fast[1])
    velocity = flow.velocity()
    ders = [sp.Add(*(sp.diff(m, s) * velocity[s] for s in m.free_symbols)) for m in monos]
    vectors, rows = null_combinations(ders, set(flow.spec.constants), max_terms)
    laws: list[sp.Expr] = []
    for vec in vectors:
        law = sp.Add(*(sp.factor(sp.together(c)) * m for c, m in zip(vec, monos, strict=True) if c != 0))
        laws.append(_primitive(law, monos))
    return PolynomialLaws(tuple(laws), degree, len(monos), rows)


def null_combinations(
    exprs: Sequence[sp.Expr], constants: set[sp.Symbol], max_terms: int = MAX_TERMS
) -> tuple[list[sp.Matrix], int]:
    """Every combination :math:`\\sum_j c_j e_j` of ``exprs`` that is identically zero, exactly.

    The expressions are brought to the prover's normal form (exponentials as generators) over one
    common denominator; the coefficient of every monomial in the remaining atoms must vanish, a
    linear system whose null space is computed over :math:`\\mathbb Q(\\text{constants})`.  An atom
    that is not a polynomial one becomes a fresh symbol (treating it as independent can only lose
    combinations, never add a false one).  Returns the null-space vectors (rows) and the number of
    equations.
    """
    forms = normal_forms(list(exprs))
    fractions = [sp.fraction(sp.together(f)) for f in forms]
    cofactors = _cofactors([den for _, den in fractions])
    estimate = sum(
        len(sp.Add.make_args(sp.expand(num))) * len(sp.Add.make_args(cof))
        for (num, _), cof in zip(fractions, cofactors, strict=True)
    )
    if estimate > max_terms:
        raise InvalidArgument(
            f"the exact route would expand about {estimate} terms over a common denominator (limit {max_terms}); "
            "use smaller sizes, a lower degree, or pass fewer variables"
        )
    numerators = [sp.expand(num * cof) for (num, _), cof in zip(fractions, cofactors, strict=True)]
    opaque = sorted(
        {a for e in numerators for a in e.atoms(sp.Function, sp.Pow) if not _polynomial_atom(a)},
        key=sp.default_sort_key,
    )
    if opaque:
        names = {a: sp.Symbol(f"_A{i}") for i, a in enumerate(opaque)}
        numerators = [e.xreplace(names) for e in numerators]
    atoms = sorted(set().union(*(e.free_symbols for e in numerators)) - constants, key=sp.default_sort_key) or [
        sp.Symbol("_one")
    ]
    gens = sorted(constants, key=sp.default_sort_key)
    domain = sp.QQ.frac_field(*gens) if gens else sp.QQ
    # coefficients straight into the domain, entries stored sparsely: converting a dense table of
    # SymPy expressions entry by entry took most of the time and memory on attention heads
    polys = [sp.Poly(e, *atoms, domain=domain) for e in numerators]
    native = [p.rep.to_dict() for p in polys]  # monomial -> coefficient, a domain element
    rows = sorted({m for d in native for m in d})
    index = {m: r for r, m in enumerate(rows)}
    entries: dict[int, dict[int, object]] = {}
    for j, d in enumerate(native):
        for m, coeff in d.items():
            if coeff:
                entries.setdefault(index[m], {})[j] = coeff
    if rows:
        A = DomainMatrix(entries, (len(rows), len(exprs)), domain)
        basis = A.nullspace().to_Matrix()
        vectors = [basis.row(r) for r in range(basis.rows)]
    else:
        vectors = [sp.Matrix([[1 if i == j else 0 for i in range(len(exprs))]]) for j in range(len(exprs))]
    return vectors, len(rows)
