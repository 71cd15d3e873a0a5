"""The fixed vocabulary of typed quantities: functions, named numbers, and which names can be typed.

Shared by the model stage (:class:`theory.models.ModelSpec` refuses symbol and alias names
that would collide with it) and the symbolic stage (:func:`theory.symbolic.parse.parse_quantity`
reads quantities with it), so the two agree by construction.  It imports neither stage.
"""

from __future__ import annotations

import ast
import keyword

import sympy as sp

__all__ = ["CONSTANTS", "FUNCTIONS", "RESERVED", "is_readable_name"]

#: functions a quantity may call, ``f(x)`` with one positional argument
FUNCTIONS: dict[str, object] = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tanh": sp.tanh,
    "erf": sp.erf,
    "erfinv": sp.erfinv,
    "abs": sp.Abs,
}
#: named numbers a quantity may use
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}
#: names with a fixed meaning in a quantity: no model symbol or alias may take them
RESERVED: frozenset[str] = frozenset(FUNCTIONS) | frozenset(CONSTANTS)


def is_readable_name(name: str) -> bool:
    """Whether ``name`` can be typed in a quantity: Python reads it as exactly that one name.

    Parameters
    ----------
    name : str
        A symbol or alias name.

    Returns
    -------
    bool
        ``False`` for keywords, names with spaces or punctuation, and names that Python's
        identifier normalisation (NFKC) would turn into another name.

    Examples
    --------
    >>> is_readable_name("s_0"), is_readable_name("lambda"), is_readable_name("x'")
    (True, False, False)
    """
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        return False
    try:
        node = ast.parse(name, mode="eval").body
    except (SyntaxError, ValueError):  # pragma: no cover - isidentifier() already excludes these
        return False
    return isinstance(node, ast.Name) and node.id == name
