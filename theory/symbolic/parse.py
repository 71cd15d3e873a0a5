r"""Safe parsing of user-supplied quantities: no code is ever executed.

``sympy.sympify`` and ``parse_expr`` call :func:`eval` on their input, so a string such as
``__import__('os').system('...')`` would run.  Here the text is parsed with :func:`ast.parse`
(which only builds a syntax tree) and the tree is translated node by node into SymPy
objects from an allow-list: numbers, the model's symbols, ``+ - * / **`` (``^`` is read as a
power), unary signs, and calls of a few named functions.  Anything else (attributes,
subscripts, keywords, lambdas, comprehensions, strings, unknown names) is rejected with a
one-line :class:`~theory.errors.ExpressionError`.

Complexity is bounded *before* SymPy builds anything costly: while translating, each node
carries an upper bound of its expanded polynomial degree, of its number of expanded terms
(:math:`\binom{t+n-1}{n}` monomials for a sum of :math:`t` terms to the :math:`n`-th power),
of the nesting of transcendental functions and of the digits of its exact numbers.  A
quantity beyond :data:`MAX_DEGREE`, :data:`MAX_TERMS`, :data:`MAX_NESTING` or
:data:`MAX_DIGITS` is refused with the bound it broke (``((z1+z2)**64)**64`` would expand to
degree 4096; a sum of eleven symbols to the 64th to about :math:`7\cdot10^{11}` terms).  A
value that is not real (``sqrt(-1)``, ``log(-1)``) or a function outside its domain
(``erfinv(2)``) is refused too.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from ..errors import ExpressionError
from ..vocabulary import CONSTANTS, FUNCTIONS, RESERVED, is_readable_name

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEGREE",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_TERMS",
    "RESERVED",
    "accepted_names",
    "is_readable_name",
    "parse_quantity",
]

MAX_LENGTH = 2000  #: longest accepted expression, in characters
MAX_DEGREE = 100  #: largest expanded polynomial degree (a bound, computed before SymPy expands)
MAX_TERMS = 20_000  #: most terms of the expanded quantity (bound); the prover multiplies it by the flow's
MAX_NESTING = 4  #: deepest nesting of functions, e.g. exp(exp(exp(exp(x))))
MAX_DIGITS = 1000  #: most decimal digits of an exact number in the quantity
_MAX_DEPTH = 60  #: deepest accepted syntax tree
_MAX_EXPONENT = 64  #: largest |integer exponent| (guards against 9**9**9)

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: None,  # checked separately
}


def parse_quantity(text: str, symbols: Mapping[str, sp.Expr]) -> sp.Expr:
    """Parse ``text`` into a SymPy expression over ``symbols`` without executing it.

    Parameters
    ----------
    text : str
        E.g. ``"z1 - r/(2*T) * v1_1**2"``.
    symbols : mapping of str to sympy.Expr
        The names the expression may use (a model's ``spec.symbols``).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ExpressionError
        Empty, too long, malformed, or using anything outside the allow-list.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> parse_quantity("2*x^2 + exp(x)", {"x": x})
    2*x**2 + exp(x)
    >>> parse_quantity("__import__('os')", {"x": x})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    theory.errors.ExpressionError: function '__import__' is not allowed in a quantity; allowed: ...
    """
    if not isinstance(text, str):
        raise ExpressionError(f"quantity must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("quantity is empty; pass an expression such as 'z1 - v1_1**2'")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"quantity is {len(text)} characters long; at most {MAX_LENGTH} are accepted")
    if "\x00" in text:
        raise ExpressionError("quantity contains a NUL character")
    # '^' is a power in mathematical notation; Python's '^' binds looser than '+', so rewrite it
    # textually (it has no other meaning in the allowed grammar) before parsing.
    source = text.strip().replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"quantity is not a valid expression: {exc.msg} at column {exc.offset}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("quantity could not be parsed; simplify it") from None
    expr, _ = _Translator(symbols).visit(tree.body, 0)
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ExpressionError("quantity is undefined (division by zero or an infinite value); check the expression")
    if expr.has(sp.I):
        raise ExpressionError(
            "quantity is not real (it contains I = sqrt(-1), e.g. from sqrt or log of a negative number); "
            "quantities must be real-valued"
        )
    return expr


def accepted_names(symbols: Mapping[str, sp.Expr]) -> dict[str, list[str]]:
    """Every name :func:`parse_quantity` accepts with ``symbols``, by kind, each list sorted.

    Parameters
    ----------
    symbols : mapping of str to sympy.Expr
        The names the expression may use (a model's ``spec.symbols``).

    Returns
    -------
    dict
        ``symbols`` (the typable keys of ``symbols``), ``functions`` (callable as ``f(x)``
        only) and ``constants`` (named numbers not shadowed by a symbol).  A name outside
        these lists is refused by :func:`parse_quantity`.

    Examples
    --------
    >>> import sympy as sp
    >>> accepted_names({"x": sp.Symbol("x")})["constants"]
    ['E', 'pi']
    """
    return {
        "symbols": sorted(n for n in symbols if is_readable_name(n)),
        "functions": sorted(FUNCTIONS),
        "constants": sorted(n for n in CONSTANTS if n not in symbols),
    }


@dataclass(frozen=True)
class _Cost:
    """Upper bounds for a sub-expression: expanded degree and terms, function nesting, digits."""

    degree: int = 0
    terms: int = 1
    nesting: int = 0
    digits: int = 1

    def check(self) -> _Cost:
        if self.degree > MAX_DEGREE:
            raise ExpressionError(
                f"quantity would expand to degree {self.degree}, above the limit {MAX_DEGREE}; lower the exponents"
            )
        if self.terms > MAX_TERMS:
            shown = f"{self.terms:.2e}" if self.terms >= 1e6 else str(self.terms)
            raise ExpressionError(
                f"quantity would expand to about {shown} terms, above the limit {MAX_TERMS}; "
                "use fewer symbols in powered sums or smaller exponents"
            )
        if self.nesting > MAX_NESTING:
            raise ExpressionError(
                f"quantity nests functions {self.nesting} or more deep, above the limit {MAX_NESTING} "
                "(exp(exp(x)) is 2)"
            )
        if self.digits > MAX_DIGITS:
            raise ExpressionError(
                f"quantity holds a number of about {self.digits} digits, above the limit {MAX_DIGITS}; "
                "use smaller numbers"
            )
        return self


_CAP = 10**18  #: term counts are capped here (beyond any limit) so the bounds stay cheap integers


def _monomials(terms: int, power: int) -> int:
    """Number of monomials of ``(t_1 + ... + t_terms)**power``: C(terms + power - 1, power), capped."""
    if terms <= 1 or power == 0:
        return 1
    return min(math.comb(terms + power - 1, power), _CAP)


def _digits(value: sp.Expr) -> int:
    if isinstance(value, sp.Integer):
        return len(str(abs(int(value))))
    if isinstance(value, sp.Rational):
        return len(str(abs(int(value.p)))) + len(str(int(value.q)))
    return 1


class _Translator:
    def __init__(self, symbols: Mapping[str, sp.Expr]) -> None:
        self.symbols = dict(symbols)

    def _allowed(self) -> str:
        names = sorted(self.symbols)
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return f"{shown}, and functions {', '.join(sorted(FUNCTIONS))}, {', '.join(CONSTANTS)}"

    def visit(self, node: ast.AST, depth: int) -> tuple[sp.Expr, _Cost]:
        if depth > _MAX_DEPTH:
            raise ExpressionError("quantity is nested too deeply")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ExpressionError(f"only numbers are allowed as constants, got {node.value!r}")
            if isinstance(node.value, float):
                if not math.isfinite(node.value):
                    raise ExpressionError(f"number {node.value!r} is not finite; use a finite number")
                value: sp.Expr = sp.nsimplify(node.value, rational=True)
            else:
                if node.value.bit_length() > 4 * MAX_DIGITS:
                    _Cost(digits=node.value.bit_length() * 3 // 10).check()
                value = sp.Integer(node.value)
            return value, _Cost(digits=_digits(value)).check()
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id], _Cost(degree=1)
            if node.id in CONSTANTS:
                return CONSTANTS[node.id], _Cost()
            raise ExpressionError(f"unknown name {node.id!r} in quantity; allowed: {self._allowed()}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand, cost = self.visit(node.operand, depth + 1)
            return (-operand if isinstance(node.op, ast.USub) else operand), cost
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, lc = self.visit(node.left, depth + 1)
            right, rc = self.visit(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                return self._power(left, lc, right, rc)
            if isinstance(node.op, (ast.Add, ast.Sub)):
                cost = _Cost(
                    max(lc.degree, rc.degree),
                    lc.terms + rc.terms,
                    max(lc.nesting, rc.nesting),
                    max(lc.digits, rc.digits),
                )
            else:  # a product, or a quotient whose normal form multiplies out numerator and denominator
                cost = _Cost(
                    lc.degree + rc.degree,
                    min(lc.terms * rc.terms, _CAP),
                    max(lc.nesting, rc.nesting),
                    lc.digits + rc.digits,
                )
            cost.check()
            try:
                return _BINARY[type(node.op)](left, right), cost  # type: ignore[misc]
            except ZeroDivisionError:
                raise ExpressionError("quantity divides by zero") from None
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                if not isinstance(node.func, ast.Name):
                    raise ExpressionError("only calls of named functions such as exp(x) are allowed in a quantity")
                name = node.func.id
                raise ExpressionError(
                    f"function {name!r} is not allowed in a quantity; allowed: {', '.join(sorted(FUNCTIONS))}"
                )
            if node.keywords or len(node.args) != 1:
                raise ExpressionError(f"function {node.func.id!r} takes exactly one positional argument")
            arg, ac = self.visit(node.args[0], depth + 1)
            cost = _Cost(1 if ac.degree else 0, 1, ac.nesting + 1, ac.digits).check()
            result = FUNCTIONS[node.func.id](arg)  # type: ignore[operator]
            if result.is_number:
                _check_real(node.func.id, arg, result)
            return result, cost
        kind = type(node).__name__
        raise ExpressionError(f"{kind} is not allowed in a quantity; use numbers, symbols, + - * / ** and functions")

    @staticmethod
    def _power(left: sp.Expr, lc: _Cost, right: sp.Expr, rc: _Cost) -> tuple[sp.Expr, _Cost]:
        if right.is_number and (not right.is_finite or (right.is_Integer and abs(right) > _MAX_EXPONENT)):
            raise ExpressionError(f"exponent {right} is too large; at most {_MAX_EXPONENT} in absolute value")
        if right.is_Integer:
            n = abs(int(right))
            if left.is_number:
                cost = _Cost(0, 1, lc.nesting, max(1, lc.digits * max(n, 1))).check()
            else:
                cost = _Cost(lc.degree * n, _monomials(lc.terms, n), lc.nesting, lc.digits).check()
        else:  # a root or a symbolic exponent: an opaque function of base and exponent
            cost = _Cost(
                max(lc.degree, rc.degree, 1), 1, max(lc.nesting, rc.nesting) + 1, max(lc.digits, rc.digits)
            ).check()
        return left**right, cost


def _check_real(name: str, arg: sp.Expr, result: sp.Expr) -> None:
    """Refuse a function of a number that is undefined or not real, e.g. ``erfinv(2)``, ``log(-1)``."""
    try:
        value = complex(sp.N(result, 15))
    except (ValueError, TypeError, ArithmeticError):
        raise ExpressionError(
            f"{name}({arg}) is undefined (outside the function's domain); check the argument"
        ) from None
    if not (math.isfinite(value.real) and abs(value.imag) <= 1e-12 * max(1.0, abs(value.real))):
        raise ExpressionError(f"{name}({arg}) = {result} is not a finite real number; check the argument")
