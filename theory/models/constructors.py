"""Model constructors for notebooks: ``joma``, ``lu`` and ``custom``.

Role: the front door of the pipeline ``spec -> derive_flow -> prove -> check -> simulate``.
:func:`joma` and :func:`lu` are thin wrappers of :func:`~theory.models.joma_block` and
:func:`~theory.models.lu_classifier` with keyword-friendly signatures; :func:`custom` turns a
user's SymPy loss and parameter groups into a :class:`~theory.models.ModelSpec`, validating
every argument first (one-line :class:`~theory.errors.ModelError` naming the culprit).

User strings are never parsed here: a loss or a learning rate given as a string is refused
(``sympy.sympify`` would run :func:`eval` on it).  Quantities, which users do type, go through
:func:`theory.symbolic.parse.parse_quantity` instead.

Examples
--------
>>> import sympy as sp
>>> a1, a2, b1, b2 = sp.symbols("a1 a2 b1 b2", real=True)
>>> eta = sp.Symbol("eta", positive=True)
>>> spec = custom((a1 * b1 + a2 * b2 - 1) ** 2 / 2, params={"a": [a1, a2], "b": [b1, b2]},
...               rates={"a": eta, "b": eta})
>>> [g.name for g in spec.params], [s.name for s in spec.state]
(['a', 'b'], ['a1', 'a2', 'b1', 'b2'])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from ..errors import ModelError
from .custom import custom_model
from .joma import joma_block
from .lu import lu_classifier
from .spec import ModelSpec

__all__ = ["custom", "joma", "lu"]

_NOT_FINITE = (sp.nan, sp.zoo, sp.oo, -sp.oo)


def joma(attention: str = "exp", M: int = 2, K: int = 1, N: int = 1, **options: Any) -> ModelSpec:
    """The JoMA block (Tian et al., ICLR 2024) at ``M`` tokens, ``K`` hidden nodes, ``N`` samples.

    Same model as :func:`~theory.models.joma_block` (which documents ``options``:
    ``queries``, ``activation``, ``loss``, ``layernorm``, ``embeddings``), with the attention
    map first: ``b = x o z`` (linear), ``x o exp(z/T)`` (exp) or its normalisation (softmax).

    Examples
    --------
    >>> [s.name for s in joma("linear", M=2).state]
    ['v1_1', 'v1_2', 'vm1', 'z1', 'z2']
    """
    return joma_block(M, K, N, attention=attention, **options)


def lu(N: int = 1, m: int | None = 2, d_e: int = 2, d_k: int = 2, **options: Any) -> ModelSpec:
    """The attention classifier of Lu, Mao & Nayak (ICLR 2021); see :func:`~theory.models.lu_classifier`.

    ``options``: ``classifier``, ``classes``, ``trainable_query``, ``frozen_nontopic``.

    Examples
    --------
    >>> lu().name
    'lu'
    """
    return lu_classifier(N, m, d_e, d_k, **options)


def _symbols(group: str, value: object) -> tuple[sp.Symbol, ...]:
    """The coordinates of one group, from a list, tuple or SymPy matrix (row-major) of symbols."""
    if isinstance(value, sp.MatrixBase):
        items: list[object] = list(value)
    elif isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, sp.Symbol):
        items = [value]
    else:
        raise ModelError(
            f"params[{group!r}] must be a list, tuple or SymPy Matrix of symbols, got {type(value).__name__}"
        )
    if not items:
        raise ModelError(f"params[{group!r}] is empty; give the group at least one symbol")
    for item in items:
        if not isinstance(item, sp.Symbol):
            raise ModelError(f"params[{group!r}] must hold SymPy symbols, got {item!r} ({type(item).__name__})")
    return tuple(items)  # type: ignore[arg-type]


def _rate(group: str, value: object, state: set[sp.Symbol]) -> sp.Expr:
    """A learning rate: a positive number or a SymPy expression SymPy can prove positive."""
    if isinstance(value, str):
        raise ModelError(
            f"rates[{group!r}] is the string {value!r}; strings are never parsed: pass a number or a SymPy "
            "expression such as sp.Symbol('eta', positive=True)"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, sp.Expr)):
        raise ModelError(f"rates[{group!r}] must be a positive number or SymPy expression, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or value <= 0:
            raise ModelError(f"rates[{group!r}] must be positive and finite, got {value!r}")
        rate: sp.Expr = sp.Rational(repr(value))  # the decimal the user wrote, exactly
    elif isinstance(value, (int, Fraction)):
        rate = sp.Rational(value)
    else:
        rate = value
    if rate.has(*_NOT_FINITE):
        raise ModelError(f"rates[{group!r}] = {rate} is not finite")
    moving = sorted(str(s) for s in rate.free_symbols & state)
    if moving:
        raise ModelError(f"rates[{group!r}] = {rate} depends on the parameters {', '.join(moving)}; rates are constant")
    if rate.is_positive is not True:
        if rate.is_positive is False:
            raise ModelError(f"rates[{group!r}] = {rate} is not positive; learning rates must be > 0")
        raise ModelError(
            f"rates[{group!r}] = {rate}: SymPy cannot tell it is positive; declare its symbols positive, "
            "e.g. sp.Symbol('eta', positive=True)"
        )
    return rate


def custom(
    loss: sp.Expr,
    params: Mapping[str, Sequence[sp.Symbol] | sp.MatrixBase],
    rates: Mapping[str, sp.Expr | float],
    *,
    data: Iterable[sp.Symbol] = (),
    name: str = "custom",
    assumptions: Sequence[str] = (),
) -> ModelSpec:
    """A user's model: gradient flow :math:`\\dot\\theta_g = -\\eta_g\\nabla_{\\theta_g}\\mathcal L`.

    Parameters
    ----------
    loss : sympy.Expr
        The training loss :math:`\\mathcal L(\\theta)` (a SymPy expression; strings are refused).
    params : mapping of str to list, tuple or sympy.Matrix of sympy.Symbol
        Parameter groups :math:`\\theta_g`; a matrix is read row-major.
    rates : mapping of str to sympy.Expr or positive number
        The learning rate :math:`\\eta_g` of each group: the same keys as ``params``.  A SymPy
        rate must be provably positive (declare its symbols ``positive=True``).
    data : iterable of sympy.Symbol
        Symbols held fixed (inputs, targets).  Every other free symbol that is not a parameter
        is a constant.
    name : str
        Model name.
    assumptions : sequence of str
        Assumptions in words (shown by ``theory show`` and in derivations).

    Returns
    -------
    ModelSpec

    Raises
    ------
    ModelError
        A string, non-finite or non-SymPy loss; mismatched ``params`` / ``rates`` keys; a
        group that is empty or holds non-symbols; a rate that is a string, not positive, not
        finite or depends on the parameters; non-symbol data.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory.symbolic import derive_flow, prove
    >>> u, v = sp.symbols("u v", real=True)
    >>> spec = custom((u * v - 1) ** 2 / 2, params={"u": [u], "v": [v]}, rates={"u": 1, "v": 1})
    >>> prove(derive_flow(spec), u**2 - v**2).verdict
    'proved'
    """
    if isinstance(loss, str):
        raise ModelError(
            "loss is a string; strings are never parsed: build the loss from SymPy symbols, e.g. (a*b - 1)**2/2"
        )
    if not isinstance(loss, sp.Expr):
        raise ModelError(f"loss must be a SymPy expression, got {type(loss).__name__}")
    if loss.has(*_NOT_FINITE):
        raise ModelError(f"loss {loss} is not finite (contains nan, zoo or oo)")
    if not isinstance(name, str) or not name:
        raise ModelError(f"name must be a non-empty string, got {name!r}")
    if not isinstance(params, Mapping) or not params:
        raise ModelError("params must be a non-empty mapping of group name -> symbols, e.g. {'a': [a1, a2]}")
    if not isinstance(rates, Mapping):
        raise ModelError(f"rates must be a mapping of group name -> learning rate, got {type(rates).__name__}")
    missing, extra = [k for k in params if k not in rates], [k for k in rates if k not in params]
    if missing or extra:
        parts = [f"no rate for {', '.join(map(repr, missing))}"] if missing else []
        parts += [f"rates for unknown groups {', '.join(map(repr, extra))}"] if extra else []
        raise ModelError(f"params and rates must have the same keys: {'; '.join(parts)}")
    for key in params:
        if not isinstance(key, str) or not key.isidentifier():
            raise ModelError(f"group names must be identifiers such as 'a', got {key!r}")
    groups = {g: _symbols(g, value) for g, value in params.items()}
    state = {s for syms in groups.values() for s in syms}
    if isinstance(data, str):
        raise ModelError("data must be an iterable of SymPy symbols, got a string")
    data_t = tuple(data)
    for s in data_t:
        if not isinstance(s, sp.Symbol):
            raise ModelError(f"data must hold SymPy symbols, got {s!r} ({type(s).__name__})")
    if not any(loss.has(s) for s in state):
        raise ModelError("the loss does not depend on any parameter; nothing would move")
    if isinstance(assumptions, str):
        assumptions = (assumptions,)
    return custom_model(
        loss,
        {g: (syms, _rate(g, rates[g], state)) for g, syms in groups.items()},
        data=data_t,
        name=name,
        assumptions=tuple(assumptions),
    )
