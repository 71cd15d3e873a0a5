"""Conservation laws beyond polynomials: the exponential and quotient ansatz families.

:func:`theory.symbolic.laws.polynomial_laws` searches :math:`Q = \\sum_j c_j m_j(\\theta)` over
monomials.  Attention models have laws outside that span, and :func:`ansatz_laws` widens the
basis with two families before solving the same exact linear system
(:func:`theory.symbolic.laws.null_combinations`: :math:`\\dot Q \\equiv 0` coefficient by
coefficient over :math:`\\mathbb Q(\\text{constants})`):

``exp``
    :math:`e^{\\ell(\\theta)}\\,m(\\theta)` for every *logit* :math:`\\ell` of the model (the
    state-dependent part of the argument of an exponential in its loss, when it does not depend
    on the data; a law must be a function of the parameters alone) and every monomial
    :math:`m` of degree :math:`< d` (and :math:`m = 1`).  Exponentials of constants
    (:math:`e^{-s_0}`) are renamed to fresh positive constants :math:`K_j` before the solve, so
    a law may carry them as coefficients (the Lu et al. identity's :math:`\\tfrac2m e^{s_t-s_0}`),
    and mapped back afterwards.  The derivatives reach the prover's normal form, where the
    exponentials of monomials become generators (:mod:`theory.symbolic.zero`).
``quotient``
    :math:`m(\\theta)/D(\\theta)` for denominators :math:`D` the model has: the factors of the
    flow's denominators that depend on the state alone, and each state variable (for which the
    numerator monomials avoid that variable, so no polynomial is repeated).

Renaming :math:`e^{c}` to an independent :math:`K` can only lose laws, never add a false one
(a combination vanishing for every :math:`K` vanishes at :math:`K = e^{c}`), and every law is
proved by the prover afterwards in :func:`theory.checks.discover`.  The polynomial family alone
keeps the fast modular route of :func:`~theory.symbolic.laws.polynomial_laws`.

References
----------
Marcotte, Gribonval & Peyre, "Abide by the law and follow the flow", NeurIPS 2023 (the linear
system on an ansatz's coefficients); Lu, Mao & Nayak, ICLR 2021 (the score/embedding identity,
the exponential family's target).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from ..errors import InvalidArgument
from ._laws_modp import modular_laws
from .flow import Flow
from .laws import (
    MAX_TERMS,
    MAX_UNKNOWNS,
    check_degree,
    count_monomials,
    monomials,
    null_combinations,
    polynomial_laws,
)

__all__ = ["FAMILIES", "AnsatzLaws", "ansatz_laws", "logits", "model_denominators"]

#: The ansatz families :func:`ansatz_laws` knows.
FAMILIES = ("polynomial", "exp", "quotient")
#: At most this many denominators enter the quotient family (the basis grows with each).
_MAX_DENOMINATORS = 8


@dataclass(frozen=True)
class AnsatzLaws:
    """A basis of the conservation laws inside an ansatz.

    Attributes
    ----------
    laws : tuple of sympy.Expr
        Linearly independent laws (as functions: every one is in the ansatz's span).
    degree : int
        Largest monomial degree.
    families : tuple of str
        The families of the basis (``polynomial`` always included).
    unknowns : int
        Basis functions of the ansatz.
    equations : int
        Rows of the linear system.
    """

    laws: tuple[sp.Expr, ...]
    degree: int
    families: tuple[str, ...]
    unknowns: int
    equations: int


def _split(arg: sp.Expr, constants: set[sp.Symbol]) -> tuple[sp.Expr, sp.Expr]:
    """``arg`` as (constant part, the rest): terms in the constants alone go to the first."""
    const, rest = sp.Integer(0), sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(arg)):
        if term.free_symbols <= constants:
            const += term
        else:
            rest += term
    return const, rest


def logits(flow: Flow) -> list[sp.Expr]:
    """The model's logits: state-dependent, data-free parts of the exponents in its loss.

    Examples
    --------
    >>> from theory.models.lu import lu_classifier
    >>> from theory.symbolic.flow import derive_flow
    >>> logits(derive_flow(lu_classifier()))
    [kt1*q1 + kt2*q2]
    """
    state = set(flow.state)
    allowed = state | set(flow.spec.constants)
    found: set[sp.Expr] = set()
    for e in flow.spec.loss.atoms(sp.exp):
        _, rest = _split(e.args[0], set(flow.spec.constants))
        if rest.free_symbols & state and rest.free_symbols <= allowed:
            found.add(rest)
    return sorted(found, key=sp.default_sort_key)


def model_denominators(flow: Flow) -> list[sp.Expr]:
    """Denominators of the quotient family: the flow's state-only denominator factors, then the state.

    Each velocity component is put over a common denominator; the irreducible factors of it that
    depend on the state and on nothing but state and constants are kept (at most 8 in all).
    """
    state = set(flow.state)
    allowed = state | set(flow.spec.constants)
    factors: list[sp.Expr] = []
    for rhs in flow.rhs:
        _, den = sp.fraction(sp.together(rhs))
        for base in sp.Mul.make_args(den):
            base = base.as_base_exp()[0]
            gens = sorted(base.free_symbols & state, key=sp.default_sort_key)
            if gens and base.free_symbols <= allowed and base.is_polynomial(*gens):
                if base not in factors and len(factors) < _MAX_DENOMINATORS:
                    factors.append(base)
    return factors + [s for s in flow.state if s not in factors][: max(0, _MAX_DENOMINATORS - len(factors))]


def _basis(flow: Flow, degree: int, families: Sequence[str]) -> list[sp.Expr]:
    state = list(flow.state)
    basis = monomials(state, degree)
    if "exp" in families:
        lower = [sp.Integer(1), *monomials(state, degree - 1)] if degree > 1 else [sp.Integer(1)]
        basis += [sp.exp(ell) * m for ell in logits(flow) for m in lower]
    if "quotient" in families:
        for den in model_denominators(flow):
            numerators = [sp.Integer(1), *monomials(state, degree)]
            if den.is_Symbol:
                numerators = [m for m in numerators if den not in m.free_symbols]
            basis += [m / den for m in numerators]
    return basis


def _renamed(exprs: list[sp.Expr], constants: set[sp.Symbol]) -> tuple[list[sp.Expr], dict[sp.Symbol, sp.Expr]]:
    """Exponentials of constants as fresh positive constants ``K_j`` (and the map back)."""
    names: dict[sp.Expr, sp.Symbol] = {}

    def rewrite(e: sp.Expr) -> sp.Expr:
        const, rest = _split(e.args[0], constants)
        if const == 0:
            return e
        if const not in names:
            names[const] = sp.Symbol(f"_K{len(names)}", positive=True)
        return names[const] * sp.exp(rest)

    out = [e.replace(lambda a: isinstance(a, sp.exp), rewrite) for e in exprs]
    return out, {k: sp.exp(c) for c, k in names.items()}


def ansatz_laws(
    flow: Flow,
    degree: int = 2,
    families: Sequence[str] = ("polynomial",),
    *,
    max_unknowns: int = MAX_UNKNOWNS,
    max_terms: int = MAX_TERMS,
) -> AnsatzLaws:
    """Every conservation law of ``flow`` in the span of the ansatz families, exactly.

    Parameters
    ----------
    flow : Flow
    degree : int
        Largest monomial degree (1 to 6); the exponential family multiplies
        :math:`e^{\\ell}` by monomials of degree :math:`< d`.
    families : sequence of {"polynomial", "exp", "quotient"}
        Families of the basis; the polynomial monomials are always in it.
    max_unknowns, max_terms : int
        Limits of the linear system (see :func:`theory.symbolic.laws.polynomial_laws`).

    Returns
    -------
    AnsatzLaws

    Examples
    --------
    The Lu et al. model: the key's component across :math:`q` is conserved, and the third law
    carries :math:`e^{s_t}` (the identity, up to that linear law):

    >>> from theory.models.lu import lu_classifier
    >>> from theory.symbolic.flow import derive_flow
    >>> found = ansatz_laws(derive_flow(lu_classifier()), 2, ("exp",))
    >>> len(found.laws), [law.has(sp.exp) for law in found.laws]
    (3, [False, False, True])
    """
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise InvalidArgument(f"unknown ansatz family {unknown[0]!r}; expected some of: {', '.join(FAMILIES)}")
    fams = ("polynomial", *sorted({f for f in families if f != "polynomial"}, key=FAMILIES.index))
    if fams == ("polynomial",):
        found = polynomial_laws(flow, degree, max_unknowns=max_unknowns, max_terms=max_terms)
        return AnsatzLaws(found.laws, degree, fams, found.unknowns, found.equations)
    n_monos = count_monomials(len(flow.state), check_degree(degree))
    if n_monos * (1 + len(fams)) > max_unknowns:  # before building anything
        raise InvalidArgument(
            f"the degree-{degree} ansatz with families {', '.join(fams)} has about {n_monos * (1 + len(fams))} "
            f"basis functions, more than max_unknowns={max_unknowns}; lower the degree or use fewer families"
        )
    basis = _basis(flow, degree, fams)
    if len(basis) > max_unknowns:
        raise InvalidArgument(
            f"the ansatz has {len(basis)} basis functions, more than max_unknowns={max_unknowns}; "
            "lower the degree or use fewer families"
        )
    fast = modular_laws(flow, basis)  # network specs: proposed over GF(p), each law verified symbolically
    if fast is not None:
        proposed = tuple(sp.powsimp(law, combine="exp") for law in fast[0])  # already scaled to a leading 1
        return AnsatzLaws(proposed, degree, fams, len(basis), fast[1])
    velocity = flow.velocity()
    state = set(flow.state)
    ders = [sp.Add(*(sp.diff(b, s) * velocity[s] for s in b.free_symbols & state)) for b in basis]
    constants = set(flow.spec.constants)
    ders, back = _renamed(ders, constants)
    vectors, rows = null_combinations(ders, constants | set(back), max_terms)
    laws = [_tidy(vec, basis, back) for vec in vectors]
    return AnsatzLaws(tuple(laws), degree, fams, len(basis), rows)


def _tidy(vec: sp.Matrix, basis: Sequence[sp.Expr], back: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """The law of one null vector: constants mapped back, scaled so its first term has coefficient 1."""
    coeffs = [(sp.factor(sp.together(c.xreplace(back))), b) for c, b in zip(vec, basis, strict=True) if c != 0]
    lead = coeffs[0][0]
    return sp.Add(*(sp.powsimp(sp.factor(sp.together(c / lead)) * b, combine="exp") for c, b in coeffs))
