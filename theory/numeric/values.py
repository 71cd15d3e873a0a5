"""Numbers for any model: a concrete activation, and well-conditioned random values.

Role: the numeric set-up shared by :func:`theory.checks.check`, :func:`theory.simulate` and
the Hypothesis strategies of :mod:`theory.strategies`, for *any*
:class:`~theory.models.ModelSpec`, respecting its assumptions:

* a symbol declared ``positive`` (or ``nonnegative``) is drawn from
  :data:`POSITIVE_RANGE` (bounded away from 0, so ``log`` and ``1/x`` stay tame), a
  ``negative`` one from its mirror image, a positive ``integer`` one from 1..3;
* any other (real) symbol gets magnitude in :data:`REAL_MAGNITUDE` times ``scale`` with a
  random sign: bounded away from 0 so no start is a degenerate point (a zero weight in a
  product network never moves);
* groups listed in ``spec.extra["simplex"]`` (token frequencies) are normalised to sum 1.

An *arbitrary* activation :math:`\\phi` (an undefined function, so that proofs cover every
activation) has no numbers; :func:`numeric_spec` instantiates it (``tanh`` by default), which
is sound for checking: a statement proved for every :math:`\\phi` holds for ``tanh``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import ExpressionError, InvalidArgument, UnknownNameError
from ..models.activations import ACTIVATIONS, DPHI, PHI
from ..models.spec import ModelSpec
from ..symbolic.parse import parse_quantity

__all__ = [
    "POSITIVE_RANGE",
    "REAL_MAGNITUDE",
    "numeric_spec",
    "quantity_components",
    "random_values",
    "simplex_groups",
    "symbol_range",
]

#: Range of positive symbols: bounded away from 0 and from large values (rates, T, frequencies).
POSITIVE_RANGE = (0.5, 1.5)
#: Magnitude range of real symbols (times ``scale``), with a random sign.
REAL_MAGNITUDE = (0.2, 1.0)


def numeric_spec(spec: ModelSpec, activation: str = "tanh") -> tuple[ModelSpec, dict[str, str]]:
    """``spec`` with its arbitrary activation :math:`\\phi` replaced by ``activation``.

    Returns
    -------
    (ModelSpec, dict)
        The spec to compile (``spec`` itself when it has no undefined function) and what was
        instantiated, e.g. ``{"phi": "tanh"}`` (empty when nothing was).

    Raises
    ------
    UnknownNameError
        ``activation`` is not in :data:`theory.models.ACTIVATIONS`.
    """
    if activation not in ACTIVATIONS:
        raise UnknownNameError(f"unknown activation {activation!r}; expected one of: {', '.join(sorted(ACTIVATIONS))}")
    if not spec.loss.has(PHI, DPHI):
        return spec, {}
    act = ACTIVATIONS[activation]
    loss = spec.loss.replace(lambda e: isinstance(e, AppliedUndef) and e.func == PHI, lambda e: act(e.args[0]))
    note = f"the arbitrary activation phi is instantiated as {activation} for the numbers"
    return replace(spec, loss=loss, assumptions=(*spec.assumptions, note)), {"phi": activation}


def symbol_range(symbol: sp.Symbol, scale: float = 1.0) -> tuple[str, float, float]:
    """``(kind, lo, hi)`` for ``symbol``: ``kind`` is ``"positive"``, ``"negative"``,
    ``"integer"`` (positive integers ``lo..hi``) or ``"real"`` (magnitude ``lo..hi``, either sign)."""
    if symbol.is_integer and symbol.is_positive:
        return "integer", 1.0, 3.0
    if symbol.is_positive or symbol.is_nonnegative:
        return "positive", *POSITIVE_RANGE
    if symbol.is_negative or symbol.is_nonpositive:
        return "negative", -POSITIVE_RANGE[1], -POSITIVE_RANGE[0]
    return "real", REAL_MAGNITUDE[0] * scale, REAL_MAGNITUDE[1] * scale


def _draw(symbol: sp.Symbol, rng: np.random.Generator, scale: float) -> float:
    kind, lo, hi = symbol_range(symbol, scale)
    if kind == "integer":
        return float(rng.integers(int(lo), int(hi) + 1))
    value = float(rng.uniform(lo, hi))
    return value * float(rng.choice([-1.0, 1.0])) if kind == "real" else value


def simplex_groups(spec: ModelSpec) -> tuple[tuple[sp.Symbol, ...], ...]:
    """The groups of ``spec.extra["simplex"]`` (each a tuple of symbols summing to 1)."""
    groups = spec.extra.get("simplex", ())
    return tuple(tuple(g) for g in groups)


def random_values(
    spec: ModelSpec,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
    given: Mapping[str, float] | None = None,
) -> tuple[np.ndarray, dict[str, float]]:
    """A random start and random data / constants for ``spec`` (see the module docstring).

    Parameters
    ----------
    spec : ModelSpec
    rng : numpy.random.Generator
    scale : float
        Scale of real-valued symbols (state and data).
    given : mapping of str to float, optional
        Values that override the draw, by symbol name (state, data or constants).  Simplex
        groups are normalised after the overrides unless every member was given.

    Returns
    -------
    (ndarray, dict)
        The state ``y0`` in ``spec.state`` order, and ``{name: value}`` for every data
        symbol and constant.

    Raises
    ------
    UnknownNameError
        A name in ``given`` is not a symbol of the spec.
    InvalidArgument
        A given value is not a finite real number, or violates the symbol's sign.
    """
    symbols = (*spec.state, *spec.data, *spec.constants)
    by_name = {s.name: s for s in symbols}
    given = dict(given or {})
    for name, value in given.items():
        if name not in by_name:
            raise UnknownNameError(f"{name!r} is not a symbol of model {spec.name!r}; known: {', '.join(by_name)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidArgument(f"expected a finite real value, got {name}={value!r}")
        sym = by_name[name]
        if (sym.is_positive and value <= 0) or (sym.is_negative and value >= 0):
            raise InvalidArgument(f"{name} is declared {'positive' if sym.is_positive else 'negative'}, got {value!r}")
    values = {s.name: float(given[s.name]) if s.name in given else _draw(s, rng, scale) for s in symbols}
    for group in simplex_groups(spec):
        names = [s.name for s in group]
        if all(n in given for n in names):
            continue
        total = sum(values[n] for n in names)
        for n in names:
            values[n] /= total
    y0 = np.array([values[s.name] for s in spec.state], dtype=float)
    return y0, {s.name: values[s.name] for s in (*spec.data, *spec.constants)}


def quantity_components(spec: ModelSpec, quantity: object) -> tuple[sp.Expr, ...]:
    """The components of a quantity over ``spec``'s symbols.

    Parameters
    ----------
    spec : ModelSpec
    quantity : sympy.Expr, str, number, or a list / tuple / Matrix of them
        Strings are parsed by :func:`theory.symbolic.parse.parse_quantity` against
        ``spec.symbols`` (never ``sympify``: no user text is executed).

    Raises
    ------
    ExpressionError
        No components, a non-finite component (``nan``, ``zoo``, ``oo``), a component of
        another type, or symbols the model does not have (or same-named impostors).
    """
    if isinstance(quantity, sp.MatrixBase):
        items: list[object] = list(quantity)
    elif isinstance(quantity, (list, tuple)):
        items = list(quantity)
    else:
        items = [quantity]
    if not items:
        raise ExpressionError("quantity has no components; pass an expression, a string or a non-empty list")
    known = set(spec.symbols.values()) | set(spec.state)
    out = []
    for item in items:
        if isinstance(item, str):
            expr = parse_quantity(item, spec.symbols)
        elif isinstance(item, (int, float, sp.Expr)) and not isinstance(item, bool):
            expr = sp.sympify(item)  # a number or an expression: nothing is parsed
        else:
            kind = type(item).__name__
            raise ExpressionError(f"quantity component must be a SymPy expression or a string, got {kind}")
        if not isinstance(expr, sp.Expr) or expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise ExpressionError(f"quantity component {item!r} is not a finite expression")
        alien = sorted(s.name for s in expr.free_symbols if s not in known)
        if alien:
            raise ExpressionError(
                f"quantity uses {', '.join(alien)}, not symbols of model {spec.name!r} (or same-named symbols with "
                "other assumptions); take them from spec.symbols"
            )
        out.append(expr)
    return tuple(out)
