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

Within each family the invariant :math:`B` (or :math:`c`) form the null space of an exact linear
system (:func:`theory.symbolic.laws.null_combinations`); every charge is then proved by the prover.
Symmetries that exist only as combinations across families are not searched.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import combinations

import mpmath
import sympy as sp

from ..models.spec import ParamGroup
from .flow import Flow
from .laws import null_combinations
from .lie import gradient_rank
from .numbers import OutsideDomain, mp_value

__all__ = ["Symmetry", "linear_symmetries"]


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


def _no_null_vector(terms: list[list[sp.Expr]], rng: random.Random) -> bool:
    """Whether the values of the expressions ``sum(terms[k])`` at random points have full column rank.

    A symmetry makes a combination of the expressions vanish identically, so its coefficient
    vector is a null vector of the matrix of their values at any points.  Values are computed at
    30 digits; the smallest singular value must exceed ``1e-12`` of the largest *term* (not of the
    largest sum, which is rounding noise when every sum cancels), else the exact solve decides.
    """
    symbols = sorted(set().union(*(t.free_symbols for ts in terms for t in ts)), key=sp.default_sort_key)
    rows, scale = [], mpmath.mpf(0)
    with mpmath.workdps(30):
        for _ in range(len(terms) + 2):
            point = {}
            for sym in symbols:
                q = sp.Rational(rng.randrange(50, 200), 100)
                point[sym] = q if sym.is_positive or rng.random() < 0.5 else -q
            try:
                values = [[mp_value(t, point, 30) for t in ts] for ts in terms]
            except (OutsideDomain, ZeroDivisionError, ValueError):
                return False
            rows.append([mpmath.fsum(v) for v in values])
            scale = max([scale, *(abs(x) for v in values for x in v)])
        if scale == 0:
            return False
        singular = mpmath.svd_r(mpmath.matrix(rows), compute_uv=False)
        return bool(min(abs(v) for v in singular) > mpmath.mpf("1e-12") * scale)


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
    grad = {s: sp.diff(loss, s) for s in state}
    rate = {s: g.rate for g in spec.params for s in g.symbols}
    constants = set(spec.constants)
    groups = [g for g in spec.params if g.metric is None]
    out: list[Symmetry] = []
    rng = random.Random(0)

    def solve(family: str, action: str, basis: list, fields: list[dict]) -> None:
        terms = [[grad[s] * X[s] for s in X if X[s] != 0] for X in fields]
        exprs = [sp.Add(*ts) for ts in terms]
        if all(e == 0 for e in exprs):
            vectors = [sp.Matrix([[1 if i == j else 0 for i in range(len(exprs))]]) for j in range(len(exprs))]
        elif _no_null_vector(terms, rng):
            return
        else:
            vectors, _ = null_combinations(exprs, constants)
        for vec in vectors:
            coeffs = [sp.factor(sp.together(c)) for c in vec]
            X = {s: sp.Add(*(c * f.get(s, 0) for c, f in zip(coeffs, fields, strict=True))) for s in state}
            factor = 1 if family == "translation" else sp.Rational(1, 2)  # Q = c.H^-1 theta or theta.H^-1 A theta / 2
            charge = sp.expand(sp.Add(*(factor * s * X[s] / rate[s] for s in state if X[s] != 0)))
            if charge == 0:
                continue
            lead = sp.Poly(charge, *state).coeffs()[0]
            charge = sp.expand(charge / lead)  # scale-free: the first coefficient is 1
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
    return out
