"""Time derivatives along a flow that use conserved sub-expressions as lemmas.

:math:`\\dot Q` for :math:`Q = I/(1+I^2)` or :math:`e^{I}` with :math:`I` a long invariant
expands into a very large expression when differentiated symbol by symbol (the Lu et al.
quantity :math:`I/(1+I^2)` got no verdict in 300 s).  Here :math:`\\dot Q` is built bottom-up
on the expression tree with the chain rule,

.. math::

    D(a+b) = D a + D b,\\quad D(ab) = (Da)\\,b + a\\,(Db),\\quad
    D f(a) = f'(a)\\,Da,\\quad D\\theta_i = \\dot\\theta_i,

and at every sum :math:`S` in :math:`Q` the derivative :math:`DS` is tested: when its
normal form is 0 (:func:`theory.symbolic.zero.symbolic_zero`, a symbolic proof), :math:`S`
is a conserved sub-expression (a *lemma*) and :math:`DS` is replaced by 0.  The result equals
:math:`\\nabla Q\\cdot F` identically (each replacement is a proved equality), so a proof of
:math:`D Q \\equiv 0` is a proof of conservation, and a witness :math:`DQ \\ne 0` is a witness
for :math:`\\dot Q`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from .flow import Flow
from .numbers import OutsideDomain, mp_value
from .zero import symbolic_zero

__all__ = ["StructuredDerivative", "structured_derivative"]

#: A sum must have at least this many terms to be tried as a lemma (a single state symbol plus a
#: constant moves unless its velocity is 0, which the expansion shows anyway).
_MIN_TERMS = 2


@dataclass
class StructuredDerivative:
    """:math:`\\dot Q` with proved-conserved sub-expressions folded to 0.

    Attributes
    ----------
    derivative : sympy.Expr
        An expression equal to :math:`\\nabla Q\\cdot F` identically.
    lemmas : list of sympy.Expr
        Sub-expressions of :math:`Q` whose time derivative was proved to be 0.
    """

    derivative: sp.Expr
    lemmas: list[sp.Expr] = field(default_factory=list)


def _probe_nonzero(expr: sp.Expr) -> bool:
    """Cheap probe: clearly non-zero at one moderate point (used only to skip a lemma test)."""
    point: dict[sp.Basic, sp.Rational] = {
        s: sp.Rational(37 + 11 * i, 53 + 7 * i)
        for i, s in enumerate(sorted(expr.free_symbols, key=sp.default_sort_key))
    }
    for i, a in enumerate(sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key)):
        point[a] = sp.Rational(29 + 5 * i, 31 + 3 * i)
    try:
        v = mp_value(expr, point, 20)
    except OutsideDomain:
        return False
    return bool(abs(v) > 1e-6)


def structured_derivative(flow: Flow, quantity: sp.Expr) -> StructuredDerivative:
    """Differentiate ``quantity`` along ``flow`` on its expression tree, folding conserved sums to 0.

    Parameters
    ----------
    flow : Flow
    quantity : sympy.Expr

    Returns
    -------
    StructuredDerivative

    Examples
    --------
    Two hidden units, so the invariant's derivative is a sum that SymPy does not cancel on its own
    (with one unit it cancels term by term and no lemma is needed):

    >>> from theory.models import joma_block
    >>> from theory.symbolic import derive_flow
    >>> spec = joma_block(1, 2, 1, attention="exp")
    >>> s = spec.symbols
    >>> inv = s["z1"] - s["eta_z"] / (2 * s["T"] * s["eta_w"]) * (s["v1_1"] ** 2 + s["v2_1"] ** 2)
    >>> out = structured_derivative(derive_flow(spec), inv / (1 + inv**2))
    >>> out.derivative, len(out.lemmas)
    (0, 1)
    """
    velocity = flow.velocity()
    state = set(flow.state)
    memo: dict[sp.Expr, sp.Expr] = {}
    lemmas: list[sp.Expr] = []

    def D(e: sp.Expr) -> sp.Expr:
        if not (e.free_symbols & state):
            return sp.Integer(0)
        if e in memo:
            return memo[e]
        if isinstance(e, sp.Symbol):
            out = velocity.get(e, sp.Integer(0))
        elif isinstance(e, sp.Add):
            out = sp.Add(*(D(t) for t in e.args))
            moving = [t for t in e.args if t.free_symbols & state]
            if len(moving) >= _MIN_TERMS and out != 0 and not _probe_nonzero(out) and symbolic_zero(out):
                lemmas.append(e)
                out = sp.Integer(0)
        elif isinstance(e, sp.Mul):
            terms = []
            for i, f in enumerate(e.args):
                df = D(f)
                if df != 0:
                    terms.append(sp.Mul(*e.args[:i], df, *e.args[i + 1 :]))
            out = sp.Add(*terms)
        elif isinstance(e, sp.Pow):
            base, ex = e.args
            db, de = D(base), D(ex)
            out = sp.Integer(0)
            if db != 0:
                out += ex * base ** (ex - 1) * db
            if de != 0:
                out += e * sp.log(base) * de
        elif isinstance(e, sp.Function) and not isinstance(e, AppliedUndef):
            out = sp.Integer(0)
            for i, a in enumerate(e.args, start=1):
                da = D(a)
                if da != 0:
                    out += e.fdiff(i) * da
        else:  # anything else: the plain chain rule over the state symbols
            out = sp.Add(*(sp.diff(e, s) * velocity[s] for s in flow.state if e.has(s)))
        memo[e] = out
        return out

    return StructuredDerivative(D(sp.sympify(quantity)), lemmas)
