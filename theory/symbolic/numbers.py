"""Certified values of SymPy expressions at rational points (the witnesses of refutations).

A refutation needs one point where :math:`\\dot Q \\ne 0` for sure.  Two routes:

* **exact**: an expression that is rational in its atoms (no functions, integer powers)
  evaluated at a rational point is a rational number, computed exactly by SymPy;
* **agreeing precisions**: otherwise the expression tree is evaluated with mpmath at
  :math:`p` and :math:`2p` decimal digits (:math:`p = 30, 120, 480`).  Rounding and
  cancellation errors at :math:`p` digits are of order :math:`10^{-p}` times the magnitude of
  the terms they cancel from, at :math:`2p` digits of order :math:`10^{-2p}`: two values that
  agree to 12 significant digits certify the leading digits of the true value (a value that
  is 0 at the point gives two unrelated round-off residues, which do not agree).  A value that
  is not certified at 960 digits counts as zero at that point.

Why not SymPy's ``evalf(strict=True)``: it certifies the same way but, on a sum whose terms
differ by :math:`10^{400000}` in magnitude (e.g. :math:`e^{-10^6 x^2}` beside an O(1)
cancellation), its exact summation of mantissas did not finish in minutes; this evaluator's
cost is bounded by the precision.
"""

from __future__ import annotations

from collections.abc import Mapping

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

__all__ = ["OutsideDomain", "certified_value", "is_rational_in_atoms", "mp_value"]

#: (p, 2p) digit pairs tried in turn.
PRECISIONS = (30, 120, 480)
#: Relative agreement of the two precisions that certifies a value.
_AGREE = mpmath.mpf("1e-12")


class OutsideDomain(ValueError):
    """The expression is not real and finite at the point (e.g. log of a negative number)."""


def _mp_functions() -> dict[type, object]:
    return {
        sp.exp: mpmath.exp,
        sp.log: mpmath.log,
        sp.sin: mpmath.sin,
        sp.cos: mpmath.cos,
        sp.tan: mpmath.tan,
        sp.sinh: mpmath.sinh,
        sp.cosh: mpmath.cosh,
        sp.tanh: mpmath.tanh,
        sp.atan: mpmath.atan,
        sp.asin: mpmath.asin,
        sp.acos: mpmath.acos,
        sp.erf: mpmath.erf,
        sp.erfc: mpmath.erfc,
        sp.erfinv: mpmath.erfinv,
        sp.Abs: mpmath.fabs,
        sp.sign: mpmath.sign,
    }


_FUNCTIONS = _mp_functions()


def _real(v: object) -> mpmath.mpf:
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            raise OutsideDomain("complex value")
        v = v.real
    if not isinstance(v, mpmath.mpf):
        v = mpmath.mpf(v)  # type: ignore[arg-type]
    if not mpmath.isfinite(v):
        raise OutsideDomain("not finite")
    return v


def mp_value(expr: sp.Expr, point: Mapping[sp.Basic, sp.Rational], digits: int) -> mpmath.mpf:
    """``expr`` at ``point`` evaluated with mpmath at ``digits`` decimal digits.

    Raises
    ------
    OutsideDomain
        The value (or an intermediate one) is complex, infinite or undefined.
    """
    memo: dict[sp.Basic, mpmath.mpf] = {}

    def ev(e: sp.Basic) -> mpmath.mpf:
        if e in memo:
            return memo[e]
        if e in point:
            r = sp.Rational(point[e])  # type: ignore[index]
            out = mpmath.mpf(r.p) / r.q
        elif isinstance(e, sp.Rational):
            out = mpmath.mpf(e.p) / e.q
        elif isinstance(e, sp.Float):
            out = mpmath.mpf(e._mpf_)
        elif e is sp.pi:
            out = +mpmath.pi
        elif e is sp.E:
            out = +mpmath.e
        elif isinstance(e, sp.Add):
            out = mpmath.fsum(ev(a) for a in e.args)
        elif isinstance(e, sp.Mul):
            out = mpmath.fprod(ev(a) for a in e.args)
        elif isinstance(e, sp.Pow):
            base, ex = e.args
            b = ev(base)
            if ex.is_Integer:
                if b == 0 and ex < 0:
                    raise OutsideDomain("division by zero")
                out = b ** int(ex)
            else:
                if b < 0:
                    raise OutsideDomain("fractional power of a negative number")
                out = mpmath.power(b, ev(ex))
        elif isinstance(e, (sp.Max, sp.Min)):
            values = [ev(a) for a in e.args]
            out = max(values) if isinstance(e, sp.Max) else min(values)
        elif isinstance(e, sp.Heaviside):
            x = ev(e.args[0])
            out = mpmath.mpf(1) if x > 0 else mpmath.mpf(0) if x < 0 else mpmath.mpf("0.5")
        elif type(e) in _FUNCTIONS and len(e.args) == 1:
            try:
                out = _FUNCTIONS[type(e)](ev(e.args[0]))  # type: ignore[operator]
            except (ValueError, ZeroDivisionError) as exc:
                raise OutsideDomain(str(exc)) from None
        elif isinstance(e, AppliedUndef) or isinstance(e, sp.Symbol):
            raise OutsideDomain(f"no value for {e}")
        else:  # anything else: SymPy's own numerical evaluation of the substituted node
            sub = e.xreplace({k: v for k, v in point.items()})
            try:
                out = sp.Float(sub.evalf(digits), digits)._mpf_
            except (TypeError, ValueError, AttributeError):
                raise OutsideDomain(f"cannot evaluate {type(e).__name__}") from None
            out = mpmath.mpf(out)
        out = _real(out)
        memo[e] = out
        return out

    with mpmath.workdps(digits):
        return ev(expr)


def is_rational_in_atoms(expr: sp.Expr) -> bool:
    """Whether ``expr`` has no function applications (other than undefined ones) and only integer powers."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Function) and not isinstance(node, AppliedUndef):
            return False
        if isinstance(node, sp.Pow) and not node.exp.is_Integer:
            return False
        if isinstance(node, sp.NumberSymbol):
            return False
    return True


def certified_value(
    expr: sp.Expr, point: Mapping[sp.Basic, sp.Rational], precisions: tuple[int, ...] = PRECISIONS
) -> tuple[sp.Expr | None, bool]:
    """The value of ``expr`` at ``point`` when it is certified non-zero.

    Returns
    -------
    (value, exact)
        ``(Rational, True)``: exact rational arithmetic (``0`` for an exact zero).
        ``(Float, False)``: 30 significant digits certified by two agreeing precisions.
        ``(None, False)``: zero to the precision available (not certified at twice the
        largest of ``precisions``, 960 digits by default).

    Raises
    ------
    OutsideDomain
        The point is outside the expression's real domain.
    """
    if is_rational_in_atoms(expr):
        apps = {a: v for a, v in point.items() if isinstance(a, AppliedUndef)}
        syms = {s: v for s, v in point.items() if not isinstance(s, AppliedUndef)}
        try:
            value = (expr.xreplace(apps) if apps else expr).xreplace(syms)
        except ZeroDivisionError:
            raise OutsideDomain("division by zero") from None
        if value.is_Rational:
            return value, True
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise OutsideDomain("not finite")
    for p in precisions:
        low = mp_value(expr, point, p)
        high = mp_value(expr, point, 2 * p)
        if high == 0 and low == 0:
            return None, False
        if high != 0 and abs(low - high) <= _AGREE * abs(high):
            with mpmath.workdps(2 * p):
                return sp.Float(mpmath.nstr(high, 30), 30), False
    return None, False
