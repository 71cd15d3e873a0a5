"""One gate for expressions handed to the public API: never ``sympify`` a string.

``sympy.sympify("...")`` runs :func:`eval` on its argument.  Every public function that takes
an expression passes it through :func:`expression`: a string is read by the safe parser
(:func:`theory.symbolic.parse.parse_quantity`, over the symbols the caller allows), numbers and
SymPy objects are taken as they are, anything else is refused, and a non-finite result
(``nan``, ``zoo``, ``oo``) is refused too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

import sympy as sp

from ..errors import ExpressionError
from .parse import parse_quantity

__all__ = ["expression"]


def expression(value: object, what: str, symbols: Mapping[str, sp.Expr] | None = None) -> sp.Expr:
    """``value`` as a finite SymPy expression, strings parsed without executing anything.

    Parameters
    ----------
    value : str, int, float, Fraction or sympy.Expr
    what : str
        Its name in error messages, e.g. ``"residual"``.
    symbols : mapping, optional
        Names a string may use; ``None`` refuses strings.

    Raises
    ------
    ExpressionError
        A string when ``symbols`` is ``None``, another type, or a non-finite value.
    """
    if isinstance(value, str):
        if symbols is None:
            raise ExpressionError(f"{what} is a string; strings are never evaluated here: pass a SymPy expression")
        expr = parse_quantity(value, symbols)
    elif isinstance(value, bool) or value is None:
        raise ExpressionError(f"{what} must be a SymPy expression or a number, got {value!r}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ExpressionError(f"{what} = {value!r} is not finite")
        expr = sp.Float(value)
    elif isinstance(value, (int, Fraction)):
        expr = sp.Rational(value)
    elif isinstance(value, sp.Basic):
        expr = value  # type: ignore[assignment]
    else:
        raise ExpressionError(f"{what} must be a SymPy expression or a number, got {type(value).__name__}")
    if not isinstance(expr, sp.Expr):
        raise ExpressionError(f"{what} must be a scalar SymPy expression, got {type(expr).__name__}")
    if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise ExpressionError(f"{what} = {expr} is not finite; check it")
    return expr
