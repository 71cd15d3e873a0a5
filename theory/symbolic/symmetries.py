"""Conservation laws from symmetries: Noether's theorem for gradient flows.

If the loss is invariant under the flow of a vector field :math:`X` for every data value,
:math:`\\nabla\\mathcal L\\cdot X \\equiv 0`, and :math:`H^{-1}X = \\nabla Q` is a gradient
(:math:`H = \\operatorname{diag}(\\eta)` the learning rates), then along
:math:`\\dot\\theta = -H\\nabla\\mathcal L`

.. math::

    \\dot Q = \\nabla Q\\cdot\\dot\\theta = -(H^{-1}X)\\cdot H\\nabla\\mathcal L = -X\\cdot\\nabla\\mathcal L = 0

(Kunin et al., "Neural mechanics", ICLR 2021; Marcotte, Gribonval & Peyre, NeurIPS 2023, sec. 2).
For a linear :math:`X = A\\theta` with :math:`H^{-1}A` symmetric the charge is
:math:`Q = \\tfrac12\\theta^\\top H^{-1}A\\theta`; for a translation :math:`X = c`,
:math:`Q = c^\\top H^{-1}\\theta`.

The families searched, for parameter groups that are matrices (``ParamGroup.shape``):

* translations :math:`\\theta \\to \\theta + \\varepsilon c` (softmax's shift of the logits);
* one group, :math:`P \\to (I + \\varepsilon B)P` or :math:`P(I + \\varepsilon B)`, :math:`B` symmetric;
* a pair, :math:`P_1 \\to (I + \\varepsilon B)\\star P_1`, :math:`P_2 \\to (I - \\varepsilon B)\\star P_2`
  with :math:`\\star` a left or right product and :math:`B` symmetric: the infinitesimal form of
  :math:`Q \\to AQ,\\ K \\to A^{-\\top}K` (attention), :math:`U \\to UA,\\ V \\to VA^{-\\top}`
  (linear networks), :math:`W_1 \\to DW_1,\\ W_2 \\to W_2D^{-1}` (rescaling of hidden units).

Within each family the invariant :math:`B` (or :math:`c`) form the null space of a linear system:
a 30-digit SVD at random points proposes rational null vectors, each kept only if
:func:`~theory.symbolic.zero.symbolic_zero` proves its combination vanishes, else the exact null
space is computed (:func:`theory.symbolic.laws.null_combinations`); every charge is then proved
by the prover.
Last, a *combined* family solves for all of them at once (translations plus a symmetric
:math:`B_{P,\\text{side}}` for every group and side, and a rescaling of each coordinate of a group
that is not a matrix), which finds symmetries that exist only as
combinations across families: :math:`g = e^{a} b\\,x` is invariant under
:math:`a \\to a + \\varepsilon,\\ b \\to (1 - \\varepsilon) b` (neither part alone), with charge
:math:`a/\\eta_a - b^2/(2\\eta_b)`; it is searched when it has at most :data:`MAX_COMBINED` unknowns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import combinations

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from ..models.spec import ParamGroup
from .flow import Flow, canonical_derivatives
from .laws import null_combinations
from .lie import gradient_rank
from .numbers import OutsideDomain, mp_value
from .zero import symbolic_zero

__all__ = ["MAX_COMBINED", "Symmetry", "linear_symmetries"]

#: The combined family is searched when its generator has at most this many unknowns.
MAX_COMBINED = 48


@dataclass(frozen=True)
class Symmetry:
    """An infinitesimal symmetry of the loss and its Noether charge.

    Attributes
    ----------
    family : str
        ``"translation"``, ``"P left"`` / ``"P right"`` or ``"P1 left, P2 left"`` style.
    action : str
        The transformation in words, e.g. ``"Q -> (I + eps B) Q, K -> (I - eps B) K"``.
    generator : sympy.Matrix
        :math:`B` (symmetric) or the translation :math:`c` (a column).
    charge : sympy.Expr
        The conserved quantity :math:`Q`.
    """

    family: str
    action: str
    generator: sp.Matrix
    charge: sp.Expr


def _matrix(group: ParamGroup) -> sp.Matrix:
    assert group.shape is not None
    return sp.Matrix(*group.shape, list(group.symbols))


def _symmetric_basis(k: int) -> list[sp.Matrix]:
    out = []
    for i in range(k):
        for j in range(i, k):
            E = sp.zeros(k, k)
            E[i, j] = E[j, i] = 1
            out.append(E)
    return out


def _act(B: sp.Matrix, P: sp.Matrix, side: str) -> sp.Matrix:
    return B * P if side == "left" else P * B


def _numeric_null_space(
    terms: list[list[sp.Expr]], constants: set[sp.Symbol], rng: random.Random
) -> list[list[mpmath.mpf]] | None:
    """A numerical basis of the null space of the values of ``sum(terms[k])`` at random points.

    A symmetry makes a combination of the expressions vanish identically, so its coefficient
    vector is a null vector of the matrix of their values at any points (the constants, on which
    the coefficients may depend, take one value for all points).  Values are computed at 30
    digits; each column is divided by its largest *term* (not by its largest sum, which is
    rounding noise when every sum cancels), and a singular value below ``1e-12`` counts as zero.
    ``None`` when a value could not be computed.  Evidence only: its size lets a family of
    nullity 0 be skipped, and its vectors are proposals (:func:`_proposed`) that must be proved.
    """
    symbols = sorted(set().union(*(t.free_symbols for ts in terms for t in ts)), key=sp.default_sort_key)

    def draw(sym: sp.Symbol) -> sp.Rational:
        q = sp.Rational(rng.randrange(50, 200), 100)
        return q if sym.is_positive or rng.random() < 0.5 else -q

    fixed = {sym: draw(sym) for sym in symbols if sym in constants}
    n = len(terms)
    with mpmath.workdps(30):
        rows, scales = [], [mpmath.mpf(0)] * n
        for _ in range(n + 2):
            point = {sym: fixed[sym] if sym in fixed else draw(sym) for sym in symbols}
            try:
                values = [[mp_value(t, point, 30) for t in ts] for ts in terms]
            except (OutsideDomain, ZeroDivisionError, ValueError, TypeError):
                return None
            rows.append([mpmath.fsum(v) for v in values])
            scales = [max([scales[k], *(abs(x) for x in v)]) for k, v in enumerate(values)]
        live = [k for k in range(n) if scales[k] != 0]
        unit = [[mpmath.mpf(j == k) for j in range(n)] for k in range(n) if scales[k] == 0]  # vanish at every point
        if not live:
            return unit
        _, S, V = mpmath.svd_r(mpmath.matrix([[r[k] / scales[k] for k in live] for r in rows]))
        null = []
        for i in range(len(live)):
            if abs(S[i]) <= mpmath.mpf("1e-12"):
                vec = [mpmath.mpf(0)] * n
                for c, k in enumerate(live):
                    vec[k] = V[i, c] / scales[k]
                null.append(vec)
        return unit + null


def _proposed(basis: list[list[mpmath.mpf]]) -> list[list[sp.Rational]] | None:
    """Rational null vectors from a numerical basis (reduced echelon form), or ``None``.

    Only a proposal: the caller keeps a vector only after :func:`~theory.symbolic.zero.symbolic_zero`
    proves its combination vanishes (a rational with denominator above 10^4, or one that misses
    the 30-digit value by more than 1e-15, gives ``None`` and the exact solve instead).
    """
    from fractions import Fraction

    n = len(basis[0])
    rows = [list(r) for r in basis]
    out: list[list[sp.Rational]] = []
    with mpmath.workdps(30):
        for r in range(len(rows)):  # reduced echelon form, partial pivoting
            pivot = max(range(n), key=lambda j: abs(rows[r][j]))
            top = rows[r][pivot]
            rows[r] = [x / top for x in rows[r]]
            for o in range(len(rows)):
                if o != r:
                    rows[o] = [x - rows[o][pivot] * y for x, y in zip(rows[o], rows[r], strict=True)]
        for row in rows:
            vec = []
            for x in row:
                q = Fraction(mpmath.nstr(x, 28)).limit_denominator(10**4)
                if abs(x - mpmath.mpf(q.numerator) / q.denominator) > mpmath.mpf("1e-15") * max(1, abs(x)):
                    return None
                vec.append(sp.Rational(q.numerator, q.denominator))
            out.append(vec)
    return out


def _field_rank(fields: list[dict], state: list[sp.Symbol], rng: random.Random) -> int:
    """Rank of linear vector fields as functions, exactly: their values at random rational points stacked."""
    if not fields:
        return 0
    symbols = sorted(set().union(*(v.free_symbols for f in fields for v in f.values())), key=sp.default_sort_key)
    points = [{s: sp.Rational(rng.randrange(1, 10**6), rng.randrange(1, 10**6)) for s in symbols} for _ in range(3)]
    rows = [[sp.sympify(f.get(s, 0)).xreplace(p) for p in points for s in state] for f in fields]
    return int(sp.Matrix(rows).rank())


def _opaque(expr: sp.Expr) -> sp.Expr:
    """Applications of the arbitrary activation (:math:`\\phi(a)`, :math:`\\phi'(a)`) as fresh symbols.

    A symmetry must hold for every :math:`\\phi`; treating each application as an independent
    value can only lose symmetries, never add one (the charges are proved afterwards).
    """
    apps = sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key)
    return expr.xreplace({a: sp.Symbol(f"_phi{i}_{abs(hash(a)) % 10**8}", real=True) for i, a in enumerate(apps)})


def _charge_term(x: sp.Expr, s: sp.Symbol, zero: dict) -> sp.Expr:
    """The term of the charge from one coordinate: :math:`c_s\\theta_s + \\tfrac12\\theta_s (A\\theta)_s`."""
    c = x.subs(zero)
    return c * s + sp.Rational(1, 2) * s * (x - c)


def linear_symmetries(flow: Flow) -> list[Symmetry]:
    """Every symmetry of the searched families and its charge (see the module docstring).

    Parameters
    ----------
    flow : Flow
        From :func:`theory.symbolic.derive_flow`; groups with a metric are skipped.

    Returns
    -------
    list of Symmetry
        One per basis vector of each family's invariant subspace whose charge is functionally
        independent of the charges found before (rank of the gradients at a random point).

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.models.network import network
    >>> from theory.symbolic import derive_flow
    >>> U, V = sp.Matrix([[sp.Symbol("u", real=True)]]), sp.Matrix([[sp.Symbol("v", real=True)]])
    >>> x = sp.Symbol("x", real=True)
    >>> [s.charge for s in linear_symmetries(derive_flow(network(U * V.T * x, {"U": U, "V": V}, [x])))]
    [u**2 - v**2]
    """
    spec = flow.spec
    state = list(flow.state)
    loss = spec.loss
    grad = {s: _opaque(canonical_derivatives(sp.diff(loss, s))) for s in state}
    rate = {s: g.rate for g in spec.params for s in g.symbols}
    constants = set(spec.constants)
    groups = [g for g in spec.params if g.metric is None]
    out: list[Symmetry] = []
    rng = random.Random(0)
    zero = {s: 0 for s in state}
    seen: list[dict] = []  # every symmetry field found, with or without a new charge

    def solve(family: str, action: str, basis: list, fields: list[dict]) -> None:
        terms = [[grad[s] * X[s] for s in X if X[s] != 0] for X in fields]
        exprs = [sp.Add(*ts) for ts in terms]
        if all(e == 0 for e in exprs):
            vectors = [sp.Matrix([[1 if i == j else 0 for i in range(len(exprs))]]) for j in range(len(exprs))]
        else:
            null = _numeric_null_space(terms, constants, rng)
            nullity = None if null is None else len(null)
            if nullity == 0:
                return
            if family == "combined" and nullity is not None:
                # null vectors whose field is 0 (overlapping bases: I acting on the left or the right of
                # a vector) plus the symmetries found so far: if that is all, skip the exact solve
                trivial = len(fields) - _field_rank(fields, state, rng)
                if nullity <= trivial + _field_rank(seen, state, rng):
                    return
            # a numerical proposal, kept only if proved; else the exact null space
            proposal = _proposed(null) if null else None
            if proposal and all(
                symbolic_zero(sp.Add(*(c * e for c, e in zip(vec, exprs, strict=True) if c))) for vec in proposal
            ):
                vectors = [sp.Matrix([vec]) for vec in proposal]
            else:
                vectors, _ = null_combinations(exprs, constants)
        for vec in vectors:
            coeffs = [sp.factor(sp.together(c)) for c in vec]
            X = {s: sp.Add(*(c * f.get(s, 0) for c, f in zip(coeffs, fields, strict=True))) for s in state}
            seen.append(X)
            # Q = c.H^-1 theta + theta.H^-1 A theta / 2 for X = c + A theta (constant and linear parts)
            charge = sp.expand(sp.Add(*(_charge_term(X[s], s, zero) / rate[s] for s in state if X[s] != 0)))
            if charge == 0:
                continue
            lead = sp.Poly(charge, *state).coeffs()[0]
            charge = sp.expand(charge / lead)  # scale-free: the first coefficient is 1
            if family == "combined":  # bases of different shapes: the generator is the coefficient vector
                generator = sp.Matrix(coeffs) / lead
                action = ", ".join(f"{s} -> {s} + eps*({sp.factor(X[s] / lead)})" for s in state if X[s] != 0)
            else:
                generator = sp.Add(*(c * b for c, b in zip(coeffs, basis, strict=True))) / lead
            charges = [t.charge for t in out]
            if gradient_rank([*charges, charge], state, random.Random(1)) > gradient_rank(
                charges, state, random.Random(1)
            ):
                out.append(Symmetry(family, action, generator, charge))  # a new law, not a function of earlier ones

    syms = [s for g in groups for s in g.symbols]
    solve(
        "translation",
        "theta -> theta + eps c",
        [sp.Matrix([1 if i == j else 0 for i in range(len(syms))]) for j in range(len(syms))],
        [{s: sp.Integer(1)} for s in syms],
    )
    sided = [(g, side) for g in groups if g.shape is not None for side in ("left", "right")]

    def size(g: ParamGroup, side: str) -> int:
        assert g.shape is not None
        return g.shape[0] if side == "left" else g.shape[1]

    for g, side in sided:
        basis = _symmetric_basis(size(g, side))
        P = _matrix(g)
        fields = [dict(zip(P, _act(B, P, side), strict=True)) for B in basis]
        word = f"(I + eps B) {g.name}" if side == "left" else f"{g.name} (I + eps B)"
        solve(f"{g.name} {side}", f"{g.name} -> {word}", basis, fields)
    for (g1, s1), (g2, s2) in combinations(sided, 2):
        if g1 is g2 or size(g1, s1) != size(g2, s2):
            continue
        basis = _symmetric_basis(size(g1, s1))
        P1, P2 = _matrix(g1), _matrix(g2)
        fields = []
        for B in basis:
            X = dict(zip(P1, _act(B, P1, s1), strict=True))
            X.update(zip(P2, -_act(B, P2, s2), strict=True))
            fields.append(X)
        w1 = f"(I + eps B) {g1.name}" if s1 == "left" else f"{g1.name} (I + eps B)"
        w2 = f"(I - eps B) {g2.name}" if s2 == "left" else f"{g2.name} (I - eps B)"
        solve(f"{g1.name} {s1}, {g2.name} {s2}", f"{g1.name} -> {w1}, {g2.name} -> {w2}", basis, fields)
    combined = [
        (sp.Matrix([1 if i == j else 0 for i in range(len(syms))]), {s: sp.Integer(1)}) for j, s in enumerate(syms)
    ]
    for g, side in sided:
        P = _matrix(g)
        combined += [(B, dict(zip(P, _act(B, P, side), strict=True))) for B in _symmetric_basis(size(g, side))]
    # a group that is not a matrix: each coordinate rescaled on its own (theta_i -> (1 + eps) theta_i)
    combined += [(sp.Matrix([[1]]), {s: s}) for g in groups if g.shape is None for s in g.symbols]
    if len(combined) <= MAX_COMBINED:
        solve("combined", "", [b for b, _ in combined], [f for _, f in combined])
    return out
