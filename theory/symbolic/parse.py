"""Safe parsing of user-supplied quantities: no code is ever executed.

``sympy.sympify`` and ``parse_expr`` call :func:`eval` on their input, so a string such as
``__import__('os').system('...')`` would run.  Here the text is parsed with :func:`ast.parse`
(which only builds a syntax tree) and the tree is translated node by node into SymPy
objects from an allow-list: numbers, the model's symbols, ``+ - * / **`` (``^`` is read as a
power), unary signs, and calls of a few named functions.  Anything else (attributes,
subscripts, keywords, lambdas, comprehensions, strings, unknown names) is rejected with a
one-line :class:`~theory.errors.ExpressionError`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

import sympy as sp

from ..errors import ExpressionError
from ..vocabulary import CONSTANTS, FUNCTIONS, RESERVED, is_readable_name

__all__ = ["CONSTANTS", "FUNCTIONS", "MAX_LENGTH", "RESERVED", "accepted_names", "is_readable_name", "parse_quantity"]

MAX_LENGTH = 2000  #: longest accepted expression, in characters
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
    expr = _Translator(symbols).visit(tree.body, 0)
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ExpressionError("quantity is undefined (division by zero or an infinite value); check the expression")
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


class _Translator:
    def __init__(self, symbols: Mapping[str, sp.Expr]) -> None:
        self.symbols = dict(symbols)

    def _allowed(self) -> str:
        names = sorted(self.symbols)
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return f"{shown}, and functions {', '.join(sorted(FUNCTIONS))}, {', '.join(CONSTANTS)}"

    def visit(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > _MAX_DEPTH:
            raise ExpressionError("quantity is nested too deeply")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ExpressionError(f"only numbers are allowed as constants, got {node.value!r}")
            if isinstance(node.value, float):
                return sp.nsimplify(node.value, rational=True)
            return sp.Integer(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            raise ExpressionError(f"unknown name {node.id!r} in quantity; allowed: {self._allowed()}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = self.visit(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left = self.visit(node.left, depth + 1)
            right = self.visit(node.right, depth + 1)
            if isinstance(node.op, ast.Pow):
                if right.is_number and (not right.is_finite or (right.is_Integer and abs(right) > _MAX_EXPONENT)):
                    raise ExpressionError(f"exponent {right} is too large; at most {_MAX_EXPONENT} in absolute value")
                return left**right
            try:
                return _BINARY[type(node.op)](left, right)  # type: ignore[misc]
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
            return FUNCTIONS[node.func.id](self.visit(node.args[0], depth + 1))  # type: ignore[operator]
        kind = type(node).__name__
        raise ExpressionError(f"{kind} is not allowed in a quantity; use numbers, symbols, + - * / ** and functions")
